"""What every command shares: --project, --profile and --json, the console it prints with, and the exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import BadInput, BotshipError
from .console import Console

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130

# The Console of the command being run, so errors that escape it are printed the way it prints.
_console = Console()


def complete_profile(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion for --profile: the names in the project's botship.toml."""
    from ..profiles import ProfileStore

    project = Path(ctx.params.get("project") or ".")
    try:
        return [n for n in ProfileStore(project).names() if n.startswith(incomplete)]
    except BotshipError:
        return []


project_option = click.option(
    "--project", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
    is_eager=True, help="The bot project folder (where botship.toml lives).")
profile_option = click.option(
    "--profile", "-p", metavar="NAME", shell_complete=complete_profile,
    help="Profile from botship.toml; may be left out when the project has exactly one.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON Lines for programs instead of text.")


def inherited(ctx: click.Context, project: Path | None, as_json: bool) -> tuple[Path, Console]:
    """A sub-command's --project/--json, falling back to what was given before the sub-command's name."""
    parent = ctx.obj or {}
    console = use_console(as_json or parent.get("as_json", False))
    return project_dir(project or parent.get("project") or Path(".")), console


def sub_options(func):
    """--project and --json on a sub-command too, so they may come after its name."""
    func = json_option(func)
    return click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="The bot project folder (default: the current folder).")(func)


def use_console(as_json: bool) -> Console:
    """The console a command prints with (text, or JSON Lines with --json); errors that escape it print there too."""
    global _console
    _console = Console(as_json=as_json)
    return _console


def is_interactive(console: Console) -> bool:
    """Whether a command may ask: a person at a terminal, not a program reading --json."""
    return not console.as_json and sys.stdin.isatty() and sys.stdout.isatty()


def project_dir(path: Path) -> Path:
    """The project folder given, resolved; bad input when it is not a folder."""
    if not path.is_dir():
        raise BadInput(f"project folder {path} does not exist", fix="pass --project DIR pointing at your bot's folder")
    return path.resolve()


def current_console() -> Console:
    """The console of the command being run (a plain one before any command chose), for errors that escape it."""
    return _console
