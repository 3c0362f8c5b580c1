"""Run records in `runs.json` beside the state manifest, newest first (invoke.py writes them)."""

from __future__ import annotations

import json

RUNS_NAME = "runs.json"


def read_doc(store) -> dict:
    """{"runs": [newest first], "compacted": {count, ok, error, since} of those dropped, or None}."""
    try:
        doc = json.loads(store.read_extra(RUNS_NAME) or b"{}")
        return {"runs": [r for r in doc.get("runs", []) if isinstance(r, dict)], "compacted": doc.get("compacted")}
    except (ValueError, TypeError, AttributeError):  # damaged: started over
        return {"runs": [], "compacted": None}


def read_runs(store) -> list[dict]:
    return read_doc(store)["runs"]  # one request


def append_run(store, record: dict, keep: int = 100) -> None:
    """Add `record` as the newest (the caller holds the lock); those past `keep` join the summary (every run
    reads and rewrites the file, and a versioned bucket keeps each old copy: it stays small)."""
    doc = read_doc(store)
    runs, done = [record, *doc["runs"]], doc["compacted"] or {"count": 0, "ok": 0, "error": 0}
    for old in runs[keep:]:
        ok, at = old.get("status") == "ok", old.get("started") or 0
        done.update(count=done["count"] + 1, ok=done["ok"] + ok, error=done["error"] + (not ok),
                    since=min(at, done.get("since") or at))
    doc = {"runs": runs[:keep], "compacted": done if done["count"] else None}
    store.write_extra(RUNS_NAME, json.dumps(doc, separators=(",", ":"), default=str).encode())
