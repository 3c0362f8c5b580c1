"""The `botship` command: headless deploys and profile management; with no arguments, the wizard's front door."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from ..errors import DISK_ERRNOS, BadInput, BotshipError, Cancelled, Problem, SpecInvalid, file_error
from ..locations import PROFILE_FILE
from .console import Console

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130

# The Console of the command being run, so errors that escape it are printed the way it prints.
_console = Console()


def _project_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
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
    "--profile", "-p", metavar="NAME", shell_complete=_project_profiles,
    help="Profile from botship.toml; may be left out when the project has exactly one.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON Lines for programs instead of text.")


def _inherited(ctx: click.Context, project: Path | None, as_json: bool) -> tuple[Path, Console]:
    """A sub-command's --project/--json, falling back to what was given before the sub-command's name."""
    parent = ctx.obj or {}
    console = _use_console(as_json or parent.get("as_json", False))
    return _project(project or parent.get("project") or Path(".")), console


def sub_options(func):
    """--project and --json on a sub-command too, so they may come after its name."""
    func = json_option(func)
    return click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="The bot project folder (default: the current folder).")(func)


def _use_console(as_json: bool) -> Console:
    global _console
    _console = Console(as_json=as_json)
    return _console


def _interactive(console: Console) -> bool:
    return not console.as_json and sys.stdin.isatty() and sys.stdout.isatty()


def _project(path: Path) -> Path:
    if not path.is_dir():
        raise BadInput(f"project folder {path} does not exist", fix="pass --project DIR pointing at your bot's folder")
    return path.resolve()


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
      botship sandbox                          try the whole flow on the built-in emulator

    Exit codes: 0 ok, 1 failed, 2 bad input, 130 cancelled.
    """
    if ctx.invoked_subcommand is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(ctx.get_help())
            return
        from botship.tui.app import run_app

        run_app(Path.cwd())


@cli.command()
@profile_option
@project_option
@click.option("--yes", "-y", is_flag=True, help="Deploy without asking to confirm the plan (for CI).")
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@click.option("--confirm-live", is_flag=True, help="Confirm deploying a profile whose mode is live (real money).")
@click.option("--no-wait", is_flag=True,
              help="If another deploy of the bot is running, stop at once (exit 1) naming it, instead of waiting.")
@click.option("--guided", is_flag=True,
              help="Ask the wizard's questions as line prompts (for SSH sessions and screen readers), "
                   "then deploy and save a profile.")
@json_option
def deploy(profile: str | None, project: Path, yes: bool, dry_run: bool, confirm_live: bool, no_wait: bool,
           guided: bool, as_json: bool) -> int:
    """Deploy a saved profile: show the plan, confirm, then run it step by step.

    Each step reads the cloud before it writes, so re-running after a failure or Ctrl-C
    continues where it stopped, and an unchanged re-run changes nothing. Secret values
    come from the environment, the project's .env, the OS keyring, or a masked prompt.

    With --guided, the wizard's questions are asked one line at a time instead of on a
    full screen (platform, credentials, bot, mode, variables and secrets, size, schedule),
    each checked as you type; then the plan is shown, confirmed and run, and the answers
    are saved as a profile. With --profile too, the answers start from that profile.
    """
    console = _use_console(as_json)
    if guided:
        if not _interactive(console):
            raise BadInput("--guided asks its questions on an interactive terminal, and this is not one",
                           "--json output is for programs" if as_json else "standard input or output is not a terminal",
                           "run `botship deploy --guided` in a terminal, or deploy a saved profile without "
                           "questions: `botship deploy --profile NAME --yes`")
        from .guided import run_guided

        return run_guided(_project(project), console, yes=yes, profile=profile, dry_run=dry_run)

    from .deploy_flow import run_deploy

    return run_deploy(_project(project), profile, console, yes=yes, dry_run=dry_run,
                      confirm_live=confirm_live, interactive=_interactive(console), no_wait=no_wait)


