"""Deploy, destroy and unlock on a terminal: plan, confirm, run with Ctrl-C handled, record; and the exit codes."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from .. import paper
from ..checks import CheckReport
from ..errors import BadInput, Cancelled
from ..profiles import ProfileStore
from ..record import open_journal, record_deploy, record_destroy
from ..secret_values import resolve_secrets
from ..spec import DeploySpec
from .console import Console, ConsoleReport
from .prompts import ask_masked, require_live_confirmation

EXIT_CODES = {"ok": 0, "failed": 1, "cancelled": 130}


def exit_code_of(result) -> int:
    """What a finished run means for the command: 0, 130, or its failure's code (2 when input was refused)."""
    if result.status == "failed" and result.failure is not None:
        return result.failure.exit_code
    return EXIT_CODES[result.status]


def plan_with_consent(provider, context, console: Console, interactive: bool):
    """The provider's plan; where it asks the user to choose (a deleted vault: recover or purge), a terminal
    asks, and a run without one stops with the flag to give."""
    from dataclasses import replace

    from botship.providers.base import ConsentNeeded

    while True:
        try:
            return provider.plan(context)
        except ConsentNeeded as exc:
            if not interactive:
                raise
            console.checks(CheckReport([], exc).lines())
            choice = click.prompt("What should botship do?", type=click.Choice([v for v, _ in exc.options]),
                                  show_choices=True)
            context = replace(context, **{exc.key: choice})


def run_deploy(project: Path, profile: str | None, console: Console, *, yes: bool, dry_run: bool,
               confirm_live: bool, interactive: bool, no_wait: bool = False, deleted_vault: str | None = None) -> int:
    from botship.providers import provider_class
    from botship.providers.base import DeployContext

    store = ProfileStore(project)
    name = store.pick(profile)
    spec = store.spec(name)
    if not dry_run:
        require_live_confirmation(spec, name, confirmed=confirm_live, interactive=interactive, project=project)
    provider = provider_class(spec.platform)(spec)
    secrets = resolve_secrets(paper.sent_secrets(spec, project), project=project, bot_name=spec.bot_name,
                              interactive=interactive, ask=ask_masked)
    console.line(f"Reading {spec.where} to plan…")
    plan = plan_with_consent(provider, DeployContext(project, name, secrets, report=ConsoleReport(console),
                                                     vault_consent=deleted_vault), console, interactive)
    if no_wait and plan.lock is not None:
        plan.lock.no_wait = True  # another deploy holding the lock fails this one at once, naming it
    console.plan(plan)
    if dry_run:
        console.line("Dry run: nothing was changed.")
        return 0
    result = confirm_and_execute(project, name, spec, plan, console, yes=yes, interactive=interactive)
    return exit_code_of(result)


def confirm_and_execute(project: Path, name: str, spec: DeploySpec, plan, console: Console, *,
                        yes: bool, interactive: bool):
    """Confirm the plan (unless `yes` or nothing changes), run it, and record it when it succeeded; the result."""
    if plan.is_noop:
        console.line("Everything is up to date.")
    elif not yes:
        if not interactive:
            raise BadInput("the plan needs confirmation before it changes anything",
                           fix="pass --yes to deploy without asking (as in CI), or --dry-run to only look")
        import questionary

        if not questionary.confirm("Deploy this plan?", default=True).unsafe_ask():
            raise Cancelled("deploy not confirmed", "nothing was changed")
    result, journal = execute(project, name, plan, console)
    if result.ok:
        record_deploy(project, name, spec, result, journal)
        from botship.providers import provider_class

        for note in provider_class(spec.platform).closing_notes():
            console.record("note", message=note)
            console.line(note)
    return result


def _destroy_summary(console: Console, spec: DeploySpec, plan, *, removed: bool) -> None:
    """What a destroy leaves, true whatever was there: gone, kept (and how to delete it), or nothing at all."""
    kept = plan.kept
    if removed:
        console.line(f"{spec.bot_name} is no longer deployed on {spec.where}: "
                     f"{', '.join(step.title.lower() for step in plan.changes)} removed.")
    else:
        console.line(f"{spec.bot_name} is not deployed on {spec.where}: no function, schedule, roles or secret "
                     "of it are there.")
    if kept:
        console.line("Kept: " + "; ".join(kept) + ".")
    elif not removed:
        console.line("Nothing of it is left there.")
    console.record("destroy_summary", removed=[s.resource for s in plan.changes] if removed else [], kept=kept)


