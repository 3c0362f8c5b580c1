"""Resource Manager's own surface: tenants, subscriptions, locations, resource providers, resource groups and the
resources list — and the resource store every service uses (ids are case-insensitive, as in ARM)."""

from __future__ import annotations

import re

from .server import ArmError, Request, Response

LOCATIONS = {"eastus": "East US", "eastus2": "East US 2", "westus2": "West US 2", "centralus": "Central US",
             "northeurope": "North Europe", "westeurope": "West Europe", "uksouth": "UK South",
             "swedencentral": "Sweden Central", "francecentral": "France Central",
             "germanywestcentral": "Germany West Central", "eastasia": "East Asia", "southeastasia": "Southeast Asia",
             "japaneast": "Japan East", "australiaeast": "Australia East", "brazilsouth": "Brazil South"}

PROVIDER_TYPES = {
    "Microsoft.Web": ["sites", "serverfarms", "sites/config", "geoRegions", "checknameavailability"],
    "Microsoft.Storage": ["storageAccounts", "storageAccounts/blobServices", "checkNameAvailability"],
    "Microsoft.KeyVault": ["vaults", "deletedVaults", "checkNameAvailability"],
    "Microsoft.Insights": ["components"],
    "Microsoft.OperationalInsights": ["workspaces"],
    "Microsoft.Authorization": ["roleAssignments", "roleDefinitions", "permissions"],
    "Microsoft.Resources": ["resourceGroups", "subscriptions", "tenants"],
}
ALWAYS_REGISTERED = {"microsoft.authorization", "microsoft.resources"}
RG_NAME = re.compile(r"^[-\w\._\(\)]{1,90}$")
_PROVIDER_IN_PATH = re.compile(r"/providers/(?P<ns>[A-Za-z]+\.[A-Za-z]+)(?P<rest>/.*)?$", re.IGNORECASE)