@cli.command()
@profile_option
@project_option
@click.option("--yes", "-y", is_flag=True, help="Remove the lock without asking (for CI).")
@json_option
def unlock(profile: str | None, project: Path, yes: bool, as_json: bool) -> int:
    """Show who holds a bot's deploy lock, and remove it after confirmation.

    One deploy of a bot runs at a time: a deploy holds a lock in the cloud while it runs, and
    others wait for it. A deploy killed outright leaves its lock until it expires (15 minutes);
    unlock removes it sooner. Only do so when that deploy is no longer running.
    """
    from .deploy_flow import run_unlock

    console = _use_console(as_json)
    return run_unlock(_project(project), profile, console, yes=yes, interactive=_interactive(console))


@cli.command()
@profile_option
@project_option
@click.option("--policy", "print_policy", is_flag=True,
              help="Print the least-privilege permissions policy a deploying identity needs, and stop.")
@json_option
def doctor(profile: str | None, project: Path, print_policy: bool, as_json: bool) -> int:
    """Run every pre-flight check for a profile and change nothing.

    The profile and .env, what paper mode does for this bot (enforced for investing-algorithm-framework
    apps; ! when a plain bot never reads BOTSHIP_MODE), secret values, credentials and each permission
    a deploy needs, quotas, the bucket name and the package size — each ✓ or ✗ with what to do, or !
    when it could not be checked. Exit 1 when something must be fixed first.
    """
    from .doctor import print_permissions_policy, run_doctor

    if print_policy:
        return print_permissions_policy(_project(project), profile)
    return run_doctor(_project(project), profile, _use_console(as_json))


@cli.command()
@profile_option
@project_option
@click.option("--yes", "-y", is_flag=True, help="Destroy without asking (for CI).")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted and change nothing.")
@click.option("--purge-state", is_flag=True, help="Also delete the state bucket with every version of the bot's state.")
@json_option
def destroy(profile: str | None, project: Path, yes: bool, dry_run: bool, purge_state: bool, as_json: bool) -> int:
    """Remove a deployed bot: schedule, function, roles and secret. Its state is kept unless --purge-state.

    The plan is shown first; only what exists is deleted, so a re-run after a failure finishes
    the job. Interactive runs ask you to type the bot's name.
    """
    from .deploy_flow import run_destroy

    console = _use_console(as_json)
    return run_destroy(_project(project), profile, console, yes=yes, dry_run=dry_run, purge_state=purge_state,
                       interactive=_interactive(console))


@cli.command()
@profile_option
@project_option
@click.option("--output", "-o", metavar="PATH",
              help="Also copy the artifact here: a file, or a folder (created if missing; end it with / when "
                   "it does not exist yet) that gets it as BOT-lambda.zip, BOT-azure.zip or BOT-image/.")
@json_option
def package(profile: str | None, project: Path, output: str | None, as_json: bool) -> int:
    """Build the artifact without deploying: print its path, unzipped size and content hash.

    Dependencies are installed as Linux wheels for the profile's Python and cached; an
    unchanged project reuses the last build, a code-only change re-zips only the code.
    Artifacts written with -o inside the project are never shipped in a later build.
    """
    from .run_flow import run_package

    console = _use_console(as_json)
    folder = _project(project)
    target: Path | None = None
    if output is not None:
        from ..profiles import ProfileStore
        from ..providers.artifact.output import prepare_output

        store = ProfileStore(folder)
        target = prepare_output(folder, output, store.spec(store.pick(profile)))
    return run_package(folder, profile, console, target)


@cli.command()
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

    console = _use_console(as_json)
    if local:
        return run_invoke_local(_project(project), profile, console, event=event, cold=cold,
                                confirm_live=confirm_live, interactive=_interactive(console), state=state or "local")
    if cold:
        raise BadInput("--cold applies to --local runs only", fix="add --local, or leave --cold out")
    if state is not None:
        raise BadInput("--state applies to --local runs only",
                       fix="add --local, or leave --state out: the deployed function always uses its own state")
    return run_invoke_deployed(_project(project), profile, console, event=event, confirm_live=confirm_live,
                               interactive=_interactive(console))


