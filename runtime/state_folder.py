"""The state folder on disk, with its index of (size, mtime) → hash so unchanged files are not hashed again."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
import uuid
from typing import Any

CHUNK = 1024 * 1024
# A file modified this close to when its hash was recorded may have changed again within the same
# timestamp tick (coarse clocks); such entries are hashed again rather than trusted (git does the same).
RACY_NS = 2_000_000_000
# What a file being placed by a load is called until its content is checked (`NAME.botship-<id>.part`).
PART_MARK = ".botship-"


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class StateFolderReplaced(Exception):
    """The bot replaced its state folder with something that is not a folder (a symlink, a file): nothing is saved."""


class LocalFolder:
    """The state folder on disk with its index of (size, mtime) → hash."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.index_path = f"{self.root}.botship-index.json"
        os.makedirs(self.root, exist_ok=True)
        try:
            with open(self.index_path, encoding="utf-8") as fh:
                self.index: dict[str, list] = {k: v for k, v in json.load(fh).items() if len(v) == 4}
        except (FileNotFoundError, ValueError, AttributeError):
            self.index = {}

    def scan(self) -> dict[str, dict[str, Any]]:
        """Every regular file as path → {sha256, size}; only files whose size or mtime changed are hashed.

        Only regular files inside the folder are state: symlinks (which may point anywhere, e.g. at
        /etc/passwd), fifos (reading one blocks), sockets and devices are left out and listed in
        `self.skipped`. A temporary file of a load that was killed half-way is removed, not saved.
        """
        self.skipped: list[str] = []
        try:
            top = os.lstat(self.root)
        except FileNotFoundError:
            top = None  # the bot removed its whole state folder: it holds nothing
        if top is not None and not stat.S_ISDIR(top.st_mode):
            kind = "a symlink" if stat.S_ISLNK(top.st_mode) else "not a folder"
            raise StateFolderReplaced(f"the bot replaced its state folder {self.root} with {kind}; "
                                      "its state was not saved (the stored state is unchanged)")
        found: dict[str, dict[str, Any]] = {}
        for base, dirs, files in os.walk(self.root) if top is not None else ():
            dirs.sort()
            for name in [d for d in dirs if os.path.islink(os.path.join(base, d))]:  # walk does not follow them
                self.skipped.append(os.path.relpath(os.path.join(base, name), self.root).replace(os.sep, "/"))
            for name in sorted(files):
                full = os.path.join(base, name)
                rel = os.path.relpath(full, self.root).replace(os.sep, "/")
                try:
                    st = os.lstat(full)
                except FileNotFoundError:  # removed while we looked (a thread the bot left running)
                    continue
                if not stat.S_ISREG(st.st_mode):
                    self.skipped.append(rel)
                    continue
                if PART_MARK in name and name.endswith(".part"):
                    os.remove(full)
                    continue
                known = self.index.get(rel)
                if (known and known[0] == st.st_size and known[1] == st.st_mtime_ns
                        and known[3] - st.st_mtime_ns > RACY_NS):
                    digest = known[2]
                else:
                    digest = sha256_file(full)
                    self.index[rel] = [st.st_size, st.st_mtime_ns, digest, time.time_ns()]
                found[rel] = {"sha256": digest, "size": st.st_size}
        for rel in list(self.index):
            if rel not in found:
                del self.index[rel]
        return found

    def remember(self, rel: str, digest: str) -> None:
        st = os.stat(self.path(rel))
        self.index[rel] = [st.st_size, st.st_mtime_ns, digest, time.time_ns()]

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
