"""Azure as a cloud (a sign-in, a subscription, a resource group and a location: the bots there), and what its
handle on one bot (handle.py) reads a function app with.

The credentials form and `--guided` ask the settings declared here: the tenants and subscriptions the sign-in
sees, the subscription's resource groups (or a new name), the hosting plan, and only the locations offering it
(asked of Microsoft.Web, never a list written here). What the sign-in sees is looked up in signin.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from botship.errors import BotshipError
from botship.questions import Choice, Question

from ..base import CONTROL, DEPLOY_LOCK, INVOKE, LOGS, PAUSE, PERMISSIONS_POLICY, ROLLBACK, STATE, STATE_HISTORY, Cloud
from ..results import BotSummary, InvokeResult
from .clients import AzureClients
from .endpoints import Endpoints, endpoints
from .errors import translate
from .group import is_missing
from .lock import AzureDeployLock
from .names import BOT_TAG, TIMER_FUNCTION, AzureNames
from .ncrontab import ncrontab_next
from .settings import (
    PLAN_TITLES,
    group_problem,
    group_suggestions,
    location_choices,
    location_problem,
    plan_problem,
    subscription_choices,
    subscription_problem,
    tenant_choices,
    tenant_problem,
)
from .signin import enum_text

if TYPE_CHECKING:
    from .handle import AzureHandle

# The app setting that disables the timer function: pausing sets it, resuming removes it.
PAUSE_SETTING = f"AzureWebJobs.{TIMER_FUNCTION}.Disabled"
# The same switch as Linux spells settings with dots (both are read; pausing writes the documented one).
PAUSE_SETTINGS = (PAUSE_SETTING, f"AzureWebJobs__{TIMER_FUNCTION}__Disabled")
# What the site's tags say was shipped (as AWS's status shows them).
SHIPPED_TAGS = ("botship:code", "botship:config", "botship:version")
# The bot's schedule as its spec wrote it (a deploy tags the site with it), and its time zone's setting.
SCHEDULE_TAG = "botship:schedule"
# An HTTP-triggered run answers within this (Azure's front end ends a request after 230 s).
INVOKE_TIMEOUT_S = 240


class AzureCloud(Cloud):
    """An Azure sign-in on one subscription, resource group and location."""

    name = "azure"
    title = "Azure Functions"
    table = "azure"
    # DEPLOY_LOCK: the provider's deploy_lock(profile) returns `cloud.deploy_lock(bot, profile)` (below).
    capabilities = frozenset({INVOKE, STATE, STATE_HISTORY, PERMISSIONS_POLICY, DEPLOY_LOCK, PAUSE, CONTROL, LOGS,
                              ROLLBACK})

    def __init__(self, settings: Mapping[str, Any] | None = None, *, clients: AzureClients | None = None) -> None:
        super().__init__(settings)
        self._clients = clients
        self._lock = threading.Lock()

    # ---- the settings the credentials form and --guided ask --------------------------------------------

    @classmethod
    def settings(cls) -> list[Question]:
        from botship.spec import field_docs

        docs = {doc.key: doc.help for doc in field_docs()}
        return [
            Question("azure.tenant_id", "Tenant", docs.get("azure.tenant_id", ""), kind="choice",
                     choices=tenant_choices, check=tenant_problem, blank="the sign-in's home tenant", slow=True),
            Question("azure.subscription_id", "Subscription", docs.get("azure.subscription_id", ""), kind="choice",
                     choices=subscription_choices, check=subscription_problem, depends_on=("azure.tenant_id",),
                     slow=True),
            Question("azure.resource_group", "Resource group",
                     docs.get("azure.resource_group", "") + " — pick an existing one, or type a new name: the "
                     "deploy creates it", check=group_problem, suggestions=group_suggestions, placeholder="botship",
                     depends_on=("azure.subscription_id",), slow=True),
            Question("azure.plan", "Hosting plan", docs.get("azure.plan", ""), kind="choice",
                     choices=lambda answers: [Choice(value, title) for value, title in PLAN_TITLES.items()],
                     default=lambda answers: "flex", check=plan_problem),
            Question("azure.location", "Location", docs.get("azure.location", "") + " — only those offering the "
                     "chosen plan are listed", kind="choice", choices=location_choices, check=location_problem,
                     depends_on=("azure.subscription_id", "azure.plan"), slow=True),
        ]

    @classmethod
    def sign_in_options(cls) -> list[str]:
        return []

    @classmethod
    def sign_in_methods(cls) -> list[str]:
        """The interactive sign-ins a front end can offer ("browser", "device code")."""
        from .signin import sign_in_methods

        return sign_in_methods()

    @classmethod
    def sign_in(cls, method: str, on_message: Callable[[str], None] | None = None,
                settings: Mapping[str, Any] | None = None) -> str:
        """Sign in interactively with `method` on the cloud (and tenant) the settings name; returns who signed in.
        The device code's instructions go to `on_message`; nothing is printed. `settings` are the [azure] table's
        answers so far (cloud, tenant_id)."""
        from .signin import sign_in

        settings = settings or {}
        return str(sign_in(endpoints(settings.get("cloud")), method, on_message, settings.get("tenant_id") or None))

    # ---- where -----------------------------------------------------------------------------------------

    @cached_property
    def endpoints(self) -> Endpoints:
        return endpoints(self.config.get("cloud"))

    @property
    def subscription_id(self) -> str:
        return str(self.config.get("subscription_id") or "")

    @property
    def tenant_id(self) -> str | None:
        return self.config.get("tenant_id") or None

    @property
    def resource_group(self) -> str:
        return str(self.config.get("resource_group") or "")

    @property
    def location(self) -> str:
        return str(self.config.get("location") or "")

    @property
    def plan(self) -> str:
        return str(self.config.get("plan") or "flex")

    @property
    def clients(self) -> AzureClients:
        with self._lock:
            if self._clients is None:
                self._clients = AzureClients(self.endpoints, self.subscription_id, tenant_id=self.tenant_id)
            return self._clients

    def failure(self, exc: Exception, doing: str) -> Exception:
        return translate(exc, doing)

    def who(self) -> str:
        from .signin import token_identity

        try:
            return str(token_identity(self.clients.token()))
        except Exception:  # noqa: BLE001 - the history's "by" is a courtesy
            return ""

    def names(self, bot: str) -> AzureNames:
        return AzureNames(bot, self.subscription_id, self.resource_group, self.location)

    def bot(self, name: str, mode: str = "paper") -> AzureHandle:
        from .handle import AzureHandle

        return AzureHandle(self, name, mode)

    def deploy_lock(self, bot: str, profile: str) -> AzureDeployLock:
        """The lock that keeps two deploys of `bot` apart (a lease in its storage account; see AzureDeployLock)."""
        return AzureDeployLock(self, self.names(bot), profile)

    def not_deployed(self, bot: str, names: AzureNames) -> BotshipError:
        """The bot has no function app here: why, and how to deploy it."""
        return BotshipError(f"{bot} is not deployed in resource group {names.resource_group}",
                            f"there is no function app {names.function_app} there",
                            "deploy it first (`botship deploy`), or look in another resource group or subscription")

    # ---- the bots it holds -----------------------------------------------------------------------------

    def list_bots(self, locations: list[str] | None = None) -> list[BotSummary]:
        """Every botship function app in the subscription (found by its botship:bot tag), in `locations` when
        given (any location otherwise), each with its state as the app and its settings say."""
        from .signin import location_name

        wanted = {location_name(loc) for loc in locations or []}
        try:
            found = [r for r in self.clients.resources.resources.list(filter=f"tagName eq '{BOT_TAG}'")
                     if str(r.type or "").lower() == "microsoft.web/sites"
                     and (not wanted or location_name(r.location or "") in wanted)]
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "looking for bots in the subscription") from None

        def one(resource: Any) -> BotSummary | None:
            tags = dict(resource.tags or {})
            group = _group_of(resource.id)
            try:
                site = self.clients.web.web_apps.get(group, resource.name)
                settings = app_settings(self.clients, group, resource.name)
            except Exception as exc:  # noqa: BLE001
                if is_missing(exc):  # removed since it was listed
                    return None
                raise translate(exc, f"reading {resource.name}") from None
            state = bot_state(site, settings)
            schedule, zone = schedule_of(tags, settings)
            return BotSummary(tags.get(BOT_TAG, resource.name), self.name, location_name(resource.location or ""),
                              tags.get("botship:mode", settings.get("BOTSHIP_MODE", "paper")),
                              state, schedule=schedule, profile=tags.get("botship:profile"),
                              extra={"id": resource.id, "resource_group": group, "function_app": resource.name},
                              timezone=zone, next_run=next_firing(tags, settings) if state == "active" else None,
                              version=tags.get("botship:code", ""),
                              paused=bool(schedule) and is_paused(settings))

        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="botship-list") as pool:
            bots = [bot for bot in pool.map(one, found) if bot is not None]
        return sorted(bots, key=lambda bot: (bot.bot_name, bot.where))


def _truthy(value: Any) -> bool:
    return str(value or "").strip().lower() in ("true", "1", "yes")


def _group_of(resource_id: str) -> str:
    parts = str(resource_id or "").split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else ""


def _location(site: Any, names: AzureNames) -> str:
    from .signin import location_name

    return location_name(site.location or "") or names.location


def _plan_of(site: Any) -> str:
    return "flex" if getattr(site.properties, "function_app_config", None) else "consumption"


def app_settings(clients: AzureClients, group: str, app: str) -> dict[str, Any]:
    """A function app's settings, values exactly as stored (secrets are Key Vault references, never values), so
    writing them back changes only what was meant to change."""
    found = clients.web.web_apps.list_application_settings(group, app)
    return {str(k): v for k, v in dict(getattr(found, "properties", None) or {}).items()}


# Settings the platform or botship's runtime own: not the bot's configuration.
_PLATFORM_PREFIXES = ("AzureWebJobs", "FUNCTIONS_", "WEBSITE", "APPLICATIONINSIGHTS_", "BOTSHIP_", "AZURE_",
                      "SCM_", "ENABLE_ORYX", "APPINSIGHTS")


def _is_variable(name: str, value: Any) -> bool:
    return not name.startswith(_PLATFORM_PREFIXES) and not str(value or "").startswith("@Microsoft.KeyVault(")


def bot_state(site: Any, settings: Mapping[str, str]) -> str:
    """active / paused / failed / updating / unknown, from the app's state and its settings.

    failed: Azure limits the app (availability not Normal); updating: an operation is in progress, or the app
    lacks botship's settings (a deploy that has not finished); paused: the timer is disabled or the app stopped."""
    props = site.properties
    availability = enum_text(getattr(props, "availability_state", None)) or "Normal"
    state = enum_text(getattr(props, "state", None))
    if availability.lower() != "normal":
        return "failed"
    if getattr(props, "in_progress_operation_id", None) or not settings.get("BOTSHIP_ENTRY"):
        return "updating"
    if state.lower() == "stopped" or is_paused(settings):
        return "paused"
    if state.lower() in ("running", ""):
        return "active"
    return "unknown"


