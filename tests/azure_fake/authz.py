"""Microsoft.Authorization (api 2022-04-01): permissions, role assignments and the built-in role definitions.

Role GUIDs and permissions are Azure's built-in roles as documented (learn.microsoft.com, "Azure built-in roles").
"""

from __future__ import annotations

import fnmatch
import re
import uuid

from .arm import not_found
from .server import ArmError, Request, Response, arm_now

CONTRIBUTOR_NOT_ACTIONS = ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                           "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
                           "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
                           "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
                           "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                           "Microsoft.Subscription/cancel/action", "Microsoft.Subscription/enable/action"]
# name: (guid, actions, notActions, dataActions)
BUILT_IN = {
    "Owner": ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", ["*"], [], []),
    "Contributor": ("b24988ac-6180-42a0-ab88-20f7382dd24c", ["*"], CONTRIBUTOR_NOT_ACTIONS, []),
    "Reader": ("acdd72a7-3385-48ef-bd42-f606fba81ae7", ["*/read"], [], []),
    "User Access Administrator": ("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
                                  ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], [], []),
    "Storage Blob Data Owner": ("b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
                                ["Microsoft.Storage/storageAccounts/blobServices/containers/*",
                                 "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"], [],
                                ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"]),
    "Storage Blob Data Contributor": ("ba92f5b4-2d11-453d-a403-e96b0029c9fe",
                                      ["Microsoft.Storage/storageAccounts/blobServices/containers/delete",
                                       "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                                       "Microsoft.Storage/storageAccounts/blobServices/containers/write",
                                       "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"],
                                      [], ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
                                           "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                                           "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
                                           "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
                                           "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action"]),
    "Storage Blob Data Reader": ("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
                                 ["Microsoft.Storage/storageAccounts/blobServices/containers/read",
                                  "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"], [],
                                 ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]),
    "Key Vault Secrets User": ("4633458b-17de-408a-b874-0445c86b69e6", [], [],
                               ["Microsoft.KeyVault/vaults/secrets/getSecret/action",
                                "Microsoft.KeyVault/vaults/secrets/readMetadata/action"]),
    "Key Vault Secrets Officer": ("b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
                                  ["Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
                                   "Microsoft.Resources/deployments/*",
                                   "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
                                   "Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read",
                                   "Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read",
                                   "Microsoft.KeyVault/operations/read"], [], ["Microsoft.KeyVault/vaults/secrets/*"]),
    "Key Vault Administrator": ("00482a5a-887f-4fb3-b363-3b7fe8e74483",
                                ["Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
                                 "Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
                                 "Microsoft.Support/*", "Microsoft.KeyVault/checkNameAvailability/read",
                                 "Microsoft.KeyVault/deletedVaults/read", "Microsoft.KeyVault/locations/*/read",
                                 "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"], [],
                                ["Microsoft.KeyVault/vaults/*"]),
    "Monitoring Reader": ("43d0d8ad-25c7-4714-9337-8ba259a9fe05",
                          ["*/read", "Microsoft.OperationalInsights/workspaces/search/action", "Microsoft.Support/*"],
                          [], []),
}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
AUTHZ = "/providers/Microsoft.Authorization"


