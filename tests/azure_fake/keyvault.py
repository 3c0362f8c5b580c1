"""Microsoft.KeyVault: vaults (soft delete, recover, purge) and the secrets data plane at properties.vaultUri.

Data plane: each vault gets a loopback port of its own, vaultUri https://127.0.0.1:V/ (served internally as
/vaults/{vault}/…): azure-keyvault-secrets parses a secret id as exactly {collection}/{name}/{version} at the root of
a host, so a vault under a path prefix cannot work with it. The bearer challenge the azure-keyvault clients expect, api-version
checks, RBAC (data actions of the caller's role assignments on the vault), soft-deleted secrets."""

from __future__ import annotations

import re
import time
import uuid

from .arm import LOCATIONS
from .server import ArmError, Request, Response, arm_now
from .versions import KEYVAULT_DATA_VERSIONS

NS = "Microsoft.KeyVault"
VAULT = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}"
DELETED = "/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{loc}/deletedVaults/{name}"
VAULT_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
SECRET_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
VAULT_RESOURCE = "https://vault.azure.net"
SECRETS = "Microsoft.KeyVault/vaults/secrets/"


def kv_error(status: int, code: str, message: str, inner: str | None = None) -> ArmError:
    body = {"error": {"code": code, "message": message}}
    if inner:
        body["error"]["innererror"] = {"code": inner}
    return ArmError(status, code, message, body=body)


