"""The provider interface: what every cloud (AWS, Azure, the sandbox) offers the engine, the CLI and the TUI.

A provider is built for one spec (`Provider(spec)`); it reads the cloud to plan, and its
plans' steps do the writing. Nothing here names a cloud: each provider keeps its own
details in the `extra` dicts of the value objects below.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from botship.errors import BadInput, BotshipError
from botship.masking import Masker
from botship.secret_values import SecretValues
from botship.spec import DeploySpec

from .plan import Plan


@dataclass(frozen=True)
class Check:
    """One pre-flight check: `ok` is True, False, or None when it could not be checked (a warning)."""

    name: str
    ok: bool | None
    detail: str = ""
    fix: str = ""


class SilentReport:
    """Where planning reports its local work (building the artifact) when nobody is watching."""

    def log(self, message: str, level: str = "info") -> None:
        pass

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        pass


@dataclass
class DeployContext:
    """What a deploy knows besides the spec: the project folder, the profile, and the secret values.

    `report` receives what planning does locally before the plan exists (e.g. building the artifact).
    """

    project: Path
    profile: str
    secrets: SecretValues = field(default_factory=SecretValues)
    report: Any = field(default_factory=SilentReport)

    @property
    def masker(self) -> Masker:
        return self.secrets.masker()


@dataclass
class BotSummary:
    """A deployed bot as the browser lists it, found from the cloud (tags), not from local files."""

    bot_name: str
    platform: str
    where: str
    mode: str
    state: str  # "active" | "paused" | "failed" | "unknown"
    schedule: str | None = None
    profile: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class BotStatus(BotSummary):
    """A deployed bot in detail: what was shipped and its last runs."""

    shipped: dict[str, str] = field(default_factory=dict)
    last_runs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StateListing:
    """What a bot's state store holds now for its mode: file path → size, and when it was last saved."""

    files: dict[str, int] = field(default_factory=dict)
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
    env: dict[str, str] = field(default_factory=dict)


class NotDeployed(BadInput):
    """The bot has no deployed state store (never deployed, or its state was purged)."""


def utc_time(stamp: Any) -> str:
    """An epoch time as 'YYYY-MM-DD HH:MM:SS UTC' ('an unknown time' when it is not one)."""
    import time

    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(stamp)))
    except (TypeError, ValueError, OverflowError):
        return "an unknown time"


def list_state_generations(store: Any, bot: str) -> list[dict[str, Any]]:
    """The generations of a bot's state in `store` (a runtime store), newest first; a store without history says so."""
    from botship.runtime.history import list_generations
    from botship.runtime.stores import NoHistory

    try:
        return list_generations(store)
    except NoHistory as exc:
        raise BotshipError(f"the state of {bot} has no generations to list", str(exc),
                           "state history is kept on AWS (bucket versioning) and in local state folders") from None


def restore_state_generation(store: Any, generation: int, bot: str) -> dict[str, Any]:
    """Make generation `generation` of a bot's state current again (a new generation with its files)."""
    from botship.runtime.history import LockHeld, RestoreRefused, restore_generation
    from botship.runtime.invoke import describe_lock
    from botship.runtime.stores import NoHistory

    try:
        return restore_generation(store, generation)
    except LockHeld as exc:
        raise BotshipError(f"{bot}'s state cannot be restored while a run uses it: {describe_lock(exc.holder)}",
                           fix="run the restore again once the run has finished; nothing was changed") from None
    except (RestoreRefused, NoHistory) as exc:
        raise BotshipError(f"generation {generation} of {bot}'s state cannot be restored", str(exc),
                           f"list what can be restored with `botship state versions {bot}`") from None


