"""The bot's Key Vault (RBAC mode, soft delete) and the secret values in it.

App settings refer to the secrets (`@Microsoft.KeyVault(SecretUri=…)`), never hold them. A destroyed vault stays
soft-deleted for SOFT_DELETE_DAYS with its name reserved: a deploy recovers the bot's own vault (the deleted vault
still carries the bot's tag and resource group), and for any other vault of that name asks for consent — recover it
or purge it — given as `vault_consent` on the deploy context (`botship deploy --deleted-vault recover|purge`,
or the wizard's choice); without it the plan raises ConsentNeeded naming both.

The deploying identity gives itself "Key Vault Secrets Officer" on the vault (RBAC vaults have no access
policies), and writes a value only when it differs from the stored one; values are never logged.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from botship.errors import BadInput, BotshipError

from ..plan import Action, Step
from .clients import AzureClients
from .errors import error_code, translate
from .group import (
    ROLE_EFFECT_S,
    Deployer,
    Grant,
    RoleAssignments,
    is_missing,
    merged_tags,
    read,
    read_at_subscription,
    refuse_if_taken,
    writing,
)
from .names import BOT_TAG, AzureNames, secret_name, tags_match

# How long a deleted vault (and its name) is kept, recoverable: the shortest Key Vault allows (7–90 days).
SOFT_DELETE_DAYS = 7
CONSENTS = ("recover", "purge")
DEPLOYER_ROLE = "Key Vault Secrets Officer"


def consent_of(context: Any) -> str | None:
    """What the user said to do with a soft-deleted vault holding the bot's vault name: recover, purge, or None."""
    given = getattr(context, "vault_consent", None) or None
    if given is not None and given not in CONSENTS:
        raise BadInput(f"--deleted-vault {given}: not one of {', '.join(CONSENTS)}",
                       fix="recover brings the deleted vault back; purge deletes it for good and makes a new one")
    return given


