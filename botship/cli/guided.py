"""`botship deploy --guided`: the wizard's steps as line prompts, for SSH sessions and screen readers.

It draws the same deploy session as the wizard (botship/session.py) — the same questions, checks,
platform rules, secret lookup and credentials check — one line at a time, in the wizard's order
(platform, credentials, bot, mode, environment, size and schedule, review). Secret values stay in
memory (or go to the keyring when asked to). No textual here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import click

from .. import paper, providers
from ..answers import SCHEDULE_PRESETS, SIZE_LABELS, daily_expr, daily_parts, preset_of
from ..checks import CheckReport
from ..cost import spec_cost
from ..deploy_questions import limits, limits_line
from ..errors import BadInput, Cancelled
from ..profiles import ProfileStore, check_profile_name
from ..secret_values import keyring_usable
from ..session import DeploySession, Variable
from ..spec import DeploySpec, looks_secret
from .console import Console, ConsoleReport, mode_badge
from .prompts import Prompter


def run_guided(project: Path, console: Console, *, yes: bool, profile: str | None = None,
               dry_run: bool = False) -> int:
    """Ask the wizard's questions as line prompts, then plan, confirm, deploy and save a profile; the exit code."""
    return Guided(project, console, profile).run(yes=yes, dry_run=dry_run)


