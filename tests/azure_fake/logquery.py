"""Application Insights traces and the Log Analytics query API that reads them back.

A function app whose APPLICATIONINSIGHTS_CONNECTION_STRING names a workspace-based component sends what its runs
write to that component's Log Analytics workspace, as table AppTraces: the host's own lines around each invocation
(category Function.<name>: "Executing …" / "Executed …"), the worker's stdout and stderr (Host.Function.Console),
and the function's logging records (Function.<name>.User). A line becomes queryable `ingestion_delay_s` after it
was written (Azure: typically 2–5 minutes; the fake: 0 unless a test says otherwise).

The query API (specification/operationalinsights/data-plane/Microsoft.OperationalInsights/stable/v1,
OperationalInsights.json) is its own host with its own token audience: POST /v1/workspaces/{workspaceId}/query with
{"query", "timespan"?, "workspaces"?}; the workspace is named by its customerId. It answers
{"tables": [{"name": "PrimaryResult", "columns": [{"name", "type"}], "rows": [[...]]}]} and errors as
{"error": {"message", "code", "correlationId", "innererror"?}}. Only /v1 exists; another version is a path the
service does not have.

KQL: the fake evaluates only the pipeline botship sends (AppTraces; where on TimeGenerated, AppRoleName or an
extended ingestion time; extend X = ingestion_time(); project columns or `Name = tostring(Properties.Key)`;
order by; take) and refuses anything else with a 400 that says so — a refusal there is the fake's limit, and a
test that meets one must change the fake, not loosen it.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime

from .server import ArmError, Request, Response

QUERY_ACTION = "Microsoft.OperationalInsights/workspaces/query/AppTraces/read"
PUBLIC_AUDIENCE = "https://api.loganalytics.io"
SEVERITY = {"DEBUG": 0, "INFO": 1, "WARNING": 2, "ERROR": 3, "CRITICAL": 4}
COLUMNS = {"TimeGenerated": "datetime", "Message": "string", "SeverityLevel": "int", "AppRoleName": "string",
           "OperationName": "string", "OperationId": "string", "Properties": "dynamic", "_ItemId": "string",
           "_ResourceId": "string"}
MAX_ROWS = 500000  # the service's own cap on a result

_DATETIME = r"datetime\((?P<at>[0-9T:\-.]+Z?)\)"
_WHERE_TIME = re.compile(rf"^where (?P<col>\w+) (?P<op>>=|>|<=|<) {_DATETIME}$")
_WHERE_EQ = re.compile(r"^where (?P<col>\w+) (?P<op>=~|==) '(?P<value>[^'\\]*)'$")
_EXTEND = re.compile(r"^extend (?P<name>[A-Za-z_]\w*) = ingestion_time\(\)$")
_PROJECT_ITEM = re.compile(r"^(?:(?P<name>[A-Za-z_]\w*) = tostring\(Properties\.(?P<key>\w+)\)|(?P<col>\w+))$")
_ORDER = re.compile(r"^(?:order|sort) by (?P<keys>.+)$")
_ORDER_KEY = re.compile(r"^(?P<col>\w+)(?: (?P<dir>asc|desc))?$")
_TAKE = re.compile(r"^(?:take|limit) (?P<n>\d+)$")


def query_error(status: int, code: str, message: str, inner: dict | None = None) -> ArmError:
    error = {"message": message, "code": code, "correlationId": str(uuid.uuid4())}
    if inner:
        error["innererror"] = inner
    return ArmError(status, code, message, body={"error": error})


def _bad_query(message: str) -> ArmError:
    return query_error(400, "BadArgumentError", "The request had some invalid properties",
                       {"code": "SyntaxError", "message": message})


def kql_time(text: str) -> float:
    """A KQL datetime literal's ISO 8601 text (up to 7 fractional digits, Z or none: UTC) as epoch seconds."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?Z?", text)
    if not match:
        raise _bad_query(f"'{text}' is not a datetime literal")
    whole = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()
    return whole + float("0." + (match.group(2) or "0"))