class KeyVault:
    """The vault itself and the deployer's data role on it."""

    def __init__(self, clients: AzureClients, names: AzureNames, tags: dict[str, str], deployer: Deployer,
                 consent: str | None) -> None:
        self.clients, self.names, self.tags, self.deployer, self.consent = clients, names, tags, deployer, consent
        self.name = names.vault
        self.roles = RoleAssignments(clients, names.subscription_id)

    @property
    def api(self):
        return self.clients.keyvault.vaults

    @property
    def grant(self) -> Grant:
        return Grant(DEPLOYER_ROLE, self.deployer.principal_id, self.deployer.principal_type, self.names.vault_id,
                     "you (the deploying identity) on the vault")

    def read(self) -> Any | None:
        return read(lambda: self.api.get(self.names.resource_group, self.name), f"reading key vault {self.name}")

    def deleted(self) -> Any | None:
        return read_at_subscription(lambda: self.api.get_deleted(self.name, self.names.location),
                    f"reading deleted key vaults named {self.name}")

    def _ours(self, deleted: Any) -> bool:
        props = deleted.properties
        tags = (props.tags if props else None) or {}
        return (tags.get(BOT_TAG) == self.names.bot
                and (props.vault_id or "").lower() == self.names.vault_id.lower())

    def drift(self, vault: Any) -> list[str]:
        props = vault.properties
        found = []
        if props.enable_rbac_authorization is not True:
            found.append("RBAC authorization")
        if not tags_match(vault.tags or {}, self.tags):
            found.append("tags")
        return found

    def step(self) -> Step:
        vault = self.read()
        if vault is None:
            deleted = self.deleted()
            if deleted is not None:
                choice = self._choice(deleted)
                when = _date(deleted.properties.deletion_date if deleted.properties else None)
                detail = (f"recover the vault deleted {when} (with its secrets), then set this deploy's values"
                          if choice == "recover" else f"purge the vault deleted {when}, then create a new one")
                return Step("vault", "Key vault", self.name, Action.UPDATE if choice == "recover" else Action.CREATE,
                            self.apply, detail=detail)
            self._check_available()
            return Step("vault", "Key vault", self.name, Action.CREATE, self.apply,
                        detail=f"RBAC mode; kept {SOFT_DELETE_DAYS} days after a destroy (soft delete)")
        drift = self.drift(vault)
        if self.roles.find(self.grant) is None:
            drift.append(f"your {DEPLOYER_ROLE} role")
        return Step("vault", "Key vault", self.name, Action.UPDATE if drift else Action.NO_CHANGE, self.apply,
                    detail=("fix: " + ", ".join(drift)) if drift else "",
                    outputs={"vault_uri": vault.properties.vault_uri, "id": vault.id, "role_ready": True})

    def _choice(self, deleted: Any) -> str:
        if self._ours(deleted):
            return self.consent or "recover"
        if self.consent:
            return self.consent
        from ..base import ConsentNeeded

        purge_on = _date(deleted.properties.scheduled_purge_date if deleted.properties else None)
        raise ConsentNeeded(
            f"the key vault name {self.name} is held by a soft-deleted vault that botship cannot tell is this bot's",
            f"Key Vault keeps a deleted vault, and its name, until {purge_on}; botship derives the name from the bot, "
            "subscription and resource group; nothing was changed",
            "choose one: recover it (it comes back with its secrets; botship then sets this deploy's values), or "
            "purge it (deleted for good, its secrets too, and a new vault is made; needs the right to purge) — "
            "`botship deploy --deleted-vault recover` or `--deleted-vault purge`",
            key="vault_consent", options=[("recover", "bring the deleted vault back, with its secrets"),
                                          ("purge", "delete it for good and make a new vault")])

    def apply(self, ctx) -> dict[str, Any]:
        rg = self.names.resource_group
        vault = self.read()
        with writing(f"setting up key vault {self.name}"):
            if vault is None:
                deleted = self.deleted()
                mode = "default"
                if deleted is not None:
                    choice = self._choice(deleted)
                    if choice == "purge":
                        ctx.log(f"purging the soft-deleted vault {self.name} (it cannot be recovered after this)")
                        self.api.begin_purge_deleted(self.name, self.names.location).result()
                    else:
                        mode = "recover"
                        ctx.log(f"recovering the soft-deleted vault {self.name}")
                vault = self.api.begin_create_or_update(rg, self.name, {
                    "location": self.names.location, "tags": self.tags, "properties": self._properties(mode)}).result()
                if mode == "recover" and not tags_match(vault.tags or {}, self.tags) or (
                        vault.properties.enable_rbac_authorization is not True):
                    vault = self._patch(vault)
                ctx.log(f"{'recovered' if mode == 'recover' else 'created'} key vault {self.name}")
            elif self.drift(vault):
                vault = self._patch(vault)
                ctx.log("set " + ", ".join(self.drift(vault) or ["RBAC authorization, tags"]))
        made = self.roles.ensure(self.grant, ctx)
        return {"vault_uri": vault.properties.vault_uri, "id": vault.id, "role_ready": not made}

    def _patch(self, vault: Any) -> Any:
        """The vault written again whole (tags merged, RBAC on); its tenant and soft-delete window stay as they are."""
        props = self._properties("default")
        props["tenantId"] = vault.properties.tenant_id or props["tenantId"]
        if vault.properties.soft_delete_retention_in_days:
            props["softDeleteRetentionInDays"] = vault.properties.soft_delete_retention_in_days
        return self.api.begin_create_or_update(self.names.resource_group, self.name, {
            "location": vault.location or self.names.location, "tags": merged_tags(vault.tags, self.tags),
            "properties": props}).result()

    def _check_available(self) -> None:
        request = {"name": self.name, "type": "Microsoft.KeyVault/vaults"}
        answer = read_at_subscription(lambda: self.api.check_name_availability(request),
                                      f"checking the name {self.name}")
        refuse_if_taken("key vault", self.name, answer)

    def _properties(self, mode: str) -> dict[str, Any]:
        props: dict[str, Any] = {"tenantId": self.deployer.tenant_id, "sku": {"family": "A", "name": "standard"},
                                 "enableRbacAuthorization": True, "enableSoftDelete": True,
                                 "softDeleteRetentionInDays": SOFT_DELETE_DAYS}
        if mode == "recover":
            props["createMode"] = "recover"
        return props


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value or "an unknown date")


