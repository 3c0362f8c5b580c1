"""The command line, botship's front end for terminals and scripts: the `botship` group, main() and its exit codes.

Each family of commands has a module of its own (deploying, running, projects); the flows they run
(*_flow.py, doctor, guided), the console they print with and the line prompts they ask with sit
beside them. Nothing outside this package prompts or prints to the terminal.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from ..errors import DISK_ERRNOS, BotshipError, Cancelled, file_error
from . import bots, deploying, projects, running
from .options import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, current_console

__all__ = ["EXIT_BAD_INPUT", "EXIT_CANCELLED", "EXIT_FAILED", "EXIT_OK", "cli", "main"]


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="botship", prog_name="botship")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Ship a trading bot to a scheduled AWS Lambda or Azure Functions bot, state kept safe between runs.

    Run `botship` alone in your bot's folder for the wizard: platform, credentials, variables
    and secrets, size and schedule, the plan with a cost estimate, a live deploy, and a saved
    profile. Profiles live in the project's botship.toml; the commands below re-run them
    without questions.

    \b
    Examples:
      botship validate --profile prod          check a profile, every problem at once
      botship deploy --profile prod --dry-run  show what a deploy would change
      botship deploy --profile prod --yes      deploy from CI, no questions asked
      botship profiles                         list saved profiles and their last deploy
      botship bots                             every deployed bot: runs, logs, state, trades, controls
      botship logs sma-bot --follow            follow a deployed bot's log lines
      botship sandbox                          try the whole flow on the built-in emulator

    Exit codes: 0 ok, 1 failed, 2 bad input, 130 cancelled.
    """
    if ctx.invoked_subcommand is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(ctx.get_help())
            return
        from botship.tui.app import run_app

        run_app(Path.cwd())


for command in (*deploying.COMMANDS, *running.COMMANDS, *bots.COMMANDS, *projects.COMMANDS):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and turn every outcome into an exit code; no traceback ever reaches the user."""
    try:
        result = cli.main(args=argv, prog_name="botship", standalone_mode=False)
        return result if isinstance(result, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`botship profiles keys | head`): stop quietly, like other tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except (click.exceptions.Abort, KeyboardInterrupt):
        current_console().error(Cancelled("cancelled", "nothing more was changed"))
        return EXIT_CANCELLED
    except click.ClickException as exc:
        exc.show()
        return EXIT_BAD_INPUT if isinstance(exc, click.UsageError) else EXIT_FAILED
    except BotshipError as exc:
        current_console().error(exc)
        return exc.exit_code
    except OSError as exc:
        # A file or folder botship could not use (no permission, read-only or full disk, a folder where a
        # file belongs): the path and what to do, never "internal error". Network errors are OSErrors too.
        if exc.filename is None and exc.errno not in DISK_ERRNOS:
            return _internal_error(exc)
        error = file_error(exc)
        current_console().error(error)
        return error.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one clear line, exit 1
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    """An unexpected exception as one line that says it is a bug (the traceback with BOTSHIP_DEBUG=1); exit 1."""
    if os.environ.get("BOTSHIP_DEBUG"):
        traceback.print_exc()
    current_console().error(BotshipError(
        f"internal error: {type(exc).__name__}: {exc}", "this is a bug in botship, not in your bot or profile",
        "re-running is safe; run with BOTSHIP_DEBUG=1 to see the traceback and report it"))
    return EXIT_FAILED
