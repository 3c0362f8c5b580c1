"""The local record of what each profile last deployed: when, where, in which mode, and its outputs."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .locations import WORK_DIR, records_dir


@dataclass
class DeployRecord:
    """One profile's last finished deploy."""

    profile: str
    platform: str
    bot_name: str
    mode: str
    where: str
    status: str
    finished_at: str
    journal: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)


def save_record(project: Path, record: DeployRecord) -> Path:
    path = records_dir(project) / f"{record.profile}.json"
    path.write_text(json.dumps(asdict(record), indent=2, sort_keys=True), encoding="utf-8")
    return path


def load_records(project: Path) -> dict[str, DeployRecord]:
    """Every readable record by profile name; a damaged record file is skipped, not fatal."""
    folder = project / WORK_DIR / "records"
    records: dict[str, DeployRecord] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            records[path.stem] = DeployRecord(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue
    return records