class VaultSecrets:
    """The secret values: each written only when it differs from the stored one, and those botship wrote before
    that the profile no longer has are deleted (soft delete)."""

    def __init__(self, clients: AzureClients, names: AzureNames, values: Any, vault_uri: str | None) -> None:
        self.clients, self.names, self.values = clients, names, values
        self.vault_uri = vault_uri  # known at plan time when the vault exists

    def _client(self, vault_uri: str):
        return self.clients.secrets(vault_uri)

    def _stored(self, vault_uri: str) -> tuple[dict[str, Any] | None, list[str]]:
        """Per variable, the stored secret (None when absent); and botship's secrets no variable names any more.
        (None, []) when the deployer may not read them (yet)."""
        client = self._client(vault_uri)
        try:
            stored: dict[str, Any] = {}
            for variable in self.values:
                try:
                    stored[variable] = client.get_secret(secret_name(variable))
                except Exception as exc:  # noqa: BLE001
                    if not is_missing(exc):
                        raise
                    stored[variable] = None
            wanted = {secret_name(v) for v in self.values}
            stale = [p.name for p in client.list_properties_of_secrets()
                     if (p.tags or {}).get(BOT_TAG) == self.names.bot and p.name not in wanted]
        except Exception as exc:  # noqa: BLE001
            if _forbidden(exc):
                return None, []
            raise translate(exc, f"reading the secrets in {self.names.vault}") from None
        return stored, stale

    @staticmethod
    def versions_of(stored: dict[str, Any]) -> dict[str, str]:
        return {variable: secret.properties.version for variable, secret in stored.items()}

    def step(self) -> Step | None:
        if not self.values and self.vault_uri is None:
            return None
        names = ", ".join(self.values) or "none"
        if self.vault_uri is None:
            return Step("secrets", "Secret values", self.names.vault, Action.CREATE, self.apply, detail=names)
        stored, stale = self._stored(self.vault_uri)
        if not self.values and not stale:
            return None  # no secret to keep, none of botship's to remove
        if stored is None:
            return Step("secrets", "Secret values", self.names.vault, Action.UPDATE, self.apply,
                        detail=f"{names} (not readable yet: checked when the step runs)")
        changed = [v for v in self.values if stored[v] is None or stored[v].value != self.values[v]]
        if not changed and not stale:
            return Step("secrets", "Secret values", self.names.vault, Action.NO_CHANGE, self.apply, detail=names,
                        outputs={"uris": self.uris(self.vault_uri), "versions": self.versions_of(stored)})
        detail = ", ".join(changed + [f"remove {s}" for s in stale])
        return Step("secrets", "Secret values", self.names.vault,
                    Action.CREATE if all(stored[v] is None for v in self.values) and not stale else Action.UPDATE,
                    self.apply, detail=detail)

    @staticmethod
    def _recovered(client: Any, variable: str) -> bool:
        """A secret the profile dropped earlier is soft-deleted (its name reserved, a new value refused) for the
        vault's retention: brought back, so the new value is written as its next version."""
        try:
            client.get_deleted_secret(secret_name(variable))
        except Exception as exc:  # noqa: BLE001
            if is_missing(exc):
                return False
            raise
        client.begin_recover_deleted_secret(secret_name(variable)).result()
        return True

    def uris(self, vault_uri: str) -> dict[str, str]:
        base = vault_uri if vault_uri.endswith("/") else vault_uri + "/"
        return {variable: f"{base}secrets/{secret_name(variable)}/" for variable in self.values}

    def apply(self, ctx) -> dict[str, Any]:
        vault = ctx.outputs.get("vault", {})
        vault_uri = vault.get("vault_uri") or self.vault_uri
        deadline = time.monotonic() + ROLE_EFFECT_S
        while True:
            ctx.check_cancelled()
            stored, stale = self._stored(vault_uri)
            if stored is not None:
                break
            if time.monotonic() > deadline:
                raise BotshipError(f"the {DEPLOYER_ROLE} role on {self.names.vault} has not taken effect",
                                   f"Azure still refuses the deploying identity after {ROLE_EFFECT_S} s",
                                   "re-run in a few minutes; it is safe")
            ctx.log(f"waiting for your {DEPLOYER_ROLE} role on the vault to take effect (Azure's propagation)")
            ctx.wait(5)
        client = self._client(vault_uri)
        try:
            for variable, value in self.values.items():
                current = stored.get(variable)
                if current is not None and current.value == value:
                    continue
                ctx.check_cancelled()
                if current is None and self._recovered(client, variable):
                    ctx.log(f"recovered {variable} (removed from the profile earlier; Key Vault kept it soft-deleted)")
                stored[variable] = client.set_secret(secret_name(variable), value, tags={BOT_TAG: self.names.bot},
                                                     content_type="botship secret")
                ctx.log(f"{'updated' if current is not None else 'stored'} {variable}")
            for name in stale:
                ctx.check_cancelled()
                client.begin_delete_secret(name)
                ctx.log(f"removed {name} (the profile no longer has it; soft-deleted)")
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"writing the secrets in {self.names.vault}") from None
        return {"uris": self.uris(vault_uri), "versions": self.versions_of(stored)}


def secrets_fingerprint(versions: dict[str, str]) -> str:
    """A short hash of the secrets' versions: an app setting that changes with any value, so the app restarts and
    resolves its Key Vault references again (the platform caches them for up to a day)."""
    text = "\n".join(f"{k}={v}" for k, v in sorted(versions.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _forbidden(exc: BaseException) -> bool:
    return getattr(exc, "status_code", None) == 403 or error_code(exc) in ("Forbidden", "ForbiddenByRbac")