def execute(project: Path, name: str, plan, console: Console):
    """Run a plan with the console and a journal watching; Ctrl-C cancels cleanly. Returns (result, journal)."""
    from botship.providers.engine import fan_out, start_run

    journal = open_journal(project, name, plan)
    result = wait_for_run(lambda: start_run(plan, fan_out(console.event, journal)), console)
    return result, str(journal.path.relative_to(project))


def run_destroy(project: Path, profile: str | None, console: Console, *, yes: bool, dry_run: bool,
                purge_state: bool, interactive: bool) -> int:
    from botship.providers import provider_class

    store = ProfileStore(project)
    name = store.pick(profile)
    spec = store.spec(name)
    console.line(f"Reading {spec.where} to plan…")
    plan = provider_class(spec.platform)(spec).plan_destroy(purge_state=purge_state)
    console.plan(plan)
    if plan.is_noop:
        _destroy_summary(console, spec, plan, removed=False)
        if not dry_run:
            from ..record import ABSENT, load_records

            if (record := load_records(project).get(name)) is not None and record.deployed:
                record_destroy(project, name, spec, ABSENT, plan.kept)
        return 0
    if dry_run:
        console.line("Dry run: nothing was changed.")
        return 0
    if not yes:
        if not interactive:
            raise BadInput("destroying a bot needs confirmation", fix="pass --yes, or --dry-run to only look")
        import questionary

        typed = questionary.text(f"Type the bot's name ({spec.bot_name}) to destroy it:").unsafe_ask()
        if (typed or "").strip() != spec.bot_name:
            raise Cancelled("destroy not confirmed", "nothing was changed")
    result, _ = execute(project, name, plan, console)
    if result.ok:
        from ..record import DESTROYED

        record_destroy(project, name, spec, DESTROYED, plan.kept)
        _destroy_summary(console, spec, plan, removed=True)
    return exit_code_of(result)


def run_unlock(project: Path, profile: str | None, console: Console, *, yes: bool, interactive: bool) -> int:
    """Show who holds a bot's deploy lock and remove it once confirmed: for a deploy that died holding it."""
    from botship.providers import provider_class

    store = ProfileStore(project)
    name = store.pick(profile)
    spec = store.spec(name)
    lock = provider_class(spec.platform)(spec).deploy_lock(name)
    if lock is None:
        console.line(f"{spec.where} deploys take no lock: nothing to unlock.")
        return 0
    holder = lock.holder()
    if holder is None:
        console.line(f"No deploy of {spec.bot_name} holds the lock.")
        return 0
    state = "expired — the next deploy takes it over anyway" if lock.expired(holder) else "still within its expiry"
    console.line(f"The deploy lock of {spec.bot_name} ({lock.describe}) is held by {lock.explain(holder)} ({state}).")
    if not yes:
        if not interactive:
            raise BadInput("removing a deploy lock needs confirmation", fix="pass --yes (as in CI)")
        import questionary

        if not questionary.confirm("Remove it? Only do so if that deploy is no longer running.",
                                   default=False).unsafe_ask():
            raise Cancelled("unlock not confirmed", "the lock was left as it was")
    if lock.break_lock(holder):
        console.line("Lock removed.")
        return 0
    console.line("The lock changed since it was shown (its deploy refreshed it, ended, or another took it): "
                 "left as it is; run `botship unlock` again to see it.")
    return 1


def wait_for_run(start, console: Console):
    """Start a run (`start()` returns its handle) and wait for it; then say what its journal (or display) missed.

    From the moment it starts, the first Ctrl-C cancels cleanly between calls and a second
    one stops waiting: SIGINT is handled here rather than as KeyboardInterrupt, so no
    Ctrl-C can land between starting the run and watching it.
    """
    requested = threading.Event()
    hits = 0

    def on_interrupt(signum, frame) -> None:
        nonlocal hits
        hits += 1
        if hits > 1:
            raise KeyboardInterrupt
        requested.set()

    watching = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_interrupt) if watching else None
    try:
        handle = start()
        announced = False
        while True:
            if requested.is_set() and not announced:
                announced = True
                handle.cancel()
                console.line("Cancelling: stopping after the current cloud call (Ctrl-C again to stop waiting)…")
            result = handle.wait(0.2)
            if result is not None:
                console.sink_errors(result.sink_errors)
                return result
    finally:
        if watching:
            signal.signal(signal.SIGINT, previous)