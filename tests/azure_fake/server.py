"""The strict Azure fake's HTTPS server: routing, bearer-token checks, api-versions, ARM errors and long-running operations.

Services register routes on an `AzureFake` (see the sibling modules); every route names how it is authenticated
and which api-versions it takes. Written from the Resource Manager REST specifications and ARM's documented
conventions (azure-rest-api-specs), not from what a client happens to send.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from .versions import API_VERSIONS


class ArmError(Exception):
    """An error answered as ARM does: {"error": {"code", "message"}}."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, body: Any = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.body = body if body is not None else {"error": {"code": code, "message": message}}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    caller: dict | None = None

    def json(self, required: bool = True) -> Any:
        if not self.body:
            if required:
                raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                               "deserialized: the request body is empty.")
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ArmError(400, "InvalidRequestContent",
                           f"The request content was invalid and could not be deserialized: {exc}.") from None


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    method: str
    regex: re.Pattern
    handler: Callable[[Request], Response]
    api: str | None          # key into API_VERSIONS; None: no api-version taken
    mutating: bool
    auth: str                # "arm", "none", or a handler-checked scheme ("vault", "scm", "host", "identity")
    locked: bool


def template(pattern: str) -> re.Pattern:
    """'/subscriptions/{sub}/x' -> a case-insensitive anchored regex with named groups (segments, no slashes)."""
    parts = re.split(r"(\{\w+\*?\})", pattern)
    out = "".join((f"(?P<{p[1:-2]}>.*?)" if p.endswith("*}") else f"(?P<{p[1:-1]}>[^/]+)") if p.startswith("{")
                  else re.escape(p) for p in parts)
    return re.compile(f"^{out}/?$", re.IGNORECASE)


def arm_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "botship-azure-fake"

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.fake.dispatch(self.command, self.server.prefix + self.path, self.headers, body)
        payload = response.body
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode()
            response.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        elif isinstance(payload, str):
            payload = payload.encode()
        payload = payload or b""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _serve