class KeyVault:
    def init_keyvault(self) -> None:
        self.deleted_vaults: dict[str, dict] = {}      # name -> {"resource", "vault", "secrets", "deleted"}
        self.secrets: dict[str, dict] = {}             # vault name -> secret name -> [versions]
        self.deleted_secrets: dict[str, dict] = {}     # vault name -> secret name -> deleted bundle + versions
        self.vault_pending: dict[str, int] = {}
        self.vault_ports: dict[str, int] = {}          # vault name -> its own port (kept across delete/recover)

    def vault_uri(self, name: str) -> str:
        if name.lower() not in self.vault_ports:
            self.vault_ports[name.lower()] = self.listen(f"/vaults/{name}")
        return f"https://127.0.0.1:{self.vault_ports[name.lower()]}/"

    def add_keyvault_routes(self) -> None:
        r = self.route
        r("POST", "/subscriptions/{sub}/providers/Microsoft.KeyVault/checkNameAvailability", self._vault_name,
          api=NS, mutating=False)
        r("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults", self._list_vaults,
          api=NS)
        r("PUT", VAULT, self._put_vault, api=NS)
        r("GET", VAULT, self._get_vault, api=NS)
        r("DELETE", VAULT, self._delete_vault, api=NS)
        r("GET", "/subscriptions/{sub}/providers/Microsoft.KeyVault/deletedVaults", self._list_deleted, api=NS)
        r("GET", DELETED, self._get_deleted, api=NS)
        r("POST", DELETED + "/purge", self._purge, api=NS, mutating=True)
        d = dict(auth="vault", mutating=False)
        r("GET", "/vaults/{vault}/secrets", self._kv_list, **d)
        r("PUT", "/vaults/{vault}/secrets/{secret}", self._kv_set, auth="vault", mutating=True)
        r("GET", "/vaults/{vault}/secrets/{secret}", self._kv_get, **d)
        r("GET", "/vaults/{vault}/secrets/{secret}/versions", self._kv_versions, **d)
        r("GET", "/vaults/{vault}/secrets/{secret}/{version}", self._kv_get, **d)
        r("DELETE", "/vaults/{vault}/secrets/{secret}", self._kv_delete, auth="vault", mutating=True)
        r("GET", "/vaults/{vault}/deletedsecrets", self._kv_list_deleted, **d)
        r("GET", "/vaults/{vault}/deletedsecrets/{secret}", self._kv_get_deleted, **d)
        r("DELETE", "/vaults/{vault}/deletedsecrets/{secret}", self._kv_purge, auth="vault", mutating=True)
        r("POST", "/vaults/{vault}/deletedsecrets/{secret}/recover", self._kv_recover, auth="vault", mutating=True)

    # -- management ------------------------------------------------------------------------------------------------
    def _vault_taken(self, name: str) -> bool:
        return name.lower() in self.taken["vault"] or any(
            r["type"] == "Microsoft.KeyVault/vaults" and r["name"].lower() == name.lower() for r in self.tracked())

    def _vault_name(self, request: Request) -> Response:
        body = request.json()
        if body.get("type") != "Microsoft.KeyVault/vaults" or not body.get("name"):
            raise ArmError(400, "BadRequest", "The request must name 'name' and type 'Microsoft.KeyVault/vaults'.")
        name = body["name"]
        if not VAULT_NAME.match(name):
            return Response(200, {"nameAvailable": False, "reason": "AccountNameInvalid", "message": f"Vault name "
                                  f"'{name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. "
                                  "The name must begin with a letter, end with a letter or digit, and not contain "
                                  "consecutive hyphens."})
        if self._vault_taken(name) or name.lower() in self.deleted_vaults:
            return Response(200, {"nameAvailable": False, "reason": "AlreadyExists",
                                  "message": f"The vault name '{name}' is already in use."})
        return Response(200, {"nameAvailable": True})

    def _put_vault(self, request: Request) -> Response:
        name, body = request.params["name"], request.json()
        if not VAULT_NAME.match(name):
            raise ArmError(400, "VaultNameNotValid", f"The vault name '{name}' is invalid. A vault's name must be "
                           "between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter "
                           "or digit, and not contain consecutive hyphens.")
        location = (body.get("location") or "").replace(" ", "").lower()
        if not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        if location not in LOCATIONS:
            raise ArmError(400, "LocationNotAvailableForResourceType", f"The provided location '{location}' is not "
                           "available for resource type 'Microsoft.KeyVault/vaults'.")
        props = body.get("properties")
        if not isinstance(props, dict):
            raise ArmError(400, "BadRequest", "The parameter properties is required.")
        recover = props.get("createMode") == "recover"
        resource_id = self.resource_id(request, NS, "vaults")
        existing = self.find(resource_id)
        deleted = self.deleted_vaults.get(name.lower())
        if deleted and not existing:
            if not recover:
                raise ArmError(409, "ConflictError", "A vault with the same name already exists in deleted state. "
                               "You need to either recover or purge existing key vault. Follow this link "
                               "https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.")
            if deleted["resource"]["id"].lower() != resource_id.lower():
                raise ArmError(400, "BadRequest", "A deleted vault can only be recovered into its original "
                               "subscription and resource group.")
            del self.deleted_vaults[name.lower()]
            vault = deleted["resource"]
            vault["tags"] = body.get("tags", vault.get("tags")) or {}
            self.secrets[name.lower()] = deleted["secrets"]
            self.deleted_secrets[name.lower()] = deleted["deleted_secrets"]
            self.put_resource(vault)
            return Response(200, vault)
        if recover and not existing:
            raise ArmError(404, "ResourceNotFound", f"The vault '{name}' was not found in deleted state.")
        if not existing and self._vault_taken(name):
            raise ArmError(409, "VaultAlreadyExists", f"The vault name '{name}' is already in use. Vault names are "
                           "globally unique so it is possible that the name is already taken.")
        tenant, sku = props.get("tenantId"), props.get("sku")
        if not tenant or not GUID.match(str(tenant)):
            raise ArmError(400, "BadRequest", "The parameter properties.tenantId is required and must be a GUID.")
        if not isinstance(sku, dict) or sku.get("family") != "A" or sku.get("name") not in ("standard", "premium"):
            raise ArmError(400, "BadRequest", "The parameter properties.sku is required: family 'A' and name "
                           "'standard' or 'premium'.")
        rbac = props.get("enableRbacAuthorization", False)
        if not isinstance(rbac, bool):
            raise ArmError(400, "BadRequest", "enableRbacAuthorization must be a boolean.")
        days = props.get("softDeleteRetentionInDays", 90)
        if not isinstance(days, int) or not 7 <= days <= 90:
            raise ArmError(400, "BadRequest", "softDeleteRetentionInDays must be between 7 and 90.")
        if props.get("enableSoftDelete") is False:
            raise ArmError(400, "BadRequest", "The property \"enableSoftDelete\" has been set to false. Enabling "
                           "the 'soft delete' functionality is mandatory for all key vaults.")
        if existing and existing["properties"].get("enablePurgeProtection") and props.get("enablePurgeProtection") \
                is False:
            raise ArmError(400, "BadRequest", "The property \"enablePurgeProtection\" cannot be set to false.")
        vault = {"id": resource_id, "name": name, "type": "Microsoft.KeyVault/vaults", "location": location,
                 "tags": body.get("tags") or {}, "properties": {
                     "tenantId": tenant, "sku": sku, "accessPolicies": props.get("accessPolicies") or [],
                     "enableRbacAuthorization": rbac, "enableSoftDelete": True, "softDeleteRetentionInDays": days,
                     "enablePurgeProtection": props.get("enablePurgeProtection"),
                     "enabledForDeployment": props.get("enabledForDeployment", False),
                     "enabledForTemplateDeployment": props.get("enabledForTemplateDeployment", False),
                     "enabledForDiskEncryption": props.get("enabledForDiskEncryption", False),
                     "publicNetworkAccess": props.get("publicNetworkAccess", "Enabled"),
                     "vaultUri": self.vault_uri(name),
                     "provisioningState": "Succeeded" if existing else "RegisteringDns"}}
        self.put_resource(vault)
        self.secrets.setdefault(name.lower(), {})
        self.deleted_secrets.setdefault(name.lower(), {})
        if existing:
            return Response(200, vault)
        self.vault_pending[resource_id.lower()] = self.lro_polls
        return Response(201, vault, {"Retry-After-Ms": str(self.retry_after_ms)})

    def _get_vault(self, request: Request) -> Response:
        vault = self.get(self.resource_id(request, NS, "vaults"))
        key = vault["id"].lower()
        if self.vault_pending.get(key, 0) > 0:
            self.vault_pending[key] -= 1
            return Response(200, vault, {"Retry-After-Ms": str(self.retry_after_ms)})
        vault["properties"]["provisioningState"] = "Succeeded"
        return Response(200, vault)

    def _list_vaults(self, request: Request) -> Response:
        prefix = f"/subscriptions/{request.params['sub']}/resourcegroups/{request.params['rg']}/".lower()
        return Response(200, {"value": [r for r in self.tracked() if r["type"] == "Microsoft.KeyVault/vaults"
                                        and r["id"].lower().startswith(prefix)]})

    def soft_delete_vault(self, vault: dict) -> None:
        name, sub = vault["name"], self.subscription_id
        now = time.time()
        days = vault["properties"]["softDeleteRetentionInDays"]
        self.deleted_vaults[name.lower()] = {
            "resource": vault, "secrets": self.secrets.pop(name.lower(), {}),
            "deleted_secrets": self.deleted_secrets.pop(name.lower(), {}),
            "body": {"id": f"/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{vault['location']}/"
                           f"deletedVaults/{name}", "name": name, "type": "Microsoft.KeyVault/deletedVaults",
                     "properties": {"vaultId": vault["id"], "location": vault["location"],
                                    "deletionDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                                    "scheduledPurgeDate": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                        time.gmtime(now + days * 86400)),
                                    "tags": vault.get("tags") or {},
                                    "purgeProtectionEnabled": bool(vault["properties"].get("enablePurgeProtection"))}}}

    def _delete_vault(self, request: Request) -> Response:
        vault = self.find(self.resource_id(request, NS, "vaults"))
        if vault is None:
            return Response(204)
        self.drop(vault["id"])
        self.soft_delete_vault(vault)
        return Response(200)

    def _deleted(self, request: Request) -> dict:
        found = self.deleted_vaults.get(request.params["name"].lower())
        if found is None or found["resource"]["location"] != request.params["loc"].replace(" ", "").lower():
            raise ArmError(404, "ResourceNotFound", f"The specified deleted vault '{request.params['name']}' was not "
                           "found.")
        return found

    def _get_deleted(self, request: Request) -> Response:
        return Response(200, self._deleted(request)["body"])

    def _list_deleted(self, request: Request) -> Response:
        return Response(200, {"value": [d["body"] for d in self.deleted_vaults.values()]})

    def _purge(self, request: Request) -> Response:
        found = self._deleted(request)
        if found["body"]["properties"]["purgeProtectionEnabled"]:
            raise ArmError(409, "Conflict", "Operation 'DeletedVaultPurge' is not allowed: the vault has purge "
                           "protection enabled.")
        name = request.params["name"].lower()

        def done():
            self.deleted_vaults.pop(name, None)

        return Response(202, None, self.lro_headers(NS, found["resource"]["location"], done, style="location"))

    # -- data plane -------------------------------------------------------------------------------------------------
    def _kv_vault(self, request: Request, action: str) -> dict:
        name = request.params["vault"]
        vault = next((r for r in self.tracked() if r["type"] == "Microsoft.KeyVault/vaults"
                      and r["name"].lower() == name.lower()), None)
        if vault is None:
            raise kv_error(404, "VaultNotFound", f"The vault '{name}' does not exist (its DNS name would not resolve).")
        challenge = {"WWW-Authenticate": f'Bearer authorization="{self.url}/{self.tenant_id}", '
                                         f'resource="{VAULT_RESOURCE}"'}
        try:
            claims = self.check_bearer(request.headers, {VAULT_RESOURCE, VAULT_RESOURCE + "/"}, challenge)
        except ArmError as error:
            refused = kv_error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."
                               if error.code == "AuthenticationFailed" else f"AKV10022: {error.message}")
            refused.headers = challenge
            raise refused from None
        version = request.query.get("api-version")
        if version not in KEYVAULT_DATA_VERSIONS:
            raise kv_error(400, "BadParameter", f"The specified version ({version}) is not recognized. Consider "
                           "using the latest supported version (2025-07-01).")
        oid = claims["oid"]
        props = vault["properties"]
        if props["enableRbacAuthorization"]:
            permitted = self.allowed(oid, vault["id"], SECRETS + action, data=True) or (
                self.owner_reads_secrets and any(g[0] == "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
                                                 for g in self.roles_of(oid, vault["id"])))
        else:
            short = action.split("/")[0].replace("Secret", "").lower()
            permitted = any(p.get("objectId") == oid and short in [s.lower() for s in
                                                                    (p.get("permissions") or {}).get("secrets", [])]
                            for p in props["accessPolicies"])
        if not permitted:
            raise kv_error(403, "Forbidden", "Caller is not authorized to perform action on resource.\r\nIf role "
                           "assignments, deny assignments or role definitions were changed recently, please observe "
                           f"propagation time.\r\nCaller: appid={claims['appid']};oid={oid}\r\nAction: "
                           f"'{SECRETS}{action}'\r\nResource: '{vault['id'].lower()}/secrets'\r\nAssignment: "
                           "(not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'\r\nVault: "
                           f"{vault['name']};location={vault['location']}", inner="ForbiddenByRbac")
        return vault

    def _bundle(self, vault: dict, name: str, version: dict) -> dict:
        uri = vault["properties"]["vaultUri"]
        bundle = {"value": version["value"], "id": f"{uri}secrets/{name}/{version['version']}",
                  "attributes": dict(version["attributes"]), "tags": version.get("tags") or {}}
        if version.get("contentType"):
            bundle["contentType"] = version["contentType"]
        return bundle

    def _kv_set(self, request: Request) -> Response:
        vault = self._kv_vault(request, "setSecret/action")
        name, body = request.params["secret"], request.json()
        if not SECRET_NAME.match(name):
            raise kv_error(400, "BadParameter", "The request URI contains an invalid name: " + name)
        if not isinstance(body.get("value"), str):
            raise kv_error(400, "BadParameter", "Property 'value' is required.")
        if name.lower() in self.deleted_secrets[vault["name"].lower()]:
            raise kv_error(409, "Conflict", f"Secret {name} is currently in a deleted but recoverable state, and its "
                           "name cannot be reused; in this state, the secret can only be recovered or purged.",
                           inner="ObjectIsDeletedButRecoverable")
        now = int(time.time())
        attributes = {"enabled": True, "created": now, "updated": now, "recoveryLevel": "Recoverable+Purgeable",
                      "recoverableDays": vault["properties"]["softDeleteRetentionInDays"]}
        attributes.update((body.get("attributes") or {}))
        version = {"version": uuid.uuid4().hex, "value": body["value"], "attributes": attributes,
                   "tags": body.get("tags"), "contentType": body.get("contentType"), "name": name}
        self.secrets[vault["name"].lower()].setdefault(name.lower(), []).append(version)
        bundle = self._bundle(vault, name, version)
        return Response(200, bundle)

    def _versions_of(self, vault: dict, name: str) -> list[dict]:
        versions = self.secrets[vault["name"].lower()].get(name.lower())
        if not versions:
            raise kv_error(404, "SecretNotFound", f"A secret with (name/id) {name} was not found in this key vault. "
                           "If you recently deleted this secret you may be able to recover it using the correct "
                           "recovery command. For help resolving this issue, please see "
                           "https://go.microsoft.com/fwlink/?linkid=2125182")
        return versions

    def _kv_get(self, request: Request) -> Response:
        vault = self._kv_vault(request, "getSecret/action")
        name, wanted = request.params["secret"], request.params.get("version")
        versions = self._versions_of(vault, name)
        version = versions[-1] if not wanted else next((v for v in versions if v["version"] == wanted), None)
        if version is None:
            raise kv_error(404, "SecretNotFound", f"A secret with (name/id) {name}/{wanted} was not found in this "
                           "key vault.")
        return Response(200, self._bundle(vault, version["name"], version))

    def _item(self, vault: dict, version: dict, with_version: bool = False) -> dict:
        bundle = self._bundle(vault, version["name"], version)
        del bundle["value"]
        if not with_version:
            bundle["id"] = bundle["id"].rsplit("/", 1)[0]
        return bundle

    def _kv_list(self, request: Request) -> Response:
        vault = self._kv_vault(request, "readMetadata/action")
        items = [self._item(vault, v[-1]) for v in self.secrets[vault["name"].lower()].values()]
        return Response(200, {"value": items, "nextLink": None})

    def _kv_versions(self, request: Request) -> Response:
        vault = self._kv_vault(request, "readMetadata/action")
        versions = self._versions_of(vault, request.params["secret"])
        return Response(200, {"value": [self._item(vault, v, True) for v in versions], "nextLink": None})

    def _deleted_bundle(self, vault: dict, entry: dict) -> dict:
        bundle = self._bundle(vault, entry["versions"][-1]["name"], entry["versions"][-1])
        del bundle["value"]
        uri = vault["properties"]["vaultUri"]
        bundle.update({"recoveryId": f"{uri}deletedsecrets/{entry['versions'][-1]['name']}",
                       "deletedDate": entry["deleted"], "scheduledPurgeDate": entry["deleted"] + 90 * 86400})
        return bundle

    def _kv_delete(self, request: Request) -> Response:
        vault = self._kv_vault(request, "delete")
        name = request.params["secret"]
        versions = self._versions_of(vault, name)
        del self.secrets[vault["name"].lower()][name.lower()]
        entry = {"versions": versions, "deleted": int(time.time())}
        self.deleted_secrets[vault["name"].lower()][name.lower()] = entry
        return Response(200, self._deleted_bundle(vault, entry))

    def _deleted_entry(self, vault: dict, name: str) -> dict:
        entry = self.deleted_secrets[vault["name"].lower()].get(name.lower())
        if entry is None:
            raise kv_error(404, "SecretNotFound", f"Deleted Secret not found: {name}")
        return entry

    def _kv_get_deleted(self, request: Request) -> Response:
        vault = self._kv_vault(request, "readMetadata/action")
        return Response(200, self._deleted_bundle(vault, self._deleted_entry(vault, request.params["secret"])))

    def _kv_list_deleted(self, request: Request) -> Response:
        vault = self._kv_vault(request, "readMetadata/action")
        return Response(200, {"value": [self._deleted_bundle(vault, e) for e in
                                        self.deleted_secrets[vault["name"].lower()].values()], "nextLink": None})

    def _kv_purge(self, request: Request) -> Response:
        vault = self._kv_vault(request, "purge/action")
        self._deleted_entry(vault, request.params["secret"])
        del self.deleted_secrets[vault["name"].lower()][request.params["secret"].lower()]
        return Response(204)

    def _kv_recover(self, request: Request) -> Response:
        vault = self._kv_vault(request, "recover/action")
        entry = self._deleted_entry(vault, request.params["secret"])
        del self.deleted_secrets[vault["name"].lower()][request.params["secret"].lower()]
        self.secrets[vault["name"].lower()][request.params["secret"].lower()] = entry["versions"]
        version = entry["versions"][-1]
        bundle = self._bundle(vault, version["name"], version)
        del bundle["value"]
        return Response(200, bundle)

    def resolve_secret_uri(self, uri: str, principal: str) -> str | None:
        """A Key Vault reference as the platform resolves it with the app's identity (None when it cannot)."""
        match = re.match(r"^https://127\.0\.0\.1:(\d+)/secrets/([^/]+)/?([^/]*)/?$", uri)
        ports = {port: vault for vault, port in self.vault_ports.items()}
        if not match or int(match.group(1)) not in ports:
            return None
        vault_name, name, wanted = ports[int(match.group(1))], match.group(2), match.group(3)
        vault = next((r for r in self.tracked() if r["type"] == "Microsoft.KeyVault/vaults"
                      and r["name"].lower() == vault_name.lower()), None)
        if vault is None or not self.allowed(principal, vault["id"], SECRETS + "getSecret/action", data=True):
            return None
        versions = self.secrets.get(vault_name.lower(), {}).get(name.lower())
        if not versions:
            return None
        version = versions[-1] if not wanted else next((v for v in versions if v["version"] == wanted), None)
        return version["value"] if version else None
