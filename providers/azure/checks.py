"""Checks before any write on Azure, each ✓/✗ with what to do: the wizard's credentials step and `botship doctor`.

Every check reads and changes nothing; independent reads run side by side, each bounded in time. An expired or
missing sign-in is one ✗ with how to sign in, never a traceback. `register_providers` is the one write here, run
by a front end after the user agreed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from botship.errors import BotshipError

from ..base import Check
from .errors import ROLE_ASSIGNMENT_FIX, SIGN_IN_FIX, error_code, translate
from .group import is_missing
from .policy import ROLE_ASSIGNMENT_ACTION, required_actions
from .signin import enum_text

NAMESPACES = ("Microsoft.Web", "Microsoft.Storage", "Microsoft.KeyVault", "Microsoft.Insights",
              "Microsoft.OperationalInsights")
ROLE_ASSIGNMENT_MISSING = ("deploying needs Microsoft.Authorization/roleAssignments/write — Owner or User Access "
                           "Administrator")
# Bounds of each read a check makes (connect, read, retries) and of a whole batch of checks.
CALL: dict[str, Any] = {"connection_timeout": 5, "read_timeout": 20, "retry_total": 1}
BATCH_TIMEOUT_S = 60.0
# The remedy a front end offers for unregistered resource providers (Check.remedy; Provider.apply_remedy calls
# apply_remedy below with it).
REGISTER_PROVIDERS = "register-providers"
_AUTH_CODES = ("ExpiredAuthenticationToken", "InvalidAuthenticationToken", "AuthenticationFailed",
               "InvalidAuthenticationTokenAudience")


class _Stop(Exception):
    """A check that makes the rest meaningless (not signed in, no subscription)."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.detail)
        self.check = check


def _sign_in_failed(exc: BaseException, doing: str) -> Check:
    error = translate(exc, doing)
    detail = error.what + (f": {error.why}" if error.why else "")
    return Check("signed in", False, detail, SIGN_IN_FIX)


def _is_auth(exc: BaseException) -> bool:
    from azure.core.exceptions import ClientAuthenticationError

    return error_code(exc) in _AUTH_CODES or (isinstance(exc, ClientAuthenticationError) and not error_code(exc))


def _result(future: Future, timeout: float = BATCH_TIMEOUT_S) -> Any:
    return future.result(timeout=timeout)


# ---- the checks ---------------------------------------------------------------------------------------------

def check_credentials(cloud: Any, spec: Any = None) -> list[Check]:
    """Who is signed in, the subscription, the location offering the plan, the resource providers, the resource
    group, and the permissions a deploy needs there (role assignments included); changes nothing."""
    from .signin import token_identity

    clients = cloud.clients
    try:
        token = clients.token()
    except Exception as exc:  # noqa: BLE001 - not signed in: one clear ✗
        return [_sign_in_failed(exc, "getting a Resource Manager token")]
    identity = token_identity(token)
    checks: list[Check] = []
    # Resource Manager's clients register a missing resource provider by themselves when a call needs one: the
    # checks call into a namespace only once it is registered, so checking never registers anything.
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="botship-azure-check") as pool:
        subscription = pool.submit(_subscription, cloud)
        providers = pool.submit(_providers, cloud)
        group = pool.submit(_group, cloud)
        location = pool.submit(lambda: _location(cloud, _result(providers)[0]))
        try:
            sub_check = _result(subscription)
        except _Stop as stop:
            return [stop.check] if stop.check.name == "signed in" else [Check("signed in", True, str(identity)),
                                                                        stop.check]
        checks += [Check("signed in", True, str(identity)), sub_check]
        exists, group_check = _result(group)
        checks += [_result(location), _result(providers)[1], group_check]
        checks += _permissions(cloud, identity, exists)
    return checks


