"""`botship logs BOT [--follow] [--since 1h]`: the bot's log lines from its cloud's log service, masked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ..errors import BadInput
from .bots_flow import Pick, find, identity, label, require
from .console import Console

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+)([smhdw])")
LONGEST = timedelta(days=366)  # a log service keeps a year at most; further back is a typo


def parse_duration(text: str, flag: str = "--since") -> timedelta:
    """'30m', '2h', '1d', '1h30m' (units s, m, h, d, w) as a timedelta; anything else is bad input naming `flag`."""
    compact = (text or "").strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise BadInput(f"{flag} {text!r} is not a duration",
                       "a duration is a number and a unit: s (seconds), m (minutes), h (hours), d (days), w (weeks)",
                       f"pass e.g. {flag} 30m, {flag} 2h, {flag} 1d or {flag} 1h30m")
    seconds = sum(int(number) * _UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise BadInput(f"{flag} {text!r} is no time at all", fix=f"pass a duration above zero, e.g. {flag} 15m")
    if seconds > LONGEST.total_seconds():
        raise BadInput(f"{flag} {text!r} is more than a year back", "no log service keeps a bot's lines that long",
                       f"pass at most {flag} 366d")
    return timedelta(seconds=seconds)


def _masker(project: Path, found: Any) -> Any:
    """The masker of the bot's secret values where its profile says which (a bot found only in the clouds: the
    runtime already masked its own lines)."""
    from botship import paper
    from botship.masking import Masker
    from botship.secret_values import resolve_secrets

    spec = found.spec
    if spec is None:
        return Masker([])
    return resolve_secrets(paper.sent_secrets(spec, project), project=project, bot_name=spec.bot_name,
                           interactive=False, required=False).masker()


def run_logs(project: Path, bot: str, pick: Pick, since: str, follow: bool, console: Console) -> int:
    """Print the bot's log lines since `since` ago, oldest first; with --follow, keep printing new ones until
    Ctrl-C (which ends it with exit 0)."""
    from botship.providers.base import LOGS

    back = parse_duration(since)
    found = find(project, bot, pick)
    require(found, LOGS, "reading the logs of", "each run's last log lines are kept with its record: "
            f"`botship runs {found.handle.bot_name} --run RUN`")
    masker = _masker(project, found)
    start = datetime.now(UTC) - back
    note = found.handle.logs_note()
    console.record("logs", **identity(found), since=start.isoformat(), follow=follow, note=note)
    console.line(click.style(f"Logs of {label(found)} since {start.strftime('%Y-%m-%d %H:%M:%S UTC')}"
                             f"{' (following; Ctrl-C stops)' if follow else ''}:", dim=True))
    if note:
        console.line(click.style(f"note: {note}", dim=True))
    console.out.flush()
    shown = 0
    try:
        for line in found.handle.logs(since=start, follow=follow):
            text = masker.mask(line.text.rstrip("\n"))
            at = line.at.astimezone(UTC) if line.at is not None else None
            console.record("log", at=at.isoformat() if at else None, text=text, stream=line.stream)
            stamp = at.strftime("%Y-%m-%d %H:%M:%S") if at else " " * 19
            console.line(f"{click.style(stamp, dim=True)}  {text}")
            shown += 1
            if follow:  # a reader at the other end of a pipe sees each line as it comes
                console.out.flush()
    except KeyboardInterrupt:  # the way a follow ends
        console.line(click.style("stopped", dim=True))
        return 0
    if not shown and not follow:
        console.line(f"  no lines in the last {since}: widen it with --since, or follow new ones with --follow")
    return 0
