"""How the bots browser says a bot's facts in a cell: its mode, status, schedule, runs, sizes and times.

Plain functions returning Rich markup (values escaped), shared by the bots list and a bot's tabs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.markup import escape

STATUS_MARKS = {"active": ("green", "●"), "paused": ("yellow", "‖"), "failed": ("red", "✗"),
                "updating": ("cyan", "↻"), "unknown": ("dim", "?")}
NO_SCHEDULE = "on demand"


def mode_badge(mode: str) -> str:
    """PAPER plain; LIVE in bold red with a mark, so it stands out without colour too."""
    return "[b red]▲ LIVE[/]" if mode == "live" else "PAPER"


def status_text(state: str) -> str:
    colour, mark = STATUS_MARKS.get(state, STATUS_MARKS["unknown"])
    return f"[{colour}]{mark} {escape(state)}[/]"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(at: datetime | None, tz: str | None, now: datetime | None = None) -> str:
    """`at` in the time zone `tz`, short: the time alone today, the month and day otherwise, and the zone."""
    if at is None:
        return "—"
    there = at.astimezone(zone(tz))
    today = (now or datetime.now(UTC)).astimezone(zone(tz)).date()
    day = "" if there.date() == today else there.strftime("%m-%d ")
    return f"{day}{there:%H:%M} {there.tzname() or ''}".rstrip()


def ago(at: datetime | None, now: datetime, tz: str | None = None) -> str:
    """How long before `now`; over a week ago (or ahead of `now`: another clock), its date and time in the time
    zone `tz` (UTC by default), the year only when it is not `now`'s."""
    if at is None:
        return "—"
    seconds = (now - at).total_seconds()
    if seconds < 0 or seconds >= 7 * 86400:
        there = at.astimezone(zone(tz))
        return f"{there:%m-%d %H:%M}" if there.year == now.astimezone(zone(tz)).year else f"{there:%Y-%m-%d}"
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def took(duration_ms: int | None) -> str:
    if duration_ms is None:
        return "?"
    return f"{duration_ms} ms" if duration_ms < 1000 else f"{duration_ms / 1000:.1f} s"


def run_mark(status: str) -> str:
    return {"ok": "[green]✓ ok[/]", "skipped": "[yellow]– skipped[/]", "error": "[red]✗ error[/]",
            "running": "[cyan]▶ running[/]", "timed out": "[red]✗ timed out[/]"}.get(status, f"[dim]? {escape(status)}[/]")


def last_run_text(run: Any, now: datetime, tz: str | None = None, *, timed: bool = True) -> str:
    """A bot's last run in a cell: outcome, when (in the bot's time zone `tz`), and how long it took (`timed`)."""
    if run is None:
        return "[dim]never[/]"
    text = f"{run_mark(run.status)} {ago(run.started_at, now, tz)}"
    return f"{text} · {took(run.duration_ms)}" if timed else text


def schedule_text(bot: Any) -> str:
    if not bot.schedule:
        return NO_SCHEDULE
    return escape(bot.schedule) + (f" [dim]{escape(bot.timezone)}[/]" if bot.timezone else "")


def next_run_text(bot: Any, now: datetime) -> str:
    """When the bot runs next, in its time zone; why it does not, otherwise."""
    if not bot.schedule:
        return f"[dim]{NO_SCHEDULE}[/]"
    if bot.state == "paused":
        return "[yellow]paused[/]"
    if bot.next_run is None:
        return "[dim]—[/]"
    return local_time(bot.next_run, bot.timezone, now)


def size_text(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def pretty(value: Any) -> str:
    """A JSON-able value as indented JSON (a string as it is)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def short(text: str, width: int) -> str:
    """One line of `text`, cut to `width` characters with "…"."""
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"
