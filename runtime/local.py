"""Local invoke: `python -m botship_runtime.local RESULT_FILE [EVENT_JSON]` runs one invocation like the cloud would."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
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


# The mark botship puts in a run's environment; every process the bot starts inherits it.
RUN_TOKEN = "BOTSHIP_RUN_TOKEN"
# The mark as this process was started with it (the bot may change os.environ).
_TOKEN = os.environ.get(RUN_TOKEN, "")


def stop_marked(token: str) -> list[int]:
    """Kill every process whose environment carries a run's mark: what the bot started, also what left its
    process group (a daemon in a new session). Linux only (reads /proc); only this user's processes."""
    if not token or not os.path.isdir("/proc"):
        return []
    mark = f"{RUN_TOKEN}={token}".encode()
    killed = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if mark not in fh.read().split(b"\0"):
                    continue
            os.kill(int(entry), signal.SIGKILL)
            killed.append(int(entry))
        except (OSError, ValueError):
            continue
    return killed


_cleaning = threading.Lock()


def _cleanup_and_exit(signum, frame):  # noqa: ANN001 - a signal handler's signature
    """botship died or stopped this run: remove the run's temporary folders (copies of the package and
    state), then stop this process group and what left it (the bot and anything it started)."""
    # The signal may come twice (the parent's death, then a reaper's), or the watch may see the death too:
    # the first one does the work.
    if not _cleaning.acquire(blocking=False):
        return
    try:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except ValueError:  # called from the watch thread: only the main thread sets handlers
        pass
    for folder in os.environ.get("BOTSHIP_RUN_TMP", "").split(os.pathsep):
        if folder and os.path.basename(folder.rstrip(os.sep)).startswith("botship-"):
            shutil.rmtree(folder, ignore_errors=True)
    try:
        stop_marked(_TOKEN)
        os.killpg(os.getpgrp(), signal.SIGKILL)
    finally:
        os._exit(128 + signum)


def _watch_parent(parent: int) -> None:
    """The parent-death signal arrives as SIGTERM, which the bot may ignore or handle itself; this thread
    (which the bot cannot switch off) sees botship gone within half a second either way."""
    while os.getppid() == parent:
        time.sleep(0.5)
    _cleanup_and_exit(signal.SIGTERM, None)


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
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="botship-parent-watch").start()


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
