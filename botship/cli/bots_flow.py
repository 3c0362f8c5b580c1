"""What `botship bots|status|runs|history` do: find the bots in the clouds, and read one bot's status, runs and
history. A bot is named by profile or by name (botship.bots.find_bot); what a cloud cannot do is bad input
naming what to do instead (its capabilities decide, never its name)."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ..errors import BadInput, BotshipError
from .bots_show import (
    LEVEL_MEANS,
    ago,
    duration,
    error_lines,
    error_text,
    fields,
    last_run_text,
    outcome_text,
    plain,
    short,
    size,
    state_text,
    table,
    when,
)
from .console import Console, mode_badge


@dataclass(frozen=True)
class Pick:
    """How the command line narrows where a bot is looked for: --platform, --where, --region, --subscription."""

    platform: str | None = None
    where: str | None = None
    asked: Mapping[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, platform: str | None, where: str | None, regions: tuple[str, ...] = (),
           subscriptions: tuple[str, ...] = ()) -> Pick:
        from botship import providers

        if platform is not None and providers.platform(platform) is None:
            raise BadInput(f"--platform {platform} is not a platform botship knows",
                           fix=f"use one of {', '.join(providers.available())}")
        return cls(platform, where, asked_of(regions, subscriptions))


def asked_of(regions: tuple[str, ...] = (), subscriptions: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """--region / --subscription as the locations botship.bots.sources adds, by the setting each names."""
    asked: dict[str, list[str]] = {}
    if regions:
        asked["region"] = list(dict.fromkeys(regions))
    if subscriptions:
        asked["subscription_id"] = list(dict.fromkeys(subscriptions))
    return asked


def find(project: Path, bot: str, pick: Pick) -> Any:
    """The bot BOT names (botship.bots.Found); unknown or ambiguous → BadInput (exit 2)."""
    from botship.bots import find_bot

    return find_bot(project, bot, platform=pick.platform, where=pick.where, asked=dict(pick.asked) or None)


def place(found: Any) -> str:
    """Where a found bot lives, as a person reads it ('AWS Lambda · eu-west-1')."""
    return found.source.title if found.source is not None else found.cloud.title


def label(found: Any) -> str:
    return f"{found.handle.bot_name} ({place(found)})"


def require(found: Any, capability: str, doing: str, instead: str) -> None:
    """Bad input (exit 2) naming what to do instead when the bot's cloud cannot do `capability`."""
    if not found.cloud.can(capability):
        raise BadInput(f"{doing} {found.handle.bot_name} is not possible on {found.cloud.title}",
                       "botship has no way to do it there", instead)


def identity(found: Any) -> dict[str, Any]:
    """The fields every JSON record about one bot starts with."""
    return {"bot": found.handle.bot_name, "platform": found.cloud.name, "source": place(found),
            "mode": found.handle.mode, "profile": found.profile}


# ---- botship bots ---------------------------------------------------------------------------------

def run_list(project: Path, asked: Mapping[str, list[str]], console: Console) -> int:
    """`botship bots`: every bot in every place looked in, one table; a place that fails shows its error in place
    of its rows. Exit 1 when a place could not be looked in (the list is incomplete), else 0."""
    from botship import providers
    from botship.bots import list_all, sources

    looked = sources(project, dict(asked) or None)
    if not looked:
        console.record("sources", count=0)
        console.line("No place to look for bots: the project has no profiles and nothing was asked for.")
        console.line("→ run it in a bot project, or name places: `botship bots --region eu-west-1` "
                     "(or --subscription ID for Azure)")
        return 0
    answers: dict[Any, tuple[list[Any] | None, Exception | None]] = {}
    guard = threading.Lock()
    console.show_pending(f"  … looking for bots in {len(looked)} place{'s' * (len(looked) != 1)}")

    def seen(source: Any, bots: list[Any] | None, error: Exception | None) -> None:
        with guard:
            answers[source.key] = (bots, error)
            console.show_pending(f"  … {len(answers)} of {len(looked)} places answered")

    list_all(looked, seen)
    rows, failed, total = [], [], 0
    for source in looked:
        bots, error = answers.get(source.key, (None, BotshipError("no answer")))
        if error is not None:
            failed.append((source, error))
            console.record("source_error", source=source.title, platform=source.platform, **error_lines(error))
            continue
        console.record("source", source=source.title, platform=source.platform, bots=len(bots or []))
        for bot in bots or []:
            total += 1
            console.record("bot", **_bot_record(bot, source.title, providers.title(bot.platform)))
            rows.append(_bot_row(bot, providers.title(bot.platform)))
    answered = ", ".join(s.title for s in looked if all(s is not f for f, _ in failed))
    if total:
        console.line(f"{total} bot{'s' * (total != 1)} in {answered}:")
    elif answered:
        console.line(f"No bots in {answered}.")
    if rows:
        table(console, ("NAME", "WHERE", "MODE", "STATUS", "SCHEDULE", "LAST RUN", "VERSION"), rows)
    for source, error in failed:
        lines = error_lines(error)
        console.line(f"{click.style('✗', fg='red', bold=True)} {source.title}: {lines['what']}")
        for extra in (lines["why"], f"→ {lines['fix']}" if lines["fix"] else ""):
            if extra:
                console.line(f"    {extra}")
    if rows:
        console.line(click.style("Open one: `botship status NAME`, `botship runs NAME`, `botship logs NAME`.", dim=True))
    return 1 if failed else 0


