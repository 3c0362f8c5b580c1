"""The bot's own storage account (never shared): its settings, blob versioning with a lifecycle rule that deletes
old versions after the state's retention window, and its private containers (the mode's state, the packages).

Shared-key access is off on Flex (the app reaches storage with its managed identity); Linux Consumption needs it
on for the AzureWebJobsStorage connection string and its content share.
"""

from __future__ import annotations

from typing import Any

from botship.errors import BotshipError

from ..plan import Action, Step
from .clients import AzureClients
from .group import merged_tags, read, read_at_subscription, refuse_if_taken, writing
from .names import AzureNames, tags_match

SKU = "Standard_LRS"
KIND = "StorageV2"
TLS = "TLS1_2"
LIFECYCLE_RULE = "botshipStateHistory"  # lifecycle rule names are letters and digits only
POLICY_NAME = "default"  # an account has one management policy, always named "default"


class StorageAccount:
    def __init__(self, clients: AzureClients, names: AzureNames, tags: dict[str, str], *, mode: str,
                 retention_days: int, shared_key: bool) -> None:
        self.clients, self.names, self.tags = clients, names, tags
        self.mode, self.retention_days, self.shared_key = mode, retention_days, shared_key
        self.account = names.storage_account

    @property
    def api(self):
        return self.clients.storage

    @property
    def containers(self) -> list[str]:
        return [self.names.state_container(self.mode), self.names.packages_container]

    # ---- reading ----------------------------------------------------------------------------------------------

    def read(self) -> dict[str, Any] | None:
        """The account and everything botship sets on it, or None when the account does not exist."""
        rg, name = self.names.resource_group, self.account
        account = read(lambda: self.api.storage_accounts.get_properties(rg, name), f"reading storage account {name}")
        if account is None:
            return None
        service = read(lambda: self.api.blob_services.get_service_properties(rg, name),
                       f"reading the blob service of {name}")
        policy = read(lambda: self.api.management_policies.get(rg, name, POLICY_NAME),
                      f"reading the lifecycle policy of {name}")
        containers = {c: read(lambda c=c: self.api.blob_containers.get(rg, name, c), f"reading container {c}")
                      for c in self.containers}
        return {"account": account, "versioning": bool(service and service.is_versioning_enabled),
                "rules": list((policy.policy.rules if policy and policy.policy else None) or []),
                "containers": containers}

    def _rule(self, rules: list[Any]) -> Any | None:
        return next((r for r in rules if r.name == LIFECYCLE_RULE), None)

    def _rule_days(self, rule: Any | None) -> int | None:
        try:
            return int(rule.definition.actions.version.delete.days_after_creation_greater_than)
        except (AttributeError, TypeError, ValueError):
            return None

    def drift(self, current: dict[str, Any]) -> list[str]:
        """What differs from what botship sets, in words."""
        account = current["account"]
        found: list[str] = []
        if (account.sku.name if account.sku else None) != SKU:
            found.append(f"sku {SKU}")
        if account.kind != KIND:
            found.append(f"kind {KIND}")
        if account.enable_https_traffic_only is not True:
            found.append("https only")
        if account.minimum_tls_version != TLS:
            found.append("TLS 1.2 minimum")
        if account.allow_blob_public_access is not False:
            found.append("no public blob access")
        if bool(account.allow_shared_key_access is not False) != self.shared_key:
            found.append("shared-key access " + ("on" if self.shared_key else "off"))
        if not tags_match(account.tags or {}, self.tags):
            found.append("tags")
        if not current["versioning"]:
            found.append("blob versioning")
        rule = self._rule(current["rules"])
        if rule is None or rule.enabled is False or self._rule_days(rule) != self.retention_days:
            found.append(f"old state versions deleted after {self.retention_days} days")
        for name, container in current["containers"].items():
            if container is None:
                found.append(f"container {name}")
            elif (container.public_access or "None") != "None":
                found.append(f"container {name} private")
        return found

    def outputs(self, account: Any) -> dict[str, Any]:
        endpoints = account.primary_endpoints
        return {"account": self.account, "id": account.id, "blob": endpoints.blob, "queue": endpoints.queue,
                "table": endpoints.table, "file": endpoints.file}

    # ---- planning and converging ------------------------------------------------------------------------------

    def step(self) -> Step:
        current = self.read()
        if current is None:
            self._check_available()
            detail = (f"{SKU}, {KIND}, HTTPS and TLS 1.2 only, no public access, shared keys "
                      f"{'on (Consumption needs them)' if self.shared_key else 'off'}; versioned, old versions deleted "
                      f"after {self.retention_days} days; containers {', '.join(self.containers)}")
            return Step("storage", "Storage account", self.account, Action.CREATE, self.apply, detail=detail)
        drift = self.drift(current)
        return Step("storage", "Storage account", self.account, Action.UPDATE if drift else Action.NO_CHANGE,
                    self.apply, detail=("fix: " + ", ".join(drift)) if drift else "",
                    outputs=self.outputs(current["account"]))

    def _check_available(self) -> None:
        """Storage account names are global: one another subscription holds can never be ours."""
        name = self.account
        answer = read_at_subscription(lambda: self.api.storage_accounts.check_name_availability(
            {"name": name, "type": "Microsoft.Storage/storageAccounts"}), f"checking the name {name}")
        refuse_if_taken("storage account", name, answer)

    def apply(self, ctx) -> dict[str, Any]:
        rg, name = self.names.resource_group, self.account
        current = self.read()
        with writing(f"setting up storage account {name}"):
            if current is None:
                self._check_available()
                ctx.log(f"creating storage account {name} (about half a minute)")
                self.api.storage_accounts.begin_create(rg, name, {
                    "sku": {"name": SKU}, "kind": KIND, "location": self.names.location, "tags": self.tags,
                    "properties": self._properties()}).result()
                current = self.read()
                if current is None:
                    raise BotshipError(f"storage account {name} was created but cannot be read back",
                                       fix="re-run in a minute; it is safe")
            else:
                account = current["account"]
                settings = [d for d in self.drift(current)
                            if d.startswith(("sku", "kind", "https", "TLS", "no public", "shared-key", "tags"))]
                if settings:
                    ctx.check_cancelled()
                    body: dict[str, Any] = {"properties": self._properties(),
                                            "tags": merged_tags(account.tags, self.tags)}
                    if (account.sku.name if account.sku else None) != SKU:
                        body["sku"] = {"name": SKU}
                    if account.kind != KIND:
                        body["kind"] = KIND
                    self.api.storage_accounts.update(rg, name, body)
                    ctx.log("set " + ", ".join(settings))
            if not current["versioning"]:
                ctx.check_cancelled()
                self.api.blob_services.set_service_properties(rg, name, {"properties": {"isVersioningEnabled": True}})
                ctx.log("blob versioning on")
            rule = self._rule(current["rules"])
            if rule is None or rule.enabled is False or self._rule_days(rule) != self.retention_days:
                ctx.check_cancelled()
                others = [r.as_dict() for r in current["rules"] if r.name != LIFECYCLE_RULE]
                self.api.management_policies.create_or_update(
                    rg, name, POLICY_NAME, {"properties": {"policy": {"rules": others + [self._lifecycle_rule()]}}})
                ctx.log(f"old state versions are deleted after {self.retention_days} days")
            for container, found in current["containers"].items():
                ctx.check_cancelled()
                if found is None:
                    self.api.blob_containers.create(rg, name, container, {"properties": {"publicAccess": "None"}})
                    ctx.log(f"container {container} (private)")
                elif (found.public_access or "None") != "None":
                    self.api.blob_containers.create(rg, name, container, {"properties": {"publicAccess": "None"}})
                    ctx.log(f"container {container} made private")
        return self.outputs(current["account"])

    def _properties(self) -> dict[str, Any]:
        return {"supportsHttpsTrafficOnly": True, "minimumTlsVersion": TLS, "allowBlobPublicAccess": False,
                "allowSharedKeyAccess": self.shared_key}

    def _lifecycle_rule(self) -> dict[str, Any]:
        return {"name": LIFECYCLE_RULE, "enabled": True, "type": "Lifecycle", "definition": {
            "actions": {"version": {"delete": {"daysAfterCreationGreaterThan": self.retention_days}}},
            "filters": {"blobTypes": ["blockBlob"]}}}


def storage_exists(clients: AzureClients, names: AzureNames) -> Any | None:
    """The bot's storage account, or None."""
    return read(lambda: clients.storage.storage_accounts.get_properties(names.resource_group, names.storage_account),
                "reading what is deployed")
