"""The provider interface, split as libcloud splits a driver from its nodes: a cloud, and a handle per bot.

- A `Cloud` is a sign-in and a location, built from the cloud's own settings table (for AWS
  `{"profile": ..., "region": ...}`; no spec): it lists the bots it holds and opens a `BotHandle`
  by name.
- A `BotHandle` answers for one deployed bot: its status, a run now, its state files.
- A `Provider` is built for one spec; deploying and destroying are plans it builds from it. It
  opens its cloud and its bot's handle for everything else.

What a cloud can do is declared in `Cloud.capabilities` (the constants below), which front ends read:
nothing outside providers/ compares platform names. Results are frozen value objects
(providers/results.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from botship.errors import BotshipError
from botship.questions import Question
from botship.secret_values import SecretValues
from botship.spec import DeploySpec

from .handle_state import (  # noqa: F401 - part of this interface
    CONTROL_LEVELS,
    StateFace,
    list_state_generations,
    restore_state_generation,
)
from .plan import Plan
from .results import (  # noqa: F401 - the value objects are part of this interface
    BOT_STATES,
    BotStatus,
    BotSummary,
    DeployEntry,
    DeployedState,
    InvokeResult,
    LogLine,
    NotDeployed,
    RunRecord,
    StateListing,
)

# ---- capabilities: what a cloud can do, declared on its class and read by the front ends ------------

IMAGE = "image"  # deploys container-image packages (packaging = "image")
INVOKE = "invoke"  # runs a deployed bot once now: BotHandle.invoke
STATE = "state"  # lists, reads and exports a deployed bot's state files
STATE_HISTORY = "state_history"  # keeps earlier generations of the state, restorable (`botship state restore`)
DEPLOYED_STATE = "deployed_state"  # a run on this machine can use the deployed bot's state (`invoke --local --state deployed`)
DEPLOY_LOCK = "deploy_lock"  # one deploy of a bot at a time; `botship unlock` removes a stale lock
PERMISSIONS_POLICY = "permissions_policy"  # has a policy document a deploying identity needs (`botship doctor --policy`)
EPHEMERAL = "ephemeral"  # what is deployed lives only as long as an emulator on this machine: export state to keep it
LOGS = "logs"  # reads a deployed bot's log lines from the cloud's log service: BotHandle.logs
PAUSE = "pause"  # disables and enables a deployed bot's schedule: BotHandle.pause / resume
CONTROL = "control"  # stop new entries / flatten through the control file in the bot's state: BotHandle.set_control
ROLLBACK = "rollback"  # ships an earlier version's exact artifact again: BotHandle.rollback
CAPABILITIES = frozenset({IMAGE, INVOKE, STATE, STATE_HISTORY, DEPLOYED_STATE, DEPLOY_LOCK, PERMISSIONS_POLICY,
                          EPHEMERAL, LOGS, PAUSE, CONTROL, ROLLBACK})



@dataclass(frozen=True)
class Check:
    """One pre-flight check: `ok` is True, False, or None when it could not be checked (a warning)."""

    name: str
    ok: bool | None
    detail: str = ""
    fix: str = ""
    # Something the provider can put right itself once the user agrees (e.g. registering an Azure resource
    # provider): an id for `Provider.apply_remedy`, and how a front end offers it ("Register them now").
    remedy: str = ""
    remedy_title: str = ""


class SilentReport:
    """Where planning reports its local work (building the artifact) when nobody is watching."""

    def log(self, message: str, level: str = "info") -> None:
        pass

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        pass


class ConsentNeeded(BotshipError):
    """A plan cannot go on until the user picks one of `options` ((value, what it does) pairs) for the
    DeployContext field `key` (e.g. a soft-deleted key vault: recover it, or purge it); nothing was changed."""

    def __init__(self, what: str, why: str, fix: str, *, key: str, options: list[tuple[str, str]]) -> None:
        super().__init__(what, why, fix)
        self.key, self.options = key, options


@dataclass
class DeployContext:
    """What a deploy knows besides the spec: the project folder, the profile, and the secret values.

    `report` receives what planning does locally before the plan exists (e.g. building the artifact).
    The plan a provider builds carries the masker of these secret values (`plan.masker`).
    """

    project: Path
    profile: str
    secrets: SecretValues = field(default_factory=SecretValues)
    report: Any = field(default_factory=SilentReport)
    # What the user agreed to for a name the cloud keeps reserved after a delete (Azure's soft-deleted key
    # vault): "recover" it, "purge" it, or None (the plan stops and says both).
    vault_consent: str | None = None


def utc_time(stamp: Any) -> str:
    """An epoch time as 'YYYY-MM-DD HH:MM:SS UTC' ('an unknown time' when it is not one)."""
    import time

    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(stamp)))
    except (TypeError, ValueError, OverflowError):
        return "an unknown time"

# ---- the cloud, and a handle per bot ---------------------------------------------------------------

class Cloud(ABC):
    """A sign-in and a location, from the cloud's own settings (no spec): the bots it holds, and a handle on each."""

    name: ClassVar[str]
    title: ClassVar[str]
    capabilities: ClassVar[frozenset[str]] = frozenset()
    # The profile table holding this cloud's settings ("aws" for [profiles.NAME.aws]); None when it has none.
    table: ClassVar[str | None] = None
    # Whether list_bots takes `on_found` and hands over the bots found so far while it reads (the bots screen
    # shows rows as they arrive).
    streams_listing: ClassVar[bool] = False

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        self.config = dict(settings or {})

    @classmethod
    def settings(cls) -> list[Question]:
        """The settings a sign-in and location take (keys as a profile spells them, e.g. `aws.region`)."""
        return []

    @classmethod
    def sign_in_options(cls) -> list[str]:
        """Named sign-ins this machine has for the cloud (e.g. AWS profiles)."""
        return []

    @classmethod
    def can(cls, feature: str) -> bool:
        return feature in cls.capabilities

    @classmethod
    def sign_in_methods(cls) -> list[str]:
        """Ways botship itself can sign in to this cloud (e.g. "browser", "device code"); [] where the user
        signs in with the cloud's own tools."""
        return []

    @classmethod
    def sign_in(cls, method: str, on_message: Callable[[str], None], settings: Mapping[str, Any]) -> str:
        """Sign in with `method` (blocking); `on_message` shows what the user must do (a device code); returns
        who is signed in. The sign-in is kept for the next runs."""
        raise BotshipError(f"{cls.title} has no sign-in of its own in botship")

    @classmethod
    def settings_of(cls, spec: DeploySpec) -> dict[str, Any]:
        """This cloud's settings as a spec holds them (its table, without the keys left out)."""
        table = getattr(spec, cls.table, None) if cls.table else None
        return table.model_dump(exclude_none=True) if table is not None else {}

    # ---- a cloud on this machine (EPHEMERAL): what lives only while botship runs ------------------------

    @classmethod
    def holds_bots_here(cls) -> bool:
        """Whether bots deployed to this cloud live inside this botship process now (and vanish with it)."""
        return False

    @classmethod
    def local_scheduler(cls, on_fired: Callable[[Any], None], *, at_launch: bool = False) -> Any | None:
        """A started scheduler that fires this cloud's scheduled bots while botship runs, where the cloud
        itself never fires them (None elsewhere). `at_launch`: only if bots already wait to be fired (a
        separately run emulator); `on_fired(fired)` runs on the scheduler's thread; `.stop()` stops it."""
        return None

    @classmethod
    def shut_down(cls) -> None:
        """Stop what this cloud runs inside botship (an embedded emulator); what it held is gone."""

    def failure(self, exc: Exception, doing: str) -> Exception:
        """An SDK error met while `doing`, as an error that says what to do (by default, itself)."""
        return exc

    def who(self) -> str:
        """Who is signed in (an ARN, a user name), for the deployment history; "" when unknown."""
        return ""

    def locations(self) -> list[str]:
        """The locations `list_bots()` looks in by default (an AWS region; an Azure subscription's group)."""
        return []

    @abstractmethod
    def list_bots(self, locations: list[str] | None = None) -> list[BotSummary]:
        """Every botship bot this sign-in holds in `locations` (default: the cloud's own), by name. A cloud that
        `streams_listing` also takes `on_found(bots so far)`, called as batches are read."""

    @abstractmethod
    def bot(self, name: str, mode: str = "paper") -> BotHandle:
        """A handle on the deployed bot `name`; `mode` is whose state its state methods read by default."""


