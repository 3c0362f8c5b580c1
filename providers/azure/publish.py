"""Shipping the package: on Flex, POSTed to the app's SCM `/api/publish` with an Entra bearer token; on Linux
Consumption, uploaded to the bot's `packages` container and named in WEBSITE_RUN_FROM_PACKAGE by a read-only link,
then the triggers synced. Either way the step then waits until the host lists the functions — "0 functions found"
(an import error the host swallowed) fails the deploy with the host's reason — and records the code on the site.

The artifact is built once, at plan time; its content hash, recorded in the site's `botship:code` tag, decides
whether anything is shipped. Every package shipped stays in the `packages` container by its hash (Consumption runs
from it; Flex keeps a copy, written only when absent), so a rollback (rollback.py) ships that exact zip again
through the same functions below.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botship.errors import BotshipError

from ..artifact import Artifact
from ..plan import Action, Step
from .app import CODE_TAG, FLEX, RUN_FROM_PACKAGE, FunctionApp
from .clients import AzureClients
from .errors import translate
from .group import read, writing
from .names import RUN_FUNCTION, TIMER_FUNCTION, AzureNames

# Linux Consumption reads WEBSITE_RUN_FROM_PACKAGE on every cold start, so the link must outlive the deploy by far:
# a short-lived link (a user-delegation SAS lasts 7 days at most) would stop the bot once it expired. The link reads
# this one package only (code and dependencies, no secret), and every deploy of new code makes a new one.
PACKAGE_LINK_YEARS = 10
PUBLISH_TIMEOUT_S = 600
FUNCTIONS_TIMEOUT_S = 300
ROLE_RETRY_S = 240
KUDU_FAILED, KUDU_SUCCESS = 3, 4


def code_of(artifact: Artifact) -> str:
    return artifact.content_hash[:16]


class Publish:
    def __init__(self, clients: AzureClients, names: AzureNames, artifact: Artifact, app: FunctionApp, plan: str,
                 with_schedule: bool) -> None:
        self.clients, self.names, self.artifact, self.app, self.kind = clients, names, artifact, app, plan
        self.with_schedule = with_schedule
        self.code = code_of(artifact)

    def expected(self) -> list[str]:
        return [RUN_FUNCTION] + ([TIMER_FUNCTION] if self.with_schedule else [])

    def step(self, app_outputs: dict[str, Any] | None, settings: dict[str, str] | None) -> Step:
        size = self.artifact.path.stat().st_size / 1e6 if self.artifact.path.exists() else 0
        how = ("to the app's publish endpoint (a copy kept in the packages container for rollbacks)"
               if self.kind == FLEX else
               f"through the packages container; a read-only link to it, valid {PACKAGE_LINK_YEARS} years, in "
               f"{RUN_FROM_PACKAGE}")
        detail = f"{self.code[:12]}, {size:.1f} MB zipped, {how}; then wait for the host to list its functions"
        shipped = (app_outputs or {}).get("code")
        if not app_outputs:
            return Step("publish", "Package", self.names.function_app, Action.CREATE, self.apply, detail=detail)
        if shipped == self.code and (self.kind == FLEX or (settings or {}).get(RUN_FROM_PACKAGE)):
            return Step("publish", "Package", self.names.function_app, Action.NO_CHANGE, self.apply,
                        detail=f"{self.code[:12]} shipped", outputs={"code": self.code})
        return Step("publish", "Package", self.names.function_app, Action.UPDATE, self.apply, detail=detail)

    # ---- running ------------------------------------------------------------------------------------------

    def apply(self, ctx) -> dict[str, Any]:
        current = self.app.read()
        if current is None:
            raise BotshipError(f"function app {self.names.function_app} does not exist",
                               fix="re-run the deploy; it is safe")
        site = current["site"]
        storage = dict(ctx.outputs.get("storage") or {})
        roles_made = bool((ctx.outputs.get("roles") or {}).get("made"))
        deadline = time.monotonic() + (ROLE_RETRY_S if roles_made else 0)
        if (site.tags or {}).get(CODE_TAG) != self.code or (
                self.kind != FLEX and not current["settings"].get(RUN_FROM_PACKAGE)):
            while True:
                try:
                    if self.kind == FLEX:
                        publish_zip(self.clients, self.names, site, self.artifact.path.read_bytes(), ctx)
                    else:
                        blob = keep_package(self.clients, self.names, blob_endpoint(self.clients, self.names, storage),
                                            self.artifact.path, self.code, ctx)
                        point_at_package(self.clients, self.names, blob, self.app.account_key(),
                                         current["settings"], ctx)
                    break
                except BotshipError as exc:
                    if time.monotonic() > deadline:
                        raise
                    ctx.log(f"publish refused ({exc.what}) — the app's new roles may not have taken effect yet; "
                            "retrying", "warning")
                    ctx.wait(10)
            if self.kind == FLEX:
                self._keep_flex_copy(storage, ctx, deadline)
        wait_for_functions(self.clients, self.names, self.expected(), ctx, patient=roles_made)
        self.app.record(self.code, storage, dict(ctx.outputs), ctx)
        return {"code": self.code}

    def _keep_flex_copy(self, storage: dict[str, Any], ctx, deadline: float) -> None:
        """Flex runs what was published; a copy in the packages container is what a rollback ships again. A copy
        that cannot be written costs only that: the deploy goes on, saying so."""
        while True:
            try:
                keep_package(self.clients, self.names, blob_endpoint(self.clients, self.names, storage),
                             self.artifact.path, self.code, ctx)
                return
            except BotshipError as exc:
                if time.monotonic() > deadline:
                    ctx.log(f"the package is published, but no copy was kept for rollbacks ({exc.what}): rolling "
                            "back to this version will not be possible", "warning")
                    return
                ctx.log(f"keeping a copy refused ({exc.what}) — the new roles may not have taken effect yet; "
                        "retrying", "warning")
                ctx.wait(10)


# ---- shipping a package: a deploy and a rollback alike ------------------------------------------------------------

def package_name(names: AzureNames, code: str) -> str:
    """The package's blob in the packages container, by its code hash (16 hex digits)."""
    return f"{names.function_app}-{code}.zip"


