"""Local invoke: run a built artifact's handler in a subprocess with the environment the cloud would give it.

As on Lambda: the working directory is the code folder; the code and its dependencies cannot be written,
only the run's own temporary folder (TMPDIR), /tmp and the state folder can (botship_runtime.sandbox_fs keeps
that rule inside the run); and the variables Lambda sets are set (`cloudlike.lambda_env`).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import queue
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botship import paper
from botship.errors import BotshipError
from botship.locations import work_dir
from botship.runtime.local import RUN_TOKEN, stop_marked
from botship.runtime.sandbox_fs import RULES_VARIABLE, Rules, make_read_only, remove_tree
from botship.secret_values import SecretValues
from botship.spec import DeploySpec

from .artifact.build import AZURE_SITE, Artifact
from .artifact.import_check import LEND_PREFIX, lend_lambda_modules, lend_local_runtime
from .cloudlike import lambda_env, network_note
from .aws.names import AwsNames
from .pids import alive

# Seconds beyond the bot's timeout before a local run is stopped (the cloud stops it at the timeout).
KILL_MARGIN_S = 5
# The run's process: botship_runtime.local's main, with the local-only modules lent (LEND_PREFIX).
_RUN_LOCAL = "from botship_runtime.local import main\nsys.exit(main(sys.argv[1:]))\n"


# The last lines a failed handler printed, shown with its failure.
OUTPUT_TAIL = 40
# Temporary folders of local runs carry their owner's pid, so a later botship can sweep those of one that died.
TEMP_PREFIXES = ("botship-invoke-", "botship-sandbox-")
_STALE = re.compile(r"^botship-(?:invoke|sandbox)-(\d+)-")


class RunTimedOut(BotshipError):
    """The handler ran past its timeout and was stopped (what it printed was already passed on)."""


class HandlerFailed(BotshipError):
    """The handler process ended without answering: killed by a signal, or exited; `output` is what it printed."""

    def __init__(self, what: str, why: str, fix: str, output: list[str]) -> None:
        super().__init__(what, why, fix)
        self.output = output


def temp_dir(prefix: str) -> str:
    """A temporary folder named for this process, so it is swept if this process dies without removing it."""
    sweep_stale_temp_dirs()
    return tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-")


def sweep_stale_temp_dirs() -> list[str]:
    """Remove the temporary folders (copies of packages and state) of botship processes that are gone."""
    base = tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(base)
    except OSError:
        return removed
    for name in names:
        match = _STALE.match(name)
        if not match or int(match.group(1)) == os.getpid() or alive(int(match.group(1))):
            continue
        path = os.path.join(base, name)
        try:
            if os.lstat(path).st_uid != os.getuid() or not os.path.isdir(path):
                continue
        except OSError:
            continue
        remove_tree(path)
        removed.append(path)
    return removed


# Handler processes running now (each the leader of its own process group), stopped if botship exits first.
_running: set[subprocess.Popen] = set()
# Each run's mark in its handler's environment, inherited by everything the handler starts.
_tokens: dict[subprocess.Popen, str] = {}


def _stop_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    stop_marked(_tokens.get(process, ""))


@atexit.register
def _stop_all() -> None:
    for process in list(_running):
        _stop_group(process)


def _terminated(signum, frame):  # noqa: ANN001 - a signal handler's signature
    raise SystemExit(128 + signum)


def signal_name(returncode: int) -> str:
    try:
        return f"{signal.Signals(-returncode).name} ({-returncode})"
    except ValueError:
        return f"signal {-returncode}"


@dataclass
class LocalResult:
    status_code: int
    body: dict[str, Any]


def local_state_url(project: Path, profile: str) -> str:
    """Before a bot is deployed, local runs keep its state here, through the same manifest and lock logic."""
    return f"file://{work_dir(project) / 'local-state' / profile}"


def unpack_path(path: Path, layout: str, into: Path) -> list[Path]:
    """A package's files on disk; returns the folders to put on the import path, code first.

    An image's folders are not copied but linked from `into`: the run sees them outside the project, as the cloud
    does, so nothing searching upwards from the bot's or a library's files (python-dotenv's load_dotenv, as
    investing-algorithm-framework's create_app calls it) finds the project's .env or anything else of it.
    """
    if layout == "image":
        into.mkdir(parents=True, exist_ok=True)
        for name in ("code", "deps"):
            (into / name).symlink_to((path / name).resolve(), target_is_directory=True)
        return [into / "code", into / "deps"]
    with zipfile.ZipFile(path) as archive:
        archive.extractall(into)
    return [into, into / AZURE_SITE] if layout == "azure-zip" else [into]


def run_local(spec: DeploySpec, artifact: Artifact, *, project: Path, profile: str, secrets: SecretValues,
              state_url: str, event: dict[str, Any], on_line: Callable[[str], None], cold: bool = False,
              state_env: dict[str, str | None] | None = None) -> LocalResult:
    """Invoke the artifact's handler once; `on_line` receives each line the function logs.

    `state_env` carries what reaching the state store needs beyond the caller's credentials
    (e.g. BOTSHIP_STORAGE_CONNECTION_STRING for Azure); a None value removes a variable this
    process would otherwise pass on (e.g. the user's AWS_PROFILE, for the sandbox's store).
    """
    run_dir = work_dir(project) / "local-run" / profile
    if cold:
        shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTSHIP_", "PYTHON"))}
    if artifact.layout != "azure-zip":  # what Lambda sets; the profile's own variables may still set TZ or LANG
        region = spec.aws.region if spec.aws else None
        env.update(lambda_env(AwsNames(spec.bot_name, "", region or "").function, spec.memory_mb, spec.python,
                              region=None if region is None or "AWS_REGION" in env else region))
    env.update(spec.env)
    # A paper framework app never holds keys that could trade: not even ones this shell has set.
    for name in paper.withheld_names(spec, project):
        env.pop(name, None)
    if paper.sends_secrets(spec, project):
        env.update(dict(secrets))
        env["BOTSHIP_SECRET_NAMES"] = ",".join(dict(secrets))  # so the runtime masks them in its run records
    env.update(paper.runtime_env(spec))
    env.update({
        "BOTSHIP_ENTRY": spec.entry,
        "BOTSHIP_MODE": spec.mode,
        "BOTSHIP_BOT_NAME": spec.bot_name,
        "BOTSHIP_STATE_URL": state_url,
        "BOTSHIP_STATE_DIR": str(run_dir / "state"),
        "BOTSHIP_TRIGGER": "local",  # what the run's record says started it
    })
    for name, value in (state_env or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    if state_url == local_state_url(project, profile):  # how the runtime's messages name this state
        env["BOTSHIP_STATE_CLI_FLAGS"] = "--local"
    tmp_mb = spec.ephemeral_mb if artifact.layout != "azure-zip" else None  # Lambda's /tmp size
    return run_artifact(artifact.path, artifact.layout, env, timeout_s=spec.timeout_s, event=event, on_line=on_line,
                        mask=secrets.masker().mask, tmp_mb=tmp_mb)


def run_artifact(path: Path, layout: str, env: dict[str, str], *, timeout_s: int, event: dict[str, Any],
                 on_line: Callable[[str], None], on_start: Callable[[subprocess.Popen], None] | None = None,
                 mask: Callable[[str], str] | None = None, tmp_mb: int | None = None) -> LocalResult:
    """Run a package's handler once in a subprocess with exactly `env` (plus the import path it needs, its
    own temporary folder as TMPDIR, and the filesystem rules).

    The process is stopped a little after `timeout_s`, as the cloud stops a function at its timeout;
    `on_start` receives the process (so an owner can stop it early); `mask` hides secrets in the output
    a failure shows; `tmp_mb` is the size of the cloud's /tmp, for messages. The handler runs in its own
    process group, which is stopped when it ends, when botship is stopped, and (Linux) when botship dies.
    """
    tmp = temp_dir("botship-invoke-")
    # SIGTERM or SIGHUP to botship (a closed terminal, `kill`) unwinds this run like Ctrl-C: the handler's
    # process group is stopped and the temporary folders removed. (Signal handlers belong to the main thread.)
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is signal.SIG_DFL:
                handlers[signum] = signal.signal(signum, _terminated)
    try:
        return _run_in(Path(tmp), path, layout, env, timeout_s=timeout_s, event=event, on_line=on_line,
                       on_start=on_start, mask=mask or (lambda text: text), tmp_mb=tmp_mb)
    finally:
        for signum, previous in handlers.items():
            signal.signal(signum, previous)
        remove_tree(tmp)  # the unpacked copy is read-only


def _run_in(tmp: Path, path: Path, layout: str, env: dict[str, str], *, timeout_s: int, event: dict[str, Any],
            on_line: Callable[[str], None], on_start: Callable[[subprocess.Popen], None] | None,
            mask: Callable[[str], str], tmp_mb: int | None = None) -> LocalResult:
    paths = unpack_path(path, layout, Path(tmp) / "task")
    if layout != "image":  # a private copy: read-only on disk too (an image's folders are botship's build)
        make_read_only(str(paths[0]))
    lent: list[str] = []
    if layout != "azure-zip":
        lent_folder = lend_lambda_modules(Path(tmp) / "lambda-provided")
        paths.append(lent_folder)
        lent = [str(lent_folder), *(os.path.realpath(entry) for entry in lent_folder.iterdir())]
    scratch = Path(tmp) / "tmp"  # the run's /tmp: TMPDIR, removed with the run
    scratch.mkdir()
    rules = Rules(code=[str(paths[0])], deps=[str(p) for p in paths[1:]] + lent, writable=[str(scratch)],
                  cloud="Azure Functions" if layout == "azure-zip" else "Lambda", tmp_mb=tmp_mb)
    result_file = Path(tmp) / "result.json"
    # The runtime stops itself (and removes these folders) if botship dies: see botship_runtime.local.
    cleanup = os.pathsep.join(p for p in (str(tmp), env.get("BOTSHIP_RUN_TMP", "")) if p)
    token = uuid.uuid4().hex
    env = {**env, "PYTHONPATH": os.pathsep.join(map(str, paths)), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONUNBUFFERED": "1",  # lines reach the log as printed, also from a run stopped at its timeout
           "BOTSHIP_TIMEOUT_S": str(timeout_s), "BOTSHIP_PARENT_PID": str(os.getpid()),
           "BOTSHIP_RUN_TMP": cleanup, RUN_TOKEN: token, RULES_VARIABLE: rules.to_env(),
           "TMPDIR": str(scratch), "TEMP": str(scratch), "TMP": str(scratch)}
    if layout != "azure-zip":
        env["LAMBDA_TASK_ROOT"] = str(paths[0])
    # The local runner and the filesystem rules do not ship in the package: lent from the installed botship.
    local_runtime = lend_local_runtime(Path(tmp) / "local-runtime")
    command = [sys.executable, "-S", "-c", LEND_PREFIX + _RUN_LOCAL, str(local_runtime), str(result_file),
               json.dumps(event)]
    # Its own process group: the handler and whatever it starts are stopped together.
    process = subprocess.Popen(command, cwd=paths[0], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    _tokens[process] = token
    _running.add(process)
    if on_start:
        on_start(process)
    # The output is read on a thread until the handler process ends (not until the pipe closes: a child
    # the handler left running may hold it open); the time limit is a timer that kills the process.
    timed_out = threading.Event()
    timer = threading.Timer(timeout_s + KILL_MARGIN_S, lambda: (timed_out.set(), _stop_group(process)))
    timer.start()
    tail: list[str] = []

    def shown(line: str) -> None:
        nonlocal tail
        tail = (tail + [line])[-OUTPUT_TAIL:]
        on_line(line)

    lines: queue.SimpleQueue = queue.SimpleQueue()
    assert process.stdout is not None
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True, name="botship-output")
    reader.start()
    try:
        while True:
            try:
                item = lines.get(timeout=0.2)
            except queue.Empty:
                if process.poll() is None:
                    continue
                reader.join(DRAIN_S)  # what it printed last is still in the pipe
                if reader.is_alive():  # a child it left running holds the pipe: stop that child
                    _stop_group(process)
                    reader.join(DRAIN_S)
                while True:
                    try:
                        item = lines.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        shown(item)
                break
            if item is None:
                process.wait()
                break
            shown(item)
    except BaseException:
        _stop_group(process)
        process.wait()
        raise
    finally:
        timer.cancel()
        _stop_group(process)  # what the handler left running goes with it
        _running.discard(process)
        _tokens.pop(process, None)
        process.stdout.close()
    if timed_out.is_set():
        raise RunTimedOut(f"the local run took longer than {timeout_s} s and was stopped",
                           fix="raise timeout_s in the profile, or make the bot's run shorter")
    if not result_file.is_file():
        raise _failed(process.returncode, [mask(line) for line in tail])
    response = json.loads(result_file.read_text())
    body = json.loads(response["body"])
    error = body.get("error") if isinstance(body, dict) else None
    note = network_note(error, tail) if isinstance(error, dict) else None
    if note:
        error["note"] = f"{error['note']} {note}" if error.get("note") else note
    return LocalResult(response["statusCode"], body)


# Seconds to wait for the last output of a handler that ended.
DRAIN_S = 1.0
# A printed line longer than this is cut (a bot printing megabytes without a newline keeps botship's memory small).
LINE_MAX = 16 * 1024


def _read_lines(stream, into: queue.SimpleQueue) -> None:
    """Each line of `stream` (decoded, cut at LINE_MAX), then None at its end."""
    try:
        while True:
            raw = stream.readline(LINE_MAX)
            if not raw:
                break
            if not raw.endswith(b"\n"):  # a longer line: keep its start, count the rest
                cut = 0
                while True:
                    more = stream.readline(LINE_MAX)
                    if not more:
                        break
                    cut += len(more.rstrip(b"\r\n"))
                    if more.endswith(b"\n"):
                        break
                if cut:
                    into.put(f"{_decode(raw)} … [{cut} more bytes of this line not shown]")
                    continue
            into.put(_decode(raw).rstrip("\r\n"))
    except (OSError, ValueError):
        pass
    finally:
        into.put(None)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _failed(returncode: int, output: list[str]) -> HandlerFailed:
    """The handler process ended without an answer: say how, with what it printed."""
    shown = "\n".join(f"  │ {line}" for line in output) if output else "  (it printed nothing)"
    if returncode < 0:
        return HandlerFailed(f"the handler process was killed by signal {signal_name(returncode)} before it answered",
                             f"its last output:\n{shown}",
                             "SIGKILL usually means it ran out of memory or was killed from outside; "
                             "raise memory_mb or look for what stopped it", output)
    return HandlerFailed(f"the handler process exited with code {returncode} before it answered",
                         f"the runtime itself failed before the bot's result was written; its last output:\n{shown}",
                         "fix what the output names (a variable, a missing module), then invoke again", output)
