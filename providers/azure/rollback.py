"""Rolling an Azure bot back: every package a deploy ships stays in the bot's `packages` container by its code hash
(publish.py), so a rollback ships that exact zip again the way a deploy publishes it — Flex: the app's /api/publish;
Consumption: WEBSITE_RUN_FROM_PACKAGE pointed at the kept blob — waits until the host lists the functions, and tags
the site with the code it runs now (botship:code), under the bot's deploy lock so no deploy runs meanwhile.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botship.errors import BadInput, BotshipError

from ..results import DeployEntry
from .app import CODE_TAG, FLEX
from .errors import translate
from .group import writing
from .names import RUN_FUNCTION, TIMER_FUNCTION, AzureNames

if TYPE_CHECKING:
    from .handle import AzureHandle

CODE = re.compile(r"[0-9a-f]{16}")


def kept_versions(clients: Any, names: AzureNames, endpoint: str, current: str) -> list[DeployEntry]:
    """The packages kept for the bot, newest first (when each was first kept); the one it runs marked current."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    container = clients.blob_service(endpoint).get_container_client(names.packages_container)
    prefix = f"{names.function_app}-"
    found = []
    try:
        for blob in container.list_blobs(name_starts_with=prefix):
            code = blob.name[len(prefix):].removesuffix(".zip")
            if blob.name.endswith(".zip") and CODE.fullmatch(code):
                found.append(DeployEntry(_utc(blob.creation_time or blob.last_modified), "deploy", code))
    except ResourceNotFoundError:
        return []
    except HttpResponseError as exc:
        if exc.status_code in (401, 403):
            raise BotshipError(f"the versions kept of {names.bot} cannot be read with this sign-in",
                               "it has no blob data role on the bot's storage account (a deploy gives the deploying "
                               "identity one)",
                               f"ask for Storage Blob Data Reader on storage account {names.storage_account}, or "
                               "deploy once with this identity") from None
        raise translate(exc, f"listing the versions kept of {names.bot}") from None
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, f"listing the versions kept of {names.bot}") from None
    found.sort(key=lambda entry: entry.at.timestamp() if entry.at else 0, reverse=True)
    return [DeployEntry(e.at, e.action, e.version, detail="current" if e.version == current else "") for e in found]


def _utc(at: datetime | None) -> datetime | None:
    return at.astimezone(UTC) if at is not None and at.tzinfo else (at.replace(tzinfo=UTC) if at else None)


def choose(versions: list[DeployEntry], to: str | None, current: str, names: AzureNames,
           history: list[DeployEntry] | None = None) -> DeployEntry:
    """The version `to` names (a prefix will do), or the newest kept before the one the bot runs."""
    from ..versions import pick_version

    bot = names.bot
    if not versions:
        raise BotshipError(f"{bot} has no version kept to roll back to",
                           f"botship keeps each package it ships in the {names.packages_container} container of "
                           f"storage account {names.storage_account}; none is there yet",
                           "deploy the version you want with its profile instead")
    marked = versions if any(v.detail == "current" for v in versions) or not current else [
        DeployEntry(None, "deploy", current, detail="current"), *versions]  # the running one is not kept
    chosen = pick_version(versions if to else marked, to, bot, history)
    if chosen.version == current:
        raise BadInput(f"{bot} runs {current} already", "rolling back to it would ship the same package",
                       f"name an earlier version: `botship rollback {bot} --list` shows them")
    return chosen


class Quiet:
    """What publishing reports to, for a rollback: the lines are kept (the last ones say where it stopped), waits
    keep the deploy lock's lease."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, message: str, level: str = "info") -> None:
        self.lines.append(message)

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        pass

    def check_cancelled(self) -> None:
        pass

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)


class _Renewed:
    """The deploy lock held for the rollback, its lease renewed in the background (a lease lasts a minute)."""

    def __init__(self, lock: Any) -> None:
        self.lock, self.lost = lock, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="botship-rollback-lock", daemon=True)

    def _renew(self) -> None:
        while not self._stop.wait(self.lock.refresh_every_s):
            try:
                self.lock.refresh()
            except BotshipError as exc:
                self.lost = exc
                return

    def __enter__(self) -> _Renewed:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)
        self.lock.release()


def _history(handle: AzureHandle) -> list[DeployEntry]:
    """What the bot shipped, newest first, for the version it ran before this one ([] when it cannot be read)."""
    try:
        return handle.history()
    except BotshipError:
        return []


def roll_back(handle: AzureHandle, to: str | None) -> DeployEntry:
    """Ship a kept package again (see the module's docstring); returns what the history records."""
    from .cloud import _plan_of, app_settings
    from .publish import point_at_package, publish_zip, read_kept, wait_for_functions

    names, clients = handle.names, handle.clients
    site = handle._site()
    current = (site.tags or {}).get(CODE_TAG, "")
    endpoint = handle.account_blob_endpoint()  # the handle's reading, with its message for a bot whose account is gone
    chosen = choose(kept_versions(clients, names, endpoint, current), to, current, names, _history(handle))
    code = chosen.version
    ctx = Quiet()
    lock = handle.cloud.deploy_lock(handle.bot_name, "rollback")
    lock.no_wait = True
    try:
        lock.acquire(ctx)
    except BotshipError as exc:
        if not exc.what.startswith("another deploy"):
            raise
        raise BotshipError(f"{exc.what}; a rollback does not run beside it", "nothing was shipped",
                           "roll back once that deploy is done (if it died, its lease ends within a minute, or "
                           "`botship unlock` removes it now)") from None
    with _Renewed(lock) as held:
        site = handle._site()  # as it is now that no deploy runs
        with writing(f"reading the settings of {names.function_app}"):
            settings = app_settings(clients, names.resource_group, names.function_app)
        flex = _plan_of(site) == FLEX
        if flex:
            publish_zip(clients, names, site, read_kept(clients, names, endpoint, code), ctx)
        else:
            from .publish import account_key

            blob = clients.blob_service(endpoint).get_blob_client(names.packages_container,
                                                                    f"{names.function_app}-{code}.zip")
            point_at_package(clients, names, blob, account_key(clients, names), settings, ctx)
        expected = [RUN_FUNCTION] + ([TIMER_FUNCTION] if settings.get("BOTSHIP_SCHEDULE") else [])
        wait_for_functions(clients, names, expected, ctx)
        if held.lost:
            raise held.lost
        # The Tags API merges one tag into the site's and touches nothing else of it (a PUT of the site would send
        # its whole configuration back).
        try:
            with writing(f"recording what {names.function_app} runs"):
                clients.resources.tags.begin_update_at_scope(
                    names.site_id, {"operation": "Merge", "properties": {"tags": {CODE_TAG: code}}}).result()
        except BotshipError as exc:
            raise BotshipError(f"{names.function_app} runs {code} again, but its {CODE_TAG} tag still says "
                               f"{current or 'nothing'}", f"{exc.what}: {exc.why}".rstrip(": "),
                               f"run `botship rollback {names.bot} --to {code}` again: it ships the same package "
                               "and records it") from None
    return handle.note("rollback", f"shipped {code} again (was {current or 'unknown'})", code)
