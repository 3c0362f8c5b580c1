"""A plan: the ordered steps a provider will take, each naming its resource and what it will do to it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from botship.errors import BotshipError
from botship.masking import Masker


class Action(str, Enum):
    """What a step does to its resource, decided by reading the cloud first."""

    CREATE = "create"
    UPDATE = "update"
    NO_CHANGE = "no change"
    DELETE = "delete"

    @property
    def mark(self) -> str:
        return {"create": "+", "update": "~", "no change": "=", "delete": "-"}[self.value]


class StepContext(Protocol):
    """What a step body (and a deploy lock taking its turn) is handed while it runs; the engine's
    `StepContext` is one."""

    @property
    def outputs(self) -> Mapping[str, dict[str, Any]]:
        """Outputs of the steps before this one, by step id."""

    @property
    def cancelled(self) -> bool:
        """The user asked the run to stop."""

    def log(self, message: str, level: str = "info") -> None:
        """A line for the screen and the journal (secret values are masked on the way)."""

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        """How far the step is (folded when reported faster than the screen needs)."""

    def check_cancelled(self) -> None:
        """Raises Cancelled once the user asked to stop: call it between cloud calls."""

    def wait(self, seconds: float) -> None:
        """Sleeps, ending early (raising Cancelled) when the run is cancelled."""


StepBody = Callable[[StepContext], "dict[str, Any] | None"]


@dataclass
class Step:
    """One idempotent unit of work: reads its resource again when it runs, then creates, updates or deletes it.

    `outputs` holds what planning already learned (e.g. an existing resource's id), so a
    `no change` step still hands its outputs to the steps after it without running.
    """

    id: str
    title: str
    resource: str
    action: Action
    run: StepBody
    detail: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "resource": self.resource,
                "action": self.action.value, "detail": self.detail}


class LockLost(BotshipError):
    """A held deploy lock was removed or taken over while the run went on: the run stops."""


class DeployLock(Protocol):
    """One deploy of a bot at a time: held by the engine from before the first step until the run ends."""

    describe: str
    refresh_every_s: float
    ttl_s: float  # how long it stays held unrefreshed
    unrefreshed_s: float  # seconds since this holder last wrote it

    def acquire(self, ctx: StepContext) -> None:
        """Take the lock, waiting (cancellably, logging why) while another deploy holds it; or raise."""

    def refresh(self) -> None:
        """Keep holding it (push its expiry forward); raises a BotshipError once it is no longer ours."""

    def verify(self) -> None:
        """Before a step writes: raises LockLost when the lock is no longer ours."""

    def release(self) -> None:
        """Let it go, if it is still ours."""


@dataclass
class Plan:
    """What a deploy or destroy will do, shown before anything changes."""

    title: str
    mode: str
    summary: list[tuple[str, str]]
    steps: list[Step]
    # A plan that writes may name a lock (see `DeployLock`) the engine holds while it runs, and how to plan
    # again once it is held: what was read before waiting for another deploy may be stale by then.
    lock: DeployLock | None = field(default=None, repr=False, compare=False)
    replan: Callable[[], Plan] | None = field(default=None, repr=False, compare=False)
    # A destroy plan's list of what stays after it runs (a state bucket, a log group), each with how to delete it.
    kept: list[str] = field(default_factory=list, compare=False)
    # Hides the secret values this plan was made with in everything its run reports and journals. Set by
    # whoever made the plan from those values (the provider that received them; an empty Masker when it
    # received none): the engine refuses to run a plan without one.
    masker: Masker | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = [s.id for s in self.steps]
        if len(ids) != len(set(ids)):
            raise ValueError(f"plan step ids must be unique: {ids}")

    def secrets_masker(self) -> Masker:
        """The masker of the secret values this plan was made with; a plan without one is a bug of its maker."""
        if self.masker is None:
            raise BotshipError(
                f"the plan '{self.title}' carries no masker for its secret values",
                "the provider that made it did not attach the masker of the secret values it received "
                "(plan.masker), so its run could show or journal them; nothing was run",
                "this is a bug in botship, not in your bot or profile: report it (BOTSHIP_DEBUG=1 shows the "
                "traceback)")
        return self.masker

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.action is not Action.NO_CHANGE]

    @property
    def is_noop(self) -> bool:
        return not self.changes

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "mode": self.mode, "summary": [list(p) for p in self.summary],
                "steps": [s.as_dict() for s in self.steps]}
