"""Microsoft.Storage: storage accounts (create is a long-running operation answered 202 + Location, as the spec's
x-ms-long-running-operation-options final-state-via: location says), blob service properties, lifecycle
management policies and blob containers — containers are made in Azurite too, so the data plane sees them."""

from __future__ import annotations

import re

from .arm import LOCATIONS
from .server import ArmError, Request, Response, arm_now

NS = "Microsoft.Storage"
ACCOUNT = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}"
ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
CONTAINER_NAME = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")
SKUS = {"Standard_LRS": "Standard", "Standard_GRS": "Standard", "Standard_RAGRS": "Standard", "Standard_ZRS": "Standard",
        "Premium_LRS": "Premium", "Premium_ZRS": "Premium", "Standard_GZRS": "Standard", "Standard_RAGZRS": "Standard"}
KINDS = {"Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage"}
TLS = {"TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"}
# ManagementPolicy schema (storage spec: ManagementPolicyBaseBlob / ManagementPolicySnapShot / ManagementPolicyVersion)
BASE_BLOB_ACTIONS = {"tierToCool", "tierToArchive", "tierToCold", "tierToHot", "delete", "enableAutoTierToHotFromCool"}
VERSION_ACTIONS = {"tierToCool", "tierToArchive", "tierToCold", "tierToHot", "delete"}
CONDITIONS = {"daysAfterModificationGreaterThan", "daysAfterLastAccessTimeGreaterThan",
              "daysAfterLastTierChangeGreaterThan", "daysAfterCreationGreaterThan"}
VERSION_CONDITIONS = {"daysAfterCreationGreaterThan", "daysAfterLastTierChangeGreaterThan"}


def invalid(message: str, code: str = "InvalidValuesForRequestParameters") -> ArmError:
    return ArmError(400, code, message)


def check_policy(body: dict) -> None:
    policy = (body.get("properties") or {}).get("policy")
    if not isinstance(policy, dict) or not isinstance(policy.get("rules"), list) or not policy["rules"]:
        raise invalid("Required property 'properties.policy.rules' is missing or empty.", "InvalidRequestContent")
    names = set()
    for rule in policy["rules"]:
        name = rule.get("name")
        if not name or not re.fullmatch(r"[A-Za-z0-9]{1,256}", name) or name in names:
            raise invalid(f"The rule name '{name}' is invalid or repeated: a rule name is 1-256 letters and digits.",
                          "InvalidManagementPolicyRule")
        names.add(name)
        if rule.get("type") != "Lifecycle":
            raise invalid(f"Rule '{name}': type must be 'Lifecycle'.", "InvalidManagementPolicyRule")
        definition = rule.get("definition") or {}
        actions = definition.get("actions")
        if not isinstance(actions, dict) or not actions:
            raise invalid(f"Rule '{name}': definition.actions is required.", "InvalidManagementPolicyRule")
        for group, allowed, conditions in (("baseBlob", BASE_BLOB_ACTIONS, CONDITIONS),
                                           ("snapshot", VERSION_ACTIONS, VERSION_CONDITIONS),
                                           ("version", VERSION_ACTIONS, VERSION_CONDITIONS)):
            for action, condition in (actions.get(group) or {}).items():
                if action not in allowed:
                    raise invalid(f"Rule '{name}': '{group}.{action}' is not a lifecycle action.",
                                  "InvalidManagementPolicyRule")
                if action == "enableAutoTierToHotFromCool":
                    continue
                if not isinstance(condition, dict) or not condition or set(condition) - conditions:
                    raise invalid(f"Rule '{name}': '{group}.{action}' takes one of {sorted(conditions)}.",
                                  "InvalidManagementPolicyRule")
                for key, value in condition.items():
                    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                        raise invalid(f"Rule '{name}': '{group}.{action}.{key}' must be a number of days >= 0.",
                                      "InvalidManagementPolicyRule")
        unknown = set(actions) - {"baseBlob", "snapshot", "version"}
        if unknown:
            raise invalid(f"Rule '{name}': unknown action group(s) {sorted(unknown)}.", "InvalidManagementPolicyRule")
        blob_types = (definition.get("filters") or {}).get("blobTypes")
        if not blob_types or set(blob_types) - {"blockBlob", "appendBlob"}:
            raise invalid(f"Rule '{name}': definition.filters.blobTypes is required (blockBlob, appendBlob).",
                          "InvalidManagementPolicyRule")


