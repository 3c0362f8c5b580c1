"""The interface every state store has (Store), its errors, and the lock record the stores share."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from typing import Any


class Conflict(Exception):
    """The manifest changed since it was read: another writer saved in between."""


class NoHistory(Exception):
    """The store keeps no earlier generations of the manifest (or they cannot be read here)."""


class ManifestVersion:
    """One stored generation of the manifest: the store's id for it, when it was written, whether it is current."""

    def __init__(self, version_id: str, modified: float, current: bool) -> None:
        self.version_id, self.modified, self.current = version_id, modified, current

    def __repr__(self) -> str:
        return f"ManifestVersion({self.version_id!r}, {self.modified!r}, current={self.current})"


class Store:
    """The operations state sync and locking need; keys are relative to the bot's mode prefix."""

    describe = "store"

    def read_manifest(self) -> tuple[bytes | None, str | None]:
        raise NotImplementedError

    def write_manifest(self, data: bytes, token: str | None) -> str:
        raise NotImplementedError

    def upload(self, digest: str, path: str) -> None:
        raise NotImplementedError

    def download(self, digest: str, path: str) -> None:
        raise NotImplementedError

    def delete(self, digests: list[str]) -> None:
        raise NotImplementedError

    def list_objects(self) -> Iterator[str]:
        raise NotImplementedError

    def try_lock(self, owner: str, ttl_s: float) -> bool:
        raise NotImplementedError

    def unlock(self, owner: str) -> None:
        raise NotImplementedError

    def compat_env(self) -> dict[str, str]:
        """Variables that bots written for investing-algorithm-framework read."""
        return {}

    def manifest_name(self) -> str:
        """The manifest's full name, for messages."""
        return f"{self.describe.rstrip('/')}/manifest.json"

    def read_extra(self, name: str) -> bytes | None:
        """A small object beside the manifest, named by a plain file name (e.g. runs.json); None when absent."""
        raise NotImplementedError

    def write_extra(self, name: str, data: bytes) -> None:
        raise NotImplementedError

    def is_missing(self, exc: BaseException) -> bool:
        """Whether `exc` (from download) means the object does not exist."""
        return isinstance(exc, FileNotFoundError)

    def lock_holder(self) -> dict[str, Any] | None:
        """What the lock records about whoever holds it (owner, host, started, expires), None if free."""
        return None

    # Earlier generations of the manifest, and the objects they list.
    def _no_history(self) -> NoHistory:
        return NoHistory(f"{self.describe} keeps no earlier generations of its state")

    def manifest_versions(self) -> list[ManifestVersion]:
        """Every stored version of the manifest, newest first; raises NoHistory where the store keeps none."""
        raise self._no_history()

    def read_manifest_version(self, version_id: str) -> bytes:
        raise self._no_history()

    def find_objects(self, digests: list[str]) -> dict[str, str | None]:
        """For each object: "current" if the store holds it, another token if it can be brought back, None if lost."""
        raise self._no_history()

    def revive(self, found: dict[str, str | None]) -> None:
        """Make the objects `find_objects` found as earlier versions current again."""
        raise self._no_history()


def _objects_in(data: bytes | None) -> frozenset[str]:
    """The objects a manifest lists (nothing for one that cannot be read)."""
    try:
        return frozenset(e.get("pack") or e.get("sha256") for e in json.loads(data or b"").get("files", {}).values())
    except (ValueError, AttributeError):
        return frozenset()


