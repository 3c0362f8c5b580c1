"""The deploying commands: deploy (also --guided), destroy, unlock, validate, package and doctor."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import BadInput, Problem, SpecInvalid
from .options import (EXIT_BAD_INPUT, EXIT_OK, is_interactive, json_option, profile_option, project_dir,
                      project_option, use_console)


@click.command()
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
@click.option("--deleted-vault", type=click.Choice(["recover", "purge"]), default=None,
              help="Azure: the bot's key vault name is held by a deleted vault another bot or tool left (Azure "
                   "keeps a deleted vault 7–90 days; botship's own, 7): recover it with its secrets, or purge it for "
                   "good and create a new one. Without it the plan stops and says which vault. The bot's own "
                   "deleted vault is recovered without asking.")
@json_option
def deploy(profile: str | None, project: Path, yes: bool, dry_run: bool, confirm_live: bool, no_wait: bool,
           guided: bool, deleted_vault: str | None, as_json: bool) -> int:
    """Deploy a saved profile: show the plan, confirm, then run it step by step.

    Each step reads the cloud before it writes, so re-running after a failure or Ctrl-C
    continues where it stopped, and an unchanged re-run changes nothing. Secret values
    come from the environment, the project's .env, the OS keyring, or a masked prompt.

    With --guided, the wizard's questions are asked one line at a time instead of on a
    full screen (platform, credentials, bot, mode, variables and secrets, size, schedule),
    each checked as you type; then the plan is shown, confirmed and run, and the answers
    are saved as a profile. With --profile too, the answers start from that profile.
    """
    console = use_console(as_json)
    if guided:
        if not is_interactive(console):
            raise BadInput("--guided asks its questions on an interactive terminal, and this is not one",
                           "--json output is for programs" if as_json else "standard input or output is not a terminal",
                           "run `botship deploy --guided` in a terminal, or deploy a saved profile without "
                           "questions: `botship deploy --profile NAME --yes`")
        from .guided import run_guided

        return run_guided(project_dir(project), console, yes=yes, profile=profile, dry_run=dry_run)

    from .deploy_flow import run_deploy

    return run_deploy(project_dir(project), profile, console, yes=yes, dry_run=dry_run,
                      confirm_live=confirm_live, interactive=is_interactive(console), no_wait=no_wait,
                      deleted_vault=deleted_vault)


@click.command()
@profile_option
@project_option
@click.option("--yes", "-y", is_flag=True, help="Destroy without asking (for CI).")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted and change nothing.")
@click.option("--purge-state", is_flag=True,
              help="Also delete where the state lives (the state bucket on AWS, the bot's storage account on Azure) "
                   "with every version of the bot's state.")
@json_option
def destroy(profile: str | None, project: Path, yes: bool, dry_run: bool, purge_state: bool, as_json: bool) -> int:
    """Remove a deployed bot; its state is kept unless --purge-state.

    On AWS: schedule, function, roles and secret. On Azure: function app, plan, logs, role
    assignments and key vault (soft-deleted: a re-deploy within 7 days recovers it). The plan is
    shown first; only what exists is deleted, so a re-run after a failure finishes the job.
    Interactive runs ask you to type the bot's name.
    """
    from .deploy_flow import run_destroy

    console = use_console(as_json)
    return run_destroy(project_dir(project), profile, console, yes=yes, dry_run=dry_run, purge_state=purge_state,
                       interactive=is_interactive(console))


@click.command()
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

    console = use_console(as_json)
    return run_unlock(project_dir(project), profile, console, yes=yes, interactive=is_interactive(console))


@click.command()
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

    console = use_console(as_json)
    root = project_dir(project)
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


@click.command()
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

    console = use_console(as_json)
    folder = project_dir(project)
    target: Path | None = None
    if output is not None:
        from ..profiles import ProfileStore
        from ..providers.artifact.output import prepare_output

        store = ProfileStore(folder)
        target = prepare_output(folder, output, store.spec(store.pick(profile)))
    return run_package(folder, profile, console, target)


@click.command()
@profile_option
@project_option
@click.option("--policy", "print_policy", is_flag=True,
              help="Print the least-privilege permissions a deploying identity needs (an IAM policy on AWS, a "
                   "custom role definition on Azure), and stop.")
@click.option("--fix", "fix", is_flag=True,
              help="Put right, without asking, what botship can fix itself (registering Azure resource providers); "
                   "in a terminal doctor offers each such fix and asks first.")
@json_option
def doctor(profile: str | None, project: Path, print_policy: bool, fix: bool, as_json: bool) -> int:
    """Run every pre-flight check for a profile; change nothing unless you agree to a fix.

    The profile and .env, what paper mode does for this bot (enforced for investing-algorithm-framework
    apps; ! when a plain bot never reads BOTSHIP_MODE), secret values, credentials and each permission
    a deploy needs, quotas, global names and the package size — each ✓ or ✗ with what to do, or !
    when it could not be checked. On Azure also: the resource providers a deploy needs are registered
    (offered to register), the right to create role assignments (Owner or User Access Administrator),
    and a location that offers the plan. Exit 1 when something must be fixed first.
    """
    from .doctor import print_permissions_policy, run_doctor

    if print_policy:
        return print_permissions_policy(project_dir(project), profile)
    console = use_console(as_json)
    return run_doctor(project_dir(project), profile, console, fix=fix, interactive=is_interactive(console))


COMMANDS = (deploy, destroy, unlock, validate, package, doctor)
