"""Local invoke: `python -m botship_runtime.local RESULT_FILE [EVENT_JSON]` runs one invocation like the cloud would."""

from __future__ import annotations

import json
import os
import sys
import time

from .invoke import invoke


class LocalContext:
    """The parts of Lambda's context object a bot may use."""

    function_name = os.environ.get("BOTSHIP_BOT_NAME", "local")
    aws_request_id = "local"

    def __init__(self, timeout_s: float) -> None:
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main(argv: list[str]) -> int:
    result_file = argv[0]
    event = json.loads(argv[1]) if len(argv) > 1 else {}
    timeout = float(os.environ.get("BOTSHIP_TIMEOUT_S", "900"))
    response = invoke(event, LocalContext(timeout), timeout)
    with open(result_file, "w", encoding="utf-8") as fh:
        json.dump(response, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