def preflight_checks(cloud: Any, spec: Any, names: Any) -> list[Check]:
    """The global names a deploy derives (storage account, function app, vault) are free or already the bot's own.
    A name whose resource provider is not registered yet is not checked (looking would register it)."""
    try:
        states = provider_states(cloud, ("Microsoft.Storage", "Microsoft.Web", "Microsoft.KeyVault"))
    except Exception as exc:  # noqa: BLE001
        states = {}
        unreadable = translate(exc, "reading the resource providers")
    checks_of = (("Microsoft.Storage", "storage account name", _storage_name), ("Microsoft.Web", "function app name",
                 _app_name), ("Microsoft.KeyVault", "vault name", _vault_name))
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="botship-azure-check") as pool:
        futures = []
        for namespace, name, check in checks_of:
            if states.get(namespace) == "Registered":
                futures.append(pool.submit(check, cloud, names))
            elif not states:
                futures.append(_done(Check(name, None, f"not checked: {unreadable.what}", unreadable.fix)))
            else:
                futures.append(_done(Check(name, None, f"not checked: {namespace} is not registered yet",
                                           "register it (the resource providers check offers to), then check again",
                                           remedy=REGISTER_PROVIDERS, remedy_title=f"Register {namespace} now")))
        return [_result(future) for future in futures]


def _done(check: Check) -> Future:
    future: Future = Future()
    future.set_result(check)
    return future


# ---- signed in and the subscription ---------------------------------------------------------------------------

def _subscription(cloud: Any) -> Check:
    sub = cloud.subscription_id
    try:
        found = cloud.clients.subscriptions.subscriptions.get(sub, **CALL)
    except Exception as exc:  # noqa: BLE001
        code = error_code(exc)
        if code == "InvalidAuthenticationTokenTenant":
            raise _Stop(Check("subscription", False, f"subscription {sub} is in another tenant than your sign-in's",
                              "set azure.tenant_id to the tenant that holds it (the wizard lists them)")) from None
        if _is_auth(exc):
            raise _Stop(_sign_in_failed(exc, "reading the subscription")) from None
        if code in ("SubscriptionNotFound", "InvalidSubscriptionId") or getattr(exc, "status_code", None) == 404:
            raise _Stop(Check("subscription", False, f"subscription {sub} is not found, or your sign-in cannot see it",
                              "choose a subscription your sign-in can see (the wizard lists them), or sign in to "
                              "the tenant that holds it")) from None
        error = translate(exc, "reading the subscription")
        raise _Stop(Check("subscription", False, error.what + (f": {error.why}" if error.why else ""),
                          error.fix)) from None
    state = enum_text(found.state)
    title = f"{found.display_name} ({sub})"
    if state in ("Enabled", ""):
        return Check("subscription", True, f"{title}, enabled")
    if state in ("Warned", "PastDue"):
        return Check("subscription", None, f"{title} is {state}",
                     "settle the subscription's billing, or it will be disabled")
    raise _Stop(Check("subscription", False, f"{title} is {state.lower()}",
                      "enable the subscription in the portal, or choose another"))


# ---- the location offers the plan ---------------------------------------------------------------------------

def _location(cloud: Any, states: dict[str, str]) -> Check:
    from .settings import PLAN_TITLES
    from .signin import plan_locations

    plan, location = cloud.plan, cloud.location
    title = PLAN_TITLES.get(plan, plan).split(",")[0]
    if states and states.get("Microsoft.Web") != "Registered":
        return Check("location", None, f"not checked: Microsoft.Web is not registered yet, so it lists no "
                                       f"locations offering {title}", "register it (below), then check again")
    found = plan_locations(cloud.endpoints, cloud.tenant_id, cloud.subscription_id, plan)
    if found.error is not None:
        return Check("location", None, f"not checked: {found.error.what}", found.error.fix)
    if found.items and not found.items[0].checked:
        return Check("location", None, f"not checked: Microsoft.Web is not registered yet, so it lists no "
                                       f"locations offering {title}", "register it (below), then check again")
    if location in {loc.name for loc in found.items}:
        return Check("location", True, f"{location} offers {title}")
    offered = ", ".join(loc.name for loc in found.items[:8]) + (", …" if len(found.items) > 8 else "")
    return Check("location", False, f"{location} does not offer {title}",
                 f"choose a location that does ({offered})" if offered else "choose another location or plan")


# ---- resource providers -------------------------------------------------------------------------------------

