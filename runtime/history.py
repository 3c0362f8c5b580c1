"""Earlier generations of a bot's state: list them, and make one current again.

Used by botship (`botship state versions|restore`), not by a run; it lives here because it works on
the runtime's stores and manifests alone.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from .manifest import describe_manifest, seal_manifest, validate_manifest
from .stores import Store

RESTORE_LOCK_S = 300


class RestoreRefused(Exception):
    """A restore that was not done, with why (nothing was written)."""


class LockHeld(RestoreRefused):
    def __init__(self, holder: dict[str, Any] | None) -> None:
        super().__init__("a run holds the bot's lock")
        self.holder = holder


def list_generations(store: Store) -> list[dict[str, Any]]:
    """Every stored manifest, newest first: generation, when, files, bytes, whether valid, whether current."""
    listed = []
    for version in store.manifest_versions():
        try:
            data: bytes | None = store.read_manifest_version(version.version_id)
        except Exception as exc:  # noqa: BLE001 - one unreadable version does not hide the others
            info = {"valid": False, "problem": f"unreadable: {exc}", "generation": None, "saved_at": None,
                    "files": 0, "bytes": 0}
        else:
            info = describe_manifest(data)
        listed.append({**info, "version_id": version.version_id, "current": version.current,
                       "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(version.modified))})
    return listed


def restore_generation(store: Store, generation: int, owner: str | None = None) -> dict[str, Any]:
    """Make `generation` the current state again, as a new generation with the same files.

    Every object it lists must still exist, or be recoverable from an earlier version; that is
    checked before anything is written. The bot's lock is held while writing, so no run races it.
    """
    listed = list_generations(store)
    chosen = next((g for g in listed if g["valid"] and g["generation"] == generation), None)
    if chosen is None:
        kept = sorted({g["generation"] for g in listed if g["valid"]})
        raise RestoreRefused(f"there is no valid generation {generation}"
                             + (f"; kept: {', '.join(map(str, kept))}" if kept else "; no valid generation is kept"))
    doc = validate_manifest(store.read_manifest_version(chosen["version_id"]))
    owner = owner or f"restore-{uuid.uuid4().hex[:8]}"
    if not store.try_lock(owner, RESTORE_LOCK_S):
        raise LockHeld(store.lock_holder())
    try:
        current, token = store.read_manifest()
        objects = {e.get("pack") or e["sha256"]: rel for rel, e in doc["files"].items()}
        found = store.find_objects(sorted(objects))
        lost = sorted(objects[d] for d, where in found.items() if where is None)
        if lost:
            raise RestoreRefused(f"generation {generation} lists {len(lost)} file(s) whose stored objects are gone "
                                 f"(e.g. {', '.join(lost[:3])}); nothing was changed")
        store.revive(found)
        # A run that saved since the listing above wrote the current manifest, the newest generation.
        newest = max([g["generation"] for g in listed if g["valid"]] + [describe_manifest(current)["generation"] or 0])
        new = {k: v for k, v in doc.items() if k != "checksum"}
        new.update({"generation": newest + 1, "run_id": owner, "restored_from": generation,
                    "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        store.write_manifest(seal_manifest(new), token)
    finally:
        store.unlock(owner)
    return {"restored": generation, "generation": newest + 1, "files": len(doc["files"]),
            "bytes": sum(e["size"] for e in doc["files"].values()),
            "revived": sorted(d for d, where in found.items() if where != "current")}
