"""The state manifest's format: what a store's manifest.json holds, sealed with a checksum, and checked on read.

A manifest maps each path in the state folder to its content (sha256, size, and the pack and offset
when it is stored in a pack). Anything that is not one (truncated, tampered with, pointing outside the
folder) is refused as ManifestInvalid rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any


class Manifest:
    """Path → {sha256, size}, with the generation count and the store's version token it was read at."""

    def __init__(self, files: dict[str, dict[str, Any]] | None = None, generation: int = 0,
                 token: str | None = None, packs: dict[str, int] | None = None) -> None:
        self.files = files or {}
        self.generation = generation
        self.token = token
        self.packs = packs or {}  # pack name → its size in bytes

    @classmethod
    def parse(cls, data: bytes | None, token: str | None, where: str = "manifest.json") -> Manifest:
        """The manifest a store holds (None: the store is empty); raises ManifestInvalid for anything else."""
        if data is None:
            return cls(token=None)
        doc = validate_manifest(data, where)
        return cls(doc["files"], int(doc["generation"]), token, doc.get("packs", {}))

    def objects(self) -> set[str]:
        """The store objects this manifest needs: loose contents and packs."""
        return {entry.get("pack") or entry["sha256"] for entry in self.files.values()}

    def contents(self, still_used: set[str]) -> dict[str, dict[str, Any]]:
        """Content hash → where it is stored, for the contents in `still_used`, leaving out packs mostly dead.

        A pack less than half of whose bytes will still be used is not reused: its live members
        are packed again (or sent loose), and the old pack is deleted with the manifest that drops it.
        """
        stored = {entry["sha256"]: entry for entry in self.files.values()}
        live: dict[str, int] = {}
        for digest in still_used & set(stored):
            entry = stored[digest]
            if "pack" in entry:
                live[entry["pack"]] = live.get(entry["pack"], 0) + entry["size"]
        sparse = {name for name, size in self.packs.items() if live.get(name, 0) * 2 < size}
        return {digest: entry for digest, entry in stored.items() if entry.get("pack") not in sparse}

    def dump(self, run_id: str) -> bytes:
        used = {entry["pack"] for entry in self.files.values() if "pack" in entry}
        doc = {"format": 1, "generation": self.generation, "run_id": run_id,
               "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "files": self.files,
               "packs": {name: size for name, size in self.packs.items() if name in used}}
        return seal_manifest(doc)


def _canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps({k: v for k, v in doc.items() if k != "checksum"}, sort_keys=True,
                      separators=(",", ":")).encode()


def seal_manifest(doc: dict[str, Any]) -> bytes:
    """The manifest's bytes, with a checksum of its own content written into it."""
    sealed = {**doc, "checksum": "sha256:" + hashlib.sha256(_canonical(doc)).hexdigest()}
    return json.dumps(sealed, sort_keys=True, separators=(",", ":")).encode()


class ManifestInvalid(Exception):
    """The store holds a manifest that is not one: unreadable, the wrong shape, or not matching its checksum."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where} is not a valid state manifest: {problem}")
        self.where, self.problem = where, problem


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def safe_path(rel: Any) -> bool:
    """Whether a manifest path names a file inside the state folder: relative, "/"-separated, every part a
    real name (not empty, ".", ".."), no NUL. Anything else could write outside the folder, or over it."""
    return (isinstance(rel, str) and bool(rel) and "\x00" not in rel
            and all(part not in ("", ".", "..") for part in rel.split("/")))


def validate_manifest(data: bytes, where: str = "manifest.json") -> dict[str, Any]:
    """The manifest's document, checked: its shape, every entry, and its checksum when it has one.

    Manifests written before checksums existed are read as long as their shape is valid.
    """
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        problem = "nested too deeply" if isinstance(exc, RecursionError) else f"{exc}"
        raise ManifestInvalid(where, f"not JSON ({problem}); it may be truncated") from None
    if not isinstance(doc, dict):
        raise ManifestInvalid(where, f"expected a JSON object, found {type(doc).__name__ if doc is not None else 'null'}")
    if doc.get("format") != 1:
        raise ManifestInvalid(where, f"unknown or missing format {doc.get('format')!r}")
    if not _is_count(doc.get("generation")) or doc["generation"] < 1:
        raise ManifestInvalid(where, f"generation {doc.get('generation')!r} is not a positive whole number")
    files, packs = doc.get("files"), doc.get("packs", {})
    if not isinstance(files, dict):
        raise ManifestInvalid(where, "it has no files table")
    if not isinstance(packs, dict) or not all(isinstance(k, str) and _is_count(v) for k, v in packs.items()):
        raise ManifestInvalid(where, "its packs table is malformed")
    for rel, entry in files.items():
        if not safe_path(rel):
            raise ManifestInvalid(where, f"its entry {rel!r} is not a path inside the state folder")
        if not isinstance(entry, dict) or not _is_hash(entry.get("sha256")) or not _is_count(entry.get("size")):
            raise ManifestInvalid(where, f"its entry for {rel!r} is malformed")
        if "pack" in entry and (not isinstance(entry["pack"], str) or entry["pack"] not in packs
                                or not _is_count(entry.get("offset"))):
            raise ManifestInvalid(where, f"its entry for {rel!r} points into an unknown pack")
        if "pack" in entry and entry["offset"] + entry["size"] > packs[entry["pack"]]:
            raise ManifestInvalid(where, f"its entry for {rel!r} reaches past the end of its pack")
    folders = {"/".join(parts[:n]) for parts in (rel.split("/") for rel in files) for n in range(1, len(parts))}
    clash = sorted(folders & set(files))
    if clash:
        raise ManifestInvalid(where, f"{clash[0]!r} is listed both as a file and as a folder of other files")
    if "checksum" in doc:
        expected = "sha256:" + hashlib.sha256(_canonical(doc)).hexdigest()
        if doc["checksum"] != expected:
            raise ManifestInvalid(where, "its content does not match its checksum (it was changed or damaged)")
    return doc


def describe_manifest(data: bytes | None) -> dict[str, Any]:
    """Generation, time, file count, bytes and validity of one manifest's bytes, for listings."""
    try:
        doc = validate_manifest(data if data is not None else b"null")
    except ManifestInvalid as exc:
        return {"valid": False, "problem": exc.problem, "generation": None, "saved_at": None, "files": 0, "bytes": 0}
    return {"valid": True, "problem": None, "generation": doc["generation"], "saved_at": doc.get("saved_at"),
            "files": len(doc["files"]), "bytes": sum(e["size"] for e in doc["files"].values()),
            "checksum": "checksum" in doc}