def _provider_state(cloud: Any, namespace: str) -> str:
    try:
        return enum_text(cloud.clients.resources.providers.get(namespace, **CALL).registration_state)
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) in ("InvalidResourceNamespace",):
            return "NotRegistered"
        raise


def provider_states(cloud: Any, namespaces: Iterable[str] = NAMESPACES, pool: ThreadPoolExecutor | None = None
                    ) -> dict[str, str]:
    """Each namespace's registration state for the subscription (Registered, NotRegistered, Registering, …)."""
    namespaces = list(namespaces)
    if pool is None:
        with ThreadPoolExecutor(max_workers=len(namespaces) or 1, thread_name_prefix="botship-azure-rp") as own:
            return dict(zip(namespaces, own.map(lambda n: _provider_state(cloud, n), namespaces), strict=True))
    futures = {n: pool.submit(_provider_state, cloud, n) for n in namespaces}
    return {n: _result(f) for n, f in futures.items()}


def missing_providers(cloud: Any) -> list[str]:
    """The resource providers botship needs that are not registered for the subscription (what to offer)."""
    return [n for n, state in provider_states(cloud).items() if state != "Registered"]


def _providers(cloud: Any) -> tuple[dict[str, str], Check]:
    try:
        states = provider_states(cloud, NAMESPACES)
    except Exception as exc:  # noqa: BLE001
        error = translate(exc, "reading the resource providers")
        return {}, Check("resource providers", None, f"not checked: {error.what}", error.fix)
    registering = [n for n, s in states.items() if s == "Registering"]
    missing = [n for n, s in states.items() if s not in ("Registered", "Registering")]
    if missing:
        return states, Check("resource providers", False,
                             f"not registered for this subscription: {', '.join(missing)}",
                             "botship can register them for you (it asks first); or register them in the portal "
                             "(Subscriptions → Resource providers)",
                             remedy=REGISTER_PROVIDERS, remedy_title=f"Register {', '.join(missing)} now")
    if registering:
        return states, Check("resource providers", None, f"still registering: {', '.join(registering)}",
                             "registration takes a few minutes; check again then")
    return states, Check("resource providers", True, f"{', '.join(NAMESPACES)} registered")


def register_providers(cloud: Any, namespaces: Iterable[str], *, wait_s: float = 600.0,
                       on_line: Callable[[str], None] | None = None, poll_s: float = 5.0) -> list[str]:
    """Register resource providers for the subscription (after the user agreed) and wait until each is
    registered; returns those registered. Raises BotshipError saying which failed and why."""
    say = on_line or (lambda line: None)
    providers = cloud.clients.resources.providers
    pending = [n for n in namespaces]
    for namespace in pending:
        try:
            providers.register(namespace, **CALL)
        except Exception as exc:  # noqa: BLE001
            error = translate(exc, f"registering {namespace}")
            if error_code(exc) in ("AuthorizationFailed", "Forbidden"):
                raise BotshipError(f"you may not register {namespace} for this subscription", error.why,
                                   "ask a subscription Owner or Contributor to register it (Subscriptions → "
                                   "Resource providers), or grant you */register/action") from None
            raise error from None
        say(f"registering {namespace}…")
    deadline = time.monotonic() + wait_s
    done: list[str] = []
    while pending:
        states = provider_states(cloud, pending)
        for namespace, state in states.items():
            if state == "Registered":
                done.append(namespace)
                say(f"{namespace} registered")
        pending = [n for n, s in states.items() if s != "Registered"]
        if not pending:
            break
        if time.monotonic() >= deadline:
            raise BotshipError(f"{', '.join(pending)} still not registered after {wait_s:.0f} s",
                               "Azure registers resource providers in the background; it can take a while",
                               "check again in a few minutes (`botship doctor`)")
        time.sleep(poll_s)
    return done


def apply_remedy(cloud: Any, remedy: str, on_line: Callable[[str], None] | None = None) -> str:
    """Put right what a check named as its remedy (the user agreed); returns what was done."""
    if remedy != REGISTER_PROVIDERS:
        raise BotshipError(f"Azure Functions cannot fix '{remedy}' itself", fix="follow the check's advice")
    missing = missing_providers(cloud)
    if not missing:
        return "every resource provider botship needs was already registered"
    done = register_providers(cloud, missing, on_line=on_line)
    return f"registered {', '.join(done)} for subscription {cloud.subscription_id}"