class Provider(ABC):
    """One cloud. Subclasses set the class attributes and implement the abstract methods."""

    name: ClassVar[str]
    title: ClassVar[str]
    needs_account: ClassVar[bool] = True
    supports_image: ClassVar[bool] = False

    def __init__(self, spec: DeploySpec) -> None:
        self.spec = spec

    @classmethod
    def sign_in_options(cls) -> list[str]:
        """Named sign-ins this machine has for the cloud (e.g. AWS profiles), for the wizard to offer."""
        return []

    @classmethod
    def location_suggestions(cls) -> list[str]:
        """Regions or locations to offer as completions (any valid one may still be typed)."""
        return []

    @classmethod
    def default_location(cls, sign_in: str | None) -> str | None:
        """Where a sign-in deploys by default (its region), if it says."""
        return None

    @classmethod
    def holder(cls) -> dict[str, Any]:
        """What the local record of a deploy made now keeps of where it lives, beyond the spec (see the sandbox)."""
        return {}

    @classmethod
    def closing_notes(cls) -> list[str]:
        """Lines a command that deployed ends with: how long what it deployed lasts, where that is not obvious."""
        return []

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """Run the deployed bot once now and return its result; clouds without it say so."""
        raise BotshipError(f"invoking a bot on {self.title} is not supported yet")

    def state_files(self) -> StateListing:
        """The files in the bot's state (its mode's), as last saved by a run; reads only."""
        raise BotshipError(f"reading a bot's state on {self.title} is not supported yet")

    def export_state(self, into: Path) -> StateListing:
        """Download the bot's state folder into `into` (a new or empty folder); returns what it held."""
        raise BotshipError(f"exporting a bot's state on {self.title} is not supported yet")

    def state_store(self) -> Any:
        """The runtime's store of the bot's state (its mode's), for listing and restoring generations."""
        raise BotshipError(f"the state history of a bot on {self.title} is not supported yet")

    def deployed_state(self, profile: str) -> DeployedState:
        """Where the deployed bot's state is (its mode's) and what a process here needs to reach it, so a
        local run can continue it under the bot's own lock; reads only. Raises NotDeployed, naming
        `profile`, when the bot has no state store yet."""
        raise BadInput(f"running here against the deployed state of a bot on {self.title} is not supported yet",
                       fix="run it against the local state instead")

    def state_history_note(self) -> str:
        """How far back a restore can go on this cloud, in a sentence ("" when unknown)."""
        return ""

    def state_versions(self) -> list[dict[str, Any]]:
        """The generations of the bot's state, newest first: generation, when, files, bytes, valid, current."""
        return list_state_generations(self.state_store(), self.spec.bot_name)

    def restore_state(self, generation: int) -> dict[str, Any]:
        """Make an earlier generation of the bot's state current again, under the bot's lock."""
        return restore_state_generation(self.state_store(), generation, self.spec.bot_name)

    @abstractmethod
    def check_credentials(self) -> list[Check]:
        """Who we are and whether every call a deploy makes is allowed; changes nothing."""

    def permissions_policy(self) -> dict[str, Any] | None:
        """The policy a deploying identity needs, where the cloud has such a document (None elsewhere)."""
        return None

    def preflight(self, context: DeployContext) -> list[Check]:
        """Every check `botship doctor` shows for this cloud, changing nothing; by default the credential checks."""
        return self.check_credentials()

    @abstractmethod
    def plan(self, context: DeployContext) -> Plan:
        """Read the cloud and return the steps that bring the bot to the spec."""

    def deploy_lock(self, profile: str) -> Any | None:
        """The lock that keeps two deploys of this bot apart (see providers.plan.DeployLock), or None where
        the cloud has none; `botship unlock` reads its `holder()` and removes it with `break_lock(holder)`."""
        return None

    @abstractmethod
    def plan_destroy(self, *, purge_state: bool = False) -> Plan:
        """The steps that remove the bot; its state is kept unless `purge_state`."""

    @abstractmethod
    def list_bots(self) -> list[BotSummary]:
        """Every botship bot this provider's account and location hold."""

    @abstractmethod
    def bot_status(self) -> BotStatus:
        """The spec's bot as deployed now."""