@cli.command()
@profile_option
@project_option
@json_option
def validate(profile: str | None, project: Path, as_json: bool) -> int:
    """Check a profile (or, without --profile, every profile) and the project's .env.

    Every problem is reported at once, each naming its field and the rule it breaks;
    nothing is sent to any cloud. Exit 2 when something is wrong.
    """
    from ..envfile import ENV_FILE, read_env_file
    from ..profiles import ProfileStore

    console = _use_console(as_json)
    root = _project(project)
    store = ProfileStore(root)
    names = [profile] if profile else store.names()
    if not names:
        store.pick(None)  # raises the "no profiles" error with what to do
    problems: list[tuple[str, Problem]] = [("", p) for p in read_env_file(root / ENV_FILE).problems]
    for name in names:
        try:
            spec = store.spec(name)
        except SpecInvalid as exc:
            problems += [(name, p) for p in exc.problems]
            continue
        # What the build is sure to refuse in requirements.txt is refused here too, before any pip or cloud call.
        from ..providers.artifact import check_requirements

        try:
            check_requirements(spec, root)
        except BadInput as exc:
            problems.append((name, Problem("requirements.txt", exc.what + (f"; {exc.fix}" if exc.fix else ""))))
        else:
            console.record("valid", profile=name)
            console.line(f"{click.style('✓', fg='green')} profile '{name}' is valid")
    for name, problem in problems:
        console.record("problem", profile=name or None, field=problem.field, message=problem.message)
        where = f"profile '{name}': " if name else ""
        console.line(f"{click.style('✗', fg='red')} {where}{click.style(problem.field, bold=True)}: {problem.message}")
    if problems:
        console.line(f"\n{len(problems)} problem(s). Fix each field above, then run `botship validate` again.")
        return EXIT_BAD_INPUT
    return EXIT_OK


@cli.command("init", short_help="Create a bot project from a template (plain Python or investing-algorithm-framework).")
@click.argument("directory", metavar="[DIR]", required=False, default=".",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--template", "-t", type=click.Choice(["plain", "iaf"]), default="plain", show_default=True,
              help="plain: stdlib-only Python bot. iaf: an investing-algorithm-framework app.")
@click.option("--name", "bot_name", metavar="NAME", help="The bot's name (default: from the folder's name).")
@click.option("--force", is_flag=True, help="Replace files the template writes that already exist.")
@json_option
def init_project(directory: Path, template: str, bot_name: str | None, force: bool, as_json: bool) -> int:
    """Create a bot project in DIR (default: this folder; created if missing), ready to run and deploy.

    \b
    It writes:
      app.py            the entry point botship runs once per scheduled run
      strategy.py       a moving-average crossover (short/long simple moving averages)
      prices.csv        a price feed replayed one candle per run, so the bot works offline
      requirements.txt  what the bot imports
      .env.example      names of the variables a live bot needs, no values
      .gitignore        keeps .env and .botship/ out of git
      .botshipignore    files that stay out of the deployed package
      botship.toml      a `sandbox` profile: paper mode, every 5 minutes
    The iaf template adds paper.py (the replayed feed and a paper exchange).

    \b
    Templates:
      plain  handler(event, context) in plain Python, nothing to install; keeps cash,
             positions and trades in state.db (SQLite) in the state folder botship keeps
      iaf    an investing-algorithm-framework App (entry app:app), its database in the same
             folder; the framework takes about 1 GB installed, so the bot ships as a
             container image (on the sandbox the image's layers stay on this machine;
             on AWS it is built with Docker and pushed to ECR)

    Existing files are never replaced without --force: botship lists them and writes nothing.

    \b
    Next steps:
      cd DIR && botship invoke --local   run the bot once here, as the cloud would
      botship sandbox                    deploy it to the built-in emulator
      botship                            the wizard: deploy it to AWS
    """
    import shlex

    from ..init import bot_name_for, scaffold

    console = _use_console(as_json)
    dest = directory.expanduser()
    name = bot_name_for(dest, bot_name)
    written = scaffold(dest, template, force=force, bot_name=name)
    shown = [path.relative_to(dest).as_posix() for path in written]
    steps: list[tuple[str, str]] = []
    if dest.resolve() != Path.cwd().resolve():
        steps.append((f"cd {shlex.quote(str(directory))}", ""))
    steps.append(("botship invoke --local", "run it once here, as the cloud would (paper, offline)"))
    steps.append(("botship sandbox", "deploy it to the built-in emulator and watch its scheduled runs"))
    steps.append(("botship", "the wizard: deploy it to AWS Lambda" if template == "plain" else
                  "the wizard: deploy it to AWS as a container image (needs Docker)"))
    for path in shown:
        console.record("created", path=path)
    console.record("project", path=str(dest.resolve()), template=template, bot_name=name, files=shown,
                   next_steps=[command for command, _ in steps])
    console.line(f"{click.style('✓', fg='green')} created bot '{name}' in {dest} from the {template} template:")
    for path in shown:
        console.line(f"  + {path}")
    console.line("\nNext:")
    width = max(len(command) for command, _ in steps)
    for command, note in steps:
        console.line(f"  {command:<{width}}  {click.style(note, dim=True)}" if note else f"  {command}")
    return EXIT_OK


