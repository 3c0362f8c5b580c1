"""Microsoft.KeyVault: vaults (soft delete, recover, purge) and the secrets data plane at properties.vaultUri.

Data plane: each vault gets a loopback port of its own, vaultUri https://127.0.0.1:V/ (served internally as
/vaults/{vault}/…): azure-keyvault-secrets parses a secret id as exactly {collection}/{name}/{version} at the root of
a host, so a vault under a path prefix cannot work with it. The bearer challenge the azure-keyvault clients expect, api-version
checks, RBAC (data actions of the caller's role assignments on the vault), soft-deleted secrets."""

from __future__ import annotations

import re
import time

from .arm import LOCATIONS
from .secrets import VaultSecrets
from .server import ArmError, Request, Response

NS = "Microsoft.KeyVault"
VAULT = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}"
DELETED = "/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{loc}/deletedVaults/{name}"
VAULT_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


class KeyVault(VaultSecrets):
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
        r("PATCH", VAULT, self._patch_vault, api=NS)
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

    def _patch_vault(self, request: Request) -> Response:
        vault, body = self.get(self.resource_id(request, NS, "vaults")), request.json()
        props = body.get("properties") or {}
        if props.get("enableSoftDelete") is False or (vault["properties"].get("enablePurgeProtection")
                                                      and props.get("enablePurgeProtection") is False):
            raise ArmError(400, "BadRequest", "Soft delete cannot be disabled, nor purge protection once enabled.")
        if "tags" in body:
            vault["tags"] = body["tags"] or {}
        for key in ("enableRbacAuthorization", "enablePurgeProtection", "publicNetworkAccess", "accessPolicies",
                    "sku"):
            if props.get(key) is not None:
                vault["properties"][key] = props[key]
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
