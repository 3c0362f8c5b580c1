"""Signing in to Azure from botship (browser or device code), and what a sign-in sees: tenants, subscriptions,
resource groups and the locations offering a plan — the choices of the credentials form and `--guided`.

Nothing here prints or prompts: a device code's message goes to the `on_message` the front end passes. The
sign-in keeps an authentication record (who signed in; no token) in botship's config folder and its tokens in
azure-identity's persistent cache, so the credential chain (credential.py) signs in silently afterwards.

Lookups are cached per (cloud, tenant, sign-in, subscription, …) within the process, are bounded in time, and
never raise: each answers its items, or none and the error that stopped it (the question's check says it).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from botship.errors import BotshipError

from .credential import cache_options, identity_options, record_path, save_record
from .endpoints import Endpoints
from .errors import SIGN_IN_FIX, translate

BROWSER, DEVICE_CODE = "browser", "device code"
METHODS = (BROWSER, DEVICE_CODE)
# How long a lookup for a question's choices may take before the form goes on without it.
LOOKUP_TIMEOUT_S = 20.0
# Per-request bounds of those lookups (connect, read) and their retries.
CALL_OPTIONS: dict[str, Any] = {"connection_timeout": 5, "read_timeout": 15, "retry_total": 1}
# A failed lookup is asked again after this long (a successful one is kept for the process).
FAILURE_TTL_S = 15.0


def enum_text(value: Any) -> str:
    """An SDK enum's value as Azure spells it ("Enabled"), or the text itself."""
    return str(getattr(value, "value", value) or "")


def sign_in_methods() -> list[str]:
    """The interactive sign-ins botship offers (a service principal in the environment or `az login` need none)."""
    return list(METHODS)


@dataclass(frozen=True)
class SignedIn:
    """Who signed in, and into which tenant (what the authentication record keeps)."""

    username: str
    tenant_id: str
    record: str = ""  # where the authentication record was saved

    def __str__(self) -> str:
        return f"{self.username} (tenant {self.tenant_id})" if self.tenant_id else self.username


def sign_in(endpoints: Endpoints, method: str, on_message: Callable[[str], None] | None = None,
            tenant_id: str | None = None, *, timeout: int = 300) -> SignedIn:
    """Sign in interactively (`method`: "browser" or "device code") and keep the sign-in for the next deploys.

    The device code's instructions (where to go, the code to type) go to `on_message`; a browser sign-in says
    there that a browser window was opened. Raises BotshipError when the sign-in fails or is cancelled."""
    from azure.identity import DeviceCodeCredential, InteractiveBrowserCredential

    say = on_message or (lambda message: None)
    options: dict[str, Any] = {**identity_options(endpoints, tenant_id), "cache_persistence_options": cache_options()}
    if tenant_id:
        options["tenant_id"] = tenant_id
    if method == DEVICE_CODE:
        def prompt(verification_uri: str, user_code: str, expires_on: Any) -> None:
            say(f"To sign in to Azure, open {verification_uri} in a browser and enter the code {user_code}")

        credential: Any = DeviceCodeCredential(prompt_callback=prompt, timeout=timeout, **options)
    elif method == BROWSER:
        say("A browser window opens for the Azure sign-in; finish it there")
        credential = InteractiveBrowserCredential(timeout=timeout, **options)
    else:
        raise BotshipError(f"'{method}' is not a way to sign in to Azure",
                           fix=f"choose one of: {', '.join(METHODS)}")
    try:
        record = credential.authenticate(scopes=[endpoints.arm_scope])
    except Exception as exc:  # noqa: BLE001 - said in plain words
        error = translate(exc, "signing in")
        if method == BROWSER and "browser" in str(exc).lower():
            raise BotshipError("no browser could be opened for the Azure sign-in", error.why,
                               "choose the device-code sign-in instead") from None
        raise BotshipError("the Azure sign-in did not finish", error.why or error.what,
                           "try again; " + SIGN_IN_FIX) from None
    saved = save_record(endpoints, record)
    signed_in()
    return SignedIn(record.username or "", record.tenant_id or "", str(saved))


