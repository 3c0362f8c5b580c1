"""Local invoke: `python -m botship_runtime.local RESULT_FILE [EVENT_JSON]` runs one invocation like the cloud would."""

from __future__ import annotations

import json
import os
import shutil
import signal
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


def _cleanup_and_exit(signum, frame):  # noqa: ANN001 - a signal handler's signature
    """botship died or stopped this run: remove the run's temporary folders (copies of the package and
    state), then stop this process group (the bot and anything it started)."""
    # The signal may come twice (the parent's death, then a reaper's): the first one does the work.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for folder in os.environ.get("BOTSHIP_RUN_TMP", "").split(os.pathsep):
        if folder and os.path.basename(folder.rstrip(os.sep)).startswith("botship-"):
            shutil.rmtree(folder, ignore_errors=True)
    try:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    finally:
        os._exit(128 + signum)


def die_with_parent() -> None:
    """Stop when the botship that started this run dies (Linux: the parent-death signal), even by SIGKILL."""
    parent = int(os.environ.get("BOTSHIP_PARENT_PID", "0") or 0)
    if not parent:
        return
    signal.signal(signal.SIGTERM, _cleanup_and_exit)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # botship died before the signal was armed
        _cleanup_and_exit(signal.SIGTERM, None)


def main(argv: list[str]) -> int:
    die_with_parent()
    result_file = argv[0]
    event = json.loads(argv[1]) if len(argv) > 1 else {}
    timeout = float(os.environ.get("BOTSHIP_TIMEOUT_S", "900"))
    response = invoke(event, LocalContext(timeout), timeout)
    with open(result_file, "w", encoding="utf-8") as fh:
        json.dump(response, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