def blob_endpoint(clients: AzureClients, names: AzureNames, storage: dict[str, Any] | None = None) -> str:
    """The bot's storage account's blob endpoint (from the storage step's outputs when known)."""
    found = (storage or {}).get("blob")
    if not found:
        account = read(lambda: clients.storage.storage_accounts.get_properties(
            names.resource_group, names.storage_account), "reading the storage account")
        found = account.primary_endpoints.blob if account else None
    if not found:
        raise BotshipError("the bot's storage account is not there", fix="re-run the deploy; it is safe")
    return str(found)


def keep_package(clients: AzureClients, names: AzureNames, endpoint: str, source: Path | bytes, code: str,
                 ctx) -> Any:
    """The package in the packages container by its hash, uploaded only when absent (read before write: the name
    is the content's hash, so one there of the same size is this package); returns its blob client."""
    from azure.core.exceptions import ResourceNotFoundError

    container, name = names.packages_container, package_name(names, code)
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    blob = clients.blob_service(endpoint).get_blob_client(container, name)
    with writing("keeping the package"):
        try:
            if blob.get_blob_properties().size == size:
                ctx.log(f"{container}/{name} is kept already")
                return blob
        except ResourceNotFoundError:
            pass
        ctx.log(f"uploading {size / 1e6:.1f} MB to {container}/{name}")
        progress = lambda done, total: ctx.progress(done, total or size, "bytes")  # noqa: E731
        if isinstance(source, bytes):
            blob.upload_blob(source, overwrite=True, length=size, progress_hook=progress)
        else:
            with source.open("rb") as data:
                blob.upload_blob(data, overwrite=True, length=size, progress_hook=progress)
    return blob