class BotHandle(StateFace, ABC):
    """One deployed bot on a cloud, by name. State methods read `mode`'s state unless told another."""

    def __init__(self, cloud: Cloud, name: str, mode: str = "paper") -> None:
        self.cloud, self.bot_name, self.mode = cloud, name, mode

    def _not_yet(self, doing: str) -> BotshipError:
        return BotshipError(f"{doing} a bot on {self.cloud.title} is not supported yet")

    @contextmanager
    def reading(self, doing: str) -> Iterator[None]:
        """Any SDK error inside becomes the cloud's message for it."""
        try:
            yield
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated into what the user can do
            raise self.cloud.failure(exc, doing) from None

    @abstractmethod
    def status(self) -> BotStatus:
        """The bot as deployed now: active, paused, failed or updating, with its schedule's next run."""

    def invoke(self, event: dict[str, Any], on_line: Callable[[str], None] | None = None) -> InvokeResult:
        """Run the deployed bot once now; `on_line` sees each log line as the cloud hands it over."""
        raise self._not_yet("invoking")

    def logs(self, since: datetime | None = None, follow: bool = False) -> Iterator[LogLine]:
        """The bot's log lines from the cloud's log service since `since` (default: the last hour), oldest
        first; with `follow`, keeps yielding new lines until the caller stops iterating."""
        raise self._not_yet("reading the logs of")

    def logs_note(self) -> str:
        """What a reader of the logs should know (e.g. how late the log service shows a line); "" if nothing."""
        return ""

    def pause(self) -> None:
        """Disable the bot's schedule (runs now still work)."""
        raise self._not_yet("pausing")

    def resume(self) -> None:
        """Enable the bot's schedule again."""
        raise self._not_yet("resuming")

    def rollback(self, to: str | None = None) -> DeployEntry:
        """Ship the artifact of an earlier version again (`to`: a version from `versions()`; default the one
        before the current), and record it."""
        raise self._not_yet("rolling back")

    def versions(self) -> list[DeployEntry]:
        """The versions a rollback can ship again, newest first (the current one included, marked by detail)."""
        return []