def _matches(patterns: list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


class Authorization:
    def init_authorization(self) -> None:
        self.roles_by_guid = {guid: name for name, (guid, *_rest) in BUILT_IN.items()}
        self.role_assignments: dict[str, dict] = {}
        self.principal_type_skips_replication = True
        owner = str(uuid.uuid4())
        self.deployer_assignment = owner
        self._store_assignment(f"/subscriptions/{self.subscription_id}", owner, BUILT_IN["Owner"][0],
                               self.sp_object_id, "ServicePrincipal")
        self._store_assignment(f"/subscriptions/{self.subscription_id}", str(uuid.uuid4()), BUILT_IN["Owner"][0],
                               self.user_object_id, "User")

    def deny_role_assignments(self) -> None:
        """The service principal becomes Contributor: it may create resources but no role assignments."""
        with self.lock:
            props = self.role_assignments[self.deployer_assignment]["properties"]
            props["roleDefinitionId"] = self._definition_id(BUILT_IN["Contributor"][0])

    def _definition_id(self, guid: str) -> str:
        return f"/subscriptions/{self.subscription_id}{AUTHZ}/roleDefinitions/{guid}"

    def _store_assignment(self, scope: str, name: str, role_guid: str, principal: str, kind: str) -> dict:
        now = arm_now()
        assignment = {"id": f"{scope}{AUTHZ}/roleAssignments/{name}", "name": name,
                      "type": "Microsoft.Authorization/roleAssignments",
                      "properties": {"roleDefinitionId": self._definition_id(role_guid), "principalId": principal,
                                     "principalType": kind, "scope": scope, "condition": None,
                                     "conditionVersion": None, "createdOn": now, "updatedOn": now,
                                     "createdBy": self.sp_object_id, "updatedBy": self.sp_object_id,
                                     "delegatedManagedIdentityResourceId": None, "description": None}}
        self.role_assignments[name] = assignment
        return assignment

    def roles_of(self, principal: str, scope: str) -> list[tuple]:
        """Role definitions (guid, actions, notActions, dataActions) the principal holds at or above scope."""
        scope = scope.lower().rstrip("/")
        held = []
        for assignment in self.role_assignments.values():
            props = assignment["properties"]
            at = props["scope"].lower().rstrip("/")
            if props["principalId"] == principal and (scope == at or scope.startswith(at + "/")):
                guid = props["roleDefinitionId"].rsplit("/", 1)[-1]
                held.append(BUILT_IN[self.roles_by_guid[guid]])
        return held

    def allowed(self, principal: str, scope: str, action: str, data: bool = False) -> bool:
        for _guid, actions, not_actions, data_actions in self.roles_of(principal, scope):
            if data and _matches(data_actions, action):
                return True
            if not data and _matches(actions, action) and not _matches(not_actions, action):
                return True
        return False

    def authorize(self, request: Request, scope: str, action: str) -> None:
        oid = request.caller["oid"]
        if not self.allowed(oid, scope, action):
            raise ArmError(403, "AuthorizationFailed",
                           f"The client '{oid}' with object id '{oid}' does not have authorization to perform action "
                           f"'{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, "
                           "please refresh your credentials.")

    # -- routes ---------------------------------------------------------------------------------------------------
    def add_authorization_routes(self) -> None:
        r = self.route
        api = "Microsoft.Authorization"
        r("GET", "{scope*}" + AUTHZ + "/permissions", self._permissions, api=api)
        r("GET", "{scope*}" + AUTHZ + "/roleAssignments", self._list_assignments, api=api)
        r("PUT", "{scope*}" + AUTHZ + "/roleAssignments/{name}", self._put_assignment, api=api)
        r("GET", "{scope*}" + AUTHZ + "/roleAssignments/{name}", self._get_assignment, api=api)
        r("DELETE", "{scope*}" + AUTHZ + "/roleAssignments/{name}", self._delete_assignment, api=api)
        r("GET", "{scope*}" + AUTHZ + "/roleDefinitions", self._list_definitions, api=api)
        r("GET", "{scope*}" + AUTHZ + "/roleDefinitions/{guid}", self._get_definition, api=api)

    def _check_scope_exists(self, scope: str) -> None:
        if "/providers/" in scope.lower() and self.find(scope) is None:
            raise not_found(scope)

    def _permissions(self, request: Request) -> Response:
        scope = request.params["scope"]
        self._check_scope_exists(scope)
        return Response(200, {"value": [{"actions": a, "notActions": n, "dataActions": d, "notDataActions": []}
                                        for _g, a, n, d in self.roles_of(request.caller["oid"], scope)]})

    def _put_assignment(self, request: Request) -> Response:
        scope, name, body = request.params["scope"], request.params["name"], request.json()
        if not GUID.match(name):
            raise ArmError(400, "InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid. The role "
                           "assignment ID must be a GUID.")
        self._check_scope_exists(scope)
        self.authorize(request, scope, "Microsoft.Authorization/roleAssignments/write")
        props = body.get("properties") or {}
        missing = [p for p in ("roleDefinitionId", "principalId") if not props.get(p)]
        if missing:
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                           f"deserialized: Required property '{missing[0]}' not found in JSON.")
        guid = props["roleDefinitionId"].rstrip("/").rsplit("/", 1)[-1].lower()
        if guid not in self.roles_by_guid:
            raise ArmError(400, "RoleDefinitionDoesNotExist",
                           f"The specified role definition with ID '{guid}' does not exist.")
        principal = self.principals.get(props["principalId"])
        kind = props.get("principalType")
        skips = kind and self.principal_type_skips_replication
        if principal is None or (principal["pending"] > 0 and not skips):
            if principal is not None:
                principal["pending"] -= 1
            raise ArmError(400, "PrincipalNotFound",
                           f"Principal {props['principalId'].replace('-', '')} does not exist in the directory "
                           f"{self.tenant_id}. Check that you have the correct principal ID. If you are creating "
                           "this principal and then immediately assigning a role, this error might be related to a "
                           "replication delay. In this case, set the role assignment principalType property to a "
                           "value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype")
        if kind and kind != principal["type"]:
            raise ArmError(400, "PrincipalTypeNotSupported" if kind not in ("User", "Group", "ServicePrincipal",
                                                                            "ForeignGroup", "Device") else
                           "UnmatchedPrincipalType", "The PrincipalId type is different than specified PrincipalType.")
        for other in self.role_assignments.values():
            p = other["properties"]
            same = (p["scope"].lower() == scope.lower() and p["principalId"] == props["principalId"]
                    and p["roleDefinitionId"].rsplit("/", 1)[-1].lower() == guid)
            if other["name"] == name:
                if not same:
                    raise ArmError(400, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal "
                                   "ID, and scope are not allowed to be updated.")
                return Response(200, other)
            if same:
                raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
        return Response(201, self._store_assignment(scope, name, guid, props["principalId"], principal["type"]))

    def _get_assignment(self, request: Request) -> Response:
        found = self.role_assignments.get(request.params["name"])
        if found is None or found["properties"]["scope"].lower() != request.params["scope"].lower():
            raise ArmError(404, "RoleAssignmentNotFound", "The role assignment '{}' is not found.".format(
                request.params["name"]))
        return Response(200, found)

    def _delete_assignment(self, request: Request) -> Response:
        self.authorize(request, request.params["scope"], "Microsoft.Authorization/roleAssignments/delete")
        found = self.role_assignments.get(request.params["name"])
        if found is None or found["properties"]["scope"].lower() != request.params["scope"].lower():
            return Response(204)
        del self.role_assignments[request.params["name"]]
        return Response(200, found)

    def _list_assignments(self, request: Request) -> Response:
        scope = request.params["scope"].lower().rstrip("/")
        text = request.query.get("$filter", "")
        principal = re.search(r"(?:principalId eq|assignedTo\()\s*'([^']+)'", text)
        listed = []
        for assignment in self.role_assignments.values():
            p = assignment["properties"]
            at = p["scope"].lower().rstrip("/")
            related = scope == at or scope.startswith(at + "/") or (
                "atscope()" not in text.lower() and at.startswith(scope + "/"))
            if related and (not principal or p["principalId"] == principal.group(1)):
                listed.append(assignment)
        return Response(200, {"value": listed})

    def _definition(self, name: str, scope: str) -> dict:
        guid, actions, not_actions, data_actions = BUILT_IN[name]
        return {"id": f"{scope}{AUTHZ}/roleDefinitions/{guid}", "name": guid,
                "type": "Microsoft.Authorization/roleDefinitions",
                "properties": {"roleName": name, "type": "BuiltInRole", "description": f"{name} (built-in role)",
                               "assignableScopes": ["/"], "permissions": [
                                   {"actions": actions, "notActions": not_actions, "dataActions": data_actions,
                                    "notDataActions": []}], "createdOn": "2015-02-02T21:55:09.8806423Z",
                               "updatedOn": "2024-01-01T00:00:00.0000000Z", "createdBy": None, "updatedBy": None}}

    def _list_definitions(self, request: Request) -> Response:
        text = request.query.get("$filter", "")
        wanted = re.search(r"roleName eq '([^']+)'", text)
        names = [n for n in BUILT_IN if not wanted or n.lower() == wanted.group(1).lower()]
        return Response(200, {"value": [self._definition(n, request.params["scope"]) for n in names]})

    def _get_definition(self, request: Request) -> Response:
        name = self.roles_by_guid.get(request.params["guid"].lower())
        if name is None:
            raise ArmError(404, "RoleDefinitionDoesNotExist",
                           f"The specified role definition with ID '{request.params['guid']}' does not exist.")
        return Response(200, self._definition(name, request.params["scope"]))
