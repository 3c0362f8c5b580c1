"""The interface every state store has (Store), its errors, and the lock record the stores share."""

from __future__ import annotations

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
