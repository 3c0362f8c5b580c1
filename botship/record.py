"""The local record of what each profile last deployed (or destroyed): when, where, in which mode, and its outputs.

Both front ends keep it the same way: a run's journal opened with its plan (`open_journal`), and the record of a
deploy that succeeded (`record_deploy`) or of a destroy (`record_destroy`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import written_beside
from .errors import file_error
from .locations import WORK_DIR, records_dir

if TYPE_CHECKING:
    from .spec import DeploySpec

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


def open_journal(project: Path, name: str, plan, now: datetime | None = None):
    """The run's journal, opened with its plan as the first line; it masks with the plan's masker."""
    from botship.providers.journal import Journal

    journal = Journal.for_run(project, name, plan.secrets_masker(), now)
    journal.write({"type": "plan", "profile": name, **plan.as_dict()})
    return journal


def record_deploy(project: Path, name: str, spec: DeploySpec, result, journal: str) -> None:
    """Keep what a successful deploy shipped (its outputs as the run reported them: masked), for re-runs and the
    home screen."""
    from botship.providers import provider_class

    save_record(project, DeployRecord(
        profile=name, platform=spec.platform, bot_name=spec.bot_name, mode=spec.mode, where=spec.where,
        status=result.status, finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        journal=journal, outputs=result.outputs, **provider_class(spec.platform).holder()))
    if result.ok and result.changed:  # an unchanged re-run changes nothing, in the cloud's history too
        record_in_cloud(spec, name, "deploy", shipped_version(result.outputs))


def shipped_version(outputs: dict[str, Any]) -> str:
    """The version a deploy shipped, from its steps' outputs: an image's digest, else the code's hash."""
    found = {key: value for step in outputs.values() if isinstance(step, dict) for key, value in step.items()}
    return str(found.get("digest") or found.get("code") or "")


def record_in_cloud(spec: DeploySpec, profile: str, action: str, version: str = "", outcome: str = "ok",
                    detail: str = "") -> str | None:
    """Add an entry to the bot's deployment history in its cloud (beside its state); returns why it could not
    be added (the deploy stands: the history is a courtesy), None when it was."""
    from botship.providers import provider_class
    from botship.providers.base import STATE
    from botship.providers.results import DeployEntry

    provider = provider_class(spec.platform)(spec)
    if not provider.cloud_class.can(STATE):
        return "this cloud keeps no state to keep a history beside"
    try:
        handle = provider.handle()
        handle.record_history(DeployEntry(datetime.now(timezone.utc), action, version, profile,
                                          provider.cloud().who(), outcome, detail))
    except Exception as exc:  # noqa: BLE001 - never fails the deploy it records
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def record_destroy(project: Path, name: str, spec: DeploySpec, status: str, kept: list[str]) -> None:
    """After a destroy (or one that found nothing), the local record says so: no listing shows it deployed."""
    save_record(project, DeployRecord(
        profile=name, platform=spec.platform, bot_name=spec.bot_name, mode=spec.mode, where=spec.where,
        status=status, finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), kept=kept))