def _bot_record(bot: Any, source: str, platform_title: str) -> dict[str, Any]:
    return {**plain(bot), "name": bot.bot_name, "platform_title": platform_title, "source": source}


def _schedule_cell(bot: Any) -> str:
    if not bot.schedule:
        return click.style("on demand", dim=True)
    if bot.next_run is None:
        return bot.schedule
    return f"{bot.schedule}, next {when(bot.next_run, bot.timezone)}"


def _bot_row(bot: Any, platform_title: str) -> list[str]:
    where = f"{platform_title} · {bot.where}" if bot.where and bot.where not in platform_title else platform_title
    return [bot.bot_name, where, mode_badge(bot.mode), state_text(bot.state), _schedule_cell(bot),
            last_run_text(bot.last_run), bot.version or "—"]


# ---- botship status BOT ----------------------------------------------------------------------------

def _next_runs(status: Any, count: int = 5) -> list[datetime]:
    from botship.schedule import next_runs, parse_schedule

    if not status.schedule or status.state == "paused":
        return []
    try:
        return next_runs(parse_schedule(status.schedule), status.timezone or "UTC", count, datetime.now(UTC))
    except (ValueError, KeyError):
        return []


def _in_place(read: Any) -> tuple[Any, str | None]:
    """What `read()` returns, or None and the error in one line: a part of the status that cannot be read is said
    in its place, and the rest is still shown."""
    try:
        return read(), None
    except BotshipError as exc:
        return None, error_text(exc)
    except Exception as exc:  # noqa: BLE001 - one part of the status, not the whole of it
        return None, f"could not be read: {type(exc).__name__}: {exc}"


def run_status(project: Path, bot: str, pick: Pick, console: Console) -> int:
    """`botship status BOT`: the bot as deployed now, its schedule's next runs, its last run and control level."""
    from botship.providers.base import CONTROL, STATE

    found = find(project, bot, pick)
    handle = found.handle
    status = handle.status()
    runs, runs_error = _in_place(lambda: handle.runs(1)) if found.cloud.can(STATE) else ([], None)
    last = (runs or [None])[0]
    level, level_error = _in_place(handle.control) if found.cloud.can(CONTROL) else (None, None)
    upcoming = _next_runs(status)
    shown = {**identity(found), **plain(status), "profile": status.profile or found.profile, "last_run": plain(last),
             "control": level, "next_runs": [plain(at) for at in upcoming],
             "errors": {k: v for k, v in (("last_run", runs_error), ("control", level_error)) if v}}
    console.record("status", **shown)
    console.line(f"{mode_badge(status.mode)} {click.style(status.bot_name, bold=True)}  {place(found)}")
    pairs = [("status", state_text(status.state))]
    if status.schedule:
        pairs.append(("schedule", f"{status.schedule} ({status.timezone or 'UTC'})"))
        pairs.append(("next runs", ", ".join(when(at, status.timezone) for at in upcoming)
                      or click.style("none while paused" if status.state == "paused" else "—", dim=True)))
    else:
        pairs.append(("schedule", click.style("none: runs when invoked", dim=True)))
    pairs.append(("last run", runs_error or (f"{last_run_text(last)}, {last.trigger}, {when(last.started_at)}"
                                            if last else last_run_text(None))))
    if found.cloud.can(CONTROL):
        pairs.append(("control", level_error or f"{level}: {LEVEL_MEANS.get(level, '')}"))
    pairs.append(("version", status.version or "—"))
    pairs += [(f"shipped {k}", v) for k, v in status.shipped.items() if v]
    pairs.append(("profile", status.profile or found.profile or "—"))
    pairs += [(title, value) for title, value in status.resources.items()]
    if status.variables:
        pairs.append(("variables", ", ".join(status.variables)))
    if status.secrets:
        pairs.append(("secrets", ", ".join(status.secrets) + click.style("  (names only)", dim=True)))
    fields(console, pairs)
    return 0


