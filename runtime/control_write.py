"""Writing a bot's control file (control.py) into its stored state, under its lock.

Used by botship (`botship stop-entries|flatten|resume`, the bots browser), not by a run: the packager
does not ship it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import uuid
from typing import Any

from .control import CONTROL_FILE, LEVELS
from .history import RESTORE_LOCK_S, LockHeld
from .manifest import Manifest
from .stores import Store


def write_control(store: Store, level: str, by: str, owner: str | None = None) -> dict[str, Any]:
    """Make the state's control file say `level` (set now, by `by`), as a new generation of the state.

    Takes the bot's lock (raises history.LockHeld, writing nothing, while a run holds it). Only the
    control file goes up: every other file stays the object the current manifest lists, so no state is
    downloaded. The bot's next run reads the level before it trades.
    """
    if level not in LEVELS:
        raise ValueError(f"{level!r} is not a control level ({', '.join(LEVELS)})")
    owner = owner or f"control-{uuid.uuid4().hex[:8]}"
    if not store.try_lock(owner, RESTORE_LOCK_S):
        raise LockHeld(store.lock_holder())
    try:
        data, token = store.read_manifest()
        old = Manifest.parse(data, token, store.manifest_name())
        body = json.dumps({"level": level, "set_at": round(time.time(), 3), "by": by}, sort_keys=True).encode()
        digest = hashlib.sha256(body).hexdigest()
        with tempfile.TemporaryDirectory(prefix="botship-control-") as scratch:
            path = os.path.join(scratch, CONTROL_FILE)
            with open(path, "wb") as fh:
                fh.write(body)
            store.upload(digest, path)
        new = Manifest({**old.files, CONTROL_FILE: {"sha256": digest, "size": len(body)}}, old.generation + 1,
                       packs=old.packs)
        store.write_manifest(new.dump(owner), old.token)
        gone = sorted(old.objects() - new.objects())
        if gone:  # the previous control file's object, unless other files share it
            store.delete(gone)
    finally:
        store.unlock(owner)
    return {"level": level, "generation": new.generation}
