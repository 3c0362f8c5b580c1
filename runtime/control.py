"""The control file in a bot's state: botship writes it (control_write.py); each run reads it first."""

from __future__ import annotations

import json
import os

CONTROL_FILE = "algorithm_control.json"
LEVELS = ("run", "stopentry", "flatten")  # as usual; no new entries; none, and every position closed


def read_control(folder: str) -> dict:
    """The file's content; missing or invalid: level "run". Never raises."""
    try:
        with open(os.path.join(folder, CONTROL_FILE), "rb") as fh:
            doc = json.load(fh)
        if doc["level"] in LEVELS:
            return doc
    except Exception:  # noqa: BLE001 - a damaged file stops nothing
        pass
    return {"level": "run"}
