"""A deployed bot's log lines, from its Application Insights: what its runs write (the runtime's JSON lines, the
bot's prints, the host's lines around each run) lands as AppTraces in the bot's own Log Analytics workspace (the
component is workspace-based: insights.py), read back through the Log Analytics query API with your sign-in.

Azure shows a line there 2–5 minutes after it was written, so a tail is honest about that: following polls every
few seconds for lines *received* since the last poll (the service's ingestion time, not the time a line was
written, so a line that arrives late still comes, once).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from botship.errors import BotshipError

from ..results import LogLine
from .clients import AzureClients
from .errors import SIGN_IN_FIX, translate
from .group import is_missing
from .names import AzureNames

FOLLOW_EVERY_S = 5.0
DEFAULT_SINCE = timedelta(hours=1)
PAGE = 5000  # rows per query; a longer span is read in pages
OVERLAP_S = 2.0  # each poll asks again for lines received this long before the newest seen (kept once by id)
LATE = timedelta(hours=1)  # a following poll looks back this far for lines written long before they arrived
QUERY_TIMEOUT_S = 120
DELAY_NOTE = "Application Insights shows a line 2–5 minutes after the run wrote it"


def logs_note(names: AzureNames) -> str:
    return f"{DELAY_NOTE} (Application Insights {names.insights}, workspace {names.workspace})"


def kql_datetime(at: datetime) -> str:
    return f"datetime({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')})"


def query_text(app: str, since: datetime, received_after: datetime | None = None) -> str:
    """The one query botship sends: the app's traces written since `since` (and received after `received_after`),
    oldest first. The app name is a site name (letters, digits, hyphens): nothing to escape."""
    if not re.fullmatch(r"[A-Za-z0-9-]+", app):
        raise ValueError(f"not a function app name: {app!r}")
    stages = ["AppTraces", f"where TimeGenerated >= {kql_datetime(since)}", f"where AppRoleName =~ '{app}'",
              "extend Received = ingestion_time()"]
    if received_after is not None:
        stages.append(f"where Received > {kql_datetime(received_after)}")
    stages += ["project TimeGenerated, Received, Message, SeverityLevel, OperationName, "
               "Category = tostring(Properties.Category), _ItemId",
               "order by TimeGenerated asc, _ItemId asc", f"take {PAGE}"]
    return "\n| ".join(stages)


def parse_time(text: Any) -> datetime | None:
    """A datetime cell as the service writes it (ISO 8601, up to seven fractional digits, Z)."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?:Z|[+-]00:?00)?", str(text or ""))
    if not match:
        return None
    at = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return at + timedelta(microseconds=int((match.group(2) or "0")[:6].ljust(6, "0")))


