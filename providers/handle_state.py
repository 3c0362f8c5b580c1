"""What a bot handle reads and writes beside a deployed bot's state, the same on every cloud that keeps one
(`STATE`): its state files, generations and restores (over the runtime's store), the run records the runtime
writes (runs.json), the deployment history botship writes (history.json), and the control file the bot reads
before it trades (algorithm_control.json). A cloud's handle gives `state_store()`; the rest is here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botship.errors import BadInput, BotshipError

from .results import DeployedState, DeployEntry, RunRecord, StateListing

# The control levels a bot's state can hold (runtime/control.py): run as usual, no new entries, sell everything.
CONTROL_LEVELS = ("run", "stopentry", "flatten")
HISTORY_NAME = "history.json"  # the bot's deployment history, beside its state manifest
HISTORY_KEEP = 200


def list_state_generations(store: Any, bot: str) -> list[dict[str, Any]]:
    """The generations of a bot's state in `store` (a runtime store), newest first; a store without history says so."""
    from botship.runtime.history import list_generations
    from botship.runtime.stores import NoHistory

    try:
        return list_generations(store)
    except NoHistory as exc:
        raise BotshipError(f"the state of {bot} has no generations to list", str(exc),
                           "state history is kept on AWS (bucket versioning), on Azure and in local state folders (the last 10 generations)") from None


def restore_state_generation(store: Any, generation: int, bot: str) -> dict[str, Any]:
    """Make generation `generation` of a bot's state current again (a new generation with its files)."""
    from botship.runtime.history import LockHeld, RestoreRefused, restore_generation
    from botship.runtime.invoke import describe_lock
    from botship.runtime.stores import NoHistory

    try:
        return restore_generation(store, generation)
    except LockHeld as exc:
        raise BotshipError(f"{bot}'s state cannot be restored while a run uses it: {describe_lock(exc.holder)}",
                           fix="run the restore again once the run has finished; nothing was changed") from None
    except (RestoreRefused, NoHistory) as exc:
        raise BotshipError(f"generation {generation} of {bot}'s state cannot be restored", str(exc),
                           f"list what can be restored with `botship state versions {bot}`") from None