# ---- the resource group and the permissions there --------------------------------------------------------------

def _group(cloud: Any) -> tuple[bool, Check]:
    group = cloud.resource_group
    try:
        found = cloud.clients.resources.resource_groups.get(group, **CALL)
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) == "ResourceGroupNotFound" or getattr(exc, "status_code", None) == 404:
            return False, Check("resource group", True, f"{group} does not exist yet: the deploy creates it in "
                                                        f"{cloud.location}")
        error = translate(exc, f"reading resource group {group}")
        return True, Check("resource group", None, f"not checked: {error.what}", error.fix)
    return True, Check("resource group", True, f"{group} exists ({found.location})")


def action_allowed(action: str, permissions: Iterable[Any]) -> bool:
    """Whether `action` is in the Actions of some permission and not in that permission's NotActions
    (Azure's rule: each role's NotActions subtract from its own Actions; roles add up)."""
    for permission in permissions:
        actions = getattr(permission, "actions", None) or []
        not_actions = getattr(permission, "not_actions", None) or []
        if any(_matches(pattern, action) for pattern in actions) and not any(
                _matches(pattern, action) for pattern in not_actions):
            return True
    return False


def _matches(pattern: str, action: str) -> bool:
    regex = "^" + ".*".join(re.escape(part) for part in str(pattern).split("*")) + "$"
    return re.match(regex, action, re.IGNORECASE) is not None


def _group_permissions(cloud: Any) -> list[Any]:
    return list(cloud.clients.authorization.permissions.list_for_resource_group(cloud.resource_group, **CALL))


def _subscription_permissions(cloud: Any, object_id: str) -> list[Any]:
    """What the identity holds at the subscription (or above), from its role assignments' definitions — there is
    no permissions API at the subscription."""
    authorization = cloud.clients.authorization
    subscription = f"/subscriptions/{cloud.subscription_id}".lower()
    assignments = authorization.role_assignments.list_for_subscription(filter=f"assignedTo('{object_id}')", **CALL)
    roles = {a.role_definition_id for a in assignments
             if subscription.startswith((a.scope or "").lower().rstrip("/")) or (a.scope or "") == "/"
             or (a.scope or "").lower().startswith("/providers/microsoft.management/managementgroups/")}
    permissions: list[Any] = []
    for role in sorted(r for r in roles if r):
        permissions += list(authorization.role_definitions.get_by_id(role, **CALL).permissions or [])
    return permissions


def _permissions(cloud: Any, identity: Any, group_exists: bool) -> list[Check]:
    where = (f"resource group {cloud.resource_group}" if group_exists
             else f"subscription {cloud.subscription_id} (the group does not exist yet)")
    try:
        if group_exists:
            permissions = _group_permissions(cloud)
        elif identity.object_id:
            permissions = _subscription_permissions(cloud, identity.object_id)
        else:
            return [Check("permissions", None, f"not checked on {where}: the sign-in's token names no object id",
                          "a missing permission will show up as a failed step, with its name")]
    except Exception as exc:  # noqa: BLE001 - not being able to check is reported; the deploy may still go on
        error = translate(exc, f"reading your permissions on {where}")
        return [Check("permissions", None, f"not checked: {error.what}" + (f" ({error.why})" if error.why else ""),
                      "a missing permission will show up as a failed step, with its name")]
    actions = required_actions(group_exists)
    missing = [a for a in actions if not action_allowed(a, permissions)]
    # Contributor lacks both: one ✗ for role assignments says what to ask for.
    role_actions = (ROLE_ASSIGNMENT_ACTION, "Microsoft.Authorization/roleAssignments/delete")
    others = [a for a in missing if a not in role_actions]
    checks = []
    if others:
        shown = ", ".join(others[:6]) + (f" and {len(others) - 6} more" if len(others) > 6 else "")
        checks.append(Check("permissions", False, f"{len(others)} actions a deploy uses are not allowed on {where}: "
                                                  f"{shown}",
                            "ask for the Contributor role there, or a custom role with exactly botship's actions "
                            "(`botship doctor --policy`)"))
    else:
        checks.append(Check("permissions", True, f"you may create and manage resources in {where}"))
    if any(a in missing for a in role_actions):
        checks.append(Check("role assignments", False, ROLE_ASSIGNMENT_MISSING, ROLE_ASSIGNMENT_FIX))
    else:
        checks.append(Check("role assignments", True, f"you may create role assignments in {where}"))
    return checks


