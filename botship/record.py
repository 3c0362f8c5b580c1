"""The local record of what each profile last deployed (or destroyed): when, where, in which mode, and its outputs."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .atomic import written_beside
from .errors import file_error
from .locations import WORK_DIR, records_dir

DEPLOYED, DESTROYED, ABSENT = "ok", "destroyed", "absent"


@dataclass
class DeployRecord:
    """One profile's last finished deploy, or the destroy (or the empty cloud) that came after it."""

    profile: str
    platform: str
    bot_name: str
    mode: str
    where: str
    status: str  # "ok" (deployed), "destroyed", or "absent" (a destroy found nothing of it)
    finished_at: str
    journal: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    # A sandbox deploy lives in one emulator: its URL, and the botship process that ran it (0: an external one).
    emulator: str = ""
    emulator_pid: int = 0
    # After a destroy: what it left behind, and how to delete it.
    kept: list[str] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        """A sandbox deploy whose emulator has stopped: the bot went with it."""
        if not self.emulator or self.status != DEPLOYED:
            return False
        from botship.providers.sandbox.emulator import holds

        return not holds(self.emulator, self.emulator_pid)

    @property
    def deployed(self) -> bool:
        """Whether, as far as this machine knows, the bot is still deployed where this record says."""
        return self.status == DEPLOYED and not self.ended

    def describe(self) -> str:
        """The record in a few words, true now: where it runs, or that it is gone and what was kept."""
        if self.status == DESTROYED:
            # Each kept item reads "the state bucket NAME with … (how to delete it)": its name is enough here.
            kept = [item.split(" (")[0].split(" with ")[0].removeprefix("the ") for item in self.kept]
            return f"destroyed {self.finished_at} on {self.where}" + (f"; kept: {', '.join(kept)}" if kept else "")
        if self.status == ABSENT:
            return f"not deployed: nothing found on {self.where} at {self.finished_at}"
        if self.ended:
            return f"{self.finished_at} on {self.where}, ended: the emulator that held it has stopped"
        return f"{self.finished_at} on {self.where}"


def describe(record: DeployRecord | None) -> str:
    return record.describe() if record else "never deployed"


def save_record(project: Path, record: DeployRecord) -> Path:
    target = project / WORK_DIR / "records" / f"{record.profile}.json"
    try:
        path = records_dir(project) / f"{record.profile}.json"
        # Written beside it and renamed: a full disk never leaves a cut-short record in place of the last good one.
        with written_beside(path) as tmp:
            tmp.write_text(json.dumps(asdict(record), indent=2, sort_keys=True), encoding="utf-8")
    except OSError as exc:
        raise file_error(exc if exc.filename else OSError(exc.errno, exc.strerror, str(target)),
                         f"saving the local record of profile '{record.profile}' (the cloud was changed as shown "
                         "above; only this machine's note of it is missing)") from None
    return path


def load_records(project: Path) -> dict[str, DeployRecord]:
    """Every readable record by profile name; a damaged record file is skipped, not fatal."""
    folder = project / WORK_DIR / "records"
    records: dict[str, DeployRecord] = {}
    try:
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    except OSError:
        paths = []
    for path in paths:
        try:
            records[path.stem] = DeployRecord(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue
    return records