class LogReader:
    """Queries one bot's workspace (found once, by its customerId) with a token for the query API's audience."""

    def __init__(self, clients: AzureClients, names: AzureNames) -> None:
        self.clients, self.names = clients, names
        self._workspace: str | None = None
        where = clients.endpoints
        if not where.log_analytics:
            raise BotshipError(f"the Azure cloud '{where.name}' names no Log Analytics query API",
                               "its cloud file has no log_analytics endpoint",
                               "add \"log_analytics\" (the query API's https address) to the file "
                               "BOTSHIP_AZURE_CLOUD_CONFIG names")
        self.url = where.log_analytics.rstrip("/")

    @property
    def doing(self) -> str:
        return f"reading the logs of {self.names.bot}"

    def workspace(self) -> str:
        """The workspace's id as the query API names it (its customerId), read through Resource Manager."""
        if self._workspace is None:
            names = self.names
            try:
                found = self.clients.loganalytics.workspaces.get(names.resource_group, names.workspace)
            except Exception as exc:  # noqa: BLE001
                if is_missing(exc):
                    raise BotshipError(f"{names.bot} has no log workspace ({names.workspace}) in resource group "
                                       f"{names.resource_group}",
                                       "it was never deployed there, or it was destroyed",
                                       "deploy it first: `botship deploy`") from None
                raise translate(exc, self.doing) from None
            if not getattr(found, "customer_id", None):
                raise BotshipError(f"log workspace {names.workspace} has no id yet", "it is still being created",
                                   "wait a minute and try again")
            self._workspace = str(found.customer_id)
        return self._workspace

    def query(self, text: str) -> list[dict[str, Any]]:
        """The rows a query answers, as dicts by column name."""
        workspace = self.workspace()
        try:
            token = self.clients.token(self.clients.endpoints.log_analytics_scope)
            response = self.clients.http().send(
                "POST", f"{self.url}/v1/workspaces/{workspace}/query", content=json.dumps({"query": text}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=QUERY_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, self.doing) from None
        if response.status_code != 200:
            raise self.refused(response)
        try:
            table = (response.json().get("tables") or [])[0]
            columns = [column["name"] for column in table["columns"]]
            return [dict(zip(columns, row, strict=False)) for row in table["rows"]]
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise BotshipError(f"{self.doing}: the query API's answer is not one botship reads",
                               response.text()[:300], "try again; if it persists, report it") from None

    def refused(self, response: Any) -> BotshipError:
        from azure.core.exceptions import HttpResponseError

        try:
            error = response.json().get("error") or {}
        except Exception:  # noqa: BLE001
            error = {}
        message = str(error.get("message") or "")
        inner = error.get("innererror") or {}
        if inner.get("message"):
            message = f"{message}: {inner['message']}" if message else str(inner["message"])
        names = self.names
        if response.status_code == 401:
            return BotshipError(f"the Log Analytics query API did not accept your sign-in ({self.doing})", message,
                                SIGN_IN_FIX)
        if response.status_code == 403:
            return BotshipError(f"not allowed to read the logs of {names.bot}", message,
                                f"ask for Log Analytics Reader (or Monitoring Reader) on workspace {names.workspace} "
                                f"or resource group {names.resource_group}; `botship doctor --policy` lists the "
                                f"exact actions")
        if response.status_code == 404:
            return BotshipError(f"the query API does not find log workspace {names.workspace}", message,
                                "a new workspace takes a few minutes to reach the query API: try again shortly")
        return translate(HttpResponseError(message=message or f"HTTP {response.status_code}", response=response),
                         self.doing)


def read_logs(clients: AzureClients, names: AzureNames, since: datetime | None, follow: bool,
              wait: Callable[[float], None] = time.sleep) -> Iterator[LogLine]:
    """The bot's log lines written since `since` (default: the last hour), oldest first; with `follow`, new ones as
    they are received, each once, until the caller stops."""
    reader = LogReader(clients, names)
    start = (since or datetime.now(UTC) - DEFAULT_SINCE).astimezone(UTC)
    seen: dict[str, float] = {}  # row id -> when it was received (epoch), to keep each line once
    newest: datetime | None = None  # the latest ingestion time seen
    first = start  # the earliest write time a round asks for
    while True:
        after = newest - timedelta(seconds=OVERLAP_S) if newest is not None else None
        frm = first
        while True:  # one round: pages of PAGE rows, each read on from the last row's time
            rows = reader.query(query_text(names.function_app, frm, after))
            fresh = 0
            for row in rows:
                key = str(row.get("_ItemId") or "")
                received = parse_time(row.get("Received"))
                if received is not None and (newest is None or received > newest):
                    newest = received
                if key in seen:
                    continue
                fresh += 1
                seen[key] = received.timestamp() if received else 0.0
                yield LogLine(parse_time(row.get("TimeGenerated")), str(row.get("Message") or "").rstrip("\n"),
                              str(row.get("Category") or row.get("OperationName") or ""))
            last = parse_time(rows[-1].get("TimeGenerated")) if rows else None
            if len(rows) < PAGE or not fresh or last is None:
                break
            frm = max(frm, last)
        if not follow:
            return
        # From now on only lines received since the newest seen, written at most LATE before it (a line arrives
        # minutes after it is written) and never before `since`; ids older than the overlap are not asked again.
        if newest is not None:
            first = max(start, newest - LATE)
            floor = newest.timestamp() - OVERLAP_S * 2
            for key in [k for k, received in seen.items() if received < floor]:
                del seen[key]
        wait(FOLLOW_EVERY_S)
