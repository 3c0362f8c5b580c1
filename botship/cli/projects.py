"""The project's commands: init, profiles (list, show, delete, keys, schema), the sandbox wizard and completion."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import BadInput, Cancelled, SpecInvalid
from ..locations import PROFILE_FILE
from .options import (EXIT_OK, complete_profile, inherited, is_interactive, json_option, project_dir,
                      project_option, sub_options, use_console)


@click.command("init", short_help="Create a bot project from a template (plain Python or investing-algorithm-framework).")
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

    console = use_console(as_json)
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


@click.group(invoke_without_command=True)
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

    console = use_console(as_json)
    root = project_dir(project)
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
@click.argument("name", shell_complete=complete_profile)
@sub_options
@click.pass_context
def profiles_show(ctx: click.Context, name: str, project: Path | None, as_json: bool) -> int:
    """Show one profile as validated, with its last deploy."""
    from ..profiles import ProfileStore
    from ..record import describe as describe_record
    from ..record import load_records

    root, console = inherited(ctx, project, as_json)
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
@click.argument("name", shell_complete=complete_profile)
@click.option("--yes", "-y", is_flag=True, help="Delete without asking.")
@sub_options
@click.pass_context
def profiles_delete(ctx: click.Context, name: str, yes: bool, project: Path | None, as_json: bool) -> int:
    """Delete a profile from botship.toml (a deployed bot keeps running; destroy it first if you mean to)."""
    from ..profiles import ProfileStore

    root, console = inherited(ctx, project, as_json)
    store = ProfileStore(root)
    store.raw(name)
    if not yes:
        if not is_interactive(console):
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

    console = use_console(as_json or ctx.obj.get("as_json", False))
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


@click.command()
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

    run_app(project_dir(project), sandbox=True)
    return 0


@click.command(short_help="Print the shell completion script.")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> int:
    """Print the shell completion script, e.g. `eval "$(botship completion bash)"` in ~/.bashrc."""
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)(ctx.find_root().command, {}, "botship", "_BOTSHIP_COMPLETE")
    click.echo(completer.source())
    return EXIT_OK


COMMANDS = (init_project, profiles, sandbox, completion)
