"""State sync: bring the local state folder up to date from a store, and save back only what changed.

The manifest (path → sha256, size) is the source of truth. A local index remembers each
file's size and mtime with its hash, so a warm container neither re-hashes nor downloads
files that did not change.

Many new small files saved at once go up as one *pack* object (their bytes back to back;
the manifest records each file's pack and offset), so a cold load of a folder of small
files is a handful of requests rather than one per file. A pack is deleted once no
manifest entry points into it.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# The manifest's format lives in .manifest; its names are imported from here too (providers, tests).
from .manifest import Manifest, ManifestInvalid, describe_manifest, safe_path, seal_manifest, validate_manifest
from .state_folder import PART_MARK, LocalFolder, StateFolderReplaced, sha256_file
from .stores import Store

__all__ = ["Manifest", "ManifestInvalid", "describe_manifest", "safe_path", "seal_manifest", "validate_manifest",
           "StateFileUnsettled", "StateFolderReplaced", "StateObjectCorrupt", "StateObjectMissing", "StateSync",
           "SyncReport", "LocalFolder", "sha256_file"]

PARALLEL = 8
# Objects orphaned by a save that died before its manifest are swept this often.
FULL_SWEEP_EVERY = 50
# Packing: files up to PACK_FILE_MAX bytes, when at least PACK_MIN_FILES are new, in packs up to PACK_MAX.
PACK_FILE_MAX = 64 * 1024
PACK_MIN_FILES = 16
PACK_MAX = 32 * 1024 * 1024


def _parallel(function, items) -> list:
    """Run `function` over `items` on a few threads; the pool is imported only when there is work."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(PARALLEL, len(items))) as pool:
        return list(pool.map(function, items))


class StateObjectCorrupt(Exception):
    """An object the manifest lists came back with other content than its hash (or a pack too short for its entry)."""

    def __init__(self, generation: int, path: str, digest: str) -> None:
        super().__init__(f"the state manifest (generation {generation}) lists {path}, whose stored object "
                         f"{digest} does not hold that file's content (it was changed or damaged)")
        self.generation, self.path, self.digest = generation, path, digest


class StateFileUnsettled(StateFolderReplaced):
    """A state file kept changing while it was saved (a thread or process the bot left running writes it)."""


class _ChangedWhileSaving(Exception):
    def __init__(self, rel: str) -> None:
        super().__init__(rel)
        self.rel = rel


class StateObjectMissing(Exception):
    """The manifest lists an object the store does not hold."""

    def __init__(self, generation: int, path: str, digest: str) -> None:
        super().__init__(f"the state manifest (generation {generation}) lists {path}, "
                         f"whose stored object {digest} is missing")
        self.generation, self.path, self.digest = generation, path, digest


class SyncReport:
    """What one load or save moved."""

    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0
        self.deleted = 0
        self.skipped = False


