"""The bot's resource group (created or reused, tagged), and what every Azure step shares: reading a resource that
may be absent, tags compared the way AWS compares them, who is deploying, and role assignments made once.

Each step reads its resource again when it runs, so a re-run after any failure converges and an unchanged re-run
makes no write.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botship.errors import BotshipError

from ..plan import Action, Step
from .clients import AzureClients
from .errors import ROLE_ASSIGNMENT_FIX, error_code, translate
from .names import INFO_TAGS, AzureNames, tags_match

T = TypeVar("T")

# A tag botship puts on a resource group it created: only such a group is deleted by a destroy (none is, today:
# a group may hold what is not the bot's), and `botship:bot` is not put on a group botship merely reused.
CREATED_TAG = "botship:created"

# Built-in role definitions: the same GUIDs in every Azure cloud.
ROLES = {
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
}
# How long a role assignment for a just-created identity is retried while Entra ID has not yet propagated it.
PRINCIPAL_PROPAGATION_S = 300
# How long a data role the deployer just gave itself is waited on before it lets the deployer in.
ROLE_EFFECT_S = 300


def is_missing(exc: BaseException) -> bool:
    from azure.core.exceptions import ResourceNotFoundError

    if error_code(exc) in ("SubscriptionNotFound", "InvalidSubscriptionId", "MissingSubscriptionRegistration",
                           "NoRegisteredProviderFound"):
        return False
    return isinstance(exc, ResourceNotFoundError) or getattr(exc, "status_code", None) == 404 or error_code(exc) in (
        "ResourceNotFound", "ResourceGroupNotFound", "NotFound", "ParentResourceNotFound", "SecretNotFound",
        "ContainerNotFound", "ManagementPolicyNotFound", "VaultNotFound", "StorageAccountNotFound")


def read(call: Callable[[], T], doing: str) -> T | None:
    """`call()`, or None when what it reads does not exist; any other failure becomes a message with a fix."""
    try:
        return call()
    except BotshipError:
        raise
    except Exception as exc:  # noqa: BLE001 - sorted: absent, or translated
        if is_missing(exc):
            return None
        raise translate(exc, doing) from None


def read_at_subscription(call: Callable[[], T], doing: str) -> T | None:
    """A look-up Azure makes at the subscription, not the resource group (a global name's availability, a deleted
    vault, where a plan is offered): None also when a role given on the group only does not allow it — the
    create that follows is refused in plain words if the name is taken after all."""
    try:
        return read(call, doing)
    except BotshipError as exc:
        if "not allowed" in exc.what:
            return None
        raise


def refuse_if_taken(what: str, name: str, answer: Any) -> None:
    """Stop, saying what to do, when a name-availability `answer` says a global `name` is someone else's."""
    if answer is not None and answer.name_available is False:
        raise BotshipError(f"the {what} name {name} is taken elsewhere in Azure",
                           f"{what} names are global; {answer.message or answer.reason or 'Azure says it is in use'}",
                           "botship derives it from the bot name, subscription and resource group: choose another "
                           "bot_name or resource group, then deploy again")


def writing(doing: str):
    """A decorator-free guard: `with writing("creating x"): ...` turns SDK errors into messages."""
    return _Writing(doing)


class _Writing:
    def __init__(self, doing: str) -> None:
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, BotshipError) or not isinstance(exc, Exception):
            return False
        raise translate(exc, self.doing) from None


def meaningful(tags: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (tags or {}).items() if k not in INFO_TAGS}


def merged_tags(stored: dict[str, str] | None, wanted: dict[str, str]) -> dict[str, str]:
    """What a resource's tags become: its own kept, ours set (a PUT of tags replaces them all)."""
    return {**(stored or {}), **wanted}


def step_action(exists: bool, drift: list[str]) -> tuple[Action, str]:
    if not exists:
        return Action.CREATE, ""
    return (Action.UPDATE, "fix: " + ", ".join(drift)) if drift else (Action.NO_CHANGE, "")