class Storage:
    def add_storage_routes(self) -> None:
        r = self.route
        r("POST", "/subscriptions/{sub}/providers/Microsoft.Storage/checkNameAvailability", self._storage_name,
          api=NS, mutating=False)
        r("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts",
          self._list_accounts, api=NS)
        r("PUT", ACCOUNT, self._put_account, api=NS)
        r("GET", ACCOUNT, self._get_account, api=NS)
        r("PATCH", ACCOUNT, self._patch_account, api=NS)
        r("DELETE", ACCOUNT, self._delete_account, api=NS)
        r("POST", ACCOUNT + "/listKeys", self._list_keys, api=NS, mutating=False)
        r("GET", ACCOUNT + "/blobServices/{svc}", self._get_blob_service, api=NS)
        r("PUT", ACCOUNT + "/blobServices/{svc}", self._put_blob_service, api=NS)
        r("GET", ACCOUNT + "/managementPolicies/{policy}", self._get_policy, api=NS)
        r("PUT", ACCOUNT + "/managementPolicies/{policy}", self._put_policy, api=NS)
        r("DELETE", ACCOUNT + "/managementPolicies/{policy}", self._delete_policy, api=NS)
        r("GET", ACCOUNT + "/blobServices/{svc}/containers", self._list_containers, api=NS)
        r("PUT", ACCOUNT + "/blobServices/{svc}/containers/{container}", self._put_container, api=NS)
        r("GET", ACCOUNT + "/blobServices/{svc}/containers/{container}", self._get_container, api=NS)
        r("DELETE", ACCOUNT + "/blobServices/{svc}/containers/{container}", self._delete_container, api=NS)

    def blob_service_client(self):
        from azure.storage.blob import BlobServiceClient
        return BlobServiceClient(self.blob_url, credential={"account_name": "devstoreaccount1",
                                                            "account_key": self.blob_key},
                                 connection_verify=self.ca_bundle)

    def _storage_name(self, request: Request) -> Response:
        body = request.json()
        if body.get("type") != "Microsoft.Storage/storageAccounts" or "name" not in body:
            raise invalid("The request must name 'name' and type 'Microsoft.Storage/storageAccounts'.")
        name = body["name"]
        if not ACCOUNT_NAME.match(name):
            return Response(200, {"nameAvailable": False, "reason": "AccountNameInvalid", "message":
                                  f"{name} is not a valid storage account name. Storage account name must be between "
                                  "3 and 24 characters in length and use numbers and lower-case letters only."})
        if name in self.taken["storage"] or self._account_named(name):
            return Response(200, {"nameAvailable": False, "reason": "AlreadyExists",
                                  "message": f"The storage account named {name} is already taken."})
        return Response(200, {"nameAvailable": True})

    def _account_named(self, name: str) -> dict | None:
        return next((r for r in self.tracked() if r["type"] == "Microsoft.Storage/storageAccounts"
                     and r["name"] == name), None)

    def _account(self, request: Request) -> dict:
        return self.get(self.resource_id(request, NS, "storageAccounts"))

    def _put_account(self, request: Request) -> Response:
        name, body = request.params["name"], request.json()
        if not ACCOUNT_NAME.match(name):
            raise ArmError(400, "AccountNameInvalid", f"{name} is not a valid storage account name. Storage account "
                           "name must be between 3 and 24 characters in length and use numbers and lower-case "
                           "letters only.")
        location = (body.get("location") or "").replace(" ", "").lower()
        if not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        if location not in LOCATIONS:
            raise ArmError(400, "LocationNotAvailableForResourceType", f"The provided location '{location}' is not "
                           "available for resource type 'Microsoft.Storage/storageAccounts'.")
        for required in ("sku", "kind"):
            if not body.get(required):
                raise ArmError(400, "InvalidRequestContent", f"The request content was invalid and could not be "
                               f"deserialized: Required property '{required}' not found in JSON.")
        sku = (body["sku"] or {}).get("name")
        if sku not in SKUS:
            raise invalid(f"Values for request parameters are invalid: sku.name '{sku}'.")
        if body["kind"] not in KINDS:
            raise invalid(f"Values for request parameters are invalid: kind '{body['kind']}'.")
        props = body.get("properties") or {}
        if props.get("minimumTlsVersion", "TLS1_0") not in TLS:
            raise invalid("Values for request parameters are invalid: minimumTlsVersion.")
        resource_id = self.resource_id(request, NS, "storageAccounts")
        existing = self.find(resource_id)
        other = self._account_named(name)
        if name in self.taken["storage"] or (other and other is not existing):
            raise ArmError(409, "StorageAccountAlreadyTaken", f"The storage account named {name} is already taken.")
        account = {"id": resource_id, "name": name, "type": "Microsoft.Storage/storageAccounts", "location": location,
                   "tags": body.get("tags") or {}, "sku": {"name": sku, "tier": SKUS[sku]}, "kind": body["kind"],
                   "properties": {
                       "provisioningState": "Succeeded" if existing else "Creating",
                       "creationTime": existing["properties"]["creationTime"] if existing else arm_now(),
                       "primaryEndpoints": {"blob": self.blob_url.rstrip("/") + "/"},
                       "primaryLocation": location, "statusOfPrimary": "available",
                       "supportsHttpsTrafficOnly": props.get("supportsHttpsTrafficOnly", True),
                       "minimumTlsVersion": props.get("minimumTlsVersion", "TLS1_0"),
                       "allowBlobPublicAccess": props.get("allowBlobPublicAccess", False),
                       "allowSharedKeyAccess": props.get("allowSharedKeyAccess", True),
                       "accessTier": props.get("accessTier", "Hot"),
                       "encryption": {"keySource": "Microsoft.Storage",
                                      "services": {"blob": {"enabled": True}, "file": {"enabled": True}}},
                       "networkAcls": props.get("networkAcls") or {"bypass": "AzureServices", "defaultAction": "Allow",
                                                                   "ipRules": [], "virtualNetworkRules": []}}}
        if existing:
            self.put_resource(account)
            return Response(200, account)
        self.put_resource(account)

        def done():
            account["properties"]["provisioningState"] = "Succeeded"
            return account

        return Response(202, None, self.lro_headers(NS, location, done, style="location"))

    def _get_account(self, request: Request) -> Response:
        return Response(200, self._account(request))

    def _list_accounts(self, request: Request) -> Response:
        prefix = f"/subscriptions/{request.params['sub']}/resourcegroups/{request.params['rg']}/".lower()
        return Response(200, {"value": [r for r in self.tracked() if r["type"] == "Microsoft.Storage/storageAccounts"
                                        and r["id"].lower().startswith(prefix)]})

    def _patch_account(self, request: Request) -> Response:
        account, body = self._account(request), request.json()
        if "tags" in body:
            account["tags"] = body["tags"] or {}
        if body.get("sku"):
            if body["sku"].get("name") not in SKUS:
                raise invalid("Values for request parameters are invalid: sku.name.")
            account["sku"] = {"name": body["sku"]["name"], "tier": SKUS[body["sku"]["name"]]}
        props = body.get("properties") or {}
        if props.get("minimumTlsVersion", "TLS1_2") not in TLS:
            raise invalid("Values for request parameters are invalid: minimumTlsVersion.")
        for key, value in props.items():
            if value is not None:
                account["properties"][key] = value
        return Response(200, account)

    def _delete_account(self, request: Request) -> Response:
        return Response(200 if self.drop(self.resource_id(request, NS, "storageAccounts")) else 204)

    def _list_keys(self, request: Request) -> Response:
        self._account(request)
        return Response(200, {"keys": [{"keyName": "key1", "value": self.blob_key, "permissions": "FULL",
                                        "creationTime": arm_now()},
                                       {"keyName": "key2", "value": self.blob_key, "permissions": "FULL",
                                        "creationTime": arm_now()}]})

    # -- blob service, policy, containers --------------------------------------------------------------------------
    def _child(self, request: Request, path: str) -> str:
        if request.params.get("svc", "default") != "default":
            raise invalid(f"The blob service name must be 'default', not '{request.params['svc']}'.")
        return self._account(request)["id"] + path

    def _blob_service(self, request: Request) -> dict:
        resource_id = self._child(request, "/blobServices/default")
        return self.find(resource_id) or {"id": resource_id, "name": "default",
                                          "type": "Microsoft.Storage/storageAccounts/blobServices",
                                          "sku": self._account(request)["sku"],
                                          "properties": {"isVersioningEnabled": False, "cors": {"corsRules": []},
                                                         "deleteRetentionPolicy": {"enabled": False}}}

    def _get_blob_service(self, request: Request) -> Response:
        return Response(200, self._blob_service(request))

    def _put_blob_service(self, request: Request) -> Response:
        service, props = self._blob_service(request), (request.json().get("properties") or {})
        for key in ("deleteRetentionPolicy", "containerDeleteRetentionPolicy"):
            policy = props.get(key)
            if policy and policy.get("enabled") and not 1 <= int(policy.get("days") or 0) <= 365:
                raise invalid(f"{key}.days must be between 1 and 365 when enabled.", "InvalidRequestPropertyValue")
        if "isVersioningEnabled" in props and not isinstance(props["isVersioningEnabled"], bool):
            raise invalid("isVersioningEnabled must be a boolean.", "InvalidRequestPropertyValue")
        service["properties"].update({k: v for k, v in props.items() if v is not None})
        self.put_resource(service)
        return Response(200, service)

    def _policy_id(self, request: Request) -> str:
        if request.params["policy"] != "default":
            raise invalid("The management policy name must be 'default'.")
        return self._account(request)["id"] + "/managementPolicies/default"

    def _get_policy(self, request: Request) -> Response:
        return Response(200, self.get(self._policy_id(request)))

    def _put_policy(self, request: Request) -> Response:
        resource_id, body = self._policy_id(request), request.json()
        check_policy(body)
        policy = {"id": resource_id, "name": "DefaultManagementPolicy",
                  "type": "Microsoft.Storage/storageAccounts/managementPolicies",
                  "properties": {"lastModifiedTime": arm_now(), "policy": body["properties"]["policy"]}}
        return Response(200, self.put_resource(policy))

    def _delete_policy(self, request: Request) -> Response:
        return Response(200 if self.drop(self._policy_id(request)) else 204)

    def _put_container(self, request: Request) -> Response:
        name = request.params["container"]
        resource_id = self._child(request, f"/blobServices/default/containers/{name}")
        if not CONTAINER_NAME.match(name):
            raise ArmError(400, "ContainerOperationFailure", "The specifed resource name contains invalid characters.")
        props = (request.json(required=False) or {}).get("properties") or {}
        access = props.get("publicAccess") or "None"
        if access != "None" and not self._account(request)["properties"]["allowBlobPublicAccess"]:
            raise ArmError(409, "PublicAccessNotPermitted", "Public access is not permitted on this storage account.")
        existing = self.find(resource_id)
        container = {"id": resource_id, "name": name,
                     "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
                     "properties": {"publicAccess": access, "metadata": props.get("metadata") or {},
                                    "lastModifiedTime": arm_now(), "leaseStatus": "Unlocked",
                                    "leaseState": "Available", "hasImmutabilityPolicy": False,
                                    "hasLegalHold": False, "deleted": False}}
        if self.blob_url and not existing:
            from azure.core.exceptions import ResourceExistsError
            try:
                self.blob_service_client().create_container(name)
            except ResourceExistsError:
                pass
        self.put_resource(container)
        return Response(200 if existing else 201, container)

    def _get_container(self, request: Request) -> Response:
        return Response(200, self.get(self._child(request, f"/blobServices/default/containers/"
                                                           f"{request.params['container']}")))

    def _delete_container(self, request: Request) -> Response:
        name = request.params["container"]
        removed = self.drop(self._child(request, f"/blobServices/default/containers/{name}"))
        if removed and self.blob_url:
            from azure.core.exceptions import ResourceNotFoundError
            try:
                self.blob_service_client().delete_container(name)
            except ResourceNotFoundError:
                pass
        return Response(200 if removed else 204)

    def _list_containers(self, request: Request) -> Response:
        prefix = self._child(request, "/blobServices/default/containers/").lower()
        return Response(200, {"value": [r for k, r in self.resources.items() if k.startswith(prefix)]})
