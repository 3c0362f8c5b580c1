"""How a line the bot's function logged is shown, by either front end: masked, and decoded when it is JSON."""

from __future__ import annotations

import json
from typing import Any


def function_log_lines(masker, line: str) -> tuple[dict[str, Any] | None, list[str]]:
    """One line the function logged, masked: its record (when it is JSON) and how to show it."""
    # Decode first, then mask: inside JSON a secret may be escaped and would slip past a text mask.
    try:
        record: Any = masker.mask_data(json.loads(line))
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return None, [f"  │ {masker.mask(line)}"]
    if record.get("logger") != "botship":
        return record, [f"  │ {json.dumps(record, default=str)}"]
    extra = {k: v for k, v in record.items() if k not in ("time", "level", "logger", "message", "traceback")}
    shown = [f"  │ {record.get('message')}  {json.dumps(extra, default=str) if extra else ''}".rstrip()]
    shown += [f"  │   {tb_line}" for tb_line in str(record.get("traceback") or "").rstrip().splitlines()]
    return record, shown