# ---- the provider: one spec's plans --------------------------------------------------------------

class Provider(ABC):
    """One spec on one cloud: plans deploying and destroying it; its cloud and handle answer the rest."""

    name: ClassVar[str]
    title: ClassVar[str]
    cloud_class: ClassVar[type[Cloud]]

    def __init__(self, spec: DeploySpec) -> None:
        self.spec = spec
        self._cloud: Cloud | None = None

    def cloud(self) -> Cloud:
        """The cloud the spec deploys to (its sign-in and location), opened once."""
        if self._cloud is None:
            self._cloud = self.open_cloud()
        return self._cloud

    def open_cloud(self) -> Cloud:
        return self.cloud_class(self.cloud_class.settings_of(self.spec))

    def handle(self) -> BotHandle:
        """The spec's bot on its cloud (its mode's state by default)."""
        return self.cloud().bot(self.spec.bot_name, self.spec.mode)

    @classmethod
    def holder(cls) -> dict[str, Any]:
        """What the local record of a deploy made now keeps of where it lives, beyond the spec (see the sandbox)."""
        return {}

    @classmethod
    def closing_notes(cls) -> list[str]:
        """Lines a command that deployed ends with: how long what it deployed lasts, where that is not obvious."""
        return []

    @abstractmethod
    def check_credentials(self) -> list[Check]:
        """Who we are and whether every call a deploy makes is allowed; changes nothing."""

    def permissions_policy(self) -> dict[str, Any] | None:
        """The policy a deploying identity needs, where the cloud has such a document (None elsewhere)."""
        return None

    def apply_remedy(self, remedy: str) -> str:
        """Put right what a check found and named as `remedy` (the user agreed); returns what was done."""
        raise BotshipError(f"{self.title} cannot fix '{remedy}' itself", fix="follow the check's advice")

    def preflight(self, context: DeployContext) -> list[Check]:
        """Every check `botship doctor` shows for this cloud, changing nothing; by default the credential checks."""
        return self.check_credentials()

    def read_plan(self, context: DeployContext, artifact: Any = None) -> Plan:
        """`self._plan(context, artifact)` (the provider's own planning: reads only), with any SDK error met while
        reading said as the cloud says it (`Cloud.failure`), with what to do."""
        try:
            return self._plan(context, artifact)  # type: ignore[attr-defined]
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001 - any SDK error while reading becomes a message with a fix
            raise self.cloud().failure(exc, "reading what is deployed") from None

    @abstractmethod
    def plan(self, context: DeployContext) -> Plan:
        """Read the cloud and return the steps that bring the bot to the spec; `plan.masker` masks the
        context's secret values."""

    def deploy_lock(self, profile: str) -> Any | None:
        """The lock that keeps two deploys of this bot apart (see providers.plan.DeployLock), or None where
        the cloud has none; `botship unlock` reads its `holder()` and removes it with `break_lock(holder)`."""
        return None

    @abstractmethod
    def plan_destroy(self, *, purge_state: bool = False) -> Plan:
        """The steps that remove the bot; its state is kept unless `purge_state`. `plan.masker` masks nothing."""
