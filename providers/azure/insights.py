"""Logs: a Log Analytics workspace and a workspace-based Application Insights component, so runs and log lines can
be read back (azure-monitor-query). A line reaches them a few minutes after the run printed it (typically 2–5)."""

from __future__ import annotations

from typing import Any

from ..plan import Action, Step
from .clients import AzureClients
from .group import merged_tags, read, writing
from .names import AzureNames, tags_match

LOG_RETENTION_DAYS = 30
WORKSPACE_SKU = "PerGB2018"
INGESTION_DELAY = "a line shows up 2–5 minutes after the run printed it"


class Workspace:
    def __init__(self, clients: AzureClients, names: AzureNames, tags: dict[str, str]) -> None:
        self.clients, self.names, self.tags = clients, names, tags
        self.name = names.workspace

    def read(self) -> Any | None:
        return read(lambda: self.clients.loganalytics.workspaces.get(self.names.resource_group, self.name),
                    f"reading log workspace {self.name}")

    def drift(self, found: Any) -> list[str]:
        drift = []
        if found.retention_in_days != LOG_RETENTION_DAYS:
            drift.append(f"kept {LOG_RETENTION_DAYS} days")
        if (found.sku.name if found.sku else None) != WORKSPACE_SKU:
            drift.append(f"sku {WORKSPACE_SKU}")
        if not tags_match(found.tags or {}, self.tags):
            drift.append("tags")
        return drift

    def step(self) -> Step:
        found = self.read()
        if found is None:
            return Step("workspace", "Log workspace", self.name, Action.CREATE, self.apply,
                        detail=f"kept {LOG_RETENTION_DAYS} days")
        drift = self.drift(found)
        return Step("workspace", "Log workspace", self.name, Action.UPDATE if drift else Action.NO_CHANGE, self.apply,
                    detail=("fix: " + ", ".join(drift)) if drift else "", outputs={"id": found.id})

    def apply(self, ctx) -> dict[str, Any]:
        found = self.read()
        if found is None or self.drift(found):
            with writing(f"setting up log workspace {self.name}"):
                found = self.clients.loganalytics.workspaces.begin_create_or_update(
                    self.names.resource_group, self.name, {
                        "location": self.names.location, "tags": merged_tags(found.tags if found else None, self.tags),
                        "properties": {"sku": {"name": WORKSPACE_SKU}, "retentionInDays": LOG_RETENTION_DAYS}}).result()
            ctx.log(f"log workspace {self.name}: kept {LOG_RETENTION_DAYS} days")
        return {"id": found.id}


class Insights:
    def __init__(self, clients: AzureClients, names: AzureNames, tags: dict[str, str]) -> None:
        self.clients, self.names, self.tags = clients, names, tags
        self.name = names.insights

    @property
    def api(self):
        return self.clients.insights.components

    def read(self) -> Any | None:
        return read(lambda: self.api.get(self.names.resource_group, self.name),
                    f"reading Application Insights {self.name}")

    def drift(self, found: Any) -> list[str]:
        drift = []
        if (found.workspace_resource_id or "").lower() != self.names.workspace_id.lower():
            drift.append("workspace")
        if found.application_type != "web" or found.kind != "web":
            drift.append("kind")
        if not tags_match(found.tags or {}, self.tags):
            drift.append("tags")
        return drift

    def step(self) -> Step:
        found = self.read()
        if found is None:
            return Step("insights", "Application Insights", self.name, Action.CREATE, self.apply,
                        detail=f"workspace-based; {INGESTION_DELAY}")
        drift = self.drift(found)
        return Step("insights", "Application Insights", self.name, Action.UPDATE if drift else Action.NO_CHANGE,
                    self.apply, detail=("fix: " + ", ".join(drift)) if drift else "", outputs=self.outputs(found))

    @staticmethod
    def outputs(found: Any) -> dict[str, Any]:
        return {"id": found.id, "connection_string": found.connection_string}

    def apply(self, ctx) -> dict[str, Any]:
        from azure.mgmt.applicationinsights.v2020_02_02.models import ApplicationInsightsComponent

        found = self.read()
        if found is None or self.drift(found):
            with writing(f"setting up Application Insights {self.name}"):
                found = self.api.create_or_update(self.names.resource_group, self.name, ApplicationInsightsComponent(
                    location=self.names.location, kind="web", application_type="web",
                    tags=merged_tags(found.tags if found else None, self.tags),
                    workspace_resource_id=self.names.workspace_id, ingestion_mode="LogAnalytics"))
            ctx.log(f"Application Insights {self.name}, sending to {self.names.workspace}")
        return self.outputs(found)
