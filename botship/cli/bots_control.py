"""What the changing commands do: pause, resume, stop-entries, flatten, resume-entries and rollback.

Each shows what it will change, asks on a terminal (unless --yes; a program must pass --yes), refuses to
flatten or roll back a LIVE bot without --yes or the bot's name typed, and says what changed. What a cloud
cannot do is bad input naming what to do instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import BadInput, Cancelled
from .bots_flow import Pick, find, identity, label, require
from .bots_show import LEVEL_MEANS, plain, state_text, when
from .console import Console, mode_badge


def confirm(found: Any, doing: str, ask: str, *, yes: bool, interactive: bool, typed: bool = False) -> None:
    """Go on only when the user agreed: --yes, a yes to `ask` on a terminal, or (`typed`: a LIVE bot's flatten or
    rollback) the bot's name typed. Nobody to ask and no --yes → bad input; a no → cancelled, nothing changed."""
    name = found.handle.bot_name
    if yes:
        return
    if not interactive:
        raise BadInput(f"{doing} {'the LIVE bot ' if typed else ''}{name} needs confirmation",
                       "it trades real money: botship never does this unasked" if typed else
                       "nobody can confirm here (no terminal, or --json output)", "pass --yes to go ahead")
    import questionary

    if typed:
        answer = questionary.text(f"{name} is LIVE (real money). Type its name to confirm:").unsafe_ask()
        if (answer or "").strip() != name:
            raise Cancelled(f"{doing} {name} not confirmed", "nothing was changed")
        return
    if not questionary.confirm(f"{ask} {name}?", default=False).unsafe_ask():
        raise Cancelled(f"{doing} {name} cancelled", "nothing was changed")


# ---- pause / resume: the schedule ------------------------------------------------------------------

def run_pause(project: Path, bot: str, pick: Pick, pause: bool, yes: bool, console: Console,
              interactive: bool) -> int:
    from botship.providers.base import PAUSE

    doing = "pausing" if pause else "resuming"
    found = find(project, bot, pick)
    name = found.handle.bot_name
    require(found, PAUSE, doing, "stop its trading instead: `botship stop-entries " + name + "` (no new positions),"
            " or remove it: `botship destroy`")
    before = found.handle.status()
    if before.schedule and before.paused == pause:  # the schedule's own switch, whatever else the state says
        console.record("paused" if pause else "resumed", **identity(found), changed=False, state=before.state)
        console.line(f"{name}'s schedule is {'paused' if pause else 'running'} already; nothing was changed.")
        return 0
    if not before.schedule:
        raise BadInput(f"{name} has no schedule to {'pause' if pause else 'resume'}: it runs only when invoked",
                       fix="give its profile a schedule and deploy, or run it now with `botship invoke`")
    console.line(f"{mode_badge(found.handle.mode)} {doing} {label(found)}: "
                 + ("its schedule is disabled; a run started now (`botship invoke`) still works."
                    if pause else "its schedule is enabled again."))
    confirm(found, doing, "Pause" if pause else "Resume", yes=yes, interactive=interactive)
    if pause:
        found.handle.pause()
    else:
        found.handle.resume()
    after = found.handle.status()
    console.record("paused" if pause else "resumed", **identity(found), changed=True, before=before.state,
                   state=after.state, next_run=plain(after.next_run))
    console.line(f"{'Paused' if pause else 'Resumed'} {name}: {state_text(before.state)} → {state_text(after.state)}.")
    if pause:
        console.line(f"  No scheduled run until `botship resume {name}`.")
    elif after.next_run is not None:
        console.line(f"  Next run {when(after.next_run, after.timezone)}.")
    return 0


# ---- stop-entries / flatten / resume-entries: the control file --------------------------------------

# Each level: what setting it is called in a message, and what the confirmation asks.
_LEVEL_WORDS = {"stopentry": ("stopping new entries of", "Stop new entries of"), "flatten": ("flattening", "Flatten"),
                "run": ("resuming the entries of", "Resume entries of")}


