"""State in a local folder (local invoke before the first deploy, and tests), with the last manifests kept."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .store_base import Conflict, KeptHistory, lock_body, lock_expired, lock_record


class FolderStore(KeptHistory):
    """State in a folder: `manifest.json`, `objects/`, and the last HISTORY manifests under `history/` (KeptHistory).

    An object an earlier kept manifest still lists is moved to `retired/` rather than deleted, so
    any kept generation can be restored; it goes once no kept manifest lists it.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        os.makedirs(os.path.join(root, "objects"), exist_ok=True)
        self.describe = root

    def _path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def read_manifest(self) -> tuple[bytes | None, str | None]:
        data = self.read_extra("manifest.json")
        return data, None if data is None else hashlib.sha256(data).hexdigest()

    def write_manifest(self, data: bytes, token: str | None) -> str:
        with self._guard(".manifest.guard"):
            if self.read_manifest()[1] != token:
                raise Conflict("manifest.json changed since it was read")
            self.write_extra("manifest.json", data)
            token = hashlib.sha256(data).hexdigest()
            self._keep(data)
        return token

    def read_extra(self, name: str) -> bytes | None:
        try:
            with open(self._path(name), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def write_extra(self, name: str, data: bytes) -> None:
        if "/" in name or name.startswith("."):
            raise ValueError(f"{name!r} is not a plain file name")
        self._put(name, data)

    def _put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def _history(self) -> dict[str, float]:
        folder = self._path("history")
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return {}
        return {n: os.path.getmtime(os.path.join(folder, n)) for n in names if n.endswith(".json")
                and not n.startswith(".")}

    def _when(self, name: str) -> float:
        return os.path.getmtime(self._path(name))

    def _remove(self, names: list[str]) -> None:
        for name in names:
            try:
                os.remove(self._path(name))
            except FileNotFoundError:
                pass

    def _drop(self, digests: list[str]) -> None:
        self._remove([f"{where}/{d}" for d in digests for where in ("objects", "retired")])

    def _set_aside(self, digests: list[str]) -> None:
        """An object a kept generation lists moves to `retired/`: out of the live objects, where a restore finds it."""
        for digest in digests:
            os.makedirs(self._path("retired"), exist_ok=True)
            try:
                os.replace(self._path(f"objects/{digest}"), self._path(f"retired/{digest}"))
            except FileNotFoundError:
                pass

    def lock_holder(self) -> dict[str, Any] | None:
        held = self.read_extra("lock.json")
        return None if held is None else lock_record(held)

    def find_objects(self, digests: list[str]) -> dict[str, str | None]:
        return {d: "current" if os.path.isfile(self._path(f"objects/{d}"))
                else "retired" if os.path.isfile(self._path(f"retired/{d}")) else None for d in digests}

    def revive(self, found: dict[str, str | None]) -> None:
        import shutil

        for digest, where in found.items():
            if where == "retired":
                tmp = self._path(f"objects/.{digest}.{uuid.uuid4().hex}.tmp")
                shutil.copyfile(self._path(f"retired/{digest}"), tmp)
                os.replace(tmp, self._path(f"objects/{digest}"))

    def upload(self, digest: str, path: str) -> None:
        import shutil

        tmp = self._path(f"objects/.{digest}.{uuid.uuid4().hex}.tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, self._path(f"objects/{digest}"))

    def download(self, digest: str, path: str) -> None:
        import shutil

        shutil.copyfile(self._path(f"objects/{digest}"), path)

    def list_objects(self) -> Iterator[str]:
        return (n for n in os.listdir(self._path("objects")) if not n.startswith("."))

    @contextmanager
    def _guard(self, name: str) -> Iterator[None]:
        """An exclusive flock on a guard file: one check-then-write at a time, across processes."""
        import fcntl

        with open(self._path(name), "w") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            yield

    def try_lock(self, owner: str, ttl_s: float) -> bool:
        with self._guard(".lock.guard"):
            held = self.read_extra("lock.json")
            if held is not None and not lock_expired(held):
                return False
            self.write_extra("lock.json", lock_body(owner, ttl_s))
            return True

    def unlock(self, owner: str) -> None:
        lock = self._path("lock.json")
        with self._guard(".lock.guard"):
            try:
                with open(lock, "rb") as fh:
                    if json.loads(fh.read()).get("owner") == owner:
                        os.remove(lock)
            except (FileNotFoundError, ValueError):
                pass
