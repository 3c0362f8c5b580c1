"""One content digest for artifact layers: sorted names with each file's sha256, so equal content hashes equal."""

from __future__ import annotations

import hashlib
from pathlib import Path


def content_digest(entries: dict[str, Path | bytes]) -> tuple[str, int]:
    """(sha256 over every name and its content's hash, total bytes) for name → file or bytes."""
    digest = hashlib.sha256()
    size = 0
    for name in sorted(entries):
        source = entries[name]
        if isinstance(source, bytes):
            data_hash, length = hashlib.sha256(source).hexdigest(), len(source)
        else:
            with source.open("rb") as fh:
                data_hash = hashlib.file_digest(fh, "sha256").hexdigest()
            length = source.stat().st_size
        digest.update(f"{name}\0{data_hash}\n".encode())
        size += length
    return digest.hexdigest(), size


def folder_entries(folder: Path) -> dict[str, Path]:
    """Every file under `folder` by its path relative to it (with `/`)."""
    return {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