class Server:
    """The routing core; AzureFake (fake.py) adds the services' state and routes."""

    def __init__(self, cert: str, key: str):
        self.routes: list[Route] = []
        self.lock = threading.RLock()
        self.mutations: list[tuple[str, str]] = []
        self.unhandled: list[tuple[str, str]] = []
        self.operations: dict[str, dict] = {}
        self.lro_polls = 1              # answers "InProgress" this many times before "Succeeded"
        self.retry_after_ms = 20        # sent as Retry-After-Ms so the SDK pollers wait briefly
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(cert, key)
        self.listeners: list[ThreadingHTTPServer] = []
        self.started = False
        self.port = self.listen("")
        self.url = f"https://127.0.0.1:{self.port}"

    def listen(self, prefix: str) -> int:
        """Another HTTPS port on 127.0.0.1 whose paths are served as prefix + path (a vault's own host)."""
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.fake, httpd.prefix = self, prefix
        httpd.socket = self._tls.wrap_socket(httpd.socket, server_side=True)
        self.listeners.append(httpd)
        if self.started:
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return httpd.server_address[1]

    def start(self) -> None:
        self.started = True
        for httpd in self.listeners:
            threading.Thread(target=httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for httpd in self.listeners:
            httpd.shutdown()
            httpd.server_close()

    # -- routes ---------------------------------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler, api: str | None = None, mutating: bool | None = None,
              auth: str = "arm", locked: bool = True) -> None:
        if mutating is None:
            mutating = method in ("PUT", "PATCH", "DELETE")
        self.routes.append(Route(method, template(pattern), handler, api, mutating, auth, locked))

    def dispatch(self, method: str, raw_path: str, headers, body: bytes) -> Response:
        split = urlsplit(raw_path)
        path = unquote(split.path)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        found_path = False
        for route in self.routes:
            match = route.regex.match(path)
            if not match:
                continue
            found_path = True
            if route.method != method and not (method == "HEAD" and route.method == "GET"):
                continue
            request = Request(method, path, query, headers, body, match.groupdict())
            try:
                if route.auth == "arm":
                    request.caller = self.check_bearer(headers, audiences=self.arm_audiences())
                if route.mutating and (route.auth != "vault" or headers.get("Authorization")):
                    with self.lock:
                        self.mutations.append((method, path))
                if route.auth == "arm":
                    self.check_api_version(route, request)
                if route.auth == "arm":
                    with self.lock:
                        self.check_scope(request)
                if route.locked:
                    with self.lock:
                        return route.handler(request)
                return route.handler(request)
            except ArmError as error:
                return Response(error.status, error.body, dict(error.headers))
        self.unhandled.append((method, path))
        if found_path:
            return Response(405, {"error": {"code": "MethodNotAllowed",
                                            "message": f"The fake does not allow {method} on {path}."}})
        return Response(404, {"error": {"code": "NotFound", "message": f"The fake has no route for {method} {path}."}})

    def check_api_version(self, route: Route, request: Request) -> None:
        if route.api is None:
            return
        version = request.query.get("api-version")
        accepted = API_VERSIONS[route.api]
        if not version:
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
        if version not in accepted:
            listed = ", ".join(f"'{v}'" for v in sorted(accepted, reverse=True))
            if route.api in ("Microsoft.Resources", "Subscriptions"):
                raise ArmError(400, "InvalidApiVersionParameter",
                               f"The api-version '{version}' is invalid. The supported versions are {listed}.")
            namespace, _, kind = route.api.partition(":")
            raise ArmError(400, "NoRegisteredProviderFound",
                           f"No registered resource provider found for location 'global' and API version "
                           f"'{version}' for type '{kind or namespace}'. The supported api-versions are {listed}.")

    # -- long-running operations ------------------------------------------------------------------------------------
    def lro_headers(self, namespace: str, location: str, on_done: Callable[[], Any] | None = None,
                    style: str = "async") -> dict[str, str]:
        """Start an operation; answer headers as ARM: Azure-AsyncOperation (+ Location) or Location alone."""
        op = str(uuid.uuid4())
        self.operations[op] = {"polls": self.lro_polls, "on_done": on_done, "result": None, "start": arm_now()}
        base = f"{self.url}/subscriptions/{self.subscription_id}/providers/{namespace}/locations/{location}"
        version = sorted(API_VERSIONS[namespace])[-1]
        headers = {"Retry-After-Ms": str(self.retry_after_ms)}
        if style == "async":
            headers["Azure-AsyncOperation"] = f"{base}/operationStatuses/{op}?api-version={version}"
        headers["Location"] = f"{base}/operationResults/{op}?api-version={version}"
        return headers

    def _advance(self, op_id: str) -> dict:
        op = self.operations.get(op_id)
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
        if op["polls"] > 0:
            op["polls"] -= 1
        elif op.get("status") != "Succeeded":
            op["status"] = "Succeeded"
            op["result"] = op["on_done"]() if op["on_done"] else None
        return op

    def _operation_status(self, request: Request) -> Response:
        op = self._advance(request.params["op"])
        status = op.get("status", "InProgress")
        body = {"id": request.path, "name": request.params["op"], "status": status, "startTime": op["start"]}
        if status == "Succeeded":
            body["endTime"] = arm_now()
        return Response(200, body, {"Retry-After-Ms": str(self.retry_after_ms)} if status != "Succeeded" else {})

    def _operation_result(self, request: Request) -> Response:
        op = self._advance(request.params["op"])
        if op.get("status") != "Succeeded":
            return Response(202, None, {"Location": f"{self.url}{request.path}?api-version="
                                        f"{request.query.get('api-version', '')}",
                                        "Retry-After-Ms": str(self.retry_after_ms)})
        return Response(200, op["result"]) if op["result"] is not None else Response(204)

    def add_operation_routes(self) -> None:
        for namespace in ("Microsoft.Storage", "Microsoft.Web", "Microsoft.KeyVault", "Microsoft.OperationalInsights",
                          "Microsoft.Resources", "Microsoft.Insights"):
            self.route("GET", "/subscriptions/{sub}/providers/" + namespace + "/locations/{loc}/operationStatuses/{op}",
                       self._operation_status, api=namespace)
            self.route("GET", "/subscriptions/{sub}/providers/" + namespace + "/locations/{loc}/operationResults/{op}",
                       self._operation_result, api=namespace)
