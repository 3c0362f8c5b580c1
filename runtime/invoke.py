"""One invocation: lock → load state → secrets → run the bot → save state → unlock → a JSON result."""

from __future__ import annotations

import errno
import json
import os
import time
import traceback
import uuid
from typing import Any

from . import logs, runs
from .control import read_control
from .entry import call_entry, load_entry, prepare_environment, saves_state_on_error
from .manifest import ManifestInvalid, validate_manifest
from .secrets import resolve_secrets
# StateFolderReplaced covers StateFileUnsettled
from .state import StateFolderReplaced, StateObjectCorrupt, StateObjectMissing, StateSync
from .stores import Conflict, open_store

LOCK_MARGIN_S = 30


class Settings:
    """What the deployed function was given, read from its environment."""

    def __init__(self, remaining_s: float | None = None) -> None:
        env = os.environ
        self.mode = env.get("BOTSHIP_MODE", "paper")
        if self.mode not in ("paper", "live"):
            raise ValueError(f"BOTSHIP_MODE must be paper or live, not {self.mode!r}")
        self.timeout_s = remaining_s if remaining_s is not None else float(env.get("BOTSHIP_TIMEOUT_S", "900"))
        self.entry = env["BOTSHIP_ENTRY"]
        self.state_url = env["BOTSHIP_STATE_URL"]
        self.state_dir = env.get("BOTSHIP_STATE_DIR") or os.path.join("/tmp", "botship-state", self.mode)
        self.lock_wait_s = float(env.get("BOTSHIP_LOCK_WAIT_S", min(60.0, self.timeout_s / 4)))


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body, default=str, sort_keys=True)}


def _error(status: int, kind: str, message: str, **body: Any) -> dict[str, Any]:
    return _response(status, {**body, "status": "error", "error": {"type": kind, "message": message}})


def invoke(event: Any, context: Any, remaining_s: float | None = None) -> dict[str, Any]:
    """Run the bot once under its lock with its state; never raises, always returns a response."""
    run_id, started = uuid.uuid4().hex[:12], time.time()
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        timings[name] = round(now - clock, 4)
        clock = now

    try:
        settings = Settings(remaining_s)
        store = open_store(settings.state_url, settings.mode)
    except (KeyError, ValueError) as exc:
        message = f"environment variable {exc.args[0]} is not set" if isinstance(exc, KeyError) else str(exc)
        logs.error("botship runtime is misconfigured", error=message, run_id=run_id)
        return _error(500, "ConfigurationError", message)

    base = {"run_id": run_id, "mode": settings.mode}
    try:
        locked = _acquire(store, run_id, settings)
    except Exception as exc:  # noqa: BLE001 - e.g. no access to the state bucket: say so, do not raise
        logs.error("could not take the bot's lock", error=f"{type(exc).__name__}: {exc}", **base)
        return _error(500, type(exc).__name__, f"state store: {exc}", **base)
    if not locked:
        phase("lock")
        holder = _holder(store)
        logs.info("skipped: previous run still active", waited_s=timings["lock"], lock=holder, **base)
        return _response(200, {**base, "status": "skipped", "reason": "previous run still active",
                               "lock": holder, "message": describe_lock(holder), "timings": timings})
    phase("lock")
    held: dict[str, Any] = {"control": "run"}
    streams: list = []
    logs.tee(streams)
    try:
        response = _run(store, settings, event, context, base, timings, phase, held)
        _record(store, response, held, event, started, base)
        return response
    finally:
        logs.tee(streams)
        try:
            store.unlock(run_id)
        except Exception as exc:  # noqa: BLE001 - the lock expires by itself; the result stands
            logs.error("could not release the lock; it expires by itself", error=str(exc), **base)