@cli.group(invoke_without_command=True)
@project_option
@json_option
@click.pass_context
def profiles(ctx: click.Context, project: Path, as_json: bool) -> int | None:
    """List saved profiles with their last deploy; `show` or `delete` one, or see every `keys` a profile takes."""
    ctx.obj = {"project": project, "as_json": as_json}
    if ctx.invoked_subcommand is not None:
        return None
    from ..profiles import ProfileStore
    from ..record import describe as describe_record
    from ..record import load_records

    console = _use_console(as_json)
    root = _project(project)
    store = ProfileStore(root)
    records = load_records(root)
    names = store.names()
    if not names:
        console.line(f"No profiles in {store.path}. Run `botship` to create one.")
    for name in names:
        raw = store.raw(name)
        try:
            spec = store.spec(name)
            valid, mode, schedule = True, spec.mode, spec.schedule or "invoke only"
        except SpecInvalid:
            valid, mode, schedule = False, str(raw.get("mode", "paper")), str(raw.get("schedule", ""))
        record = records.get(name)
        last = describe_record(record)
        console.record("profile", name=name, valid=valid, platform=raw.get("platform"), bot_name=raw.get("bot_name"),
                       mode=mode, schedule=schedule, last_deploy=record.finished_at if record else None,
                       deployed=bool(record and record.deployed), last=last)
        state = "" if valid else click.style("  invalid: run `botship validate --profile " + name + "`", fg="red")
        console.line(f"{click.style(f'{name:<12}', bold=True)} {str(raw.get('platform', '?')):<8} "
                     f"{str(raw.get('bot_name', '?')):<20} {mode.upper():<6} {schedule:<22} {last}{state}")
    return EXIT_OK


@profiles.command("show")
@click.argument("name", shell_complete=_project_profiles)
@sub_options
@click.pass_context
def profiles_show(ctx: click.Context, name: str, project: Path | None, as_json: bool) -> int:
    """Show one profile as validated, with its last deploy."""
    from ..profiles import ProfileStore
    from ..record import describe as describe_record
    from ..record import load_records

    root, console = _inherited(ctx, project, as_json)
    spec = ProfileStore(root).spec(name)
    record = load_records(root).get(name)
    console.record("profile", name=name, spec=spec.model_dump(mode="json"),
                   last_deploy=record.__dict__ if record else None)
    from .console import mode_badge

    console.line(f"{mode_badge(spec.mode)} profile {click.style(name, bold=True)}")
    for key, value in spec.describe()[1:]:
        console.line(f"  {key:<9} {value}")
    console.line(f"  {'size':<9} {spec.memory_mb} MB memory, {spec.timeout_s} s timeout")
    if spec.env:
        console.line(f"  {'env':<9} {', '.join(f'{k}={v}' for k, v in spec.env.items())}")
    console.line(f"  {'last':<9} " + describe_record(record))
    return EXIT_OK


@profiles.command("delete")
@click.argument("name", shell_complete=_project_profiles)
@click.option("--yes", "-y", is_flag=True, help="Delete without asking.")
@sub_options
@click.pass_context
def profiles_delete(ctx: click.Context, name: str, yes: bool, project: Path | None, as_json: bool) -> int:
    """Delete a profile from botship.toml (a deployed bot keeps running; destroy it first if you mean to)."""
    from ..profiles import ProfileStore

    root, console = _inherited(ctx, project, as_json)
    store = ProfileStore(root)
    store.raw(name)
    if not yes:
        if not _interactive(console):
            raise BadInput(f"deleting profile '{name}' needs confirmation", fix="pass --yes")
        import questionary

        if not questionary.confirm(f"Delete profile '{name}' from {PROFILE_FILE}?", default=False).unsafe_ask():
            raise Cancelled("nothing was deleted")
    store.delete(name)
    console.record("deleted", profile=name)
    console.line(f"Deleted profile '{name}'. A bot it deployed is still running.")
    return EXIT_OK