def not_found(resource_id: str) -> ArmError:
    match = re.search(r"/resourceGroups/([^/]+)/providers/(.+)$", resource_id, re.IGNORECASE)
    if match:
        message = (f"The Resource '{match.group(2)}' under resource group '{match.group(1)}' was not found. "
                   "For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    else:
        message = f"The Resource '{resource_id}' was not found."
    return ArmError(404, "ResourceNotFound", message)


def tag_filter(query: dict) -> callable:
    """ARM's $filter on resources and resource groups (tagName/tagValue, resourceType, name)."""
    text = query.get("$filter")
    if not text:
        return lambda resource: True
    clauses = [c.strip() for c in re.split(r"\s+and\s+", text, flags=re.IGNORECASE)]
    wanted = {}
    for clause in clauses:
        match = re.fullmatch(r"(tagName|tagValue|resourceType|name)\s+eq\s+'([^']*)'", clause, re.IGNORECASE)
        if not match:
            raise ArmError(400, "InvalidFilterInQueryString", f"The $filter '{text}' could not be parsed.")
        wanted[match.group(1).lower()] = match.group(2)

    def keep(resource: dict) -> bool:
        tags = {k.lower(): v for k, v in (resource.get("tags") or {}).items()}
        if "tagname" in wanted:
            if wanted["tagname"].lower() not in tags:
                return False
            if "tagvalue" in wanted and tags[wanted["tagname"].lower()] != wanted["tagvalue"]:
                return False
        if "resourcetype" in wanted and resource["type"].lower() != wanted["resourcetype"].lower():
            return False
        return not ("name" in wanted and resource["name"].lower() != wanted["name"].lower())

    return keep


class Arm:
    # -- the store ------------------------------------------------------------------------------------------------
    def put_resource(self, resource: dict) -> dict:
        self.resources[resource["id"].lower()] = resource
        return resource

    def find(self, resource_id: str) -> dict | None:
        return self.resources.get(resource_id.lower().rstrip("/"))

    def get(self, resource_id: str) -> dict:
        resource = self.find(resource_id)
        if resource is None:
            raise not_found(resource_id)
        return resource

    def drop(self, resource_id: str) -> dict | None:
        prefix = resource_id.lower().rstrip("/")
        removed = self.resources.pop(prefix, None)
        for key in [k for k in self.resources if k.startswith(prefix + "/")]:
            del self.resources[key]
        return removed

    def resource_id(self, request: Request, namespace: str, kind: str, name_param: str = "name") -> str:
        p = request.params
        rg = self.resource_groups[p["rg"].lower()]["name"]
        return f"/subscriptions/{p['sub']}/resourceGroups/{rg}/providers/{namespace}/{kind}/{p[name_param]}"

    def tracked(self) -> list[dict]:
        """Top-level resources (…/providers/{ns}/{type}/{name}), as GET …/resources lists them."""
        return [r for k, r in self.resources.items()
                if re.fullmatch(r"/subscriptions/[^/]+/resourcegroups/[^/]+/providers/[^/]+/[^/]+/[^/]+", k)]

    # -- checks every ARM call passes -----------------------------------------------------------------------------
    def check_scope(self, request: Request) -> None:
        path = request.path
        sub = re.match(r"^/subscriptions/([^/]+)", path, re.IGNORECASE)
        if not sub:
            return
        if sub.group(1).lower() not in self.subscriptions:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub.group(1)}' could not be found.")
        rg = re.match(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)/.+", path, re.IGNORECASE)
        if rg and rg.group(1).lower() not in self.resource_groups:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg.group(1)}' could not be found.")
        provider = _PROVIDER_IN_PATH.search(path)
        if provider and provider.group("rest") not in (None, "", "/", "/register", "/unregister"):
            namespace = provider.group("ns")
            if namespace.lower() in ALWAYS_REGISTERED:
                return
            if self.registration.get(namespace.lower(), "NotRegistered") != "Registered":
                raise ArmError(409, "MissingSubscriptionRegistration",
                               f"The subscription is not registered to use namespace '{namespace}'. See "
                               "https://aka.ms/rps-not-found for how to register subscriptions.",
                               body={"error": {"code": "MissingSubscriptionRegistration", "message":
                                     f"The subscription is not registered to use namespace '{namespace}'. See "
                                     "https://aka.ms/rps-not-found for how to register subscriptions.",
                                     "details": [{"code": "MissingSubscriptionRegistration", "target": namespace,
                                                  "message": f"The subscription is not registered to use namespace "
                                                             f"'{namespace}'."}]}})

    def unregister(self, namespace: str) -> None:
        with self.lock:
            self.registration[namespace.lower()] = "NotRegistered"

    # -- routes ---------------------------------------------------------------------------------------------------
    def add_arm_routes(self) -> None:
        r = self.route
        r("GET", "/tenants", self._tenants, api="Subscriptions")
        r("GET", "/subscriptions", self._subscriptions, api="Subscriptions")
        r("GET", "/subscriptions/{sub}", self._subscription, api="Subscriptions")
        r("GET", "/subscriptions/{sub}/locations", self._locations, api="Subscriptions")
        r("GET", "/subscriptions/{sub}/providers", self._providers, api="Microsoft.Resources")
        r("GET", "/subscriptions/{sub}/providers/{ns}", self._provider, api="Microsoft.Resources")
        r("POST", "/subscriptions/{sub}/providers/{ns}/register", self._register, api="Microsoft.Resources",
          mutating=True)
        r("GET", "/subscriptions/{sub}/resourcegroups", self._list_groups, api="Microsoft.Resources")
        r("PUT", "/subscriptions/{sub}/resourcegroups/{rg}", self._put_group, api="Microsoft.Resources")
        r("PATCH", "/subscriptions/{sub}/resourcegroups/{rg}", self._patch_group, api="Microsoft.Resources")
        r("GET", "/subscriptions/{sub}/resourcegroups/{rg}", self._get_group, api="Microsoft.Resources")
        r("DELETE", "/subscriptions/{sub}/resourcegroups/{rg}", self._delete_group, api="Microsoft.Resources")
        r("GET", "/subscriptions/{sub}/resources", self._list_resources, api="Microsoft.Resources")
        r("GET", "/subscriptions/{sub}/resourceGroups/{rg}/resources", self._list_resources, api="Microsoft.Resources")
        r("GET", "{scope*}/providers/Microsoft.Resources/tags/default", self._get_tags, api="Microsoft.Resources")
        r("PATCH", "{scope*}/providers/Microsoft.Resources/tags/default", self._patch_tags, api="Microsoft.Resources")

    def _subscription_body(self, sub: str) -> dict:
        return {"id": f"/subscriptions/{sub}", "subscriptionId": sub, "tenantId": self.tenant_id,
                "displayName": self.subscriptions[sub.lower()], "state": "Enabled", "authorizationSource": "RoleBased",
                "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                         "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"}}

    def _tenants(self, request: Request) -> Response:
        return Response(200, {"value": [{"id": f"/tenants/{self.tenant_id}", "tenantId": self.tenant_id,
                                         "tenantCategory": "Home", "displayName": "botship test tenant",
                                         "defaultDomain": "botshiptest.onmicrosoft.com", "tenantType": "AAD",
                                         "countryCode": "NL", "domains": ["botshiptest.onmicrosoft.com"]}]})

    def _subscriptions(self, request: Request) -> Response:
        return Response(200, {"value": [self._subscription_body(s) for s in self.subscriptions]})

    def _subscription(self, request: Request) -> Response:
        return Response(200, self._subscription_body(request.params["sub"]))

    def _locations(self, request: Request) -> Response:
        sub = request.params["sub"]
        return Response(200, {"value": [
            {"id": f"/subscriptions/{sub}/locations/{name}", "name": name, "displayName": display,
             "regionalDisplayName": f"(Region) {display}", "type": "Region",
             "metadata": {"regionType": "Physical", "regionCategory": "Recommended"}}
            for name, display in LOCATIONS.items()]})

    def _provider_body(self, sub: str, namespace: str) -> dict:
        canonical = next((n for n in PROVIDER_TYPES if n.lower() == namespace.lower()), None)
        if canonical is None:
            raise ArmError(404, "InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid.")
        state = "Registered" if canonical.lower() in ALWAYS_REGISTERED else \
            self.registration.get(canonical.lower(), "NotRegistered")
        versions = sorted(self.api_versions_of(canonical), reverse=True)
        return {"id": f"/subscriptions/{sub}/providers/{canonical}", "namespace": canonical,
                "registrationState": state, "registrationPolicy": "RegistrationRequired",
                "resourceTypes": [{"resourceType": t, "locations": list(LOCATIONS.values()), "apiVersions": versions}
                                  for t in PROVIDER_TYPES[canonical]]}

    def api_versions_of(self, namespace: str) -> set[str]:
        from .versions import API_VERSIONS
        return API_VERSIONS.get(namespace, API_VERSIONS["Microsoft.Resources"])

    def _providers(self, request: Request) -> Response:
        return Response(200, {"value": [self._provider_body(request.params["sub"], ns) for ns in PROVIDER_TYPES]})

    def _provider(self, request: Request) -> Response:
        namespace = request.params["ns"].lower()
        if self.registration.get(namespace) == "Registering":       # registration finishes when looked at again
            self.registration[namespace] = "Registered"
        return Response(200, self._provider_body(request.params["sub"], request.params["ns"]))

    def _register(self, request: Request) -> Response:
        body = self._provider_body(request.params["sub"], request.params["ns"])
        if body["registrationState"] != "Registered":
            self.registration[body["namespace"].lower()] = "Registering"
            body["registrationState"] = "Registering"
        return Response(200, body)

    # -- resource groups ------------------------------------------------------------------------------------------
    def _group(self, request: Request) -> dict:
        group = self.resource_groups.get(request.params["rg"].lower())
        if group is None:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{request.params['rg']}' could not be found.")
        return group

    def _put_group(self, request: Request) -> Response:
        name, body = request.params["rg"], request.json()
        if not RG_NAME.match(name) or name.endswith("."):
            raise ArmError(400, "InvalidResourceGroupName", f"The resource group name '{name}' is invalid.")
        location = (body.get("location") or "").replace(" ", "").lower()
        if not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        if location not in LOCATIONS:
            raise ArmError(400, "LocationNotAvailableForResourceGroup",
                           f"The provided location '{location}' is not available for resource group.")
        existing = self.resource_groups.get(name.lower())
        if existing and existing["location"] != location:
            raise ArmError(409, "InvalidResourceGroupLocation",
                           f"Invalid resource group location '{location}'. The Resource group already exists in "
                           f"location '{existing['location']}'.")
        group = {"id": f"/subscriptions/{request.params['sub']}/resourceGroups/{existing['name'] if existing else name}",
                 "name": existing["name"] if existing else name, "type": "Microsoft.Resources/resourceGroups",
                 "location": location, "tags": body.get("tags") or {},
                 "properties": {"provisioningState": "Succeeded"}}
        if body.get("managedBy"):
            group["managedBy"] = body["managedBy"]
        self.resource_groups[name.lower()] = group
        return Response(200 if existing else 201, group)

    def _patch_group(self, request: Request) -> Response:
        group, body = self._group(request), request.json()
        if "tags" in body:
            group["tags"] = body["tags"] or {}
        return Response(200, group)

    def _get_group(self, request: Request) -> Response:
        if request.method == "HEAD":
            return Response(204 if request.params["rg"].lower() in self.resource_groups else 404)
        return Response(200, self._group(request))

    def _delete_group(self, request: Request) -> Response:
        group = self.resource_groups.get(request.params["rg"].lower())
        if group is None:
            return Response(404, {"error": {"code": "ResourceGroupNotFound",
                                            "message": f"Resource group '{request.params['rg']}' could not be found."}})
        prefix = group["id"].lower() + "/"
        for key in [k for k in self.resources if k.startswith(prefix)]:
            resource = self.resources.get(key)
            if resource and resource.get("type", "").lower() == "microsoft.keyvault/vaults":
                self.soft_delete_vault(resource)
            self.resources.pop(key, None)
        del self.resource_groups[request.params["rg"].lower()]
        headers = self.lro_headers("Microsoft.Resources", group["location"], style="location")
        return Response(202, None, headers)

    def _list_groups(self, request: Request) -> Response:
        keep = tag_filter(request.query)
        return Response(200, {"value": [g for g in self.resource_groups.values() if keep(g)]})

    def _list_resources(self, request: Request) -> Response:
        keep = tag_filter(request.query)
        prefix = f"/subscriptions/{request.params['sub']}/".lower()
        if "rg" in request.params:
            prefix += f"resourcegroups/{request.params['rg'].lower()}/"
        listed = [{k: r[k] for k in ("id", "name", "type", "location", "tags", "kind", "sku") if k in r}
                  for r in self.tracked() if r["id"].lower().startswith(prefix) and keep(r)]
        return Response(200, {"value": listed})

    # -- tags at a scope (Tags_GetAtScope / Tags_UpdateAtScope): a resource's tags without touching the resource --
    def _tagged(self, request: Request) -> dict:
        scope = request.params["scope"]
        if not re.fullmatch(r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/[^/]+/[^/]+", scope,
                            re.IGNORECASE):
            raise ArmError(400, "InvalidScope", f"The scope '{scope}' is not one this fake tags (a resource).")
        return self.get(scope)

    def _tags_body(self, resource: dict) -> dict:
        return {"id": f"{resource['id']}/providers/Microsoft.Resources/tags/default", "name": "default",
                "type": "Microsoft.Resources/tags", "properties": {"tags": dict(resource.get("tags") or {})}}

    def _get_tags(self, request: Request) -> Response:
        return Response(200, self._tags_body(self._tagged(request)))

    def _patch_tags(self, request: Request) -> Response:
        resource, body = self._tagged(request), request.json()
        self.authorize(request, resource["id"], "Microsoft.Resources/tags/write")
        operation = body.get("operation")
        tags = (body.get("properties") or {}).get("tags")
        if operation not in ("Merge", "Replace", "Delete"):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                           f"deserialized: 'operation' must be Merge, Replace or Delete, not {operation!r}.")
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                           "deserialized: properties.tags must map names to strings.")
        bad = [k for k, v in tags.items() if not k or len(k) > 512 or len(v) > 256 or re.search(r"[<>%&\\?/]", k)]
        if bad:
            raise ArmError(400, "InvalidTagNameCharacters", f"The tag names '{', '.join(bad)}' have reserved "
                           "characters '<,>,%,&,\\,?,/' or are too long (names 512, values 256).")
        current = dict(resource.get("tags") or {})
        if operation == "Merge":
            current.update(tags)
        elif operation == "Replace":
            current = dict(tags)
        else:
            current = {k: v for k, v in current.items() if not (k in tags and tags[k] in ("", current[k]))}
        if len(current) > 50:
            raise ArmError(400, "InvalidTemplate", "A resource can have at most 50 tags.")
        resource["tags"] = current
        return Response(200, self._tags_body(resource))
