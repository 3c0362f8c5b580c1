"""The running commands: invoke (the deployed bot, or a fresh build here) and state ls/get/versions/restore."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import BadInput
from .bots import pick_options
from .options import is_interactive, json_option, profile_option, project_dir, project_option, sub_options, use_console


@click.command()
@profile_option
@project_option
@click.option("--local", "local", is_flag=True,
              help="Run the artifact here, in a subprocess, with the environment the cloud would give it.")
@click.option("--event", metavar="JSON", help="The event passed to the bot (default: {}).")
@click.option("--cold", is_flag=True, help="With --local: start from an empty state folder, like a new container.")
@click.option("--state", "state", type=click.Choice(["local", "deployed"]), default=None,
              help="With --local: which state the run uses. local (the default): the project's own state in "
                   ".botship/local-state/PROFILE/, separate from the deployed bot's. deployed: the deployed bot's "
                   "own state, under its lock; the run's changes are saved there.")
@click.option("--confirm-live", is_flag=True, help="Confirm running a live profile (real money).")
@json_option
def invoke(profile: str | None, project: Path, local: bool, event: str | None, cold: bool, state: str | None,
           confirm_live: bool, as_json: bool) -> int:
    """Run the bot once now: the deployed function, or with --local a fresh build run here.

    Without --local the deployed bot runs where it lives (on the sandbox: its deployed
    package, run on this machine with its state in the emulator), and its log lines and
    result are shown.

    With --local, botship builds the artifact and runs its handler here, against one of two states:

    \b
      --state local     (the default) the project's own state in .botship/local-state/PROFILE/,
                        kept through the same manifest and lock logic the cloud uses and separate
                        from the deployed bot's, so a bot can be developed with no cloud account.
      --state deployed  the deployed bot's own state (on AWS and the sandbox: its state bucket),
                        reached with the profile's sign-in; the run takes the bot's lock, so a run
                        of the deployed function at the same moment is skipped, and its changes
                        are saved there: the deployed bot's next run continues from them.

    \b
    Examples:
      botship invoke --local --profile sandbox
      botship invoke --local --state deployed --profile prod
      botship invoke --profile prod --event '{"dry": true}'

    Exit 0 when the run succeeded (or was skipped because another run held the lock), 1 when
    the bot or the runtime failed, 2 for bad input (e.g. --state deployed for a bot that is
    not deployed).
    """
    from .run_flow import run_invoke_deployed, run_invoke_local

    console = use_console(as_json)
    if local:
        return run_invoke_local(project_dir(project), profile, console, event=event, cold=cold,
                                confirm_live=confirm_live, interactive=is_interactive(console), state=state or "local")
    if cold:
        raise BadInput("--cold applies to --local runs only", fix="add --local, or leave --cold out")
    if state is not None:
        raise BadInput("--state applies to --local runs only",
                       fix="add --local, or leave --state out: the deployed function always uses its own state")
    return run_invoke_deployed(project_dir(project), profile, console, event=event, confirm_live=confirm_live,
                               interactive=is_interactive(console))


@click.group("state")
def state_group() -> None:
    """A deployed bot's state: list its files, read one, list its generations, make an earlier
    one current again.

    Every run that changes the state saves a new generation of its manifest. On AWS the state
    bucket keeps replaced generations for the profile's state_retention_days; the local state
    of `botship invoke --local` keeps the last 10. A bot is named by profile or by name, from
    the project's profiles or from the clouds (--region, --subscription look further).

    \b
    Examples:
      botship state ls my-bot
      botship state get my-bot databases/bot.sqlite3 -o bot.sqlite3
      botship state versions my-bot
      botship state restore my-bot --generation 41
      botship state restore --profile prod --generation 41 --yes
    """


def _state_bot_options(func):
    """BOT, where to look for it and which of several to take, --project and --json after the sub-command."""
    return click.argument("bot", metavar="BOT")(pick_options(sub_options(func)))


_state_mode = click.option("--mode", type=click.Choice(["paper", "live"]), default=None,
                           help="Whose state to read (default: the mode the bot is deployed in).")


@state_group.command("ls")
@_state_bot_options
@_state_mode
def state_ls(bot: str, platform: str | None, where: str | None, regions: tuple[str, ...],
             subscriptions: tuple[str, ...], mode: str | None, project: Path | None, as_json: bool) -> int:
    """List the files of BOT's state as its last run saved them: path and size, and the generation.

    \b
    Examples:
      botship state ls prod
      botship state ls sma-bot --mode live --json
    """
    from .bots_flow import Pick
    from .bots_state import run_ls

    return run_ls(project_dir(project or Path(".")), bot, Pick.of(platform, where, regions, subscriptions), mode,
                  use_console(as_json))


@state_group.command("get")
@_state_bot_options
@click.argument("path", metavar="PATH")
@click.option("--output", "-o", "out", metavar="FILE", type=click.Path(path_type=Path),
              help="Write the file here (- for standard output) instead of printing it.")
@_state_mode
def state_get(bot: str, path: str, out: Path | None, platform: str | None, where: str | None,
              regions: tuple[str, ...], subscriptions: tuple[str, ...], mode: str | None, project: Path | None,
              as_json: bool) -> int:
    """Read one file of BOT's state (PATH as `botship state ls` lists it), checked against its
    manifest. Text is printed on a terminal; a binary file (a SQLite database) is written with
    -o FILE or piped, never printed to a terminal. With --json: one record holding the text
    (or base64 for binary).

    \b
    Examples:
      botship state get prod runs.txt
      botship state get prod databases/bot.sqlite3 -o bot.sqlite3
      botship state get prod state.db > state.db
    """
    from .bots_flow import Pick
    from .bots_state import run_get

    return run_get(project_dir(project or Path(".")), bot, Pick.of(platform, where, regions, subscriptions), path,
                   out, mode, use_console(as_json))


_state_local = click.option("--local", is_flag=True,
                            help="The state `botship invoke --local` keeps in the project, not the deployed bot's.")


@state_group.command("versions")
@click.argument("bot", required=False)
@profile_option
@_state_local
@pick_options
@sub_options
def state_versions(bot: str | None, profile: str | None, local: bool, platform: str | None, where: str | None,
                   regions: tuple[str, ...], subscriptions: tuple[str, ...], project: Path | None,
                   as_json: bool) -> int:
    """List the generations of BOT's state: number, when written, files, size, and whether each is valid.

    BOT is the bot's name as its profile gives it (or use --profile), or a bot found in the
    clouds (`botship bots` lists them).

    \b
    Examples:
      botship state versions prod
      botship state versions sma-bot --region eu-central-1 --json
      botship state versions prod --local
    """
    from .bots_flow import Pick
    from .bots_state import cloud_bot, run_versions_found
    from .state_flow import run_versions

    root, console = project_dir(project or Path(".")), use_console(as_json)
    found = cloud_bot(root, bot, profile, local, Pick.of(platform, where, regions, subscriptions))
    if found is not None:
        return run_versions_found(found, console)
    return run_versions(root, bot, profile, local, console)


@state_group.command("restore")
@click.argument("bot", required=False)
@profile_option
@click.option("--generation", "-g", type=int, required=True, help="The generation to make current again.")
@click.option("--yes", "-y", is_flag=True, help="Restore without asking.")
@_state_local
@pick_options
@sub_options
def state_restore(bot: str | None, profile: str | None, generation: int, yes: bool, local: bool,
                  platform: str | None, where: str | None, regions: tuple[str, ...], subscriptions: tuple[str, ...],
                  project: Path | None, as_json: bool) -> int:
    """Make generation N of BOT's state current again, as a new generation with the same files.

    Every file it lists must still be stored (on AWS replaced ones are brought back from the
    bucket's versions; on Azure and in local state botship keeps them for the last 10
    generations); this is checked before anything is written, and the bot's lock is held while
    writing, so no run sees half a restore. BOT is named as for `botship state versions` (a
    profile, a bot of one, or a bot in the clouds).

    \b
    Examples:
      botship state restore prod --generation 41
      botship state restore sma-bot --generation 41 --yes --json
    """
    from .bots_flow import Pick
    from .bots_state import cloud_bot, run_restore_found
    from .state_flow import run_restore

    root, console = project_dir(project or Path(".")), use_console(as_json)
    found = cloud_bot(root, bot, profile, local, Pick.of(platform, where, regions, subscriptions))
    if found is not None:
        return run_restore_found(found, generation, yes, console, is_interactive(console))
    return run_restore(root, bot, profile, generation, local, yes, console, is_interactive(console))


COMMANDS = (invoke, state_group)