def iso7(epoch: float) -> str:
    """As the service writes a datetime cell: seven fractional digits and Z."""
    whole, ticks = divmod(round(epoch * 10_000_000), 10_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{ticks:07d}Z"


class LogQuery:
    def init_logs(self) -> None:
        self.traces: dict[str, list[dict]] = {}   # workspace customerId -> AppTraces rows
        self.ingestion_delay_s = 0.0
        self.log_queries: list[str] = []          # every query text the API evaluated
        self.log_port = self.listen("/loganalytics")
        self.log_url = f"https://127.0.0.1:{self.log_port}"

    def add_log_routes(self) -> None:
        self.route("POST", "/loganalytics/v1/workspaces/{ws}/query", self._query, auth="loganalytics", mutating=False)
        self.route("GET", "/loganalytics/v1/workspaces/{ws}/query", self._query_by_get, auth="loganalytics")
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            self.route(method, "/loganalytics/{rest*}", self._no_path, auth="loganalytics", mutating=False)

    # -- what a run writes ----------------------------------------------------------------------------------------
    def workspace_of_site(self, site: dict) -> str | None:
        """The customerId of the workspace the site's Application Insights sends to, or None (no telemetry)."""
        connection = (self.app_settings.get(site["id"].lower()) or {}).get("APPLICATIONINSIGHTS_CONNECTION_STRING")
        parts = dict(p.split("=", 1) for p in (connection or "").split(";") if "=" in p)
        key = parts.get("InstrumentationKey")
        if not key:
            return None
        component = next((r for r in self.resources.values() if r["type"] == "microsoft.insights/components"
                          and r["properties"].get("InstrumentationKey") == key), None)
        workspace = self.find(component["properties"]["WorkspaceResourceId"]) if component else None
        return workspace["properties"]["customerId"] if workspace else None

    def record_run(self, site: dict, function: str, reason: str, started: float, answer: dict) -> None:
        """A host run's lines as AppTraces rows, in the order written."""
        workspace = self.workspace_of_site(site)
        if workspace is None:
            return
        invocation = str(uuid.uuid4())
        ended = time.time()
        ok = answer.get("status", 500) < 500 and not answer.get("error")
        lines = [(started, "INFO", f"Function.{function}",
                  f"Executing 'Functions.{function}' (Reason='{reason}', Id={invocation})")]
        for line in answer.get("lines") or []:
            category = (f"Function.{function}.User" if line.get("stream") == "logging" else "Host.Function.Console")
            lines.append((float(line.get("at") or ended), line.get("level") or "INFO", category, line["text"]))
        if answer.get("error"):
            lines.append((ended, "ERROR", f"Function.{function}", str(answer["error"]).strip()))
        lines.append((ended, "INFO" if ok else "ERROR", f"Function.{function}",
                      f"Executed 'Functions.{function}' ({'Succeeded' if ok else 'Failed'}, Id={invocation}, "
                      f"Duration={round((ended - started) * 1000)}ms)"))
        rows = [{"TimeGenerated": at, "ingested": time.time() + self.ingestion_delay_s, "Message": text,
                 "SeverityLevel": SEVERITY.get(level.upper(), 1), "AppRoleName": site["name"],
                 "OperationName": function, "OperationId": invocation, "Properties": {"Category": category},
                 "_ItemId": str(uuid.uuid4()), "_ResourceId": site["id"].lower()}
                for at, level, category, text in lines]
        with self.lock:
            self.traces.setdefault(workspace, []).extend(rows)

    # -- the query API ----------------------------------------------------------------------------------------------
    def _caller(self, request: Request) -> dict:
        audiences = {self.log_url, self.log_url + "/", PUBLIC_AUDIENCE, PUBLIC_AUDIENCE + "/"}
        if not (request.headers.get("Authorization") or "").startswith("Bearer "):
            raise query_error(401, "AuthorizationRequiredError", "Valid authentication was not provided")
        try:
            return self.check_bearer(request.headers, audiences)
        except ArmError as exc:
            raise query_error(401, "InvalidTokenError", "The provided authentication is not valid for this "
                              "resource", {"code": exc.code, "message": exc.message}) from None

    def _no_path(self, request: Request) -> Response:
        path = request.path[len("/loganalytics"):]
        raise query_error(404, "PathNotFoundError", f"The requested path does not exist: {path}")

    def _query_by_get(self, request: Request) -> Response:
        self._caller(request)
        raise _bad_query("this fake takes a query as a POST body only (the service also takes GET ?query=)")

    def _query(self, request: Request) -> Response:
        caller = self._caller(request)
        ws = request.params["ws"]
        workspace = next((r for r in self.resources.values() if r["type"] == "Microsoft.OperationalInsights/workspaces"
                          and r["properties"]["customerId"].lower() == ws.lower()), None)
        if workspace is None:
            raise query_error(404, "WorkspaceNotFoundError", f"The workspace {ws} could not be found")
        if not self.allowed(caller["oid"], workspace["id"], QUERY_ACTION):
            raise query_error(403, "InsufficientAccessError", "The provided credentials have insufficient access to "
                              "perform the requested operation")
        if "json" not in (request.headers.get("Content-Type") or ""):
            raise query_error(415, "UnsupportedMediaTypeError", "The request body must be application/json")
        try:
            body = json.loads(request.body or b"")
        except ValueError:
            raise query_error(400, "BadArgumentError", "The request body is not valid JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
            raise query_error(400, "BadArgumentError", "The request had some invalid properties",
                              {"code": "QueryMissing", "message": "A query (body.query) is required"})
        if "timespan" in body:
            raise _bad_query("this fake evaluates no timespan (botship filters on TimeGenerated in the query)")
        if "workspaces" in body:
            raise _bad_query("this fake queries one workspace (no body.workspaces)")
        self.log_queries.append(body["query"])
        rows = [dict(r) for r in self.traces.get(workspace["properties"]["customerId"], [])
                if r["ingested"] <= time.time()]
        columns, rows = self._evaluate(body["query"], rows)
        cells = [[iso7(row[name]) if kind == "datetime" and row.get(name) is not None else
                  (json.dumps(row[name]) if kind == "dynamic" else row.get(name)) for name, kind in columns]
                 for row in rows]
        return Response(200, {"tables": [{"name": "PrimaryResult",
                                          "columns": [{"name": n, "type": k} for n, k in columns],
                                          "rows": cells}]})

    def _evaluate(self, text: str, rows: list[dict]) -> tuple[list[tuple[str, str]], list[dict]]:
        stages = [" ".join(stage.split()) for stage in text.split("|")]
        if stages[0] != "AppTraces":
            raise query_error(400, "BadArgumentError", "The request had some invalid properties",
                              {"code": "SemanticError", "message": f"'{stages[0]}': this fake holds table AppTraces "
                               "only"})
        kinds = dict(COLUMNS)
        columns = list(COLUMNS.items())
        for stage in stages[1:]:
            if m := _WHERE_TIME.match(stage):
                col, op, at = m.group("col"), m.group("op"), kql_time(m.group("at"))
                if kinds.get(col) != "datetime":
                    raise _bad_query(f"'{col}' is not a datetime column here")
                compare = {">=": float.__ge__, ">": float.__gt__, "<=": float.__le__, "<": float.__lt__}[op]
                rows = [r for r in rows if compare(float(r[col]), at)]
            elif m := _WHERE_EQ.match(stage):
                col, value = m.group("col"), m.group("value")
                if kinds.get(col) != "string":
                    raise _bad_query(f"'{col}' is not a string column here")
                same = (lambda a, b: a.lower() == b.lower()) if m.group("op") == "=~" else str.__eq__
                rows = [r for r in rows if same(str(r.get(col) or ""), value)]
            elif m := _EXTEND.match(stage):
                name = m.group("name")
                kinds[name] = "datetime"
                columns.append((name, "datetime"))
                for r in rows:
                    r[name] = r["ingested"]
            elif stage.startswith("project "):
                picked = []
                for item in stage[len("project "):].split(","):
                    m = _PROJECT_ITEM.match(item.strip())
                    if not m:
                        raise _bad_query(f"project item '{item.strip()}' is beyond this fake")
                    if m.group("col"):
                        if m.group("col") not in kinds:
                            raise query_error(400, "BadArgumentError", "The request had some invalid properties",
                                              {"code": "SemanticError", "message": f"Failed to resolve scalar "
                                               f"expression named '{m.group('col')}'"})
                        picked.append((m.group("col"), kinds[m.group("col")]))
                    else:
                        name, key = m.group("name"), m.group("key")
                        for r in rows:
                            value = (r.get("Properties") or {}).get(key)
                            r[name] = "" if value is None else str(value)
                        picked.append((name, "string"))
                kinds = dict(picked)
                columns = picked
            elif m := _ORDER.match(stage):
                keys = []
                for key in m.group("keys").split(","):
                    k = _ORDER_KEY.match(key.strip())
                    if not k or k.group("col") not in kinds:
                        raise _bad_query(f"order key '{key.strip()}' is beyond this fake")
                    keys.append((k.group("col"), (k.group("dir") or "desc") == "desc"))  # KQL's default is desc
                for col, descending in reversed(keys):
                    rows.sort(key=lambda r, c=col: (r.get(c) is None, r.get(c)), reverse=descending)
            elif m := _TAKE.match(stage):
                rows = rows[:int(m.group("n"))]
            else:
                raise _bad_query(f"'{stage}' is beyond the KQL this fake evaluates")
        return columns, rows[:MAX_ROWS]
