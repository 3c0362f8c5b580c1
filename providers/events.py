"""What the engine reports while it runs a plan — one event type per fact, each JSON-serialisable."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar

from botship.masking import Masker


@dataclass(frozen=True)
class Event:
    """Base of every run event; `kind` names it in JSON Lines and the journal."""

    kind: ClassVar[str] = "event"
    at: float = field(default_factory=time.time, kw_only=True)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.kind, **asdict(self)}

    def masked(self, masker: Masker) -> Event:
        if not masker:
            return self
        changes = {f.name: masker.mask_data(getattr(self, f.name)) for f in fields(self)
                   if isinstance(getattr(self, f.name), str | dict | list | tuple)}
        return replace(self, **changes)


@dataclass(frozen=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run_started"
    title: str
    mode: str
    steps: list[dict[str, Any]]


@dataclass(frozen=True)
class PlanChanged(Event):
    """Planned again once the deploy lock was held (another deploy ran meanwhile): the steps that now run."""

    kind: ClassVar[str] = "plan_changed"
    steps: list[dict[str, Any]]
    changes: str


@dataclass(frozen=True)
class StepStarted(Event):
    kind: ClassVar[str] = "step_started"
    step: str
    title: str
    action: str
    index: int
    total: int


@dataclass(frozen=True)
class LogLine(Event):
    kind: ClassVar[str] = "log"
    step: str
    message: str
    level: str = "info"


@dataclass(frozen=True)
class Progress(Event):
    kind: ClassVar[str] = "progress"
    step: str
    done: int
    total: int | None
    unit: str = ""


@dataclass(frozen=True)
class StepFinished(Event):
    kind: ClassVar[str] = "step_finished"
    step: str
    title: str
    action: str
    duration_s: float
    outputs: dict[str, Any] = field(default_factory=dict)
    ran: bool = True


@dataclass(frozen=True)
class StepFailed(Event):
    kind: ClassVar[str] = "step_failed"
    step: str
    title: str
    duration_s: float
    what: str
    why: str = ""
    fix: str = ""
    detail: str = ""
    # The exit code the failure means for a command: 2 when the user's input was refused, 1 otherwise.
    exit_code: int = 1


@dataclass(frozen=True)
class StepCancelled(Event):
    kind: ClassVar[str] = "step_cancelled"
    step: str
    title: str
    duration_s: float


@dataclass(frozen=True)
class RunFinished(Event):
    kind: ClassVar[str] = "run_finished"
    status: str  # "ok" | "failed" | "cancelled"
    duration_s: float
    changed: int
    failed_step: str | None = None
    # What a sink (the journal, a screen) could not take during the run, one line per distinct error.
    sink_errors: list[str] = field(default_factory=list)