class KeptHistory(Store):
    """Keeps the last HISTORY manifests itself, as `history/g<generation>-<digest>.json` beside the manifest, for
    stores without object versions (a folder; Azure, whose emulator has none). An object a kept manifest lists
    is never deleted (a store may set it aside: `_set_aside`); it goes once no kept manifest lists it.

    A store gives `_put(name, data)`, `_history()` (entry name → when written), `_remove(names)`, `_when(name)`.
    """

    HISTORY = 10
    _parsed: dict[tuple[str, str], frozenset[str]] = {}  # (store, entry) → what it lists: entries never change

    def _put(self, name: str, data: bytes) -> None:
        self.write_extra(name, data)

    def _set_aside(self, digests: list[str]) -> None:
        """Where an object a kept generation lists goes when the current state drops it: by default, nowhere."""

    def _drop(self, digests: list[str]) -> None:
        self._remove([f"objects/{d}" for d in digests])

    def _lists(self, name: str) -> frozenset[str]:
        key = (self.describe, name)
        if key not in self._parsed:
            data = self.read_extra(f"history/{name}")
            if data is None:
                return frozenset()
            self._parsed[key] = _objects_in(data)
        return self._parsed[key]

    def _listed(self, names) -> set[str]:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:
            return set().union(*pool.map(self._lists, names))

    def _keep(self, data: bytes) -> None:
        """Add a manifest just written to the kept ones; drop the oldest beyond HISTORY and what only they listed."""
        try:
            generation = int(json.loads(data)["generation"])
        except (ValueError, KeyError, TypeError):
            generation = 0
        name = f"g{generation:012d}-{hashlib.sha256(data).hexdigest()[:12]}.json"
        self._put(f"history/{name}", data)
        self._parsed[(self.describe, name)] = _objects_in(data)
        others = sorted((n for n in self._history() if n != name), reverse=True)
        dropped = others[self.HISTORY - 1:]  # the one just written is the newest, whatever its name
        if dropped:
            self._drop(sorted(self._listed(dropped) - self._listed([name, *others[:self.HISTORY - 1]])))
            self._remove([f"history/{n}" for n in dropped])
            for n in dropped:  # a warm process keeps what the kept ones list, no more
                self._parsed.pop((self.describe, n), None)

    def delete(self, digests: list[str]) -> None:
        listed = self._listed(self._history()) if digests else set()
        self._set_aside([d for d in digests if d in listed])
        self._drop([d for d in digests if d not in listed])

    def manifest_versions(self) -> list[ManifestVersion]:
        current, _ = self.read_manifest()
        found = self._history()
        digest = current is not None and hashlib.sha256(current).hexdigest()[:12]
        versions = [ManifestVersion(n, found[n], not i and n[-17:-5] == digest)
                    for i, n in enumerate(sorted(found, reverse=True))]
        if current is not None and not (versions and versions[0].current):  # written by something else
            versions.insert(0, ManifestVersion("manifest.json", self._when("manifest.json"), True))
        return versions

    def read_manifest_version(self, version_id: str) -> bytes:
        if version_id == "manifest.json":
            return self.read_manifest()[0] or b""
        bad = "/" in version_id or os.sep in version_id or version_id.startswith(".")
        data = None if bad else self.read_extra(f"history/{version_id}")
        if data is None:
            raise ValueError(f"no manifest version {version_id!r}")
        return data

    def find_objects(self, digests: list[str]) -> dict[str, str | None]:
        present = set(self.list_objects())
        return {d: "current" if d in present else None for d in digests}

    def revive(self, found: dict[str, str | None]) -> None:
        """Nothing to do: the objects a kept generation lists were never deleted."""


def lock_body(owner: str, ttl_s: float) -> bytes:
    now = time.time()
    return json.dumps({"owner": owner, "host": socket.gethostname(), "pid": os.getpid(),
                       "started": now, "expires": now + ttl_s}).encode()


def lock_record(body: bytes) -> dict[str, Any]:
    try:
        record = json.loads(body)
    except ValueError:
        return {"owner": "unknown (unreadable lock)"}
    return record if isinstance(record, dict) else {"owner": "unknown (unreadable lock)"}


def lock_expired(body: bytes) -> bool:
    try:
        return float(json.loads(body)["expires"]) < time.time()
    except (ValueError, KeyError, TypeError):
        return True  # an unreadable lock protects nothing
