"""A plan: the ordered steps a provider will take, each naming its resource and what it will do to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from botship.errors import BotshipError

if TYPE_CHECKING:
    from .engine import StepContext


class Action(str, Enum):
    """What a step does to its resource, decided by reading the cloud first."""

    CREATE = "create"
    UPDATE = "update"
    NO_CHANGE = "no change"
    DELETE = "delete"

    @property
    def mark(self) -> str:
        return {"create": "+", "update": "~", "no change": "=", "delete": "-"}[self.value]


StepBody = Callable[["StepContext"], "dict[str, Any] | None"]


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

    def __post_init__(self) -> None:
        ids = [s.id for s in self.steps]
        if len(ids) != len(set(ids)):
            raise ValueError(f"plan step ids must be unique: {ids}")

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.action is not Action.NO_CHANGE]

    @property
    def is_noop(self) -> bool:
        return not self.changes

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "mode": self.mode, "summary": [list(p) for p in self.summary],
                "steps": [s.as_dict() for s in self.steps]}