def _run(store, settings: Settings, event: Any, context: Any, base: dict[str, Any], timings: dict[str, float],
         phase, held: dict[str, Any]) -> dict[str, Any]:
    """The run itself, under the lock: load, secrets, the bot, save; never raises."""
    stage = "load"
    try:
        sync = held["sync"] = StateSync(store, settings.state_dir)
        loaded = sync.load()
        stage = "run"
        phase("load")
        names = resolve_secrets()
        # Secrets set in the environment by the platform (Key Vault references) or the local runner.
        logs.add_secrets(os.environ.get(name) for name in os.environ.get("BOTSHIP_SECRET_NAMES", "").split(","))
        phase("secrets")
        prepare_environment(sync.local.root, store.compat_env())
        level = held["control"] = os.environ["BOTSHIP_CONTROL"] = read_control(sync.local.root)["level"]
        logs.info("run started", state=store.describe, files_downloaded=loaded.files, secrets=names, control=level,
                  **base)
        try:
            result, failure = call_entry(load_entry(settings.entry), event, context, sync.local.root,
                                          settings.mode, level), None
        except Exception as exc:  # noqa: BLE001 - the bot's error becomes a 500 result, its traceback a log line
            result, failure = None, exc
            logs.error("bot raised", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(), **base)
        phase("run")
        saved = None
        if failure is None or (not isinstance(failure, ImportError) and saves_state_on_error(settings.entry)):
            stage = "save"
            saved = sync.save(base["run_id"])
            if sync.local.skipped:
                logs.info("not saved: only regular files are state (symlinks, fifos, sockets are left out)",
                          paths=sync.local.skipped[:20], count=len(sync.local.skipped), **base)
        phase("save")
        body = {**base, "timings": timings,
                "bytes": {"downloaded": loaded.bytes, "uploaded": saved.bytes if saved else 0},
                "files": {"downloaded": loaded.files, "removed_locally": loaded.deleted,
                          "uploaded": saved.files if saved else 0, "state_saved": saved is not None}}
        if failure is not None:
            logs.info("run finished", status="error", **base)
            return _error(500, type(failure).__name__, str(failure), **body)
        logs.info("run finished", status="ok", timings=timings, **base)
        return _response(200, {**body, "status": "ok", "result": result})
    except (ManifestInvalid, StateObjectMissing, StateObjectCorrupt) as exc:
        message = state_fault_message(store, exc)
        logs.error("the bot's state cannot be loaded; nothing ran and nothing was changed", error=message, **base)
        return _error(500, "StateDamaged", message, **base, timings=timings)
    except StateFolderReplaced as exc:
        logs.error("the bot's state was not saved", error=str(exc), **base)
        return _error(500, type(exc).__name__, str(exc), **base, timings=timings)
    except OSError as exc:
        if exc.errno not in FOLDER_ERRORS or stage == "run":
            return _failed(exc, base, timings)
        message = folder_fault_message(exc, stage, os.path.abspath(settings.state_dir))
        logs.error(f"the state folder could not be written; {'nothing ran' if stage == 'load' else 'nothing was saved'}",
                   error=message, **base)
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        return _error(500, "StateFolderFull" if full else "StateFolderUnwritable", message, **base, timings=timings)
    except Conflict as exc:
        logs.error("state changed by another writer; this run's state was not saved", error=str(exc), **base)
        return _error(409, "StateConflict", "state changed by another writer", **base, timings=timings)
    except Exception as exc:  # noqa: BLE001 - state or secret failures are reported, never swallowed
        return _failed(exc, base, timings)


def _record(store, response: dict[str, Any], held: dict[str, Any], event: Any, started: float,
            base: dict[str, Any]) -> None:
    """Append the run's record (runs.py), masked, its result's JSON cut past 2 KB; one not written is a log line,
    never a failed run."""
    try:
        body, sync = json.loads(response["body"]), held.get("sync")
        error, result = body.get("error"), json.dumps(logs.masked(body.get("result")))
        scheduled = isinstance(event, dict) and event.get("source") == "schedule"
        runs.append_run(store, {
            "run_id": base["run_id"], "started": round(started, 3), "status": body["status"],
            "trigger": "schedule" if scheduled else os.environ.get("BOTSHIP_TRIGGER") or "invoke",
            "duration_ms": round((time.time() - started) * 1000),
            "result": json.loads(result) if len(result) <= 2048 else result[:2047] + "\u2026",
            "error": error and {"type": error["type"], "message": logs.masked(str(error["message"]))[:1000]},
            "log_tail": logs.tail(), "bytes": body.get("bytes", {"downloaded": 0, "uploaded": 0}),
            "generation": sync and sync.manifest.generation or None, "control": held["control"]})
    except Exception as exc:  # noqa: BLE001 - the run stands without its record
        logs.error("the run's record could not be written; the run stands", error=repr(exc), **base)


