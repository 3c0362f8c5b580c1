"""The running commands: invoke (the deployed bot, or a fresh build here) and state versions/restore."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import BadInput
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
    """A bot's state history: list its generations, make an earlier one current again.

    Every run that changes the state saves a new generation of its manifest. On AWS the state
    bucket keeps replaced generations for the profile's state_retention_days; the local state
    of `botship invoke --local` keeps the last 10.

    \b
    Examples:
      botship state versions my-bot
      botship state restore my-bot --generation 41
      botship state restore --profile prod --generation 41 --yes
    """


_state_local = click.option("--local", is_flag=True,
                            help="The state `botship invoke --local` keeps in the project, not the deployed bot's.")


@state_group.command("versions")
@click.argument("bot", required=False)
@profile_option
@_state_local
@sub_options
def state_versions(bot: str | None, profile: str | None, local: bool, project: Path | None, as_json: bool) -> int:
    """List the generations of BOT's state: number, when written, files, size, and whether each is valid.

    BOT is the bot's name as its profile gives it (or use --profile).
    """
    from .state_flow import run_versions

    return run_versions(project_dir(project or Path(".")), bot, profile, local, use_console(as_json))


@state_group.command("restore")
@click.argument("bot", required=False)
@profile_option
@click.option("--generation", "-g", type=int, required=True, help="The generation to make current again.")
@click.option("--yes", "-y", is_flag=True, help="Restore without asking.")
@_state_local
@sub_options
def state_restore(bot: str | None, profile: str | None, generation: int, yes: bool, local: bool,
                  project: Path | None, as_json: bool) -> int:
    """Make generation N of BOT's state current again, as a new generation with the same files.

    Every file it lists must still be stored (replaced ones are brought back from the bucket's
    versions); this is checked before anything is written, and the bot's lock is held while
    writing, so no run sees half a restore.
    """
    from .state_flow import run_restore

    console = use_console(as_json)
    return run_restore(project_dir(project or Path(".")), bot, profile, generation, local, yes, console,
                       is_interactive(console))


COMMANDS = (invoke, state_group)