class Converged:
    """A resource brought to what botship wants: read, compared (`drift`), and written only when it differs — at
    planning (the step's action) and again when the step runs (what was read then may be stale by now)."""

    step_id: str
    title: str
    name: str
    tags: dict[str, str]

    def read(self) -> Any | None:
        raise NotImplementedError

    def drift(self, found: Any) -> list[str]:
        """What differs from what botship wants (empty: nothing to do)."""
        return [] if tags_match(found.tags or {}, self.tags) else ["tags"]

    def check(self, found: Any | None) -> None:
        """Raises when what is there cannot become what is wanted (before anything is written)."""

    def create_detail(self) -> str:
        return ""

    def outputs(self, found: Any) -> dict[str, Any]:
        return {"id": found.id}

    def write(self, found: Any | None) -> Any:
        """Create or update the resource (keeping `found`'s own tags); returns it as it is now."""
        raise NotImplementedError

    def written(self) -> str:
        """The log line once written."""
        return f"{self.title} {self.name}"

    def step(self) -> Step:
        found = self.read()
        self.check(found)
        if found is None:
            return Step(self.step_id, self.title, self.name, Action.CREATE, self.apply, detail=self.create_detail())
        action, detail = step_action(True, self.drift(found))
        return Step(self.step_id, self.title, self.name, action, self.apply, detail=detail,
                    outputs=self.outputs(found))

    def apply(self, ctx) -> dict[str, Any]:
        found = self.read()
        self.check(found)
        if found is None or self.drift(found):
            with writing(f"setting up {self.title} {self.name}"):
                found = self.write(found)
            ctx.log(self.written())
        return self.outputs(found)


# ---- who is deploying ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deployer:
    """The signed-in identity, from its Resource Manager token: its object id (for role assignments), its tenant
    (a vault's tenant) and whether it is a user or an application."""

    principal_id: str
    tenant_id: str
    principal_type: str  # "User" | "ServicePrincipal"

    @classmethod
    def of(cls, clients: AzureClients) -> Deployer:
        try:
            token = clients.token()
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "signing in") from None
        claims = _claims(token)
        principal = str(claims.get("oid") or "")
        tenant = str(claims.get("tid") or clients.tenant_id or "")
        if not principal or not tenant:
            raise BotshipError("the Azure sign-in does not say who it is (no object id in its token)",
                               "botship gives the deploying identity a data role on the bot's key vault",
                               "sign in as a user or service principal of the tenant (not a personal Microsoft "
                               "account's guest token), then re-run")
        # A user's token is delegated (it has scopes, `scp`); an application's or a managed identity's is not.
        app = claims.get("idtyp") == "app" or (bool(claims) and "scp" not in claims)
        return cls(principal, tenant, "ServicePrincipal" if app else "User")


def _claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


# ---- role assignments --------------------------------------------------------------------------------------------