class Guided:
    """The session, asked for on a terminal."""

    def __init__(self, project: Path, console: Console, profile: str | None = None) -> None:
        self.project = project
        self.console = console
        self.store = ProfileStore(project)
        self.existing = self.store.names()  # a broken botship.toml stops us before the first question
        self.profile = profile
        self.session = (DeploySession.from_profile(project, profile, self.store.raw(profile)) if profile
                        else DeploySession.new(project))
        self.prompt = Prompter(console)

    @property
    def answers(self) -> dict:
        return self.session.answers

    # ---- the whole flow -----------------------------------------------------------------------

    def run(self, *, yes: bool, dry_run: bool = False) -> int:
        self.console.line(click.style("botship deploy --guided", bold=True) +
                          " — the wizard's questions, one line at a time. Ctrl-C stops; nothing changes "
                          "before you confirm the plan.")
        if self.profile:
            self.console.line(f"Answers start from profile '{self.profile}'.")
        self.ask_platform_and_credentials()
        self.ask_bot()
        self.ask_mode()
        self.ask_environment()
        self.ask_size()
        self.ask_schedule()

        self.prompt.heading("Review")
        spec = self.session.spec()
        secrets = self.session.secret_values()
        for line in spec_cost(spec, len(paper.sent_secrets(spec, self.project))):
            self.console.line(line)
        name = (self.profile or "guided") if dry_run else self.ask_profile_name(spec)
        provider = providers.provider_class(spec.platform)(spec)
        self.console.line(f"Reading {spec.where} to plan…")
        from botship.providers.base import ConsentNeeded

        while True:
            try:
                plan = provider.plan(self.session.deploy_context(name, ConsoleReport(self.console)))
                break
            except ConsentNeeded as exc:  # the plan asks the user to choose (a deleted vault: recover or purge)
                self.prompt.checks(CheckReport([], exc).lines())
                self.session.consents[exc.key] = self.prompt.select(
                    "What should botship do?", [_choice(title, value) for value, title in exc.options],
                    exc.options[0][0])
        self.console.plan(plan)
        if dry_run:
            self.console.line("Dry run: nothing was changed and no profile was saved.")
            return 0

        from .deploy_flow import confirm_and_execute, exit_code_of

        result = confirm_and_execute(self.project, name, spec, plan, self.console, yes=yes, interactive=True)
        self.store.save(name, spec, secrets.masker())
        verb = "Updated" if name in self.existing else "Saved"
        self.console.line(f"{verb} profile '{name}' in {self.store.path.name}.")
        if result.ok:
            if remembered := self.session.remember_secrets(spec.bot_name):
                self.console.line(f"Remembered {', '.join(remembered)} in this computer's keyring.")
            self.console.line(f"Deploy it again without questions: botship deploy --profile {name}")
        else:
            self.console.line(f"Re-run it (it continues where it stopped): botship deploy --profile {name}")
        return exit_code_of(result)

    # ---- steps ----------------------------------------------------------------------------------

    def ask_platform_and_credentials(self) -> None:
        session = self.session
        while True:
            self.prompt.heading("Platform")
            session.set_platform(self.prompt.question(session.question("platform"), self.answers))
            self.prompt.heading("Credentials")
            self.ask_cloud_settings()
            while True:
                self.console.line("Checking credentials…")
                report = session.check_credentials()
                session.checked(report)
                self.prompt.checks(report.lines())
                if not report.failed:
                    return
                remedies = report.remedies
                what = self.prompt.select("A check failed. What now?", [
                    *[_choice(title, f"remedy:{remedy}") for remedy, title in remedies],
                    _choice("Check again", "again"), _choice("Change the platform or the account", "change"),
                    _choice("Go on although a check failed (I know what I am doing)", "go")],
                    f"remedy:{remedies[0][0]}" if remedies else "again")
                if what.startswith("remedy:"):
                    self.console.line(session.apply_remedy(what.removeprefix("remedy:")))
                if what == "go":
                    return
                if what == "change":
                    break

    def ask_cloud_settings(self) -> None:
        """Each setting the chosen cloud declares; one whose default follows another is asked after it."""
        session = self.session
        settings = session.cloud_settings()
        if not settings:
            self.console.line(f"{providers.title(session.platform or '')} needs no account.")
        self.offer_sign_in()
        for question in settings:
            if question.kind == "choice" and not question.options(self.answers):
                if question.blank is not None:
                    self.console.line(f"{question.label}: {question.blank} (none to choose from on this machine).")
                    session.set(question.key, None)
                    continue
                # Nothing listed (not signed in yet, or nothing visible): typed instead, checked as typed.
                question = replace(question, kind="text")
            before = session.answer(question.key)
            value = self.prompt.question(question, self.answers)
            session.set(question.key, value or None)
            if (value or None) != before:
                for other in settings:  # its own default is the better one now (an AWS profile's region)
                    if question.key in other.depends_on:
                        session.set(other.key, None)

    def offer_sign_in(self) -> None:
        """Where botship can sign in to the cloud itself: now, or with the sign-in this machine already has."""
        methods = self.session.sign_in_methods()
        if not methods:
            return
        title = providers.title(self.session.platform or "")
        how = self.prompt.select(f"Sign in to {title}?", [
            _choice("Use the sign-in this machine has (environment variables, an earlier sign-in, the CLI)", ""),
            *[_choice(f"Sign in now ({method})", method) for method in methods]], "")
        if how:
            self.console.line(f"Signing in ({how})…")
            self.console.line(f"Signed in as {self.session.sign_in(how, self.console.line)}.")

    def ask_bot(self) -> None:
        from ..project import find_entries

        session = self.session
        self.prompt.heading("Bot")
        self.answers["bot_name"] = self.prompt.question(session.question("bot_name"), self.answers)

        question = session.question("entry")
        entries = find_entries(self.project)
        candidates = [c.entry for c in entries]
        current = self.answers.get("entry") or (candidates[0] if candidates else "")
        entry = ""
        self.prompt.help(question.key, question.help)
        if candidates:
            choices = [_choice(f"{c.entry}  ({c.kind} in {c.file})", c.entry) for c in entries]
            choices.append(_choice("Other… (type it)", ""))
            entry = self.prompt.select("Entry point (found by reading the project's files):", choices,
                                       current if current in candidates else "")
        else:
            self.console.line("No entry point was found by reading the project's files; type it.")
        if not entry:
            entry = self.prompt.text("Entry point (module:attribute):", "entry",
                                     default=current if current not in candidates else "",
                                     check=lambda value: question.problem(value, self.session.spec_data()))
        self.answers["entry"] = entry

        self.answers["python"] = self.prompt.question(session.question("python"), self.answers)
        if session.can("image"):
            while True:
                packaging = self.prompt.question(session.question("packaging"), self.answers)
                problem = session.problem("packaging", packaging)
                if problem is None:
                    break
                self.prompt.problem("packaging", problem)
            self.answers["packaging"] = packaging
        else:
            self.answers["packaging"] = "zip"

    def ask_mode(self) -> None:
        session = self.session
        self.prompt.heading("Mode")
        question = session.question("mode")
        note = session.paper_note()
        self.prompt.help(question.key, question.help)
        self.console.line(click.style(f"  paper for this bot: {note}", fg="yellow" if note.warning else None,
                                      bold=note.warning))
        while True:
            choices = [_choice(c.title, c.value) for c in question.options(self.answers)]
            mode = self.prompt.select(question.label, choices, self.answers.get("mode") or "paper")
            if mode != "live":
                self.answers["mode"] = mode
                return
            bot = self.answers["bot_name"]
            headline, switch = session.live_summary()
            self.console.line(f"{mode_badge('live')} {headline}")
            for line in switch:
                self.console.line(f"  {line}")
            typed = self.prompt.text(f"Type the bot's name ({bot}) to confirm LIVE mode:", "mode")
            if typed == bot:
                self.answers["mode"] = "live"
                return
            self.console.line(f"Not confirmed: '{typed}' is not '{bot}'. Choose the mode again.")

    def ask_environment(self) -> None:
        from ..deploy_questions import doc

        session, prompt = self.session, self.prompt
        prompt.heading("Environment")
        self.console.line("Variables the bot gets. Secret values are masked, sent to the cloud's secret store, "
                          "and never written to a file.")
        prompt.help("env", doc("env").help)
        prompt.help("secrets", doc("secrets").help)
        while True:
            kept: list[Variable] = []
            for var in session.variables:
                while True:
                    if not prompt.confirm(f"Pass {var.name} (from {var.source}) to the bot?", True):
                        break
                    hint = " (its name looks like one)" if looks_secret(var.name) else ""
                    var.secret = prompt.confirm(f"Is {var.name} a secret?{hint}", var.secret)
                    problem = session.variable_problem(var)
                    if problem is None:
                        kept.append(var)
                        break
                    prompt.problem(var.name, problem)
            while (var := self.ask_new_variable([v.name for v in kept])) is not None:
                kept.append(var)
            session.variables = kept
            problems = session.variable_problems()
            if not problems:
                break
            for problem in problems:
                field, _, message = problem.partition(": ")
                prompt.problem(field, message)
            self.console.line("Answer the variables again.")

        self.find_secret_values()
        if session.variables:
            width = max(len(v.name) for v in session.variables)
            for var in session.variables:
                shown = "•" * 8 + "  (secret)" if var.secret else var.value
                self.console.line(f"  {var.name:<{width}}  {shown}")
        else:
            self.console.line("  (no variables)")
        to_remember = [v for v in session.variables if v.secret and v.source != "keyring"]
        if to_remember and keyring_usable():
            names = ", ".join(v.name for v in to_remember)
            remember = prompt.confirm(f"Remember the value{'s' if len(to_remember) > 1 else ''} of {names} in this "
                                      "computer's keyring (after a successful deploy)?", False)
            for var in to_remember:
                var.remember = remember

    def ask_new_variable(self, taken: list[str]) -> Variable | None:
        """One more variable, or None when the user is done."""
        import questionary

        from ..session import variable_problem

        prompt = self.prompt
        name = prompt.ask(questionary.text(
            "Add a variable — its name (Enter when done):",
            validate=lambda text: True if not text.strip() else
            f"{text.strip()} is already added" if text.strip() in taken else
            variable_problem(text.strip(), "", True) or True))
        name = (name or "").strip()
        if not name:
            return None
        var = Variable(name, "", looks_secret(name), source="typed")
        while True:
            var.secret = prompt.confirm(f"Is {name} a secret?", var.secret)
            problem = self.session.variable_problem(var)
            if problem is None:
                break
            prompt.problem(name, problem)
        if var.secret:
            var.value = prompt.secret(f"Value for secret {name}:")
            if not var.value:
                raise Cancelled(f"no value for secret {name}", "nothing was changed",
                                "run `botship deploy --guided` again and enter it")
        else:
            var.value = prompt.ask(questionary.text(f"Value of {name}:")) or ""
        return var

    def find_secret_values(self) -> None:
        """Secrets without a value yet: the environment, .env or the keyring, else a masked prompt."""
        session = self.session
        if session.withholds_secrets():
            if names := [v.name for v in session.variables if v.secret and not v.value]:
                self.console.line(f"No values needed for {', '.join(names)}: a paper framework app is given no "
                                  "secrets (they are asked for when it goes live).")
            return
        for name in session.find_secret_values():
            value = self.prompt.secret(f"Value for secret {name}:")
            if not value:
                raise Cancelled(f"no value for secret {name}", "nothing was changed",
                                "run `botship deploy --guided` again and enter it")
            var = next(v for v in session.variables if v.name == name)
            var.value, var.source = value, "prompt"

    def ask_size(self) -> None:
        self.prompt.heading("Size")
        self.console.line(limits_line(self.answers).replace("limits on", "Limits on", 1))
        allowed = limits(self.answers)
        for name in SIZE_LABELS:
            if name not in allowed:
                self.answers.pop(name, None)
                continue
            self.answers[name] = self.prompt.question(self.session.question(name), self.answers)

    def ask_schedule(self) -> None:
        session, prompt = self.session, self.prompt
        prompt.heading("Schedule")
        prompt.help("schedule", session.question("schedule").help)
        current = self.answers.get("schedule")
        key = prompt.question(session.question("schedule_preset"), self.answers, default=preset_of(current))
        expr = {k: e for k, _, e in SCHEDULE_PRESETS}.get(key)
        if key == "daily":
            parts = daily_parts(current or "")
            at = prompt.question(session.question("daily_at"), self.answers,
                                 default=f"{parts[0]:02d}:{parts[1]:02d}" if parts else None)
            expr = daily_expr(at)
        elif key == "custom":
            question = session.question("schedule")
            expr = prompt.text("Schedule expression:", "schedule", default=current or "",
                               check=lambda value: question.problem(value, self.session.spec_data()))
        if not expr:
            self.answers.pop("schedule", None)
            self.console.line("Runs only when invoked (`botship invoke`, or from the cloud's console).")
            return
        self.answers["schedule"] = expr
        self.answers["timezone"] = prompt.question(session.question("timezone"), self.answers)
        from zoneinfo import ZoneInfo

        from ..schedule import describe_schedule, next_runs, parse_schedule

        zone = self.answers["timezone"]
        schedule = parse_schedule(expr)
        runs = next_runs(schedule, zone, 5, datetime.now(ZoneInfo(zone)))
        self.console.line(f"{click.style(describe_schedule(schedule), bold=True)} ({expr}) — the next runs:")
        for run in runs:
            self.console.line(f"  {run:%a %d %b %Y %H:%M %Z}")

    def ask_profile_name(self, spec: DeploySpec) -> str:
        """The profile the answers are saved under (and the deploy is recorded and tagged with)."""
        import questionary

        suggested = self.session.suggested_profile_name()
        self.console.line(f"The answers are saved as a profile in {self.store.path.name}, to deploy again "
                          "without questions.")
        if self.existing:
            self.console.line(click.style(f"  profiles there now: {', '.join(self.existing)}", dim=True))
        while True:
            name = self.prompt.text("Profile name:", "", default=suggested, check=_profile_name_problem)
            if name not in self.existing or name == self.profile:
                return name
            if self.prompt.ask(questionary.confirm(f"This replaces the existing profile '{name}' in "
                                                   f"{self.store.path.name}. Replace it?", default=False)):
                return name


def _choice(title: str, value: str):
    import questionary

    return questionary.Choice(title, value=value)


def _profile_name_problem(name: str) -> str | None:
    try:
        check_profile_name(name)
    except BadInput as exc:
        return f"{exc.what}: {exc.why}"
    return None