def _failed(exc: BaseException, base: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
    logs.error("botship runtime failed", error=f"{type(exc).__name__}: {exc}",
               traceback=traceback.format_exc(), **base)
    return _error(500, type(exc).__name__, str(exc), **base, timings=timings)


# The disk errors a state folder meets: full, over quota, read-only, not ours.
FOLDER_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def folder_fault_message(exc: OSError, stage: str, root: str) -> str:
    """A full or unwritable state folder, named, with what was (not) done and what to do."""
    where = exc.filename or root
    done = ("the bot did not run and its stored state is unchanged" if stage == "load"
            else "this run's state was not saved; the stored state is unchanged")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = f"no space left on the disk of the state folder {root} (writing {where})"
        fix = ("on AWS Lambda the state folder is in /tmp, whose size is the profile's ephemeral_mb "
               "(512 MB unless raised): raise it, or keep less in the state folder")
    else:
        why = f"the state folder {root} cannot be written ({os.strerror(exc.errno)}: {where})"
        fix = "point BOTSHIP_STATE_DIR at a writable folder"
    return f"{why} while {'loading' if stage == 'load' else 'saving'} the state; {done}. {fix}"


def _holder(store) -> dict[str, Any] | None:
    try:
        return store.lock_holder()
    except Exception:  # noqa: BLE001 - who holds it is a courtesy; the skip stands
        return None


def _when(stamp: Any) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(stamp)))
    except (TypeError, ValueError, OverflowError):
        return "an unknown time"


def describe_lock(holder: dict[str, Any] | None) -> str:
    """Whose lock it is and when it expires, in a sentence."""
    if not holder:
        return "another run held the bot's lock (it was released just now)"
    who = f"run {holder.get('owner', '?')}" + (f" on {holder['host']}" if holder.get("host") else "")
    since = f", since {_when(holder['started'])}" if "started" in holder else ""
    expires = holder.get("expires")
    until = (f"; it expires at {_when(expires)} (in {max(0, round(float(expires) - time.time()))} s) if not released"
             if isinstance(expires, int | float) else "")
    return f"the bot's lock is held by {who}{since}{until}"


def _state_command(verb: str, rest: str = "") -> str:
    """The `botship state VERB BOT ...` line for this bot (with the flags its caller set, e.g. --local)."""
    bot = os.environ.get("BOTSHIP_BOT_NAME") or "BOT"
    extra = os.environ.get("BOTSHIP_STATE_CLI_FLAGS", "")
    return f"botship state {verb} {bot}{' ' + extra if extra else ''}{rest}"


def last_good_generation(store, below: int | None = None) -> int | None:
    """The newest earlier generation whose manifest is valid (and older than `below`), None if none is known."""
    try:
        versions = store.manifest_versions()[:25]
    except Exception:  # noqa: BLE001 - no history, or no permission to read it here
        return None
    for version in versions:
        if version.current:
            continue
        try:
            generation = validate_manifest(store.read_manifest_version(version.version_id))["generation"]
        except Exception:  # noqa: BLE001 - that one is damaged too; look further back
            continue
        if below is None or generation < below:
            return generation
    return None


def state_fault_message(store, exc: Exception) -> str:
    """A damaged manifest or a missing object: what is wrong, the last good generation, the command to restore it."""
    below = exc.generation if isinstance(exc, StateObjectMissing | StateObjectCorrupt) else None
    good = last_good_generation(store, below)
    if good is not None:
        advice = f"the last good generation is {good}: restore it with `{_state_command('restore', f' --generation {good}')}`"
    else:
        advice = (f"no good earlier generation could be read here: list them with `{_state_command('versions')}`, "
                  f"then `{_state_command('restore', ' --generation N')}`")
    return f"{exc} ({store.manifest_name()}). The bot did not run and its state was not reset; {advice}"


def _acquire(store, owner: str, settings: Settings) -> bool:
    """Take the bot's lock, waiting up to the configured time for a previous run to finish."""
    deadline = time.monotonic() + settings.lock_wait_s
    while not store.try_lock(owner, settings.timeout_s + LOCK_MARGIN_S):
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
    return True


def status() -> dict[str, Any]:
    """What the state store holds now (read-only, no lock): for the `status` route and the bots browser."""
    try:
        settings = Settings()
        data, _ = open_store(settings.state_url, settings.mode).read_manifest()
    except Exception as exc:  # noqa: BLE001 - reported to the caller, not raised into the host
        return _error(500, type(exc).__name__, str(exc))
    try:
        doc = validate_manifest(data, "manifest.json") if data else {}
    except ManifestInvalid as exc:
        return _error(500, "StateDamaged", str(exc))
    files = doc.get("files", {})
    return _response(200, {"status": "ok", "mode": settings.mode, "state": {
        "generation": doc.get("generation", 0), "saved_at": doc.get("saved_at"), "files": len(files),
        "bytes": sum(int(f.get("size", 0)) for f in files.values())}})
