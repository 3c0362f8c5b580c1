"""Microsoft Entra ID as clients see it: OpenID configuration, the v2.0 token endpoint (client credentials and
device code), access tokens as JWTs, and App Service's managed-identity endpoint (IDENTITY_ENDPOINT/HEADER).

Tokens are unsigned-signature JWTs with the v1 claims Azurite's `--oauth basic` checks (iss
https://sts.windows.net/{tenant}/, aud, exp/nbf/iat) plus oid/tid/appid; the fake remembers each token it issued,
so `expire_tokens()` turns them into ExpiredAuthenticationToken as Resource Manager answers.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import parse_qs

from .server import ArmError, Request, Response

TOKEN_LIFETIME = 3600


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def decode_jwt(token: str) -> dict | None:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None


def _entra_error(status: int, error: str, code: int, description: str) -> ArmError:
    body = {"error": error, "error_description": f"AADSTS{code}: {description}", "error_codes": [code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()), "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4())}
    return ArmError(status, error, description, body=body)


class Identity:
    """Mixed into AzureFake: needs .url, .tenant_id, .client_id, .client_secret, .sp_object_id, .principals."""

    def mint(self, oid: str, resource: str, appid: str | None = None, lifetime: int = TOKEN_LIFETIME) -> str:
        now = int(time.time())
        jti = str(uuid.uuid4())
        claims = {"aud": resource, "iss": f"https://sts.windows.net/{self.tenant_id}/", "iat": now, "nbf": now - 5,
                  "exp": now + lifetime, "oid": oid, "sub": oid, "tid": self.tenant_id, "appid": appid or oid,
                  "idtyp": "app", "ver": "1.0", "uti": jti}
        self.tokens[jti] = claims
        return f"{_b64({'typ': 'JWT', 'alg': 'RS256', 'kid': 'botship-fake'})}.{_b64(claims)}.c2lnbmF0dXJl"

    def expire_tokens(self) -> None:
        """Every token issued so far is expired from now on (new ones are fine)."""
        with self.lock:
            self.expired.update(self.tokens)

    def arm_audiences(self) -> set[str]:
        return {self.url, self.url + "/", "https://management.azure.com", "https://management.azure.com/",
                "https://management.core.windows.net", "https://management.core.windows.net/"}

    def check_bearer(self, headers, audiences: set[str], challenge: dict | None = None) -> dict:
        authorization = headers.get("Authorization") or ""
        www = {"WWW-Authenticate": f'Bearer authorization_uri="{self.url}/{self.tenant_id}", error="invalid_token", '
                                   f'error_description="The authentication failed."'}
        if not authorization.startswith("Bearer "):
            raise ArmError(401, "AuthenticationFailed",
                           "Authentication failed. The 'Authorization' header is missing.", challenge or www)
        claims = decode_jwt(authorization[len("Bearer "):].strip())
        jti = (claims or {}).get("uti")
        if jti not in self.tokens:
            raise ArmError(401, "InvalidAuthenticationToken",
                           "The access token is invalid.", challenge or www)
        if jti in self.expired or claims["exp"] < time.time():
            now = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime())
            raise ArmError(401, "ExpiredAuthenticationToken",
                           f"The access token expiry UTC time '{now}' is earlier than current UTC time '{now}'.",
                           challenge or www)
        if claims["aud"] not in audiences:
            allowed = ",".join(f"'{a}'" for a in sorted(audiences))
            raise ArmError(401, "InvalidAuthenticationTokenAudience",
                           f"The access token has been obtained for wrong audience or resource '{claims['aud']}'. "
                           f"It should exactly match with one of the allowed audiences {allowed}.", challenge or www)
        return claims

    # -- routes ---------------------------------------------------------------------------------------------------
    def add_identity_routes(self) -> None:
        self.route("GET", "/{tenant}/v2.0/.well-known/openid-configuration", self._openid, auth="none")
        self.route("POST", "/{tenant}/oauth2/v2.0/token", self._token, auth="none", mutating=False)
        self.route("POST", "/{tenant}/oauth2/v2.0/devicecode", self._devicecode, auth="none", mutating=False)
        self.route("GET", "/msi/{app}/token", self._managed_identity, auth="identity")

    def _known_tenant(self, tenant: str) -> None:
        if tenant.lower() not in (self.tenant_id, "organizations", "common"):
            raise _entra_error(400, "invalid_request", 90002,
                               f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
                               "are signing into the correct cloud.")

    def _openid(self, request: Request) -> Response:
        tenant = request.params["tenant"]
        self._known_tenant(tenant)
        base = f"{self.url}/{self.tenant_id}"
        return Response(200, {
            "token_endpoint": f"{base}/oauth2/v2.0/token", "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode", "issuer": f"{base}/v2.0",
            "jwks_uri": f"{base}/discovery/v2.0/keys", "token_endpoint_auth_methods_supported":
                ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            "tenant_region_scope": "EU", "cloud_instance_name": "botship.fake"})

    def _resource_of(self, scope: str) -> str:
        scopes = [s for s in scope.split() if s not in ("openid", "profile", "offline_access")]
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise _entra_error(400, "invalid_scope", 1002012,
                               f"The provided value for scope {scope} is not valid. Client credential flows must "
                               "have a scope value with /.default suffixed to the resource identifier "
                               "(application ID URI).")
        return scopes[0][: -len("/.default")]

    def _token(self, request: Request) -> Response:
        self._known_tenant(request.params["tenant"])
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        grant = form.get("grant_type")
        if grant == "client_credentials":
            if form.get("client_id") != self.client_id:
                raise _entra_error(400, "unauthorized_client", 700016,
                                   f"Application with identifier '{form.get('client_id')}' was not found in the "
                                   f"directory '{self.tenant_id}'.")
            if form.get("client_secret") != self.client_secret:
                raise _entra_error(401, "invalid_client", 7000215,
                                   "Invalid client secret provided. Ensure the secret being sent in the request is "
                                   f"the client secret value, not the client secret ID, for a secret added to app "
                                   f"'{self.client_id}'.")
            resource = self._resource_of(form.get("scope", ""))
            return self._token_answer(self.mint(self.sp_object_id, resource, self.client_id))
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            flow = self.device_flows.get(form.get("device_code", ""))
            if flow is None:
                raise _entra_error(400, "invalid_grant", 70000, "The provided device code is invalid.")
            flow["polls"] += 1
            if flow["polls"] <= 1:
                raise _entra_error(400, "authorization_pending", 70016,
                                   "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
            resource = self._resource_of(flow["scope"])
            return self._token_answer(self.mint(self.user_object_id, resource, form.get("client_id")), user=True,
                                      client_id=form.get("client_id"))
        if grant == "refresh_token" and form.get("refresh_token", "").startswith("fake-refresh."):
            resource = self._resource_of(form.get("scope", ""))
            return self._token_answer(self.mint(self.user_object_id, resource, form.get("client_id")), user=True,
                                      client_id=form.get("client_id"))
        raise _entra_error(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type "
                           f"'{grant}'.")

    def _token_answer(self, token: str, user: bool = False, client_id: str | None = None) -> Response:
        body = {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME - 1, "ext_expires_in": TOKEN_LIFETIME - 1,
                "access_token": token}
        if user:
            now = int(time.time())
            body["refresh_token"] = "fake-refresh." + str(uuid.uuid4())
            body["scope"] = "openid profile offline_access"
            body["client_info"] = _b64({"uid": self.user_object_id, "utid": self.tenant_id})
            body["id_token"] = f"{_b64({'typ': 'JWT', 'alg': 'RS256'})}." + _b64({
                "aud": client_id, "iss": f"{self.url}/{self.tenant_id}/v2.0", "iat": now, "nbf": now,
                "exp": now + TOKEN_LIFETIME, "oid": self.user_object_id, "sub": self.user_object_id,
                "tid": self.tenant_id, "preferred_username": self.user_name, "name": "botship test user",
                "ver": "2.0"}) + ".c2ln"
        return Response(200, body, {"Cache-Control": "no-store"})

    def _devicecode(self, request: Request) -> Response:
        self._known_tenant(request.params["tenant"])
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        code, user_code = str(uuid.uuid4()), uuid.uuid4().hex[:9].upper()
        self.device_flows[code] = {"scope": form.get("scope", ""), "polls": 0}
        return Response(200, {"device_code": code, "user_code": user_code, "verification_uri":
                              f"{self.url}/devicelogin", "expires_in": 900, "interval": 0, "message":
                              f"To sign in, open {self.url}/devicelogin and enter the code {user_code}."})

    def _managed_identity(self, request: Request) -> Response:
        app = self.msi_apps.get(request.params["app"].lower())
        if app is None or request.headers.get("X-IDENTITY-HEADER") != app["header"]:
            raise ArmError(401, "Unauthorized", "The X-IDENTITY-HEADER is missing or wrong.")
        if request.query.get("api-version") != "2019-08-01":
            raise ArmError(400, "BadRequest", "Only api-version 2019-08-01 is supported.")
        resource = request.query.get("resource", "")
        token = self.mint(app["principal"], resource.rstrip("/") if resource.endswith("/") else resource)
        return Response(200, {"access_token": token, "expires_on": str(int(time.time()) + TOKEN_LIFETIME),
                              "resource": resource, "token_type": "Bearer", "client_id": app["principal"]})