class StateFace:
    """The state half of a `BotHandle` (mixed into it): everything over `state_store()`."""

    bot_name: str
    mode: str
    cloud: Any

    # ---- what the runtime and botship keep beside the state: run records, history, the control file ------

    def runs(self, limit: int = 50, in_progress: bool = True) -> list[RunRecord]:
        """The bot's last runs, newest first, as its runtime recorded them in its state store (one request).

        With `in_progress`, a run that holds the bot's lock now comes first ("running"), or, when its lock has
        expired unreleased, as "timed out" — a run killed by its timeout or memory writes no record of its own."""
        import time

        from botship.runtime.runs import read_runs

        store = self.state_store()
        with self.reading(f"reading the runs of {self.bot_name}"):
            records = [RunRecord.from_dict(record) for record in read_runs(store)[:limit]]
            holder = store.lock_holder() if in_progress else None
        if holder and holder.get("owner") and not any(r.run_id == holder["owner"] for r in records):
            expires = holder.get("expires")
            late = isinstance(expires, int | float) and expires < time.time()
            started = holder.get("started")
            records.insert(0, RunRecord.from_dict({
                "run_id": holder["owner"], "started": started, "status": "timed out" if late else "running",
                "error": {"type": "TimedOut", "message": "the run ended without releasing the bot's lock (its "
                          "timeout or memory stopped it): its state was not saved"} if late else None}))
        return records[:limit]

    def _read_history(self, store: Any) -> list[dict[str, Any]]:
        with self.reading(f"reading the history of {self.bot_name}"):
            raw = store.read_extra(HISTORY_NAME)
        try:
            entries = json.loads(raw) if raw else []
        except ValueError:
            return []
        return [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []

    def history(self) -> list[DeployEntry]:
        """What was done to the bot (deploys, rollbacks, pauses…), newest first, both modes' together."""
        entries = self._read_history(self.state_store())
        for mode in {"paper", "live"} - {self.mode}:  # a bot that changed mode kept the other's history there
            try:
                entries += self._read_history(self.state_store(mode))
            except Exception:  # noqa: BLE001 - the other mode may have no store at all
                continue
        found = [DeployEntry.from_dict(entry) for entry in entries]
        return sorted(found, key=lambda entry: entry.at.timestamp() if entry.at else 0, reverse=True)

    def record_history(self, entry: DeployEntry, mode: str | None = None) -> None:
        """Add `entry` to the history kept beside `mode`'s state (the newest HISTORY_KEEP stay)."""
        store = self.state_store(mode)
        entries = [entry.as_dict(), *self._read_history(store)][:HISTORY_KEEP]
        with self.reading(f"recording the history of {self.bot_name}"):
            store.write_extra(HISTORY_NAME, json.dumps(entries, sort_keys=True).encode())

    def note(self, action: str, detail: str = "", version: str = "") -> DeployEntry:
        """Add what was just done to the bot to its history; a history that cannot be written undoes nothing."""
        entry = DeployEntry(datetime.now(UTC), action, version, by=self.cloud.who(), detail=detail)
        try:
            self.record_history(entry)
        except Exception:  # noqa: BLE001 - the change stands; only its note is missing
            pass
        return entry

    def control(self) -> str:
        """The control level the bot's state holds now ("run", "stopentry" or "flatten")."""
        from botship.runtime.control import CONTROL_FILE

        try:
            raw = self.read_state_file(CONTROL_FILE)
        except BadInput:  # no control file: the bot runs as usual
            return "run"
        try:
            level = json.loads(raw).get("level", "run")
        except (ValueError, AttributeError):
            return "run"
        return level if level in CONTROL_LEVELS else "run"

    def set_control(self, level: str) -> dict[str, Any]:
        """Write the control file into the bot's state under its lock (a new generation); the bot's next run
        reads it before it trades. Raises when a run holds the lock (nothing changed)."""
        from botship.runtime.control_write import write_control
        from botship.runtime.history import LockHeld
        from botship.runtime.invoke import describe_lock

        if level not in CONTROL_LEVELS:
            raise BadInput(f"'{level}' is not a control level", fix=f"use one of {', '.join(CONTROL_LEVELS)}")
        store = self.state_store()
        try:
            with self.reading(f"writing the control file of {self.bot_name}"):
                done = write_control(store, level, self.cloud.who())
        except LockHeld as exc:
            raise BotshipError(f"{self.bot_name}'s control cannot be changed while a run uses its state: "
                               f"{describe_lock(exc.holder)}",
                               fix="try again once the run has finished; nothing was changed") from None
        self.note(level if level != "run" else "resume-entries", f"generation {done.get('generation')}")
        return done

    # ---- state: over the runtime's store of the bot's state, where the cloud has one -----------------

    def state_store(self, mode: str | None = None) -> Any:
        """The runtime's store of the bot's state (`mode`'s, default the handle's)."""
        raise self._not_yet("reading the state of")

    def _manifest(self, store: Any) -> tuple[Any, bytes | None]:
        """The manifest the store holds now (and its bytes); a damaged one says how to restore a good one."""
        from botship.runtime.state import Manifest, ManifestInvalid

        with self.reading(f"reading the state of {self.bot_name}"):
            data, token = store.read_manifest()
        try:
            return Manifest.parse(data, token, store.manifest_name()), data
        except ManifestInvalid as exc:
            raise BotshipError(str(exc), "a run will not start from it",
                               f"list the generations with `botship state versions {self.bot_name}` and "
                               f"restore a good one with `botship state restore {self.bot_name} --generation N`"
                               ) from None

    def state_files(self, mode: str | None = None) -> StateListing:
        """The files in the bot's state, as last saved by a run; reads only."""
        return StateListing.from_manifest(*self._manifest(self.state_store(mode)))

    def read_state_file(self, path: str, mode: str | None = None) -> bytes:
        """One file of the bot's state as last saved, checked against the manifest's hash; reads only."""
        store = self.state_store(mode)
        entry = self._manifest(store)[0].files.get(path)
        if entry is None:
            raise BadInput(f"{self.bot_name}'s state has no file {path}",
                           fix="name one of the files its state lists (paths are relative to the state folder)")
        with tempfile.TemporaryDirectory(prefix="botship-read-") as scratch:
            fetched = os.path.join(scratch, "object")
            with self.reading(f"reading {path} of {self.bot_name}'s state"):
                store.download(entry.get("pack") or entry["sha256"], fetched)
            with open(fetched, "rb") as source:
                source.seek(int(entry.get("offset", 0)) if "pack" in entry else 0)
                content = source.read(int(entry["size"]))
        if hashlib.sha256(content).hexdigest() != entry["sha256"]:
            raise BotshipError(f"{path} of {self.bot_name}'s state does not match its manifest",
                               "the stored object was changed or damaged",
                               f"restore an earlier generation: `botship state versions {self.bot_name}`")
        return content

    def export_state(self, into: Path, mode: str | None = None) -> StateListing:
        """Download the bot's state folder into `into` (a new or empty folder); returns what it held."""
        from botship.runtime.state import StateSync

        if into.exists() and (not into.is_dir() or any(into.iterdir())):
            raise BadInput(f"{into} is {'not empty' if into.is_dir() else 'a file'}",
                           fix="export into a new folder; nothing was written")
        listing = self.state_files(mode)
        into.parent.mkdir(parents=True, exist_ok=True)
        # The runtime keeps a sync index beside the folder it fills: fill one in a scratch folder, move it over.
        with tempfile.TemporaryDirectory(prefix=".botship-export-", dir=into.parent) as scratch:
            with self.reading(f"downloading the state of {self.bot_name}"):
                StateSync(self.state_store(mode), os.path.join(scratch, "state")).load()
            if into.exists():
                into.rmdir()
            shutil.move(os.path.join(scratch, "state"), into)
        return listing

    def state_history_note(self) -> str:
        """How far back a restore can go on this cloud, in a sentence ("" when unknown)."""
        return ""

    def state_versions(self, mode: str | None = None) -> list[dict[str, Any]]:
        """The generations of the bot's state, newest first: generation, when, files, bytes, valid, current."""
        store = self.state_store(mode)
        with self.reading(f"listing the state generations of {self.bot_name}"):
            return list_state_generations(store, self.bot_name)

    def restore_state(self, generation: int, mode: str | None = None) -> dict[str, Any]:
        """Make an earlier generation of the bot's state current again, under the bot's lock."""
        store = self.state_store(mode)
        with self.reading(f"restoring generation {generation} of {self.bot_name}'s state"):
            done = restore_state_generation(store, generation, self.bot_name)
        self.note("restore", f"generation {generation} made current again"
                  + (f" as generation {done['generation']}" if isinstance(done, dict) and "generation" in done else ""))
        return done

    def deployed_state(self, profile: str, mode: str | None = None) -> DeployedState:
        """Where the deployed bot's state is and what a process here needs to reach it, so a local run can
        continue it under the bot's own lock; reads only. Raises NotDeployed, naming `profile`, when the bot
        has no state store yet."""
        raise BadInput(f"running here against the deployed state of a bot on {self.cloud.title} is not supported yet",
                       fix="run it against the local state instead")