# ---- who a token belongs to -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """Who a Resource Manager token was issued to: a user (upn) or an application (app id), in a tenant."""

    name: str
    kind: str  # "user" | "application" | "unknown"
    object_id: str
    tenant_id: str

    def __str__(self) -> str:
        who = {"user": self.name, "application": f"application {self.name}"}.get(self.kind, self.name or "someone")
        return f"{who} (tenant {self.tenant_id})" if self.tenant_id else who


def token_identity(token: str) -> Identity:
    """The claims of a bearer token (read, not verified: Azure verifies it; this only says who it names)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, TypeError):
        return Identity("", "unknown", "", "")
    if not isinstance(claims, dict):
        return Identity("", "unknown", "", "")
    user = claims.get("upn") or claims.get("preferred_username") or claims.get("unique_name") or claims.get("email")
    app = claims.get("appid") or claims.get("azp")
    if user and claims.get("idtyp") != "app":
        return Identity(str(user), "user", str(claims.get("oid", "")), str(claims.get("tid", "")))
    if app:
        return Identity(str(app), "application", str(claims.get("oid", "")), str(claims.get("tid", "")))
    return Identity(str(claims.get("sub", "")), "unknown", str(claims.get("oid", "")), str(claims.get("tid", "")))


# ---- what the sign-in sees: cached lookups for the questions' choices ------------------------------------

_generation = 0
_state_lock = threading.Lock()
_cache: dict[tuple, Lookup] = {}
_clients: dict[tuple, Any] = {}
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="botship-azure-lookup")


def signed_in() -> None:
    """Forget what earlier sign-ins saw (called after a sign-in; tests call it between fakes)."""
    global _generation
    with _state_lock:
        _generation += 1
        _cache.clear()
        _clients.clear()


def _sign_in_key(endpoints: Endpoints) -> tuple:
    """What tells one sign-in from another: botship's own, the environment's service principal, the record."""
    try:
        recorded = record_path(endpoints).stat().st_mtime_ns
    except OSError:
        recorded = 0
    return (_generation, endpoints, os.environ.get("AZURE_CLIENT_ID", ""), os.environ.get("AZURE_TENANT_ID", ""),
            recorded)


@dataclass
class Lookup:
    """What one lookup found (`items`), or why it found nothing (`error`, a BotshipError)."""

    items: list[Any] = field(default_factory=list)
    error: BotshipError | None = None
    at: float = 0.0


def clients_for(endpoints: Endpoints, tenant_id: str | None = None, subscription_id: str = "") -> Any:
    """AzureClients of the current sign-in for `tenant_id` (None: the sign-in's home) and `subscription_id`, reused
    within the process so a credential's tokens are asked for once."""
    from .clients import AzureClients

    key = (_sign_in_key(endpoints), tenant_id or "", subscription_id)
    with _state_lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = AzureClients(endpoints, subscription_id, tenant_id=tenant_id or None)
        return found


def lookup(key: tuple, doing: str, call: Callable[[], list[Any]], timeout: float | None = None) -> Lookup:
    """`call()`'s items, cached under `key`; bounded by `timeout` seconds; never raises."""
    now = time.monotonic()
    with _state_lock:
        cached = _cache.get(key)
        if cached is not None and (cached.error is None or now - cached.at < FAILURE_TTL_S):
            return cached
    future = _pool.submit(call)
    try:
        found = Lookup(list(future.result(timeout=timeout or LOOKUP_TIMEOUT_S)), None, now)
    except FutureTimeout:
        found = Lookup([], BotshipError(f"Azure did not answer in time while {doing}",
                                        f"no answer within {timeout or LOOKUP_TIMEOUT_S:.0f} s",
                                        "check your network connection, then look again"), now)
    except Exception as exc:  # noqa: BLE001 - said by the question's check
        found = Lookup([], translate(exc, doing), now)
    with _state_lock:
        _cache[key] = found
    return found


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    domain: str = ""


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    name: str
    state: str
    tenant_id: str = ""


@dataclass(frozen=True)
class Location:
    name: str  # as profiles and Resource Manager spell it: "westeurope"
    title: str  # "West Europe"
    checked: bool = True  # False: listed from the subscription because the plan's own list could not be read


def tenants(endpoints: Endpoints) -> Lookup:
    """The tenants the sign-in can see."""
    def call() -> list[Tenant]:
        client = clients_for(endpoints).subscriptions
        return [Tenant(t.tenant_id, t.display_name or t.default_domain or t.tenant_id, t.default_domain or "")
                for t in client.tenants.list(**CALL_OPTIONS) if t.tenant_id]

    return lookup(("tenants", _sign_in_key(endpoints)), "listing your Azure tenants", call)


def subscriptions(endpoints: Endpoints, tenant_id: str | None) -> Lookup:
    """The subscriptions the sign-in can see in `tenant_id` (None: its home tenant), by name."""
    def call() -> list[Subscription]:
        client = clients_for(endpoints, tenant_id).subscriptions
        found = [Subscription(s.subscription_id, s.display_name or s.subscription_id, enum_text(s.state),
                              s.tenant_id or "") for s in client.subscriptions.list(**CALL_OPTIONS)]
        return sorted(found, key=lambda s: (s.name.lower(), s.subscription_id))

    return lookup(("subscriptions", _sign_in_key(endpoints), tenant_id or ""), "listing your Azure subscriptions",
                  call)


def resource_groups(endpoints: Endpoints, tenant_id: str | None, subscription_id: str) -> Lookup:
    """The names of the subscription's resource groups (with their locations)."""
    def call() -> list[tuple[str, str]]:
        client = clients_for(endpoints, tenant_id, subscription_id).resources
        return sorted(((g.name, g.location) for g in client.resource_groups.list(**CALL_OPTIONS)),
                      key=lambda g: g[0].lower())

    return lookup(("groups", _sign_in_key(endpoints), tenant_id or "", subscription_id),
                  "listing the subscription's resource groups", call)


# The Microsoft.Web geoRegions sku (and worker filter) of each hosting plan.
PLAN_SKUS: dict[str, tuple[str, dict[str, bool]]] = {
    "flex": ("FlexConsumption", {}),
    "consumption": ("Dynamic", {"linux_dynamic_workers_enabled": True}),
}


def location_name(text: str) -> str:
    """A geoRegion's name ("West Europe") as Resource Manager spells locations ("westeurope")."""
    return "".join(text.split()).lower()


def plan_locations(endpoints: Endpoints, tenant_id: str | None, subscription_id: str, plan: str) -> Lookup:
    """The locations offering `plan`, as Microsoft.Web lists them for the subscription.

    Where Microsoft.Web is not registered yet (it answers no geoRegions then), the subscription's own
    locations, marked unchecked: the checks offer to register it and then check the location."""
    from .errors import error_code

    sku, flags = PLAN_SKUS.get(plan, PLAN_SKUS["flex"])

    def subscription_locations(clients: Any) -> list[Location]:
        found = clients.subscriptions.subscriptions.list_locations(subscription_id, **CALL_OPTIONS)
        return sorted((Location(loc.name, loc.display_name or loc.name, checked=False) for loc in found
                       if loc.name and _physical(loc)), key=lambda loc: loc.title)

    def call() -> list[Location]:
        clients = clients_for(endpoints, tenant_id, subscription_id)
        # Asking Microsoft.Web while it is not registered would register it (the clients do so by themselves).
        state = enum_text(clients.resources.providers.get("Microsoft.Web", **CALL_OPTIONS).registration_state)
        if state != "Registered":
            return subscription_locations(clients)
        try:
            regions = list(clients.web.list_geo_regions(sku=sku, **flags, **CALL_OPTIONS))
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) not in ("MissingSubscriptionRegistration", "NoRegisteredProviderFound"):
                raise
            return subscription_locations(clients)
        found = {}
        for region in regions:
            props = getattr(region, "properties", None)
            text = region.name or getattr(props, "name", None) or ""
            if text:
                found[location_name(text)] = Location(location_name(text), getattr(props, "display_name", None) or text)
        return sorted(found.values(), key=lambda loc: loc.title)

    return lookup(("locations", _sign_in_key(endpoints), tenant_id or "", subscription_id, plan),
                  "listing the locations offering the plan", call)


def _physical(location: Any) -> bool:
    metadata = getattr(location, "metadata", None)
    kind = getattr(metadata, "region_type", None) if metadata is not None else None
    return (enum_text(kind) or "Physical") == "Physical"
