"""Microsoft.OperationalInsights workspaces (create is long-running) and workspace-based Microsoft.Insights
components (Application Insights), which answer with InstrumentationKey and ConnectionString."""

from __future__ import annotations

import re
import uuid

from .arm import LOCATIONS
from .server import ArmError, Request, Response, arm_now

WORKSPACE = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{name}"
COMPONENT = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Insights/components/{name}"
WORKSPACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$")
WORKSPACE_SKUS = {"Free", "Standard", "Premium", "PerNode", "PerGB2018", "Standalone", "CapacityReservation",
                  "LACluster"}


def _location(body: dict, kind: str) -> str:
    location = (body.get("location") or "").replace(" ", "").lower()
    if not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    if location not in LOCATIONS:
        raise ArmError(400, "LocationNotAvailableForResourceType",
                       f"The provided location '{location}' is not available for resource type '{kind}'.")
    return location


class Monitor:
    def add_monitor_routes(self) -> None:
        r = self.route
        r("PUT", WORKSPACE, self._put_workspace, api="Microsoft.OperationalInsights")
        r("GET", WORKSPACE, self._get_workspace, api="Microsoft.OperationalInsights")
        r("DELETE", WORKSPACE, self._delete_workspace, api="Microsoft.OperationalInsights")
        r("PUT", COMPONENT, self._put_component, api="Microsoft.Insights")
        r("GET", COMPONENT, self._get_component, api="Microsoft.Insights")
        r("DELETE", COMPONENT, self._delete_component, api="Microsoft.Insights")

    def _put_workspace(self, request: Request) -> Response:
        name, body = request.params["name"], request.json()
        if not WORKSPACE_NAME.match(name):
            raise ArmError(400, "InvalidWorkspaceName", f"The workspace name '{name}' is invalid: 4-63 letters, "
                           "digits and hyphens, starting and ending with a letter or digit.")
        location = _location(body, "Microsoft.OperationalInsights/workspaces")
        props = body.get("properties") or {}
        sku = (props.get("sku") or {}).get("name", "PerGB2018")
        if sku not in WORKSPACE_SKUS:
            raise ArmError(400, "InvalidParameter", f"The sku '{sku}' is not a workspace sku.")
        retention = props.get("retentionInDays", 30)
        if retention is not None and not (retention == -1 or 30 <= retention <= 730 or
                                          (sku == "Free" and retention == 7)):
            raise ArmError(400, "InvalidParameter", "retentionInDays must be between 30 and 730.")
        resource_id = self.resource_id(request, "Microsoft.OperationalInsights", "workspaces")
        existing = self.find(resource_id)
        workspace = {"id": resource_id, "name": name, "type": "Microsoft.OperationalInsights/workspaces",
                     "location": location, "tags": body.get("tags") or {},
                     "properties": {"customerId": existing["properties"]["customerId"] if existing
                                    else str(uuid.uuid4()), "provisioningState": "Succeeded" if existing
                                    else "Creating", "sku": {"name": sku}, "retentionInDays": retention,
                                    "publicNetworkAccessForIngestion": "Enabled",
                                    "publicNetworkAccessForQuery": "Enabled", "createdDate": arm_now()}}
        self.put_resource(workspace)
        if existing:
            return Response(200, workspace)

        def done():
            workspace["properties"]["provisioningState"] = "Succeeded"

        return Response(201, workspace, self.lro_headers("Microsoft.OperationalInsights", location, done))

    def _get_workspace(self, request: Request) -> Response:
        return Response(200, self.get(self.resource_id(request, "Microsoft.OperationalInsights", "workspaces")))

    def _delete_workspace(self, request: Request) -> Response:
        removed = self.drop(self.resource_id(request, "Microsoft.OperationalInsights", "workspaces"))
        return Response(200 if removed else 204)

    def _put_component(self, request: Request) -> Response:
        name, body = request.params["name"], request.json()
        location = _location(body, "Microsoft.Insights/components")
        if not body.get("kind"):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                           "deserialized: Required property 'kind' not found in JSON.")
        props = body.get("properties") or {}
        if props.get("Application_Type") not in ("web", "other"):
            raise ArmError(400, "BadRequest", "Application_Type is required: 'web' or 'other'.")
        workspace_id = props.get("WorkspaceResourceId")
        if not workspace_id:
            raise ArmError(400, "BadRequest", "Classic Application Insights resources are retired: "
                           "properties.WorkspaceResourceId is required.")
        workspace = self.find(workspace_id)
        if workspace is None or workspace["type"] != "Microsoft.OperationalInsights/workspaces":
            raise ArmError(400, "BadRequest", f"The workspace '{workspace_id}' was not found.")
        resource_id = self.resource_id(request, "Microsoft.Insights", "components")
        existing = self.find(resource_id)
        key = existing["properties"]["InstrumentationKey"] if existing else str(uuid.uuid4())
        component = {"id": resource_id, "name": name, "type": "microsoft.insights/components", "location": location,
                     "tags": body.get("tags") or {}, "kind": body["kind"],
                     "properties": {"ApplicationId": name, "AppId": existing["properties"]["AppId"] if existing
                                    else str(uuid.uuid4()), "Application_Type": props["Application_Type"],
                                    "InstrumentationKey": key, "ConnectionString":
                                        f"InstrumentationKey={key};IngestionEndpoint=https://{location}-0.in."
                                        f"applicationinsights.azure.com/;LiveEndpoint=https://{location}.livediagnostics"
                                        f".monitor.azure.com/;ApplicationId={name}",
                                    "WorkspaceResourceId": workspace["id"], "IngestionMode": "LogAnalytics",
                                    "RetentionInDays": props.get("RetentionInDays", 90),
                                    "provisioningState": "Succeeded", "CreationDate": arm_now(),
                                    "TenantId": self.subscription_id}}
        self.put_resource(component)
        return Response(200, component)            # the 2020-02-02 spec answers 200 only

    def _get_component(self, request: Request) -> Response:
        return Response(200, self.get(self.resource_id(request, "Microsoft.Insights", "components")))

    def _delete_component(self, request: Request) -> Response:
        removed = self.drop(self.resource_id(request, "Microsoft.Insights", "components"))
        return Response(200 if removed else 204)