def read_kept(clients: AzureClients, names: AzureNames, endpoint: str, code: str) -> bytes:
    """A kept package's bytes."""
    with writing(f"reading the kept package {code}"):
        return clients.blob_service(endpoint).get_blob_client(
            names.packages_container, package_name(names, code)).download_blob().readall()


def account_key(clients: AzureClients, names: AzureNames) -> str:
    """The storage account's key (a Consumption package link is signed with it)."""
    keys = read(lambda: clients.storage.storage_accounts.list_keys(names.resource_group, names.storage_account),
                "reading the storage account's keys")
    listed = (keys.get("keys") if keys is not None else None) or []  # (`.keys` is the mapping's method)
    if not listed:
        raise BotshipError(f"storage account {names.storage_account} gave no keys",
                           "Linux Consumption reads its package through a link signed with the account's key",
                           "check that shared-key access is on for it, then try again")
    return str(listed[0]["value"])


def point_at_package(clients: AzureClients, names: AzureNames, blob: Any, key: str, settings: dict[str, Any],
                     ctx) -> None:
    """Consumption: name the kept package in WEBSITE_RUN_FROM_PACKAGE by a read-only link (every other setting as
    it is), then sync the triggers so the host loads it."""
    from azure.storage.blob import BlobSasPermissions, generate_blob_sas

    expiry = datetime.now(UTC) + timedelta(days=365 * PACKAGE_LINK_YEARS)
    # The account as the blob's URL names it (the storage account's own name on Azure; an emulator's in its path).
    sas = generate_blob_sas(blob.account_name, blob.container_name, blob.blob_name, account_key=key,
                            permission=BlobSasPermissions(read=True), expiry=expiry)
    kept = {name: value for name, value in settings.items() if value is not None}
    with writing("pointing the app at the package"):
        clients.web.web_apps.update_application_settings(
            names.resource_group, names.function_app, {"properties": {**kept, RUN_FROM_PACKAGE: f"{blob.url}?{sas}"}})
        ctx.log(f"{RUN_FROM_PACKAGE} set: a read-only link to this package, valid until {expiry:%Y-%m-%d}")
        clients.web.web_apps.sync_function_triggers(names.resource_group, names.function_app)
    ctx.log("triggers synced")


def publish_zip(clients: AzureClients, names: AzureNames, site: Any, data: bytes, ctx) -> None:
    """Flex: POST the zip to the app's SCM /api/publish (one deploy) and follow the deployment until it is done."""
    from .app import scm_host

    scm = scm_host(site)
    if not scm:
        raise BotshipError(f"function app {names.function_app} names no SCM site to publish to",
                           fix="re-run in a minute; Azure may still be setting the app up")
    http = clients.http()
    try:
        token = clients.token()
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, "signing in to publish") from None
    ctx.log(f"publishing {len(data) / 1e6:.1f} MB to {names.function_app}")
    ctx.progress(0, len(data), "bytes")
    try:
        response = http.send("POST", f"https://{scm}/api/publish", params={"RemoteBuild": "false"},
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip",
                                      "If-Match": "*"}, content=data, timeout=PUBLISH_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, "publishing the package") from None
    if response.status_code not in (200, 201, 202):
        raise BotshipError(f"the publish endpoint refused the package: HTTP {response.status_code}",
                           _text(response), "re-run the deploy; it is safe")
    ctx.progress(len(data), len(data), "bytes")
    status_url = response.headers.get("Location") or f"https://{scm}/api/deployments/latest"
    deadline = time.monotonic() + PUBLISH_TIMEOUT_S
    pause = _retry_after(response, 1.0)
    while True:
        ctx.wait(pause)
        try:
            polled = http.send("GET", status_url, headers={"Authorization": f"Bearer {token}"})
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "reading the publish status") from None
        body = _json(polled) if polled.status_code == 200 else {}
        status = body.get("status")
        done = status == KUDU_SUCCESS or (body.get("complete") and status != KUDU_FAILED)
        if polled.status_code == 200 and done:
            ctx.log("published")
            return
        if status == KUDU_FAILED:
            raise BotshipError("the app could not deploy the package",
                               str(body.get("status_text") or body.get("message") or body)[:400],
                               "the package is checked before upload; re-run the deploy, and if it fails again "
                               "the message above says why")
        if time.monotonic() > deadline:
            raise BotshipError("the package was sent but its deployment did not finish in time",
                               f"still {body.get('status_text') or status} after {PUBLISH_TIMEOUT_S} s",
                               "re-run the deploy; it is safe")
        pause = _retry_after(polled, min(pause * 1.5, 5.0))


