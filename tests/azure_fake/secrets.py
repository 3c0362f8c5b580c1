"""Key Vault's secrets data plane (api 7.x, 2025-07-01, 2026-04-01), each vault on a loopback port of its own:
the bearer challenge the azure-keyvault clients expect, RBAC by the caller's data actions on the vault, soft-deleted
secrets, and the platform's resolution of Key Vault references with an app's identity."""

from __future__ import annotations

import re
import time
import uuid

from .server import ArmError, Request, Response
from .versions import KEYVAULT_DATA_VERSIONS

SECRET_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
VAULT_RESOURCE = "https://vault.azure.net"
SECRETS = "Microsoft.KeyVault/vaults/secrets/"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


def kv_error(status: int, code: str, message: str, inner: str | None = None) -> ArmError:
    body = {"error": {"code": code, "message": message}}
    if inner:
        body["error"]["innererror"] = {"code": inner}
    return ArmError(status, code, message, body=body)


class VaultSecrets:
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
                self.owner_reads_secrets and any(g[0] == OWNER
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
