"""Local invoke: `python -m botship_runtime.local RESULT_FILE [EVENT_JSON]` runs one invocation like the cloud would.

Like Lambda: the working directory is the code folder, which (with the dependencies) cannot be written, and
only the run's temporary folder, /tmp and the state folder can (see `sandbox_fs`); the variables Lambda
sets are set by whoever started this process (botship.providers.local).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import uuid

from . import logs, sandbox_fs
from .invoke import invoke


class LocalContext:
    """The parts of Lambda's context object a bot may use, from the variables Lambda sets."""

    def __init__(self, timeout_s: float) -> None:
        env = os.environ
        self._deadline = time.monotonic() + timeout_s
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME") or env.get("BOTSHIP_BOT_NAME", "local")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.aws_request_id = env.get("BOTSHIP_REQUEST_ID") or str(uuid.uuid4())
        region = env.get("AWS_REGION", "")
        self.invoked_function_arn = env.get("BOTSHIP_FUNCTION_ARN") or (
            f"arn:aws:lambda:{region}:000000000000:function:{self.function_name}" if region else "")
        self.identity = None
        self.client_context = None

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
    sandbox_fs.suspend()  # the run's folders are botship's to remove, read-only copy included
    for folder in os.environ.get("BOTSHIP_RUN_TMP", "").split(os.pathsep):
        if folder and os.path.basename(folder.rstrip(os.sep)).startswith("botship-"):
            sandbox_fs.remove_tree(folder)
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


def keep_filesystem_rules(result_file: str) -> sandbox_fs.Rules | None:
    """Refuse, from now on, the writes Lambda would refuse (before the bot is imported). The state folder, a
    folder state store and this run's result are botship's own and stay writable."""
    rules = sandbox_fs.Rules.from_env()
    if rules is None:
        return None
    env = os.environ
    state_url = env.get("BOTSHIP_STATE_URL", "")
    state_dir = env.get("BOTSHIP_STATE_DIR", "")
    # The runtime keeps its index and packs beside the state folder (state.py), as on Lambda inside /tmp.
    rules.allow(state_dir, os.path.dirname(os.path.abspath(state_dir)) if state_dir else "", env.get("TMPDIR", ""),
                result_file, state_url[len("file://"):] if state_url.startswith("file://") else "")
    # The SDKs' credential caches, which this machine's sign-in (an SSO or assumed-role profile reaching a
    # deployed bot's state) may refresh; a function in the cloud has its credentials in its environment instead.
    if "HOME" in env:
        rules.allow(os.path.join(env["HOME"], ".aws"), os.path.join(env["HOME"], ".azure"))
    sandbox_fs.install(rules)
    return rules


def with_refusals(response: dict, rules: sandbox_fs.Rules | None) -> dict:
    """The response, with the writes the rules refused named in a failed run's error (and in a log line)."""
    refusals = sandbox_fs.refused()
    if not refusals:
        return response
    note = sandbox_fs.refusal_note(refusals, rules)
    shown = [r.shown for r in refusals]
    try:
        body = json.loads(response["body"])
    except (KeyError, TypeError, ValueError):
        return response
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or body.get("status") != "error":
        logs.warning("the bot tried to write where the cloud cannot; it carried on", refused_writes=shown, note=note)
        return response
    logs.error("the bot failed writing where the cloud cannot", refused_writes=shown, note=note)
    error["refused_writes"] = shown
    error["note"] = f"{error['note']} {note}" if error.get("note") else note
    return {**response, "body": json.dumps(body, default=str, sort_keys=True)}


def main(argv: list[str]) -> int:
    die_with_parent()
    result_file = argv[0]
    event = json.loads(argv[1]) if len(argv) > 1 else {}
    timeout = float(os.environ.get("BOTSHIP_TIMEOUT_S", "900"))
    rules = keep_filesystem_rules(os.path.abspath(result_file))
    response = with_refusals(invoke(event, LocalContext(timeout), timeout), rules)
    with open(result_file, "w", encoding="utf-8") as fh:
        json.dump(response, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