def role_definition_id(subscription_id: str, role: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{ROLES[role]}"


def assignment_name(scope: str, role: str, principal_id: str) -> str:
    """The role assignment's name (a GUID), derived: the same assignment is never made twice under two names."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"botship:{scope.lower()}|{ROLES[role]}|{principal_id.lower()}"))


@dataclass(frozen=True)
class Grant:
    """One role for one principal on one scope."""

    role: str
    principal_id: str
    principal_type: str
    scope: str
    describe: str  # "the function app on its storage account"


class RoleAssignments:
    def __init__(self, clients: AzureClients, subscription_id: str) -> None:
        self.clients = clients
        self.subscription_id = subscription_id

    @property
    def api(self):
        return self.clients.authorization.role_assignments

    def find(self, grant: Grant) -> Any | None:
        """The assignment that gives `grant` (whatever its name), or None."""
        wanted = ROLES[grant.role].lower()
        query = f"principalId eq '{grant.principal_id}'"
        found = read(lambda: list(self.api.list_for_scope(grant.scope, filter=query)),
                     f"reading role assignments on {grant.scope.rsplit('/', 1)[-1]}") or []
        for assignment in found:
            if ((assignment.scope or "").lower() == grant.scope.lower()
                    and (assignment.role_definition_id or "").lower().endswith(wanted)
                    and (assignment.principal_id or "").lower() == grant.principal_id.lower()):
                return assignment
        return None

    def ensure(self, grant: Grant, ctx) -> bool:
        """Make the assignment unless it exists; True when one was made. A principal Entra ID has not yet
        propagated is retried, said live."""
        from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

        if self.find(grant) is not None:
            return False
        parameters = RoleAssignmentCreateParameters(
            role_definition_id=role_definition_id(self.subscription_id, grant.role), principal_id=grant.principal_id,
            principal_type=grant.principal_type, description="botship")
        deadline = time.monotonic() + PRINCIPAL_PROPAGATION_S
        pause = 1.0
        while True:
            ctx.check_cancelled()
            try:
                self.api.create(grant.scope, assignment_name(grant.scope, grant.role, grant.principal_id), parameters)
                ctx.log(f"role {grant.role} given to {grant.describe}")
                return True
            except Exception as exc:  # noqa: BLE001 - sorted below
                code = error_code(exc)
                if code == "RoleAssignmentExists":
                    return False
                if code in ("PrincipalNotFound", "PrincipalNotFoundInTenant") and time.monotonic() < deadline:
                    left = int(deadline - time.monotonic())
                    ctx.log(f"the new identity is not yet known to Entra ID (propagation) — retrying the "
                            f"{grant.role} assignment for up to {left} s more")
                    ctx.wait(pause)
                    pause = min(pause * 2, 10.0)
                    continue
                if code in ("AuthorizationFailed", "LinkedAuthorizationFailed"):
                    raise BotshipError(f"not allowed to give {grant.describe} the role {grant.role}",
                                       getattr(getattr(exc, "error", None), "message", None) or str(exc),
                                       ROLE_ASSIGNMENT_FIX) from None
                raise translate(exc, f"giving {grant.describe} the role {grant.role}") from None

    def remove(self, grant: Grant, ctx=None) -> bool:
        assignment = self.find(grant)
        if assignment is None:
            return False
        try:
            self.api.delete(grant.scope, assignment.name)
        except Exception as exc:  # noqa: BLE001
            if not is_missing(exc):
                raise translate(exc, f"removing the role {grant.role} of {grant.describe}") from None
        if ctx is not None:
            ctx.log(f"removed role {grant.role} of {grant.describe}")
        return True


# ---- the resource group ------------------------------------------------------------------------------------------

class ResourceGroup:
    """Created (tagged as botship's) or reused as it is; a reused group gets botship's tags only when it has them."""

    def __init__(self, clients: AzureClients, names: AzureNames, tags: dict[str, str]) -> None:
        self.clients, self.names = clients, names
        self.tags = tags

    def read(self) -> Any | None:
        return read(lambda: self.clients.resources.resource_groups.get(self.names.resource_group),
                    f"reading resource group {self.names.resource_group}")

    def wanted_tags(self, group: Any | None) -> dict[str, str]:
        """A group botship made says so; one it reuses is left as it is (it holds others' things). No bot's own
        tags: several bots share a group, and each one's deploy must leave it as the others' found it."""
        if group is None or (group.tags or {}).get(CREATED_TAG) == "true":
            return {CREATED_TAG: "true"}
        return {}

    def step(self) -> Step:
        group = self.read()
        drift = ["tags"] if group is not None and not tags_match(group.tags or {}, self.wanted_tags(group)) else []
        action, detail = step_action(group is not None, drift)
        if group is not None and not drift:
            created = (group.tags or {}).get(CREATED_TAG) == "true"
            detail = "" if created else "reused (made outside botship: left as it is)"
        if group is not None and group.location and group.location != self.names.location:
            where = f"the group is in {group.location}, the bot in {self.names.location}"
            detail = f"{detail}; {where}" if detail else where
        return Step("group", "Resource group", self.names.resource_group, action, self.apply, detail=detail,
                    outputs={"resource_group": self.names.resource_group})

    def apply(self, ctx) -> dict[str, Any]:
        from azure.mgmt.resource.resources.models import ResourceGroup as Group

        group = self.read()
        wanted = self.wanted_tags(group)
        with writing(f"creating resource group {self.names.resource_group}"):
            if group is None:
                self.clients.resources.resource_groups.create_or_update(
                    self.names.resource_group, Group(location=self.names.location, tags=wanted))
                ctx.log(f"created resource group {self.names.resource_group} in {self.names.location}")
            elif not tags_match(group.tags or {}, wanted):
                self.clients.resources.resource_groups.update(
                    self.names.resource_group, {"tags": merged_tags(group.tags, wanted)})
                ctx.log("tags set")
        return {"resource_group": self.names.resource_group}
