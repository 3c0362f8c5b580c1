"""A handle on one deployed bot on Azure: its function app — status, a run now through its `run` route, pause and
resume (the timer's disabled setting), its logs (logs.py), versions and rollback (rollback.py), its state."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cached_property
from typing import Any

from botship.errors import BadInput, BotshipError

from ..base import BotHandle
from ..results import BotStatus, DeployEntry, InvokeResult, LogLine, NotDeployed
from .clients import AzureClients
from .cloud import (
    INVOKE_TIMEOUT_S,
    PAUSE_SETTING,
    PAUSE_SETTINGS,
    SHIPPED_TAGS,
    AzureCloud,
    _is_variable,
    _location,
    _plan_of,
    app_settings,
    bot_state,
    invoke_result,
    is_paused,
    next_firing,
    schedule_of,
)
from .errors import error_code, translate
from .group import is_missing
from .names import RUN_FUNCTION, AzureNames
from .signin import enum_text


class AzureHandle(BotHandle):
    """One deployed bot on Azure: its function app in the cloud's resource group, by name."""

    cloud: AzureCloud

    @cached_property
    def names(self) -> AzureNames:
        return self.cloud.names(self.bot_name)

    @property
    def clients(self) -> AzureClients:
        return self.cloud.clients

    def _site(self) -> Any:
        names = self.names
        try:
            return self.clients.web.web_apps.get(names.resource_group, names.function_app)
        except Exception as exc:  # noqa: BLE001
            if is_missing(exc):
                raise self.cloud.not_deployed(self.bot_name, names) from None
            raise translate(exc, f"reading {names.function_app}") from None

    def _settings(self) -> dict[str, Any]:
        names = self.names
        with self.reading(f"reading the settings of {names.function_app}"):
            return app_settings(self.clients, names.resource_group, names.function_app)

    def status(self) -> BotStatus:
        names = self.names
        site = self._site()
        settings = self._settings()
        tags = dict(site.tags or {})
        state = bot_state(site, settings)
        schedule, zone = schedule_of(tags, settings)
        shipped = {key.split(":", 1)[1]: tags[key] for key in SHIPPED_TAGS if key in tags}
        return BotStatus(self.bot_name, self.cloud.name, _location(site, names), tags.get("botship:mode",
                         settings.get("BOTSHIP_MODE", "paper")), state, schedule=schedule,
                         profile=tags.get("botship:profile"),
                         extra={"id": site.id, "resource_group": names.resource_group,
                                "function_app": names.function_app, "plan": _plan_of(site),
                                "host": getattr(site.properties, "default_host_name", None),
                                "app_state": enum_text(getattr(site.properties, "state", None)) or None,
                                "timer": settings.get("BOTSHIP_SCHEDULE")},
                         timezone=zone, next_run=next_firing(tags, settings) if state == "active" else None,
                         version=tags.get("botship:code", ""), shipped=shipped,
                         paused=bool(schedule) and is_paused(settings),
                         resources=self._resources(site), variables=tuple(sorted(
                             name for name, value in settings.items() if _is_variable(name, value))),
                         secrets=tuple(sorted(name for name, value in settings.items()
                                              if str(value or "").startswith("@Microsoft.KeyVault("))))

    def _resources(self, site: Any) -> dict[str, str]:
        names = self.names
        host = getattr(site.properties, "default_host_name", None)
        found = {"function app": str(site.id), "storage account": names.storage_account, "key vault": names.vault,
                 "application insights": names.insights}
        if host:
            found["url"] = f"https://{host}"
        return found

    # ---- a run now -------------------------------------------------------------------------------------

    def _run_key(self) -> str:
        """The `run` function's key, fetched through Resource Manager (never printed, never saved)."""
        names = self.names
        web = self.clients.web
        try:
            keys = web.web_apps.list_function_keys(names.resource_group, names.function_app, RUN_FUNCTION)
            values = dict(getattr(keys, "properties", None) or {})
            if values:
                return str(values.get("default") or next(iter(values.values())))
        except Exception as exc:  # noqa: BLE001 - the host keys below also open the function
            if not is_missing(exc) and error_code(exc) not in ("BadRequest",):
                raise translate(exc, f"reading the key of {names.function_app}'s run function") from None
        try:
            host = web.web_apps.list_host_keys(names.resource_group, names.function_app)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"reading the keys of {names.function_app}") from None
        found = dict(getattr(host, "function_keys", None) or {})
        key = found.get("default") or next(iter(found.values()), None) or getattr(host, "master_key", None)
        if not key:
            raise BotshipError(f"{names.function_app} has no function key to call its run function with",
                               "the function host has not made its keys yet (it does on its first start)",
                               "wait a minute and invoke again; `botship deploy` again if it persists")
        return str(key)

    def invoke(self, event: dict[str, Any], on_line: Callable[[str], None] | None = None) -> InvokeResult:
        """Run the bot once now through its `run` route (a function key is required, fetched here and held only
        in memory). Azure hands back the run's answer, not its log lines (those reach Application Insights)."""
        names = self.names
        site = self._site()
        host = getattr(site.properties, "default_host_name", None)
        if not host:
            raise BotshipError(f"{names.function_app} has no host name yet", "the app is still being created",
                               "wait a minute and invoke again")
        key = self._run_key()
        started = time.monotonic()
        try:
            response = self.clients.http().send(
                "POST", f"https://{host}/api/{RUN_FUNCTION}", content=json.dumps(event).encode(),
                headers={"x-functions-key": key, "Content-Type": "application/json"}, timeout=INVOKE_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"invoking {names.function_app}") from None
        elapsed = round((time.monotonic() - started) * 1000)
        return invoke_result(response.status_code, response.text(), elapsed)

    # ---- pause and resume: the timer function's disabled setting -----------------------------------------

    def _set_paused(self, paused: bool) -> bool:
        """Set or remove the timer's disabled setting when it differs; whether anything changed."""
        names = self.names
        self._site()
        settings = self._settings()
        if not settings.get("BOTSHIP_SCHEDULE"):
            raise BadInput(f"{self.bot_name} has no schedule to {'pause' if paused else 'resume'}",
                           "it runs only when invoked", "give it a schedule in its profile and deploy again")
        if is_paused(settings) == paused:
            return False
        self._refuse_during_a_run("pause" if paused else "resume")
        if paused:
            settings[PAUSE_SETTING] = "true"
        else:
            for name in PAUSE_SETTINGS:
                settings.pop(name, None)
        with self.reading(f"{'pausing' if paused else 'resuming'} {names.function_app}"):
            from azure.mgmt.web.models import StringDictionary

            # A setting without a value cannot be written (Resource Manager never lists one).
            kept = {name: value for name, value in settings.items() if value is not None}
            self.clients.web.web_apps.update_application_settings(names.resource_group, names.function_app,
                                                                  StringDictionary(properties=kept))
        return True

    def _refuse_during_a_run(self, doing: str) -> None:
        """Azure restarts the function host when an app setting changes: a run in progress would be stopped before
        it saved. While a run holds the bot's lock, say so and change nothing."""
        from botship.runtime.invoke import describe_lock

        try:
            holder = self.state_store().lock_holder()
        except Exception:  # noqa: BLE001 - no state (never run): no run to stop
            return
        expires = (holder or {}).get("expires")
        if holder and (not isinstance(expires, int | float) or expires > time.time()):
            raise BotshipError(f"{self.bot_name} is running now; changing its settings to {doing} it would restart "
                               "the app and stop that run before it saves", describe_lock(holder),
                               f"{doing} it once the run has finished; nothing was changed")

    def pause(self) -> None:
        """Stop the schedule from firing (the timer function disabled); a run now still works. Idempotent."""
        if self._set_paused(True):
            self.note("pause", "timer disabled")

    def resume(self) -> None:
        """Let the schedule fire again. Idempotent."""
        if self._set_paused(False):
            self.note("resume", "timer enabled")

    # ---- logs (Application Insights, through the Log Analytics query API) and rollback: logs.py, rollback.py ---

    def logs(self, since: datetime | None = None, follow: bool = False) -> Iterator[LogLine]:
        from .logs import read_logs

        return read_logs(self.clients, self.names, since, follow)

    def logs_note(self) -> str:
        from .logs import logs_note

        return logs_note(self.names)

    def versions(self) -> list[DeployEntry]:
        """The packages kept in the bot's packages container, newest first (the one it runs: detail "current")."""
        from .rollback import kept_versions

        site = self._site()
        return kept_versions(self.clients, self.names, self.account_blob_endpoint(),
                             (site.tags or {}).get("botship:code", ""))

    def rollback(self, to: str | None = None) -> DeployEntry:
        """Ship a kept package again (default: the newest before the one it runs), wait for the host, record it."""
        from .rollback import roll_back

        return roll_back(self, to)

    # ---- state -----------------------------------------------------------------------------------------

    def account_blob_endpoint(self) -> str:
        names = self.names
        try:
            account = self.clients.storage.storage_accounts.get_properties(names.resource_group,
                                                                           names.storage_account)
        except Exception as exc:  # noqa: BLE001
            if is_missing(exc):
                raise NotDeployed(f"{self.bot_name} has no state storage account ({names.storage_account}) in "
                                  f"resource group {names.resource_group}",
                                  "it was never deployed there, or it was destroyed with --purge-state",
                                  "deploy it first: `botship deploy`") from None
            raise translate(exc, f"reading storage account {names.storage_account}") from None
        endpoint = getattr(getattr(account.properties, "primary_endpoints", None), "blob", None)
        if not endpoint:
            raise BotshipError(f"storage account {names.storage_account} has no blob endpoint yet",
                               "it is still being created", "wait a minute and try again")
        return str(endpoint)

    def state_store(self, mode: str | None = None) -> Any:
        """The bot's state for `mode` (its own container), read with your sign-in (no account key): it needs
        data access to the account (Storage Blob Data Reader or more, which a deploy gives the deploying
        identity)."""
        from botship.runtime.stores import AzureStore

        mode = mode or self.mode
        return AzureStore(self.names.state_container(mode), f"{mode}/", account_url=self.account_blob_endpoint(),
                          credential=self.clients.credential, **self.cloud.endpoints.transport_options())

    def state_history_note(self) -> str:
        from botship.runtime.store_base import KeptHistory

        container = self.names.state_container(self.mode)
        return (f"the last {KeptHistory.HISTORY} generations are kept in container {container} of "
                f"{self.names.storage_account}; a restore can go back that far")


# ---- what the handle and the listing share ------------------------------------------------------------------
