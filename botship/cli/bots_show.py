"""How the bots commands show what a cloud answers: aligned tables, times, sizes, statuses, and JSON-able values."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import click

from .console import Console

_STATE_COLOURS = {"active": "green", "paused": "yellow", "failed": "red", "updating": "cyan", "unknown": None}
_OUTCOME_COLOURS = {"ok": "green", "skipped": "yellow", "error": "red", "failed": "red", "timed out": "red",
                    "running": "cyan"}
# What each control level means for the bot's next runs (runtime/control.py's levels).
LEVEL_MEANS = {
    "run": "trades as usual",
    "stopentry": "opens no new positions (buys refused); open ones are still managed",
    "flatten": "sells every open position at market and opens no new ones",
}


def plain(value: Any) -> Any:
    """`value` as JSON can hold it: dataclasses as dicts, times as ISO 8601 in UTC, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


def state_text(state: str) -> str:
    return click.style(state, fg=_STATE_COLOURS.get(state), bold=state == "failed")


def outcome_text(outcome: str) -> str:
    return click.style(outcome, fg=_OUTCOME_COLOURS.get(outcome))


def when(at: datetime | None, zone: str | None = None) -> str:
    """A time as 'YYYY-MM-DD HH:MM TZ' in `zone` (default UTC); '—' when unknown."""
    if at is None:
        return "—"
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    if zone:
        try:
            from zoneinfo import ZoneInfo

            return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
        except (KeyError, ValueError):  # an unknown zone: said in UTC rather than not at all
            pass
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def ago(at: datetime | None, now: datetime | None = None) -> str:
    """How long ago (or from now) `at` is, in the largest whole unit: '4m ago', 'in 2h'."""
    if at is None:
        return "—"
    now = now or datetime.now(UTC)
    seconds = ((at if at.tzinfo else at.replace(tzinfo=UTC)) - now).total_seconds()
    span = abs(seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if span >= size:
            amount = f"{int(span // size)}{unit}"
            break
    else:
        amount = f"{int(span)}s"
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def duration(ms: int | None) -> str:
    if ms is None:
        return "—"
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s" if ms < 60_000 else f"{ms / 60_000:.1f} min"


def size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def short(text: Any, width: int = 60) -> str:
    """One line of `text`, cut to `width` characters with '…'."""
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def last_run_text(run: Any) -> str:
    """A run record in a few words: its outcome, when, how long."""
    if run is None:
        return click.style("no runs recorded", dim=True)
    return f"{outcome_text(run.status)} {ago(run.started_at)}, {duration(run.duration_ms)}"


def table(console: Console, headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> None:
    """Rows under their headers, columns aligned on what is visible (colours take no room); the last column is
    not padded."""
    widths = [len(h) for h in headers]
    for row in rows:
        for n, cell in enumerate(row):
            widths[n] = max(widths[n], len(click.unstyle(cell)))

    def line(cells: Sequence[str]) -> str:
        padded = [cell + " " * (widths[n] - len(click.unstyle(cell))) for n, cell in enumerate(cells[:-1])]
        return (indent + "  ".join([*padded, cells[-1]])).rstrip()

    console.line(click.style(line(list(headers)), bold=True))
    for row in rows:
        console.line(line(list(row)))


def fields(console: Console, pairs: Sequence[tuple[str, str]], indent: str = "  ") -> None:
    """`key  value` lines, the keys aligned."""
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        console.line(f"{indent}{click.style(key.ljust(width), dim=True)}  {value}")


def error_lines(exc: BaseException) -> dict[str, str]:
    """An error as JSON fields: what, why, fix (a BotshipError's own; anything else as its type and text)."""
    as_dict = getattr(exc, "as_dict", None)
    if callable(as_dict):
        return as_dict()
    return {"what": f"{type(exc).__name__}: {exc}", "why": "", "fix": ""}


def error_text(exc: BaseException) -> str:
    """An error in one line (its what), for a table cell or a line in place of what could not be read."""
    what = error_lines(exc)["what"]
    return what.splitlines()[0] if what else type(exc).__name__