def functions(clients: AzureClients, names: AzureNames) -> list[str]:
    listed = read(lambda: list(clients.web.web_apps.list_functions(names.resource_group, names.function_app)),
                  "listing the app's functions") or []
    return sorted((f.name or "").rsplit("/", 1)[-1] for f in listed)


def wait_for_functions(clients: AzureClients, names: AzureNames, expected: list[str], ctx,
                       patient: bool = False) -> None:
    """Until the host lists every function botship ships. A host that reports an error fails at once, unless the
    app's role assignments are new (`patient`): then the host may not reach its storage yet, and it is given
    ROLE_RETRY_S to start."""
    started = time.monotonic()
    deadline = started + FUNCTIONS_TIMEOUT_S
    pause = 1.0
    said = ""
    while True:
        ctx.check_cancelled()
        found = functions(clients, names)
        if all(name in found for name in expected):
            ctx.log(f"the host lists {len(found)} functions: {', '.join(found)}")
            return
        status = host_status(clients, names)
        errors = status.get("errors") or []
        if errors and patient and time.monotonic() - started < ROLE_RETRY_S:
            text = "; ".join(str(e) for e in errors)[:300]
            if text != said:
                ctx.log(f"the host reports: {text} — waiting: the app's new roles take a few minutes to apply",
                        "warning")
                said = text
            errors = []
        elif errors or time.monotonic() > deadline:
            missing = [n for n in expected if n not in found]
            what = ("0 functions found: the host loaded none of the package's functions" if not found else
                    f"the host does not list {', '.join(missing)} (it lists {', '.join(found)})")
            why = ("the host says: " + "; ".join(str(e) for e in errors)[:600] if errors else
                   f"the host's state is {status['state']}" if status.get("state") else "the host gave no reason")
            raise BotshipError(what, why,
                               "this is most often an import error in function_app.py or a dependency built for "
                               "another Python; `botship package` and the import check show it; fix and re-run")
        ctx.wait(pause)
        pause = min(pause * 1.5, 5.0)


def host_status(clients: AzureClients, names: AzureNames) -> dict[str, Any]:
    """What the Functions host says about itself (its admin API, with the master key fetched through Resource
    Manager and never shown); {} when it does not answer."""
    try:
        site = clients.web.web_apps.get(names.resource_group, names.function_app)
        keys = clients.web.web_apps.list_host_keys(names.resource_group, names.function_app)
        response = clients.http().send("GET", f"https://{site.default_host_name}/admin/host/status",
                                       headers={"x-functions-key": keys.master_key}, timeout=20)
        return _json(response) if response.status_code == 200 else {}
    except Exception:  # noqa: BLE001 - the host's word is a courtesy: its absence is said
        return {}


def _retry_after(response: Any, default: float) -> float:
    """How long the server asks to wait before the next poll (Retry-After-Ms or Retry-After), else `default`."""
    headers = getattr(response, "headers", {}) or {}
    try:
        if headers.get("Retry-After-Ms"):
            return max(0.01, int(headers["Retry-After-Ms"]) / 1000)
        if headers.get("Retry-After"):
            return max(0.01, float(headers["Retry-After"]))
    except (TypeError, ValueError):
        pass
    return default


def _json(response: Any) -> dict[str, Any]:
    try:
        data = response.json()
    except Exception:  # noqa: BLE001
        return {}
    return data if isinstance(data, dict) else {}


def _text(response: Any) -> str:
    try:
        return response.text()[:400]
    except Exception:  # noqa: BLE001
        return ""
