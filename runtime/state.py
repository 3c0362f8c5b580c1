"""State sync: bring the local state folder up to date from a store, and save back only what changed.

The manifest (path → sha256, size) is the source of truth. A local index remembers each
file's size and mtime with its hash, so a warm container neither re-hashes nor downloads
files that did not change.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from typing import Any

from .stores import Store

CHUNK = 1024 * 1024
PARALLEL = 8
# Objects orphaned by a save that died before its manifest are swept this often.
FULL_SWEEP_EVERY = 50


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _parallel(function, items) -> list:
    """Run `function` over `items` on a few threads; the pool is imported only when there is work."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(PARALLEL, len(items))) as pool:
        return list(pool.map(function, items))


class Manifest:
    """Path → {sha256, size}, with the generation count and the store's version token it was read at."""

    def __init__(self, files: dict[str, dict[str, Any]] | None = None, generation: int = 0,
                 token: str | None = None) -> None:
        self.files = files or {}
        self.generation = generation
        self.token = token

    @classmethod
    def parse(cls, data: bytes | None, token: str | None) -> Manifest:
        if data is None:
            return cls(token=None)
        doc = json.loads(data)
        return cls(doc.get("files", {}), int(doc.get("generation", 0)), token)

    def hashes(self) -> set[str]:
        return {entry["sha256"] for entry in self.files.values()}

    def dump(self, run_id: str) -> bytes:
        doc = {"format": 1, "generation": self.generation, "run_id": run_id,
               "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "files": self.files}
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


class SyncReport:
    """What one load or save moved."""

    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0
        self.deleted = 0
        self.skipped = False


class LocalFolder:
    """The state folder on disk with its index of (size, mtime) → hash."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.index_path = f"{self.root}.botship-index.json"
        os.makedirs(self.root, exist_ok=True)
        try:
            with open(self.index_path, encoding="utf-8") as fh:
                self.index: dict[str, list] = json.load(fh)
        except (FileNotFoundError, ValueError):
            self.index = {}

    def scan(self) -> dict[str, dict[str, Any]]:
        """Every regular file as path → {sha256, size}; only files whose size or mtime changed are hashed."""
        found: dict[str, dict[str, Any]] = {}
        for base, dirs, files in os.walk(self.root):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(base, name)
                if os.path.islink(full):
                    continue
                rel = os.path.relpath(full, self.root).replace(os.sep, "/")
                st = os.stat(full)
                known = self.index.get(rel)
                if known and known[0] == st.st_size and known[1] == st.st_mtime_ns:
                    digest = known[2]
                else:
                    digest = sha256_file(full)
                    self.index[rel] = [st.st_size, st.st_mtime_ns, digest]
                found[rel] = {"sha256": digest, "size": st.st_size}
        for rel in list(self.index):
            if rel not in found:
                del self.index[rel]
        return found

    def remember(self, rel: str, digest: str) -> None:
        st = os.stat(self.path(rel))
        self.index[rel] = [st.st_size, st.st_mtime_ns, digest]

    def path(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    def remove(self, rel: str) -> None:
        os.remove(self.path(rel))
        self.index.pop(rel, None)
        parent = os.path.dirname(self.path(rel))
        while parent != self.root and not os.listdir(parent):
            os.rmdir(parent)
            parent = os.path.dirname(parent)

    def save_index(self) -> None:
        tmp = f"{self.index_path}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.index, fh)
        os.replace(tmp, self.index_path)


class StateSync:
    """Loads and saves one bot's state folder against one store (one mode)."""

    def __init__(self, store: Store, folder: str) -> None:
        self.store = store
        self.local = LocalFolder(folder)
        self.manifest = Manifest()

    def load(self) -> SyncReport:
        self.manifest = Manifest.parse(*self.store.read_manifest())
        local = self.local.scan()
        wanted = {rel: e for rel, e in self.manifest.files.items() if local.get(rel, {}).get("sha256") != e["sha256"]}
        report = SyncReport()

        def fetch(item: tuple[str, dict[str, Any]]) -> int:
            rel, entry = item
            target = self.local.path(rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            tmp = f"{target}.botship-{uuid.uuid4().hex}.part"
            try:
                self.store.download(entry["sha256"], tmp)
                if sha256_file(tmp) != entry["sha256"]:
                    raise OSError(f"state object for {rel} does not match its hash")
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
            return entry["size"]

        for size in _parallel(fetch, wanted.items()):
            report.files += 1
            report.bytes += size
        for rel, entry in wanted.items():
            self.local.remember(rel, entry["sha256"])
        for rel in sorted(set(local) - set(self.manifest.files)):
            self.local.remove(rel)
            report.deleted += 1
        self.local.save_index()
        return report

    def save(self, run_id: str) -> SyncReport:
        """Upload new content, then write the manifest (conditionally), then drop what nothing refers to."""
        current = self.local.scan()
        report = SyncReport()
        if current == self.manifest.files:
            report.skipped = True
            self.local.save_index()
            return report
        old_hashes = self.manifest.hashes()
        uploads: dict[str, str] = {}
        for rel, entry in current.items():
            if entry["sha256"] not in old_hashes and entry["sha256"] not in uploads:
                uploads[entry["sha256"]] = rel

        def put(item: tuple[str, str]) -> int:
            digest, rel = item
            self.store.upload(digest, self.local.path(rel))
            return current[rel]["size"]

        for size in _parallel(put, uploads.items()):
            report.files += 1
            report.bytes += size
        new = Manifest(current, self.manifest.generation + 1)
        new.token = self.store.write_manifest(new.dump(run_id), self.manifest.token)
        gone = sorted(old_hashes - new.hashes())
        if gone:
            self.store.delete(gone)
            report.deleted = len(gone)
        if new.generation % FULL_SWEEP_EVERY == 0:
            keep = new.hashes()
            orphans = [d for d in self.store.list_objects() if d not in keep]
            if orphans:
                self.store.delete(orphans)
        self.manifest = new
        self.local.save_index()
        return report
