"""Removing a bot from Azure: each step reads first and deletes only what is there, in reverse order of creation.

The storage account (the bot's state) stays unless the state is purged. The key vault is soft-deleted: Key Vault
keeps it, and its name, for SOFT_DELETE_DAYS, and a later deploy of the bot recovers it. The resource group stays
(it may hold what is not the bot's).
"""

from __future__ import annotations

from typing import Any

from ..plan import Action, Step
from .app import DEPLOYER_STORAGE_ROLE, AppRoles
from .clients import AzureClients
from .group import Deployer, Grant, RoleAssignments, is_missing, read
from .errors import translate
from .names import AzureNames
from .vault import DEPLOYER_ROLE, SOFT_DELETE_DAYS


def _gone(call, doing: str):
    def run(ctx) -> dict[str, Any]:
        try:
            result = call()
            if hasattr(result, "result"):
                result.result()
        except Exception as exc:  # noqa: BLE001
            if not is_missing(exc):
                raise translate(exc, doing) from None
        return {}
    return run


class Destroy:
    def __init__(self, clients: AzureClients, names: AzureNames, deployer: Deployer | None) -> None:
        self.clients, self.names, self.deployer = clients, names, deployer
        self.rg = names.resource_group

    def read(self) -> dict[str, Any]:
        c, n, rg = self.clients, self.names, self.rg
        return {
            "app": read(lambda: c.web.web_apps.get(rg, n.function_app), "reading what is deployed"),
            "plan": read(lambda: c.web.app_service_plans.get(rg, n.plan), "reading what is deployed"),
            "insights": read(lambda: c.insights.components.get(rg, n.insights), "reading what is deployed"),
            "workspace": read(lambda: c.loganalytics.workspaces.get(rg, n.workspace), "reading what is deployed"),
            "vault": read(lambda: c.keyvault.vaults.get(rg, n.vault), "reading what is deployed"),
            "storage": read(lambda: c.storage.storage_accounts.get_properties(rg, n.storage_account),
                            "reading what is deployed"),
        }

    def grants(self, found: dict[str, Any], purge_state: bool) -> list[Grant]:
        """botship's role assignments on what goes: the app identity's, and the deployer's on the vault (and on
        the storage account when it goes too)."""
        app = found["app"]
        principal = app.identity.principal_id if app is not None and app.identity else None
        grants: list[Grant] = []
        if self.deployer is not None:
            grants = [g for g in AppRoles(self.clients, self.names, self.deployer).grants(principal)
                      if g.role != DEPLOYER_STORAGE_ROLE or purge_state]
            if found["vault"] is not None:
                grants.append(Grant(DEPLOYER_ROLE, self.deployer.principal_id, self.deployer.principal_type,
                                    self.names.vault_id, "you (the deploying identity) on the vault"))
        if found["vault"] is None:
            grants = [g for g in grants if g.scope != self.names.vault_id]
        if found["storage"] is None:
            grants = [g for g in grants if g.scope != self.names.storage_id]
        return grants

    def steps(self, found: dict[str, Any], purge_state: bool) -> list[Step]:
        c, n, rg = self.clients, self.names, self.rg
        roles = RoleAssignments(c, n.subscription_id)
        existing = [g for g in self.grants(found, purge_state) if roles.find(g) is not None]
        steps: list[Step] = []
        if existing:
            def remove(ctx) -> dict[str, Any]:
                for grant in existing:
                    ctx.check_cancelled()
                    roles.remove(grant, ctx)
                return {}
            steps.append(Step("roles", "Role assignments", n.function_app, Action.DELETE, remove,
                              detail=", ".join(f"{g.role} of {g.describe}" for g in existing)))
        if found["app"] is not None:
            steps.append(Step("app", "Function app", n.function_app, Action.DELETE, _gone(
                lambda: c.web.web_apps.delete(rg, n.function_app, delete_empty_server_farm=False),
                "removing the function app"), detail="with its identity"))
        if found["plan"] is not None:
            steps.append(Step("plan", "Hosting plan", n.plan, Action.DELETE, _gone(
                lambda: c.web.app_service_plans.delete(rg, n.plan), "removing the hosting plan")))
        if found["insights"] is not None:
            steps.append(Step("insights", "Application Insights", n.insights, Action.DELETE, _gone(
                lambda: c.insights.components.delete(rg, n.insights), "removing Application Insights")))
        if found["workspace"] is not None:
            steps.append(Step("workspace", "Log workspace", n.workspace, Action.DELETE, _gone(
                lambda: c.loganalytics.workspaces.begin_delete(rg, n.workspace), "removing the log workspace"),
                detail="with the bot's logs (Azure keeps a deleted workspace recoverable 14 days; deploying the bot "
                       "again within them brings it back)"))
        if found["vault"] is not None:
            steps.append(Step("vault", "Key vault", n.vault, Action.DELETE, _gone(
                lambda: c.keyvault.vaults.delete(rg, n.vault), "removing the key vault"),
                detail=f"soft-deleted: kept, with its name, {SOFT_DELETE_DAYS} days; deploying the bot again "
                       "within them recovers it"))
        if purge_state and found["storage"] is not None:
            steps.append(Step("storage", "Storage account (purge)", n.storage_account, Action.DELETE, _gone(
                lambda: c.storage.storage_accounts.delete(rg, n.storage_account), "removing the storage account"),
                detail="the bot's state, every version of it"))
        return steps