class StateSync:
    """Loads and saves one bot's state folder against one store (one mode)."""

    def __init__(self, store: Store, folder: str) -> None:
        self.store = store
        self.local = LocalFolder(folder)
        self.manifest = Manifest()

    def load(self) -> SyncReport:
        data, token = self.store.read_manifest()
        self.manifest = Manifest.parse(data, token, self.store.manifest_name())
        local = self.local.scan()
        wanted = {rel: e for rel, e in self.manifest.files.items() if local.get(rel, {}).get("sha256") != e["sha256"]}
        report = SyncReport()
        loose = [(rel, e) for rel, e in wanted.items() if "pack" not in e]
        packs: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for rel, entry in wanted.items():
            if "pack" in entry:
                packs.setdefault(entry["pack"], []).append((rel, entry))

        def fetch_loose(item: tuple[str, dict[str, Any]]) -> int:
            rel, entry = item
            with self._placing(rel, entry) as tmp, self._missing_is_named(rel, entry["sha256"]):
                self.store.download(entry["sha256"], tmp)
            return entry["size"]

        def fetch_pack(item: tuple[str, list[tuple[str, dict[str, Any]]]]) -> int:
            pack, members = item
            pack_file = os.path.join(os.path.dirname(self.local.root), f".botship-pack-{uuid.uuid4().hex}")
            try:
                with self._missing_is_named(members[0][0], pack):
                    self.store.download(pack, pack_file)
                with open(pack_file, "rb") as source:
                    for rel, entry in members:
                        with self._placing(rel, entry) as tmp, open(tmp, "wb") as out:
                            source.seek(entry["offset"])
                            out.write(source.read(entry["size"]))
            finally:
                if os.path.exists(pack_file):
                    os.remove(pack_file)
            return sum(entry["size"] for _, entry in members)

        # Extras go first, so a path that turned from a file into a folder (or back) can be placed.
        for rel in sorted(set(local) - set(self.manifest.files)):
            self.local.remove(rel)
            report.deleted += 1
        for size in _parallel(fetch_loose, loose) + _parallel(fetch_pack, packs.items()):
            report.bytes += size
        report.files = len(wanted)
        for rel, entry in wanted.items():
            self.local.remember(rel, entry["sha256"])
        self.local.save_index()
        return report

    @contextmanager
    def _missing_is_named(self, rel: str, digest: str) -> Iterator[None]:
        """A download of an object the store does not hold becomes StateObjectMissing, naming the file."""
        try:
            yield
        except Exception as exc:
            if self.store.is_missing(exc):
                raise StateObjectMissing(self.manifest.generation, rel, digest) from None
            raise

    @contextmanager
    def _placing(self, rel: str, entry: dict[str, Any]) -> Iterator[str]:
        """A temporary file that becomes `rel` only once its content matches the manifest's hash.

        Whatever stands in the way inside the state folder and is not state (a symlink the bot made,
        which may point outside the folder; a folder of untracked leftovers) is removed first, so a
        file is only ever written inside the folder.
        """
        import shutil

        target = self.local.path(rel)
        folder = self.local.root
        os.makedirs(folder, exist_ok=True)
        for part in rel.split("/")[:-1]:
            folder = os.path.join(folder, part)
            if os.path.islink(folder) or (os.path.lexists(folder) and not os.path.isdir(folder)):
                os.remove(folder)
            if not os.path.lexists(folder):
                os.mkdir(folder)
        if os.path.islink(target):
            os.remove(target)
        elif os.path.isdir(target):  # a folder of untracked leftovers where the state now has a file
            shutil.rmtree(target)
        tmp = f"{target}{PART_MARK}{uuid.uuid4().hex}.part"
        try:
            yield tmp
            if sha256_file(tmp) != entry["sha256"]:
                raise StateObjectCorrupt(self.manifest.generation, rel, entry.get("pack") or entry["sha256"])
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    # A save whose files changed under it is started over this many times before it gives up.
    SAVE_ATTEMPTS = 3

    def save(self, run_id: str) -> SyncReport:
        """Upload new content, then write the manifest (conditionally), then drop what nothing refers to.

        Objects are stored by hash, so a file that changes between its hash and its upload (a thread
        the bot left running, a database's journal) would store content under a hash it does not have,
        damaging the state for every later run. Each upload is checked against the file's hash (packs)
        or its size and mtime (loose files); a change starts the save over.
        """
        for attempt in range(self.SAVE_ATTEMPTS):
            try:
                return self._save_once(run_id)
            except _ChangedWhileSaving as exc:
                changed = exc.rel
                time.sleep(0.2 * (attempt + 1))
        raise StateFileUnsettled(f"{changed} in the state folder kept changing while it was being saved (a thread "
                                 f"or process the bot started still writes it): this run's state was not saved "
                                 f"and the stored state is unchanged. Stop what writes it before the bot returns")

    def _save_once(self, run_id: str) -> SyncReport:
        current = self.local.scan()
        report = SyncReport()
        old = self.manifest
        if current == {rel: {"sha256": e["sha256"], "size": e["size"]} for rel, e in old.files.items()}:
            report.skipped = True
            self.local.save_index()
            return report
        known = old.contents({entry["sha256"] for entry in current.values()})
        fresh: dict[str, str] = {}  # content hash → a path holding it, for content the store lacks
        for rel, entry in current.items():
            if entry["sha256"] not in known:
                fresh.setdefault(entry["sha256"], rel)
        small = [d for d, rel in fresh.items() if current[rel]["size"] <= PACK_FILE_MAX]
        packed = self._write_packs(small, fresh, current) if len(small) >= PACK_MIN_FILES else {}
        loose = [(d, rel) for d, rel in fresh.items() if d not in packed]

        def put(item: tuple[str, str]) -> int:
            digest, rel = item
            scanned = self.local.index.get(rel)
            self.store.upload(digest, self.local.path(rel))
            try:
                st = os.lstat(self.local.path(rel))
                settled = scanned is not None and [st.st_size, st.st_mtime_ns] == scanned[:2]
            except FileNotFoundError:
                settled = False
            if not settled:  # what went up may not be the content of `digest`: it must not stay under that name
                self.store.delete([digest])
                raise _ChangedWhileSaving(rel)
            return current[rel]["size"]

        def put_pack(item: tuple[str, str]) -> int:
            digest, path = item
            self.store.upload(digest, path)
            return os.path.getsize(path)

        pack_files = {entry["pack"]: entry["_file"] for entry in packed.values()}
        pack_sizes = {name: os.path.getsize(path) for name, path in pack_files.items()}
        try:
            for size in _parallel(put, loose) + _parallel(put_pack, pack_files.items()):
                report.bytes += size
        finally:
            for path in pack_files.values():
                if os.path.exists(path):
                    os.remove(path)
        report.files = len(fresh)
        where = {**known, **{d: {k: v for k, v in e.items() if k != "_file"} for d, e in packed.items()}}
        files = {rel: {**where.get(e["sha256"], {}), **e} for rel, e in current.items()}
        new = Manifest(files, old.generation + 1, packs={**old.packs, **pack_sizes})
        new.token = self.store.write_manifest(new.dump(run_id), old.token)
        gone = sorted(old.objects() - new.objects())
        if gone:
            self.store.delete(gone)
            report.deleted = len(gone)
        if new.generation % FULL_SWEEP_EVERY == 0:
            keep = new.objects()
            orphans = [d for d in self.store.list_objects() if d not in keep]
            if orphans:
                self.store.delete(orphans)
        self.manifest = new
        self.local.save_index()
        return report

    def _write_packs(self, digests: list[str], fresh: dict[str, str],
                     current: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Write small contents into pack files (up to PACK_MAX each); content hash → its pack entry."""
        entries: dict[str, dict[str, Any]] = {}
        try:
            return self._pack_into(entries, digests, fresh, current)
        except BaseException:  # e.g. the disk filled up: no pack file is left behind to fill it further
            for path in {entry["_file"] for entry in entries.values()}:
                if os.path.exists(path):
                    os.remove(path)
            raise

    def _pack_into(self, entries: dict[str, dict[str, Any]], digests: list[str], fresh: dict[str, str],
                   current: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        batch: list[str] = []
        size = 0
        for digest in sorted(digests) + [None]:  # type: ignore[list-item]
            if digest is not None and size + current[fresh[digest]]["size"] <= PACK_MAX:
                batch.append(digest)
                size += current[fresh[digest]]["size"]
                continue
            if batch:
                path = os.path.join(os.path.dirname(self.local.root), f".botship-pack-{uuid.uuid4().hex}")
                pack_hash = hashlib.sha256()
                offsets: dict[str, int] = {}
                for member in batch:  # recorded first, so a failure below removes this file too
                    entries[member] = {"_file": path}
                with open(path, "wb") as out:
                    for member in batch:
                        offsets[member] = out.tell()
                        with open(self.local.path(fresh[member]), "rb") as fh:
                            data = fh.read()
                        if hashlib.sha256(data).hexdigest() != member:
                            raise _ChangedWhileSaving(fresh[member])
                        pack_hash.update(data)
                        out.write(data)
                name = f"pack-{pack_hash.hexdigest()}"
                for member in batch:
                    entries[member] = {"pack": name, "offset": offsets[member], "_file": path}
            if digest is not None:
                batch, size = [digest], current[fresh[digest]]["size"]
        return entries
