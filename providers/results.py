"""What a cloud and a bot handle answer: frozen value objects, not dicts shaped like one cloud's API.

A cloud keeps its own details in their `extra` mappings; nothing here names a cloud.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botship.errors import BadInput

# What a deployed bot is doing, as a cloud says (`BotStatus.state`).
BOT_STATES = ("active", "paused", "failed", "updating", "unknown")


@dataclass(frozen=True)
class RunRecord:
    """One run of a deployed bot, as the runtime recorded it in the bot's state store (runs.json)."""

    run_id: str
    started_at: datetime | None
    status: str  # "ok" | "error" | "skipped" | "running" | "timed out" | "unknown"
    trigger: str = "invoke"  # "schedule" | "invoke" | "local"
    duration_ms: int | None = None
    result: Any = None
    error: str | None = None
    log_tail: tuple[str, ...] = ()
    bytes_down: int = 0
    bytes_up: int = 0
    generation: int | None = None
    control: str = "run"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        """A record as the runtime writes it (runtime/runs.py); fields it lacks take their defaults."""
        started = data.get("started")
        try:
            at = datetime.fromtimestamp(float(started), UTC) if started is not None else None
        except (TypeError, ValueError, OverflowError):
            at = None
        error = data.get("error")
        if isinstance(error, Mapping):
            error = f"{error.get('type', 'Error')}: {error.get('message', '')}"
        moved = data.get("bytes") if isinstance(data.get("bytes"), Mapping) else {}
        duration = data.get("duration_ms")
        generation = data.get("generation")
        return cls(str(data.get("run_id", "?")), at, str(data.get("status", "unknown")),
                   str(data.get("trigger", "invoke")), int(duration) if isinstance(duration, int | float) else None,
                   data.get("result"), str(error) if error else None,
                   tuple(str(line) for line in data.get("log_tail") or ()),
                   int(moved.get("downloaded", 0) or 0), int(moved.get("uploaded", 0) or 0),
                   int(generation) if isinstance(generation, int) else None, str(data.get("control") or "run"))

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "skipped", "running")


@dataclass(frozen=True)
class LogLine:
    """One line of a bot's logs as its cloud's log service keeps it."""

    at: datetime | None
    text: str
    stream: str = ""


@dataclass(frozen=True)
class DeployEntry:
    """One change made to a deployed bot (a deploy, a rollback, a pause…), as its history keeps it."""

    at: datetime | None
    action: str  # "deploy" | "rollback" | "pause" | "resume" | "stopentry" | "flatten" | "run" | "restore"
    version: str = ""  # the code hash or image digest shipped (deploy, rollback)
    profile: str = ""
    by: str = ""  # the identity that made it
    outcome: str = "ok"  # "ok" | "failed"
    detail: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeployEntry:
        try:
            at = datetime.fromtimestamp(float(data["at"]), UTC) if data.get("at") is not None else None
        except (TypeError, ValueError, OverflowError):
            at = None
        return cls(at, str(data.get("action", "?")), str(data.get("version", "")), str(data.get("profile", "")),
                   str(data.get("by", "")), str(data.get("outcome", "ok")), str(data.get("detail", "")))

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.timestamp() if self.at else None, "action": self.action, "version": self.version,
                "profile": self.profile, "by": self.by, "outcome": self.outcome, "detail": self.detail}


@dataclass(frozen=True)
class BotSummary:
    """A deployed bot as a cloud lists it, found from the cloud (tags), not from local files."""

    bot_name: str
    platform: str
    where: str  # its location (an AWS region; an Azure location and resource group)
    mode: str
    state: str  # one of BOT_STATES
    schedule: str | None = None
    profile: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    timezone: str | None = None
    next_run: datetime | None = None  # None without a schedule, or while paused
    last_run: RunRecord | None = None
    version: str = ""  # the code hash or image digest shipped, short
    # Whether its schedule is disabled (pause/resume), whatever `state` says first (a paused bot whose last update
    # failed is "failed", and still paused).
    paused: bool = False


@dataclass(frozen=True)
class BotStatus(BotSummary):
    """A deployed bot in detail: what was shipped, and where its parts are (resources: title → ARN or URL)."""

    shipped: Mapping[str, str] = field(default_factory=dict)
    resources: Mapping[str, str] = field(default_factory=dict)
    variables: tuple[str, ...] = ()  # the configuration's variable names (never values)
    secrets: tuple[str, ...] = ()  # the secrets' names (never values)


@dataclass(frozen=True)
class InvokeResult:
    """One run now: the cloud's status code, the error the cloud reports (None when the function returned),
    the function's result, its log lines and (when known) how long it took. `extra` holds what a cloud adds
    (the sandbox: the log stream it wrote the lines to)."""

    status_code: int | None
    error: str | None
    result: Any
    logs: tuple[str, ...] = ()
    duration_ms: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> Any:
        """The bot's response body, decoded (a function hands it back as JSON text); None when absent."""
        body = self.result.get("body") if isinstance(self.result, dict) else None
        if isinstance(body, str):
            try:
                return json.loads(body)
            except ValueError:
                return body
        return body

    @property
    def bot_status(self) -> str | None:
        """What the bot said of its run ("ok", "skipped", "error"), or None."""
        return self.body.get("status") if isinstance(self.body, dict) else None

    @property
    def ok(self) -> bool:
        return self.error is None and self.bot_status in ("ok", "skipped")

    def masked(self, masker: Any) -> InvokeResult:
        """The same result with secret values masked in its result and its lines."""
        return InvokeResult(self.status_code, self.error, masker.mask_data(self.result),
                            tuple(masker.mask(line) for line in self.logs), self.duration_ms,
                            masker.mask_data(dict(self.extra)))

    def as_dict(self) -> dict[str, Any]:
        """The result as the dict `invoke` used to return (what tui/ still reads)."""
        return {**self.extra, "status": self.status_code, "error": self.error, "result": self.result,
                "logs": list(self.logs), "duration_ms": self.duration_ms}


@dataclass(frozen=True)
class StateListing:
    """What a bot's state store holds now for its mode: file path → size, and when it was last saved."""

    files: Mapping[str, int] = field(default_factory=dict)
    generation: int = 0
    saved_at: str | None = None

    @classmethod
    def from_manifest(cls, manifest: Any, raw: bytes | None) -> StateListing:
        saved_at = json.loads(raw).get("saved_at") if raw else None
        return cls({path: int(entry["size"]) for path, entry in sorted(manifest.files.items())},
                   manifest.generation, saved_at)

    @property
    def total_bytes(self) -> int:
        return sum(self.files.values())


@dataclass(frozen=True)
class DeployedState:
    """Where a deployed bot's state lives, and what a process on this machine needs to reach it.

    `url` is the state URL the deployed function is given (its BOTSHIP_STATE_URL: the runtime adds the
    mode's prefix); `where` names the mode's store as the runtime does (e.g. s3://bucket/paper/); `env`
    holds the variables a local process needs to reach it (an emulator's endpoint and keys, an AWS
    profile and region), set on top of this process's environment.
    """

    url: str
    where: str
    env: Mapping[str, str | None] = field(default_factory=dict)


class NotDeployed(BadInput):
    """The bot has no deployed state store (never deployed, or its state was purged)."""
