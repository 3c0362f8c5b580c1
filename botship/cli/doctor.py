"""`botship doctor`: every pre-flight check for a profile, each ✓ / ✗ / ! with what to do — nothing is changed."""

from __future__ import annotations

from pathlib import Path

import click

from .. import paper
from ..checks import check_lines
from ..envfile import ENV_FILE, read_env_file
from ..errors import BadInput, BotshipError, SpecInvalid
from ..profiles import ProfileStore
from ..secret_values import SecretValues, resolve_secrets
from .console import Console, ConsoleReport

def run_doctor(project: Path, profile: str | None, console: Console, *, fix: bool = False,
               interactive: bool = False) -> int:
    from botship.providers import provider_class
    from botship.providers.base import Check, DeployContext

    store = ProfileStore(project)
    name = store.pick(profile)
    checks: list[Check] = []
    try:
        spec = store.spec(name)
        checks.append(Check("profile", True, f"'{name}' is valid ({spec.mode.upper()}, {spec.where})"))
    except SpecInvalid as exc:
        checks.append(Check("profile", False, "; ".join(map(str, exc.problems)), "fix them: `botship validate`"))
        return _show(console, checks)
    checks.append(check_mode(spec, project))
    env_problems = read_env_file(project / ENV_FILE).problems
    if env_problems:
        checks.append(Check(ENV_FILE, False, "; ".join(map(str, env_problems)), f"fix those lines of {ENV_FILE}"))
    secrets = SecretValues()
    try:
        sent = paper.sent_secrets(spec, project)
        secrets = resolve_secrets(sent, project=project, bot_name=spec.bot_name, interactive=False)
        if sent:
            found = ", ".join(f"{n} ({secrets.source(n)})" for n in secrets)
            checks.append(Check("secret values", True, found))
        elif spec.secrets:
            checks.append(Check("secret values", True, "not needed in paper mode: a framework app is given no "
                                                        "secrets unless [paper] send_secrets = true"))
    except BadInput as exc:
        checks.append(Check("secret values", False, exc.what, exc.fix))
    try:
        provider = provider_class(spec.platform)(spec)
        context = DeployContext(project, name, secrets, report=ConsoleReport(console))
        found = provider.preflight(context)
        remedies = _agreed_remedies(console, found, fix=fix, interactive=interactive)
        if remedies:
            for remedy in remedies:
                console.line(provider.apply_remedy(remedy))
            console.line("Checking again…")
            found = provider.preflight(context)
        checks += found
    except BotshipError as exc:
        checks.append(Check(spec.platform_title, False, exc.what, exc.fix))
    return _show(console, checks)


def _agreed_remedies(console: Console, checks, *, fix: bool, interactive: bool) -> list[str]:
    """The fixes the provider offers for failed checks that the user agrees to (all of them with --fix)."""
    from ..checks import CheckReport

    offered = CheckReport(list(checks)).remedies
    if not offered or not (fix or interactive):
        return []
    if fix:
        return [remedy for remedy, _ in offered]
    console.checks(check_lines([c for c in checks if getattr(c, "remedy", "") and c.ok is not True]))
    return [remedy for remedy, title in offered if click.confirm(f"{title}?", default=True)]


def check_mode(spec, project: Path):
    """Paper: enforced (framework app), announced and read (plain bot), or announced and ignored (a warning).
    Live: what the run does, and that its state is not the paper state."""
    from botship.providers.base import Check

    from ..mode_check import live_switch_lines, paper_note

    if spec.mode == "live":
        return Check("live mode", True, "; ".join(live_switch_lines(spec, project)))
    note = paper_note(spec, project)
    return Check("paper mode", None if note.warning else True, note.text, note.fix)


def _show(console: Console, checks) -> int:
    for check in checks:
        console.record("check", name=check.name, ok=check.ok, detail=check.detail, fix=check.fix)
    console.checks(check_lines(checks, limit=100_000))
    failed = sum(1 for c in checks if c.ok is False)
    console.line(f"\n{failed} problem(s) to fix." if failed else "\nReady to deploy.")
    return 1 if failed else 0


def print_permissions_policy(project: Path, profile: str | None) -> int:
    """The deploy policy as JSON on stdout, ready to attach to the deploying user or role."""
    import json

    from botship.providers import platform, provider_class
    from botship.providers.base import PERMISSIONS_POLICY

    store = ProfileStore(project)
    spec = store.spec(store.pick(profile))
    provider = provider_class(spec.platform)(spec)
    policy = provider.permissions_policy() if provider.cloud_class.can(PERMISSIONS_POLICY) else None
    if policy is None:
        # A platform that runs on this machine has no account to grant anything in.
        local = bool(getattr(platform(spec.platform), "local", False))
        raise BadInput(f"{spec.platform_title} has no permissions policy document",
                       f"{spec.platform_title} needs no account and no permissions" if local
                       else "its access is granted with roles, not a policy document",
                       "nothing to attach" if local
                       else "see the README's section on that platform for the roles it needs")
    click.echo(json.dumps(policy, indent=2))
    return 0