# ---- names: global across Azure, free or already the bot's own -------------------------------------------------

def _not_checked(name: str, exc: BaseException, doing: str) -> Check:
    error = translate(exc, doing)
    return Check(name, None, f"not checked: {error.what}" + (f" ({error.why})" if error.why else ""), error.fix)


_TAKEN_FIX = "names are global across Azure: choose another bot_name (the names derive from it) and check again"


def _global_name(label: str, name: str, what: str, read_own: Callable[[], Any], available: Callable[[], Any],
                 deleted: Callable[[], Check | None] | None = None) -> Check:
    """A global name: ours already (it reads in the bot's group), held by a deleted resource (`deleted` says), or
    free — else taken elsewhere in Azure."""
    try:
        read_own()
        return Check(label, True, f"{name} exists and is the bot's own")
    except Exception as exc:  # noqa: BLE001
        if not is_missing(exc):
            return _not_checked(label, exc, f"reading {what} {name}")
    if deleted is not None and (found := deleted()) is not None:
        return found
    try:
        answer = available()
    except Exception as exc:  # noqa: BLE001
        return _not_checked(label, exc, f"checking the {what} name")
    if answer.name_available:
        return Check(label, True, f"{name} is free")
    return Check(label, False, f"{name} is taken elsewhere in Azure"
                 + (f" ({answer.message})" if answer.message else ""), _TAKEN_FIX)


def _storage_name(cloud: Any, names: Any) -> Check:
    name, storage = names.storage_account, cloud.clients.storage
    return _global_name(
        "storage account name", name, "storage account",
        lambda: storage.storage_accounts.get_properties(names.resource_group, name, **CALL),
        lambda: storage.storage_accounts.check_name_availability(
            {"name": name, "type": "Microsoft.Storage/storageAccounts"}, **CALL))


def _app_name(cloud: Any, names: Any) -> Check:
    name, web = names.function_app, cloud.clients.web
    return _global_name("function app name", name, "function app",
                        lambda: web.web_apps.get(names.resource_group, name, **CALL),
                        lambda: web.check_name_availability({"name": name, "type": "Site"}, **CALL))


def _vault_name(cloud: Any, names: Any) -> Check:
    name, keyvault = names.vault, cloud.clients.keyvault

    def deleted() -> Check | None:
        """A soft-deleted vault holding the name: the bot's own (recoverable), or another group's."""
        try:
            found = keyvault.vaults.get_deleted(name, cloud.location, **CALL)
        except Exception as exc:  # noqa: BLE001
            return None if is_missing(exc) else _not_checked("vault name", exc, f"looking for a deleted vault {name}")
        vault_id = str(getattr(found.properties, "vault_id", "") or "")
        purge = getattr(found.properties, "scheduled_purge_date", None)
        when = f" until {purge:%Y-%m-%d}" if purge else ""
        if f"/resourcegroups/{names.resource_group.lower()}/" in vault_id.lower():
            return Check("vault name", None, f"{name} was deleted and is kept by soft delete{when}",
                         "the deploy asks whether to recover it (its secrets come back) or purge it")
        return Check("vault name", False, f"{name} is a deleted vault of another resource group, kept{when}",
                     _TAKEN_FIX)

    return _global_name("vault name", name, "vault", lambda: keyvault.vaults.get(names.resource_group, name, **CALL),
                        lambda: keyvault.vaults.check_name_availability(
                            {"name": name, "type": "Microsoft.KeyVault/vaults"}, **CALL), deleted)