def run_control(project: Path, bot: str, pick: Pick, level: str, yes: bool, console: Console,
                interactive: bool) -> int:
    from botship.bots import control_note
    from botship.providers.base import CONTROL

    doing, ask = _LEVEL_WORDS[level]
    found = find(project, bot, pick)
    name, live = found.handle.bot_name, found.handle.mode == "live"
    require(found, CONTROL, doing, "pause its schedule instead: `botship pause " + name + "`, or, for a framework "
            "bot, redeploy it with its strategy changed")
    current = found.handle.control()
    if current == level:
        console.record("control", **identity(found), changed=False, level=level)
        console.line(f"{name} is at '{level}' already ({LEVEL_MEANS[level]}); nothing was changed.")
        return 0
    console.line(f"{mode_badge(found.handle.mode)} {doing} {label(found)}: control '{current}' → '{level}'")
    console.line(f"  From its next run the bot {LEVEL_MEANS[level]}.")
    note = control_note(found.handle.mode, level)
    if note:
        console.line(click.style(f"  {note}.", fg="red", bold=True) if live else f"  {note}.")
    if level != "run":
        console.line(f"  Back to normal with `botship resume-entries {name}`.")
    confirm(found, doing, ask, yes=yes, interactive=interactive, typed=level == "flatten" and live)
    done = found.handle.set_control(level)
    console.record("control", **identity(found), changed=True, before=current, level=done.get("level", level),
                   generation=done.get("generation"))
    console.line(f"{name}'s control is now '{done.get('level', level)}' (state generation {done.get('generation')}); "
                 f"its next run reads it before it trades.")
    status = _status_or_none(found)
    if status is not None and status.state == "paused":
        console.line(f"  {name} is paused: nothing happens until it runs (`botship resume {name}`).")
    elif status is not None and status.next_run is not None:
        console.line(f"  Next run {when(status.next_run, status.timezone)}.")
    return 0


def _status_or_none(found: Any) -> Any:
    from ..errors import BotshipError

    try:
        return found.handle.status()
    except BotshipError:
        return None


# ---- rollback: an earlier version shipped again ------------------------------------------------------

def _is_current(version: Any) -> bool:
    return version.detail == "current"


def short_version(version: str) -> str:
    return version.removeprefix("sha256:")[:12]


def _target(found: Any, versions: list[Any], to: str | None) -> Any:
    """The version a rollback ships: `to` (a version, or a unique start of one), or the one kept before the
    running one."""
    name = found.handle.bot_name
    if to is None:
        current = next((n for n, v in enumerate(versions) if _is_current(v)), None)
        earlier = versions[current + 1:] if current is not None else versions[1:]
        if not earlier:
            raise BadInput(f"{name} has no version older than the one it runs",
                           "botship keeps each version it ships; only the running one is kept so far",
                           f"list them with `botship rollback {name} --list`, or deploy the version you want")
        return earlier[0]
    wanted = to.strip().removeprefix("sha256:")
    matches = [v for v in versions if v.version.removeprefix("sha256:").startswith(wanted)] if wanted else []
    if len(matches) != 1:
        known = ", ".join(short_version(v.version) for v in versions[:8]) or "none"
        raise BadInput(f"{'no' if not matches else 'more than one'} version of {name} matches '{to}'",
                       f"versions kept: {known}", f"list them with `botship rollback {name} --list`")
    return matches[0]


def run_rollback(project: Path, bot: str, pick: Pick, to: str | None, list_only: bool, yes: bool,
                 console: Console, interactive: bool) -> int:
    from botship.providers.base import ROLLBACK

    found = find(project, bot, pick)
    name = found.handle.bot_name
    require(found, ROLLBACK, "rolling back", f"deploy the version you want from its project: `botship deploy "
            f"--profile {found.profile or 'NAME'}`")
    versions = found.handle.versions()
    if list_only:
        for v in versions:
            console.record("version", **{**identity(found), **plain(v)})
        console.line(f"Versions of {label(found)} a rollback can ship, newest first:")
        for v in versions:
            mark = click.style("  (running)", fg="green") if _is_current(v) else ""
            console.line(f"  {short_version(v.version):<12}  {when(v.at)}{mark}")
        if not versions:
            console.line("  none kept")
        return 0
    target = _target(found, versions, to)
    current = next((v for v in versions if _is_current(v)), None)
    if current is not None and current.version == target.version:
        console.record("rollback", **identity(found), changed=False, version=target.version)
        console.line(f"{name} runs {short_version(target.version)} already; nothing was changed.")
        return 0
    console.line(f"{mode_badge(found.handle.mode)} rolling back {label(found)}: "
                 f"{short_version(current.version) if current else 'the running version'} → "
                 f"{short_version(target.version)}")
    console.line(f"  {short_version(target.version)} was shipped {when(target.at)}"
                 f"{' from profile ' + target.profile if target.profile else ''}"
                 f"{' by ' + target.by if target.by else ''}; that exact artifact is shipped again.")
    confirm(found, "rolling back", "Roll back", yes=yes, interactive=interactive, typed=found.handle.mode == "live")
    entry = found.handle.rollback(target.version)
    console.record("rollback", **identity(found), changed=True, before=current.version if current else None,
                   **{f"entry_{k}": v for k, v in plain(entry).items()}, version=entry.version or target.version)
    console.line(f"Rolled back {name} to {short_version(entry.version or target.version)} ({entry.outcome}); "
                 f"it is in `botship history {name}`.")
    return 0 if entry.outcome == "ok" else 1