# ---- botship runs BOT ------------------------------------------------------------------------------

def _no_state(found: Any, what: str) -> None:
    from botship.providers.base import STATE

    require(found, STATE, f"reading the {what} of", "its logs may still say what it did: "
            f"`botship logs {found.handle.bot_name}`")


def run_runs(project: Path, bot: str, pick: Pick, limit: int, run_id: str | None, console: Console) -> int:
    """`botship runs BOT`: the run records the bot's runtime kept in its state store, newest first; with
    --run ID, one run in full (its result and the last lines of its log)."""
    if limit < 1:
        raise BadInput(f"--limit {limit} is not a number of runs", fix="pass --limit 1 or more")
    found = find(project, bot, pick)
    _no_state(found, "runs")
    runs = found.handle.runs(limit if run_id is None else max(limit, 200))
    if run_id is not None:
        return _show_run(found, runs, run_id, console)
    for run in runs:
        console.record("run", **{**identity(found), **plain(run)})
    console.line(f"{mode_badge(found.handle.mode)} last runs of {label(found)}, newest first:")
    if not runs:
        console.line("  none recorded yet: a run records itself once the bot has run (scheduled or invoked)")
        return 0
    rows = [[when(run.started_at), run.trigger, outcome_text(run.status), duration(run.duration_ms),
             run.control, "—" if run.generation is None else str(run.generation),
             f"{size(run.bytes_down)}/{size(run.bytes_up)}", short(run.error or _result_text(run.result), 50),
             run.run_id] for run in runs]
    table(console, ("STARTED", "TRIGGER", "STATUS", "TOOK", "CONTROL", "GEN", "DOWN/UP", "RESULT", "RUN"), rows)
    console.line(click.style(f"One in full: `botship runs {found.handle.bot_name} --run RUN`.", dim=True))
    return 0


def _result_text(result: Any) -> str:
    if result is None:
        return "—"
    return result if isinstance(result, str) else json.dumps(result, default=str)


def _show_run(found: Any, runs: list[Any], run_id: str, console: Console) -> int:
    matches = [run for run in runs if run.run_id == run_id] or [run for run in runs if run.run_id.startswith(run_id)]
    if len(matches) != 1:
        known = ", ".join(run.run_id for run in runs[:5]) or "none recorded"
        raise BadInput(f"{'no run' if not matches else f'{len(matches)} runs'} of {found.handle.bot_name} "
                       f"{'is' if not matches else 'start with'} {run_id}",
                       f"the newest: {known}", f"list them with `botship runs {found.handle.bot_name}`")
    run = matches[0]
    console.record("run", **{**identity(found), **plain(run)})
    console.line(f"{mode_badge(found.handle.mode)} run {run.run_id} of {label(found)}")
    fields(console, [("started", f"{when(run.started_at)} ({ago(run.started_at)})"), ("trigger", run.trigger),
                     ("status", outcome_text(run.status)), ("took", duration(run.duration_ms)),
                     ("control", run.control),
                     ("state", f"generation {run.generation if run.generation is not None else '—'}, "
                               f"{size(run.bytes_down)} down, {size(run.bytes_up)} up")])
    if run.error:
        console.line(f"\n{click.style('error', fg='red', bold=True)}: {run.error}")
    console.line("\nresult:")
    text = run.result if isinstance(run.result, str) else json.dumps(run.result, indent=2, default=str)
    for line in text.splitlines() or ["—"]:
        console.line(f"  {line}")
    console.line("\nlast log lines:")
    for line in run.log_tail or (click.style("(none)", dim=True),):
        console.line(f"  │ {line}")
    return 0


# ---- botship history BOT ---------------------------------------------------------------------------

def run_history(project: Path, bot: str, pick: Pick, console: Console) -> int:
    """`botship history BOT`: what was done to the bot — deploys, rollbacks, pauses, control changes — newest first."""
    found = find(project, bot, pick)
    _no_state(found, "deployment history")
    entries = found.handle.history()
    for entry in entries:
        console.record("history", **{**identity(found), **plain(entry)})
    console.line(f"Deployment history of {label(found)}, newest first:")
    if not entries:
        console.line("  nothing recorded yet")
        return 0
    rows = [[when(e.at), e.action, e.version[:12] or "—", e.profile or "—", short(e.by, 40) or "—",
             outcome_text(e.outcome), short(e.detail, 50)] for e in entries]
    table(console, ("WHEN", "ACTION", "VERSION", "PROFILE", "BY", "OUTCOME", "DETAIL"), rows)
    return 0
