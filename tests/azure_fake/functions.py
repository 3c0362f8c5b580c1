"""A function app's SCM site (Flex one-deploy publish) and its host: the published zip is unpacked, its functions
listed by importing function_app.py in a fresh interpreter (funcrunner.py), and routes run there for real with the
app settings as environment — Key Vault references resolved with the app's identity, storage pointed at Azurite,
a managed-identity endpoint on this server."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path

from .server import ArmError, Request, Response

RUNNER = Path(__file__).with_name("funcrunner.py")
KV_REFERENCE = re.compile(r"^@Microsoft\.KeyVault\(SecretUri=(?P<uri>[^)]+)\)$")


class Functions:
    def init_functions(self) -> None:
        self.packages: dict[str, Path] = {}      # site id (lower) -> unpacked package folder
        self.functions: dict[str, list] = {}     # site id (lower) -> [{"name", "bindings"}]
        self.host_errors: dict[str, str | None] = {}
        self.deployments: dict[str, dict] = {}
        self.invocations: list[dict] = []        # every host run: {"site", "function", "status"}

    def add_function_routes(self) -> None:
        r = self.route
        r("POST", "/scm/{app}/api/publish", self._publish, auth="scm", mutating=True, locked=False)
        r("GET", "/scm/{app}/api/deployments/{id}", self._deployment, auth="scm", locked=True)
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            r(method, "/hosts/{app}/api/{route*}", self._invoke_http, auth="host", mutating=False, locked=False)
        r("GET", "/hosts/{app}/admin/host/status", self._host_status, auth="host")
        r("POST", "/hosts/{app}/admin/functions/{fn}", self._invoke_admin, auth="host", mutating=False, locked=False)

    # -- packages ---------------------------------------------------------------------------------------------------
    def worker_lib(self) -> Path:
        """The worker's own library (azure-functions and werkzeug), as the Python worker brings it."""
        target = self.folder / "worker-lib"
        if not target.exists():
            import azure.functions
            import markupsafe
            import werkzeug
            (target / "azure").mkdir(parents=True)
            shutil.copytree(Path(azure.functions.__file__).parent, target / "azure" / "functions")
            for module in (werkzeug, markupsafe):
                shutil.copytree(Path(module.__file__).parent, target / module.__name__)
        return target

    def _runner(self, command: str, root: Path, env: dict | None = None, stdin: dict | None = None) -> dict:
        out = Path(tempfile.mkstemp(dir=self.folder, suffix=".json")[1])
        base = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.folder), "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1"}
        process = subprocess.run([sys.executable, "-I", "-S", str(RUNNER), command, str(root), str(self.worker_lib()),
                                  str(out)], input=json.dumps(stdin or {}).encode(), env={**base, **(env or {})},
                                 capture_output=True, timeout=120)
        try:
            return json.loads(out.read_text() or "null") or {
                "functions": [], "status": 500, "headers": {}, "body": "",
                "error": process.stderr.decode()[-4000:] or "the worker died"}
        finally:
            out.unlink(missing_ok=True)

    def install_package(self, site: dict, data: bytes) -> None:
        """Unpack a published zip and index it as the host does on start."""
        key = site["id"].lower()
        root = self.folder / "packages" / f"{site['name']}-{uuid.uuid4().hex[:8]}"
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                archive.extractall(root)
        except zipfile.BadZipFile as exc:
            with self.lock:
                self.functions[key], self.host_errors[key] = [], f"The package is not a zip file: {exc}"
            return
        listed = self._runner("list", root)
        with self.lock:
            self.packages[key] = root
            self.functions[key] = listed["functions"]
            self.host_errors[key] = listed["error"]

    def load_run_from_package(self, site: dict) -> None:
        """Consumption: the package is whatever WEBSITE_RUN_FROM_PACKAGE's URL serves (fetched on sync triggers)."""
        url = self.app_settings[site["id"].lower()].get("WEBSITE_RUN_FROM_PACKAGE", "")
        key = site["id"].lower()
        if not url.startswith("https://127.0.0.1:"):
            self.functions[key] = []
            self.host_errors[key] = f"WEBSITE_RUN_FROM_PACKAGE is not a URL this fake can fetch: {url[:60]!r}"
            return
        try:
            with urllib.request.urlopen(url, context=ssl.create_default_context(cafile=self.ca_bundle),
                                        timeout=30) as answer:
                data = answer.read()
        except OSError as exc:
            self.functions[key], self.host_errors[key] = [], f"Failed to download the package: {exc}"
            return
        self.install_package(site, data)

    # -- SCM --------------------------------------------------------------------------------------------------------
    def _scm_site(self, request: Request) -> dict:
        with self.lock:
            site = self.site_named(request.params["app"])
            if site is None:
                raise ArmError(404, "NotFound", "No such site.")
            request.caller = self.check_bearer(request.headers, self.arm_audiences())
            if not self.allowed(request.caller["oid"], site["id"], "Microsoft.Web/sites/publish/Action"):
                raise ArmError(403, "Forbidden", "The caller may not publish to this site.")
            if self.plan_of(site)["sku"]["tier"] != "FlexConsumption":
                raise ArmError(404, "NotFound", "Linux Consumption apps have no SCM site: deploy with "
                               "WEBSITE_RUN_FROM_PACKAGE.")
            return site

    def _publish(self, request: Request) -> Response:
        site = self._scm_site(request)
        if request.query.get("RemoteBuild", "").lower() != "false":
            raise ArmError(400, "BadRequest", "This fake builds nothing: publish with RemoteBuild=false.")
        if not request.body:
            raise ArmError(400, "BadRequest", "The request body must be the zip package.")
        self.install_package(site, request.body)
        self._store_in_deployment_container(site, request.body)
        deployment = uuid.uuid4().hex
        with self.lock:
            self.deployments[deployment] = {"site": site["id"], "polls": self.lro_polls}
        location = f"{self.url}/scm/{site['name']}/api/deployments/{deployment}"
        return Response(202, None, {"Location": location, "Retry-After-Ms": str(self.retry_after_ms)})

    def _store_in_deployment_container(self, site: dict, data: bytes) -> None:
        storage = ((site["properties"].get("functionAppConfig") or {}).get("deployment") or {}).get("storage") or {}
        container = storage.get("value", "").rstrip("/").rsplit("/", 1)[-1]
        if self.blob_url and container:
            try:
                self.blob_service_client().get_blob_client(container, f"{site['name']}.zip").upload_blob(
                    data, overwrite=True)
            except Exception:  # the container may not exist; the real platform fails the deploy later
                self.host_errors[site["id"].lower()] = f"The deployment container '{container}' was not found."

    def _deployment(self, request: Request) -> Response:
        self._scm_site(request)
        found = self.deployments.get(request.params["id"])
        if found is None:
            raise ArmError(404, "NotFound", "No such deployment.")
        if found["polls"] > 0:
            found["polls"] -= 1
            return Response(202, {"id": request.params["id"], "status": 1, "status_text": "Building",
                                  "complete": False, "provisioningState": "InProgress"},
                            {"Retry-After-Ms": str(self.retry_after_ms)})
        return Response(200, {"id": request.params["id"], "status": 4, "status_text": "", "complete": True,
                              "provisioningState": "Succeeded", "message": "OneDeploy", "deployer": "OneDeploy"})

    # -- host -------------------------------------------------------------------------------------------------------
    def _host_site(self, request: Request) -> tuple[dict, dict]:
        with self.lock:
            site = self.site_named(request.params["app"])
            if site is None:
                raise ArmError(404, "NotFound", "No such function app.")
            return site, self.site_keys[site["id"].lower()]

    def _key_given(self, request: Request) -> str | None:
        return request.query.get("code") or request.headers.get("x-functions-key")

    def _environment(self, site: dict) -> dict:
        with self.lock:
            settings = dict(self.app_settings[site["id"].lower()])
            principal = (site.get("identity") or {}).get("principalId")
            for name, value in settings.items():
                match = KV_REFERENCE.match(value or "")
                if match and principal:
                    resolved = self.resolve_secret_uri(match.group("uri"), principal)
                    if resolved is not None:      # unresolved references stay as the literal text, as on Azure
                        settings[name] = resolved
            msi = self.msi_apps.get(site["name"].lower())
        azurite = (f"DefaultEndpointsProtocol=https;AccountName=devstoreaccount1;AccountKey={self.blob_key};"
                   f"BlobEndpoint={self.blob_url};")
        if "AzureWebJobsStorage" in settings:
            settings["AzureWebJobsStorage"] = azurite
        for name in list(settings):
            if name.startswith("AzureWebJobsStorage__") and name.endswith(("blobServiceUri", "accountName")):
                del settings[name]
                settings["AzureWebJobsStorage__blobServiceUri"] = self.blob_url
        env = {k: v for k, v in settings.items() if v is not None}
        env.update({"WEBSITE_SITE_NAME": site["name"], "WEBSITE_HOSTNAME": site["properties"]["defaultHostName"],
                    "REQUESTS_CA_BUNDLE": self.ca_bundle, "SSL_CERT_FILE": self.ca_bundle,
                    "AZURE_FUNCTIONS_ENVIRONMENT": "Production"})
        if msi:
            env.update({"IDENTITY_ENDPOINT": f"{self.url}/msi/{site['name']}/token", "IDENTITY_HEADER": msi["header"]})
        return env

    def _run(self, site: dict, request: dict) -> dict:
        root = self.packages.get(site["id"].lower())
        started = time.time()
        answer = self._runner("call", root, self._environment(site), request)
        reason = (f"Timer fired at {time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(started))}+00:00"
                  if request["kind"] == "timer" else "This function was programmatically called via the host APIs.")
        self.record_run(site, request["function"], reason, started, answer)
        with self.lock:
            self.invocations.append({"site": site["name"], "function": request["function"],
                                     "status": answer["status"], "error": answer.get("error")})
        return answer

    def _invoke_http(self, request: Request) -> Response:
        site, keys = self._host_site(request)
        route = request.params["route"]
        with self.lock:
            functions = list(self.functions.get(site["id"].lower(), []))
        for fn in functions:
            trigger = next((b for b in fn["bindings"] if b.get("type") == "httpTrigger"), None)
            if trigger is None or (trigger.get("route") or fn["name"]).strip("/") != route.strip("/"):
                continue
            if request.method.lower() not in [m.lower() for m in trigger.get("methods") or
                                              ["get", "post", "put", "delete", "patch"]]:
                return Response(405)
            level = (trigger.get("authLevel") or "function").lower()
            given = self._key_given(request)
            allowed = {keys["master"]} if level == "admin" else {keys["master"], keys["default"],
                                                                   keys["functions"].get(fn["name"])}
            if level != "anonymous" and (not given or given not in allowed):
                return Response(401)
            params = {k: v for k, v in request.query.items() if k != "code"}
            answer = self._run(site, {"function": fn["name"], "kind": "http", "method": request.method,
                                      "url": f"https://{site['properties']['defaultHostName']}/api/{route}",
                                      "headers": {k: v for k, v in request.headers.items()
                                                  if k.lower() != "x-functions-key"},
                                      "params": params, "body": base64.b64encode(request.body).decode()})
            headers = {k: v for k, v in answer["headers"].items() if k.lower() not in ("content-length",)}
            return Response(answer["status"], base64.b64decode(answer["body"] or ""), headers)
        return Response(404)

    def _invoke_admin(self, request: Request) -> Response:
        """The host's admin API (master key): run a non-HTTP function, e.g. the timer, once."""
        site, keys = self._host_site(request)
        if request.headers.get("x-functions-key") != keys["master"]:
            return Response(401)
        with self.lock:
            names = [f["name"] for f in self.functions.get(site["id"].lower(), [])]
        if request.params["fn"] not in names:
            return Response(404)
        body = json.loads(request.body or b"{}")
        answer = self._run(site, {"function": request.params["fn"], "kind": "timer",
                                  "past_due": bool(body.get("past_due"))})
        return Response(202 if answer["status"] < 500 else 500, None)

    def _host_status(self, request: Request) -> Response:
        site, keys = self._host_site(request)
        if self._key_given(request) != keys["master"]:
            return Response(401)
        error = self.host_errors.get(site["id"].lower())
        return Response(200, {"id": site["name"], "state": "Error" if error else "Running", "version": "4.1040.0",
                              "errors": [error] if error else [], "functionCount":
                                  len(self.functions.get(site["id"].lower(), []))})
