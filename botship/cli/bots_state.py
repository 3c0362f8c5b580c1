"""`botship state ls|get BOT`, and `state versions|restore` for a bot found in the clouds rather than in the
project's profiles (the profiles' way stays in state_flow.py)."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import BadInput, BotshipError
from ..profiles import ProfileStore
from .bots_flow import Pick, find, identity, label, place, require
from .bots_show import size, table
from .console import Console, mode_badge


def _require_state(found: Any) -> None:
    from botship.providers.base import STATE

    require(found, STATE, "reading the state of", "run the bot here against its local state: "
            "`botship invoke --local`, which keeps it in .botship/local-state/")


def _mode(found: Any, mode: str | None) -> str:
    return mode or found.handle.mode


# ---- state ls ----------------------------------------------------------------------------------------

def run_ls(project: Path, bot: str, pick: Pick, mode: str | None, console: Console) -> int:
    """The files of the bot's state as its last save left them: path and size, and the generation."""
    found = find(project, bot, pick)
    _require_state(found)
    chosen = _mode(found, mode)
    listing = found.handle.state_files(chosen)
    for path, n in listing.files.items():
        console.record("file", **identity(found), state_mode=chosen, path=path, size=n)
    console.record("state", **identity(found), state_mode=chosen, generation=listing.generation,
                   saved_at=listing.saved_at, files=len(listing.files), bytes=listing.total_bytes)
    if not listing.files:
        console.line(f"{mode_badge(chosen)} {label(found)}: no state saved yet for {chosen} mode "
                     "(a run saves it once the bot has run)")
        return 0
    console.line(f"{mode_badge(chosen)} state of {label(found)}: generation {listing.generation}, "
                 f"{len(listing.files)} file{'s' * (len(listing.files) != 1)}, {size(listing.total_bytes)}"
                 f"{', saved ' + str(listing.saved_at) if listing.saved_at else ''}")
    table(console, ("SIZE", "PATH"), [[size(n).rjust(9), path] for path, n in listing.files.items()])
    console.line(click.style(f"Read one with `botship state get {found.handle.bot_name} PATH`.", dim=True))
    return 0


# ---- state get -----------------------------------------------------------------------------------------

def is_binary(content: bytes) -> bool:
    """Whether `content` is not text a terminal can show (a NUL byte, or not UTF-8)."""
    if b"\x00" in content:
        return True
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def run_get(project: Path, bot: str, pick: Pick, path: str, out: Path | None, mode: str | None,
            console: Console) -> int:
    """One file of the bot's state: into FILE with -o, as bytes to a pipe, as text to a terminal (never binary)."""
    found = find(project, bot, pick)
    _require_state(found)
    content = found.handle.read_state_file(path.strip().lstrip("/"), _mode(found, mode))
    binary = is_binary(content)
    if out is not None and str(out) != "-":
        from ..atomic import written_beside

        if out.is_dir():
            raise BadInput(f"-o {out} is a folder", fix=f"name a file, e.g. -o {out / Path(path).name}")
        with written_beside(out) as tmp:
            tmp.write_bytes(content)
        console.record("file", **identity(found), path=path, size=len(content), saved_to=str(out.resolve()))
        console.line(f"Wrote {path} of {label(found)} ({size(len(content))}) to {out}.")
        return 0
    if console.as_json:
        text = {"text": content.decode("utf-8")} if not binary else {"base64": base64.b64encode(content).decode()}
        console.record("file", **identity(found), path=path, size=len(content), **text)
        return 0
    stream = sys.stdout
    if stream.isatty() and binary:
        raise BadInput(f"{path} is binary ({size(len(content))}): botship does not print it to a terminal",
                       fix=f"write it to a file with -o FILE, or pipe it: `botship state get "
                           f"{found.handle.bot_name} {path} > FILE`")
    if stream.isatty():
        text = content.decode("utf-8")
        click.echo(text, nl=not text.endswith("\n"))
        return 0
    stream.flush()
    target = getattr(stream, "buffer", None)
    if target is None:  # a text-only stream (nothing to put bytes in): text, when it is text
        if binary:
            raise BadInput(f"{path} is binary and this output takes text only", fix="write it to a file with -o FILE")
        stream.write(content.decode("utf-8"))
    else:
        target.write(content)
        target.flush()
    return 0


# ---- state versions / restore of a bot found in the clouds -------------------------------------------------

def named_in_profiles(project: Path, bot: str) -> bool:
    """Whether BOT is a profile of the project, or the bot_name one of its profiles deploys."""
    try:
        store = ProfileStore(project)
        names = store.names()
        return bot in names or any(str(store.raw(name).get("bot_name", "")) == bot for name in names)
    except BotshipError:
        return False


def cloud_bot(project: Path, bot: str | None, profile: str | None, local: bool, pick: Pick) -> Any:
    """The bot to show or restore the state generations of, when the clouds are where to look for it (BOT named
    with --platform/--where/--region/--subscription, or naming no profile's bot); None when the profiles answer
    (state_flow's way, with --local and --profile)."""
    from .state_flow import resolve_bot

    picked = pick.platform or pick.where or pick.asked
    if local or profile or bot is None or (not picked and named_in_profiles(project, bot)):
        return None
    try:
        return find(project, bot, pick)
    except BadInput as exc:
        if picked or not exc.what.startswith("no bot named"):
            raise
        try:
            resolve_bot(project, bot, None)
        except BadInput as mine:  # neither the profiles nor the clouds know it: say both
            raise BadInput(f"{mine.what}, and no cloud looked in holds one", f"{mine.why}; {exc.why}",
                           exc.fix) from None
        raise
    except BotshipError as exc:  # not found, and a place could not be looked in: that failure, and the profiles
        if picked:
            raise
        try:
            resolve_bot(project, bot, None)
        except BadInput as mine:
            raise BotshipError(f"{mine.what}; {exc.what}", "; ".join(p for p in (mine.why, exc.why) if p),
                               exc.fix) from None
        raise


def _require_history(found: Any) -> None:
    from botship.providers.base import STATE_HISTORY

    require(found, STATE_HISTORY, "listing the state generations of",
            "add --local for the state `botship invoke --local` keeps in the project")


def run_versions_found(found: Any, console: Console) -> int:
    """`botship state versions BOT` for a bot found in the clouds: as state_flow.run_versions shows them."""
    from .state_flow import show_versions

    _require_history(found)
    return show_versions(found.handle, found.handle.bot_name, found.handle.mode, place(found), found.profile, console)


def run_restore_found(found: Any, generation: int, yes: bool, console: Console, interactive: bool) -> int:
    """`botship state restore BOT --generation N` for a bot found in the clouds: checked, confirmed, restored."""
    from .state_flow import restore_confirmed

    _require_history(found)
    return restore_confirmed(found.handle, found.handle.bot_name, found.handle.mode, place(found), found.profile,
                             generation, yes, console, interactive)