@profiles.command("keys")
@json_option
@click.pass_context
def profiles_keys(ctx: click.Context, as_json: bool) -> int:
    """Every key a profile may set, with its default, allowed values and meaning."""
    from ..spec import field_docs

    console = _use_console(as_json or ctx.obj.get("as_json", False))
    for doc in field_docs():
        console.record("key", key=doc.key, required=doc.required, default=doc.default,
                       choices=list(doc.choices), help=doc.help)
        shown = str(doc.default).lower() if isinstance(doc.default, bool) else repr(doc.default)  # as TOML writes it
        value = "required" if doc.required else f"default {shown}" if doc.default not in (None, {}, []) else "optional"
        choices = f"  [{' | '.join(doc.choices)}]" if doc.choices else ""
        console.line(f"{click.style(f'{doc.key:<22}', bold=True)} {value}{choices}")
        console.line(f"    {doc.help}")
    return EXIT_OK


@profiles.command("schema")
def profiles_schema() -> int:
    """Print a JSON schema of botship.toml, for editors that check TOML files against one."""
    import json

    from ..spec import profiles_schema as schema

    click.echo(json.dumps(schema(), indent=2))
    return EXIT_OK


@cli.command()
@project_option
def sandbox(project: Path) -> int:
    """Open the wizard with the built-in sandbox preselected: no cloud account needed.

    The sandbox is an AWS emulator that botship starts inside itself, on 127.0.0.1. The
    bot is deployed to it by the same AWS code a real deploy uses; Invoke now runs the
    deployed package here, in a subprocess, with its state in the emulator's storage, and
    scheduled runs fire while the app stays open (a local scheduler, not the cloud's).
    Everything in the sandbox vanishes when botship closes; the run screen can export a
    bot's state folder first. In a folder with no bot yet, botship offers to create one
    (as `botship init` does).

    \b
    Example:
      botship init my-bot && cd my-bot && botship sandbox
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise BadInput("the sandbox wizard needs a terminal",
                       fix="run it in a terminal; in scripts use `botship deploy --profile sandbox --yes`")
    from botship.tui.app import run_app

    run_app(_project(project), sandbox=True)
    return 0


@cli.group("state")
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

    return run_versions(_project(project or Path(".")), bot, profile, local, _use_console(as_json))


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

    console = _use_console(as_json)
    return run_restore(_project(project or Path(".")), bot, profile, generation, local, yes, console,
                       _interactive(console))


@cli.command(short_help="Print the shell completion script.")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> int:
    """Print the shell completion script, e.g. `eval "$(botship completion bash)"` in ~/.bashrc."""
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)(cli, {}, "botship", "_BOTSHIP_COMPLETE")
    click.echo(completer.source())
    return EXIT_OK


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
        _console.error(Cancelled("cancelled", "nothing more was changed"))
        return EXIT_CANCELLED
    except click.ClickException as exc:
        exc.show()
        return EXIT_BAD_INPUT if isinstance(exc, click.UsageError) else EXIT_FAILED
    except BotshipError as exc:
        _console.error(exc)
        return exc.exit_code
    except OSError as exc:
        # A file or folder botship could not use (no permission, read-only or full disk, a folder where a
        # file belongs): the path and what to do, never "internal error". Network errors are OSErrors too.
        if exc.filename is None and exc.errno not in DISK_ERRNOS:
            return _internal_error(exc)
        error = file_error(exc)
        _console.error(error)
        return error.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one clear line, exit 1
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    if os.environ.get("BOTSHIP_DEBUG"):
        traceback.print_exc()
    _console.error(BotshipError(f"internal error: {type(exc).__name__}: {exc}",
                                "this is a bug in botship, not in your bot or profile",
                                "re-running is safe; run with BOTSHIP_DEBUG=1 to see the traceback and report it"))
    return EXIT_FAILED
