"""State in a local folder (local invoke before the first deploy, and tests), with the last manifests kept."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .store_base import Conflict, ManifestVersion, Store, lock_body, lock_expired, lock_record


class FolderStore(Store):
    """State in a folder: `manifest.json`, `objects/`, and the last HISTORY manifests under `history/`.

    An object an earlier kept manifest still lists is moved to `retired/` rather than deleted, so
    any kept generation can be restored; it goes once no kept manifest lists it.
    """

    HISTORY = 10

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
            self._keep(data, token)
        return token

    def _keep(self, data: bytes, digest: str) -> None:
        """Add a written manifest to the history; drop the oldest beyond HISTORY and what only they listed."""
        history = self._path("history")
        os.makedirs(history, exist_ok=True)
        name = f"{time.time_ns():020d}-{digest[:12]}.json"
        tmp = os.path.join(history, f".{name}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, os.path.join(history, name))
        kept = self._history()
        for old in kept[self.HISTORY:]:
            os.remove(os.path.join(history, old))
        retired = self._path("retired")
        if os.path.isdir(retired):
            listed = self._listed()
            for digest in os.listdir(retired):
                if digest not in listed:
                    os.remove(os.path.join(retired, digest))

    def _history(self) -> list[str]:
        """The kept manifests' file names, newest first."""
        try:
            names = os.listdir(self._path("history"))
        except FileNotFoundError:
            return []
        return sorted((n for n in names if n.endswith(".json") and not n.startswith(".")), reverse=True)

    def _listed(self) -> set[str]:
        """Every object some kept manifest lists."""
        listed: set[str] = set()
        for name in self._history():
            try:
                with open(os.path.join(self._path("history"), name), "rb") as fh:
                    doc = json.loads(fh.read())
                listed |= {e.get("pack") or e.get("sha256") for e in doc.get("files", {}).values()}
            except (OSError, ValueError, AttributeError):
                continue
        return listed

    def read_extra(self, name: str) -> bytes | None:
        try:
            with open(self._path(name), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def write_extra(self, name: str, data: bytes) -> None:
        if "/" in name or name.startswith("."):
            raise ValueError(f"{name!r} is not a plain file name")
        tmp = self._path(f".{name}.{uuid.uuid4().hex}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._path(name))

    def lock_holder(self) -> dict[str, Any] | None:
        held = self.read_extra("lock.json")
        return None if held is None else lock_record(held)

    def manifest_versions(self) -> list[ManifestVersion]:
        current, _ = self.read_manifest()
        versions = []
        for name in self._history():
            path = os.path.join(self._path("history"), name)
            with open(path, "rb") as fh:
                same = fh.read() == current
            versions.append(ManifestVersion(name, os.path.getmtime(path), same and not versions))
        if current is not None and not any(v.current for v in versions):  # written by something else
            versions.insert(0, ManifestVersion("manifest.json", os.path.getmtime(self._path("manifest.json")), True))
        return versions

    def read_manifest_version(self, version_id: str) -> bytes:
        if version_id == "manifest.json":
            return self.read_manifest()[0] or b""
        if os.sep in version_id or "/" in version_id or version_id.startswith("."):
            raise ValueError(f"no manifest version {version_id!r}")
        with open(os.path.join(self._path("history"), version_id), "rb") as fh:
            return fh.read()

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

    def delete(self, digests: list[str]) -> None:
        listed = self._listed() if digests else set()
        for digest in digests:
            try:
                if digest in listed:  # a kept generation lists it: keep it where a restore finds it
                    os.makedirs(self._path("retired"), exist_ok=True)
                    os.replace(self._path(f"objects/{digest}"), self._path(f"retired/{digest}"))
                else:
                    os.remove(self._path(f"objects/{digest}"))
            except FileNotFoundError:
                pass

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