def is_paused(settings: Mapping[str, str]) -> bool:
    """Whether the timer function is disabled by its app setting (either spelling)."""
    return any(_truthy(settings.get(name)) for name in PAUSE_SETTINGS)


def schedule_of(tags: Mapping[str, str], settings: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The bot's schedule and its time zone: as the spec wrote it (the site's tag), else the timer's NCRONTAB
    expression (UTC); (None, None) for a bot without one."""
    timer = settings.get("BOTSHIP_SCHEDULE") or None
    if not timer:
        return None, None
    text = tags.get(SCHEDULE_TAG)
    if text:
        return text, settings.get("BOTSHIP_TIMEZONE") or "UTC"
    return timer, "UTC"


def next_firing(tags: Mapping[str, str], settings: Mapping[str, str], now: datetime | None = None
                ) -> datetime | None:
    """When the bot runs next: the timer's next firing that the runtime will not skip (its local schedule decides,
    as in the function); None without a schedule."""
    timer = settings.get("BOTSHIP_SCHEDULE")
    if not timer:
        return None
    # The timer is what Azure fires (a rate on the clock's boundaries); the runtime skips what is not wanted.
    return ncrontab_next(str(timer), now or datetime.now(UTC), settings.get("BOTSHIP_LOCAL_SCHEDULE"),
                         settings.get("BOTSHIP_TIMEZONE") or "UTC")


def invoke_result(status: int, text: str, elapsed_ms: int | None = None) -> InvokeResult:
    """The `run` route's answer as an InvokeResult shaped like a Lambda run's: the runtime's JSON body under
    `result["body"]`; an answer that is not the runtime's (the host's own error page) is the error."""
    try:
        decoded = json.loads(text) if text else None
    except ValueError:
        decoded = None
    result = {"statusCode": status, "body": text}
    extra = {"round_trip_ms": elapsed_ms} if elapsed_ms is not None else {}
    if isinstance(decoded, dict) and "status" in decoded:
        timings = decoded.get("timings")
        duration = (round(sum(float(v) for v in timings.values()) * 1000)
                    if isinstance(timings, dict) and all(isinstance(v, int | float) for v in timings.values())
                    else None)
        return InvokeResult(status, None, result, (), duration, extra)
    why = {401: "the function key was refused", 403: "the app refused the call",
           404: "the app has no run function (its host found no functions: see `botship doctor`)"}.get(status, "")
    snippet = " ".join(str(text or "").split())[:300]
    return InvokeResult(status, f"HTTP {status}" + (f": {why}" if why else "") + (f" — {snippet}" if snippet else ""),
                        result, (), None, extra)


# ---- one deploy of a bot at a time: a blob lease in the bot's own storage account ---------------------------------
