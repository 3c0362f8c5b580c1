"""Logs: a Log Analytics workspace and a workspace-based Application Insights component, so runs and log lines can
be read back (azure-monitor-query). A line reaches them a few minutes after the run printed it (typically 2–5)."""

from __future__ import annotations

from typing import Any

from .clients import AzureClients
from .group import Converged, merged_tags, read
from .names import AzureNames

LOG_RETENTION_DAYS = 30
WORKSPACE_SKU = "PerGB2018"
INGESTION_DELAY = "a line shows up 2–5 minutes after the run printed it"


class Workspace(Converged):
    step_id, title = "workspace", "Log workspace"

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
        return drift + super().drift(found)

    def create_detail(self) -> str:
        return f"kept {LOG_RETENTION_DAYS} days"

    def write(self, found: Any | None) -> Any:
        return self.clients.loganalytics.workspaces.begin_create_or_update(self.names.resource_group, self.name, {
            "location": self.names.location, "tags": merged_tags(found.tags if found else None, self.tags),
            "properties": {"sku": {"name": WORKSPACE_SKU}, "retentionInDays": LOG_RETENTION_DAYS}}).result()

    def written(self) -> str:
        return f"log workspace {self.name}: kept {LOG_RETENTION_DAYS} days"


class Insights(Converged):
    step_id, title = "insights", "Application Insights"

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
        return drift + super().drift(found)

    def create_detail(self) -> str:
        return f"workspace-based; {INGESTION_DELAY}"

    def outputs(self, found: Any) -> dict[str, Any]:
        return {"id": found.id, "connection_string": found.connection_string}

    def write(self, found: Any | None) -> Any:
        from azure.mgmt.applicationinsights.v2020_02_02.models import ApplicationInsightsComponent

        return self.api.create_or_update(self.names.resource_group, self.name, ApplicationInsightsComponent(
            location=self.names.location, kind="web", application_type="web",
            tags=merged_tags(found.tags if found else None, self.tags),
            workspace_resource_id=self.names.workspace_id, ingestion_mode="LogAnalytics"))

    def written(self) -> str:
        return f"Application Insights {self.name}, sending to {self.names.workspace}"
