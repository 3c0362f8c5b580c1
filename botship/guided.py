"""`botship deploy --guided`: the wizard's questions as line prompts, for SSH sessions and screen readers.

The questions and their order mirror the wizard's sections (platform, credentials, bot, mode,
environment, size and schedule, review). Each question's help is its field's `description` in
the spec, and each answer is checked with `check_field` — the same rules the wizard and
`botship validate` use. Secret values stay in memory (or go to the keyring when asked to).
No textual here; questionary is imported only when a question is asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from . import paper, providers
from .answers import (
    DEFAULT_SIGN_IN,
    PACKAGING_TITLES,
    SCHEDULE_PRESETS,
    SIZE_LABELS,
    daily_expr,
    daily_parts,
    spec_data,
    suggest_name,
)
from .console import Console, ConsoleReport, mode_badge
from .cost import spec_cost
from .envfile import ENV_FILE, read_env_file
from .errors import BadInput, BotshipError, Cancelled
from .mode_check import MODE_TITLES, live_switch_lines, paper_note
from .profiles import ProfileStore, check_profile_name
from .secret_values import (
    SecretValue,
    SecretValues,
    keyring_get,
    keyring_remember,
    resolve_secrets,
)
from .spec import (
    DeploySpec,
    FieldDoc,
    build_spec,
    check_field,
    field_docs,
    limits_for,
    looks_secret,
)

_CHECK_MARKS = {True: ("✓", "green"), False: ("✗", "red"), None: ("!", "yellow")}


@dataclass
class Variable:
    """One variable the bot gets; a secret's value never leaves memory (or the keyring, when remembered)."""

    name: str
    value: str
    secret: bool
    remember: bool = False
    source: str = ENV_FILE


def run_guided(project: Path, console: Console, *, yes: bool, profile: str | None = None,
               dry_run: bool = False) -> int:
    """Ask the wizard's questions as line prompts, then plan, confirm, deploy and save a profile; the exit code."""
    return Guided(project, console, profile).run(yes=yes, dry_run=dry_run)


class Guided:
    """The answers so far, and the questions that fill them in."""

    def __init__(self, project: Path, console: Console, profile: str | None = None) -> None:
        self.project = project
        self.console = console
        self.store = ProfileStore(project)
        self.existing = self.store.names()  # a broken botship.toml stops us before the first question
        self.docs: dict[str, FieldDoc] = {doc.key: doc for doc in field_docs()}
        self.profile = profile
        if profile:
            self.answers, self.variables = self._from_profile(profile)
        else:
            values = read_env_file(project / ENV_FILE).values
            self.answers = {"mode": "paper"}
            self.variables = [Variable(name, value, looks_secret(name)) for name, value in values.items()]

    def _from_profile(self, name: str) -> tuple[dict[str, Any], list[Variable]]:
        raw = self.store.raw(name)
        dotenv = read_env_file(self.project / ENV_FILE).values
        variables = [Variable(k, str(v), False, source=f"profile '{name}'") for k, v in (raw.get("env") or {}).items()]
        for secret in raw.get("secrets") or []:
            if dotenv.get(secret):
                variables.append(Variable(secret, dotenv[secret], True))
            elif (value := keyring_get(str(raw.get("bot_name", "")), secret)) is not None:
                variables.append(Variable(secret, value, True, source="keyring"))
            else:
                variables.append(Variable(secret, "", True, source=f"profile '{name}'"))
        answers = {k: v for k, v in raw.items() if k not in ("env", "secrets")}
        answers.setdefault("mode", "paper")
        return answers, variables

    # ---- the whole flow -----------------------------------------------------------------------

    def run(self, *, yes: bool, dry_run: bool = False) -> int:
        from botship import providers

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

        self.heading("Review")
        spec = build_spec(self.spec_data(), self.project, source="the answers")
        secrets = self.secret_values()
        masker = secrets.masker()
        for line in spec_cost(spec, len(paper.sent_secrets(spec, self.project))):
            self.console.line(line)
        name = (self.profile or "guided") if dry_run else self.ask_profile_name(spec)
        provider = providers.provider_class(spec.platform)(spec)
        self.console.line(f"Reading {spec.where} to plan…")
        from botship.providers.base import DeployContext

        plan = provider.plan(DeployContext(self.project, name, secrets, report=ConsoleReport(self.console)))
        self.console.plan(plan)
        if dry_run:
            self.console.line("Dry run: nothing was changed and no profile was saved.")
            return 0

        from .deploy import confirm_and_execute, exit_code_of

        result = confirm_and_execute(self.project, name, spec, plan, self.console, masker,
                                     yes=yes, interactive=True)
        self.store.save(name, spec, masker)
        verb = "Updated" if name in self.existing else "Saved"
        self.console.line(f"{verb} profile '{name}' in {self.store.path.name}.")
        if result.ok:
            self.remember_secrets(spec)
            self.console.line(f"Deploy it again without questions: botship deploy --profile {name}")
        else:
            self.console.line(f"Re-run it (it continues where it stopped): botship deploy --profile {name}")
        return exit_code_of(result)

    # ---- sections -----------------------------------------------------------------------------

    def ask_platform_and_credentials(self) -> None:
        import questionary


        while True:
            self.heading("Platform")
            self.help("platform")

            available = providers.available()
            choices = [questionary.Choice(title, value=key,
                                          disabled=None if key in available else "coming in a later release")
                       for key, title in ((p.name, p.title) for p in providers.platforms())]
            current = self.answers.get("platform")
            default = current if current in available else next((k for k in available), None)
            platform = self.select("Where should the bot run?", choices, default)
            if platform != current:
                self.answers["platform"] = platform
                if platform != "aws":
                    self.answers.pop("aws", None)
                if not providers.provider_class(platform).supports_image:
                    self.answers["packaging"] = "zip"

            self.heading("Credentials")
            if platform == "aws":
                self.ask_aws()
            else:
                self.console.line(f"{providers.title(platform)} needs no account.")
            while True:
                failed = self.check_credentials()
                if not failed:
                    return
                what = self.select("A check failed. What now?", [
                    questionary.Choice("Check again", value="again"),
                    questionary.Choice("Change the platform or the account", value="change"),
                    questionary.Choice("Go on although a check failed (I know what I am doing)", value="go"),
                ], "again")
                if what == "go":
                    return
                if what == "change":
                    break

    def ask_aws(self) -> None:
        import questionary

        from botship import providers

        provider = providers.provider_class("aws")
        aws = dict(self.answers.get("aws") or {})
        options = provider.sign_in_options()
        self.help("aws.profile")
        if options:
            choices = [questionary.Choice(DEFAULT_SIGN_IN, value=""),
                       *(questionary.Choice(o, value=o) for o in options)]
            current = aws.get("profile") if aws.get("profile") in options else ""
            picked = self.select("AWS profile:", choices, current)
        else:
            self.console.line("Using the default AWS credentials (your AWS config names no profiles).")
            picked = ""
        if picked != (aws.get("profile") or ""):
            aws.pop("region", None)  # the new profile's own region is the better default
        aws.pop("profile", None)
        if picked:
            aws["profile"] = picked
        self.help("aws.region")
        from prompt_toolkit.completion import WordCompleter

        default = aws.get("region") or provider.default_location(picked or None) or ""
        region = self.text("Region:", "aws.region", default=default,
                           check=lambda value: self.problem("aws", {**aws, "region": value}, only="aws.region"),
                           completer=WordCompleter(provider.location_suggestions(), sentence=True),
                           complete_while_typing=False)
        aws["region"] = region
        self.answers["aws"] = aws

    def check_credentials(self) -> bool:
        """Run the provider's credential checks and print each; True when one failed."""
        from botship import providers

        data = self.spec_data()
        self.console.line("Checking credentials…")
        try:
            spec = build_spec({**data, "bot_name": data.get("bot_name") or "credentials-check",
                               "entry": "app:handler", "env": {}, "secrets": []}, source="the credentials")
            checks = providers.provider_class(spec.platform)(spec).check_credentials()
        except BotshipError as exc:
            self.console.line(f"{click.style('✗', fg='red')} {exc.what}")
            if exc.why:
                self.console.line(f"    {exc.why[:300]}")
            if exc.fix:
                self.console.line(f"    → {exc.fix}")
            return True
        for check in checks:
            mark, colour = _CHECK_MARKS[check.ok]
            self.console.line(f"{click.style(mark, fg=colour)} {click.style(check.name, bold=True)}: {check.detail}")
            if check.fix and check.ok is not True:
                self.console.line(f"    → {check.fix[:400]}")
        return any(check.ok is False for check in checks)

    def ask_bot(self) -> None:
        import questionary

        from .project import find_entries

        self.heading("Bot")
        self.help("bot_name")
        self.answers["bot_name"] = self.text(
            "Bot name:", "bot_name", default=self.answers.get("bot_name") or suggest_name(self.project.name),
            check=lambda value: self.problem("bot_name", value))

        self.help("entry")
        entries = find_entries(self.project)
        candidates = [c.entry for c in entries]
        current = self.answers.get("entry") or (candidates[0] if candidates else "")
        entry = ""
        if candidates:
            choices = [questionary.Choice(f"{c.entry}  ({c.kind} in {c.file})", value=c.entry) for c in entries]
            choices.append(questionary.Choice("Other… (type it)", value=""))
            entry = self.select("Entry point (found by reading the project's files):", choices,
                                current if current in candidates else "")
        else:
            self.console.line("No entry point was found by reading the project's files; type it.")
        if not entry:
            entry = self.text("Entry point (module:attribute):", "entry",
                              default=current if current not in candidates else "",
                              check=lambda value: self.problem("entry", value, project=self.project))
        self.answers["entry"] = entry

        self.help("python")
        python = str(self.answers.get("python") or self.docs["python"].default)
        self.answers["python"] = self.select("Python:", list(self.docs["python"].choices), python)

        from botship import providers

        if providers.provider_class(str(self.answers.get("platform"))).supports_image:
            self.help("packaging")
            choices = [questionary.Choice(PACKAGING_TITLES.get(v, v), value=v) for v in self.docs["packaging"].choices]
            self.answers["packaging"] = self.select_checked("packaging", "Packaging:", choices,
                                                            self.answers.get("packaging") or "zip")
        else:
            self.answers["packaging"] = "zip"

    def ask_mode(self) -> None:
        import questionary

        self.heading("Mode")
        self.help("mode")
        secrets = [v.name for v in self.variables if v.secret]
        bot_answers = {**self.answers, "secrets": secrets}
        note = paper_note(bot_answers, self.project)
        self.console.line(click.style(f"  paper for this bot: {note}", fg="yellow" if note.warning else None,
                                      bold=note.warning))
        while True:
            choices = [questionary.Choice(MODE_TITLES.get(v, v), value=v) for v in self.docs["mode"].choices]
            mode = self.select("Paper or live?", choices, self.answers.get("mode") or "paper")
            if mode != "live":
                self.answers["mode"] = mode
                return
            bot = self.answers["bot_name"]
            where = providers.title(self.answers.get("platform", ""))
            when = f"on {self.answers['schedule']}" if self.answers.get("schedule") else "when invoked"
            self.console.line(f"{mode_badge('live')} {bot} will trade real money on {where}, {when}, "
                              f"with the secrets {', '.join(secrets) or 'none'}.")
            for line in live_switch_lines(bot_answers, self.project):
                self.console.line(f"  {line}")
            typed = self.text(f"Type the bot's name ({bot}) to confirm LIVE mode:", "mode")
            if typed == bot:
                self.answers["mode"] = "live"
                return
            self.console.line(f"Not confirmed: '{typed}' is not '{bot}'. Choose the mode again.")

    def ask_environment(self) -> None:
        import questionary

        self.heading("Environment")
        self.console.line("Variables the bot gets. Secret values are masked, sent to the cloud's secret store, "
                          "and never written to a file.")
        self.help("env")
        self.help("secrets")
        while True:
            kept: list[Variable] = []
            for var in self.variables:
                while True:
                    if not self.confirm(f"Pass {var.name} (from {var.source}) to the bot?", True):
                        break
                    hint = " (its name looks like one)" if looks_secret(var.name) else ""
                    var.secret = self.confirm(f"Is {var.name} a secret?{hint}", var.secret)
                    problem = self.variable_problem(var)
                    if problem is None:
                        kept.append(var)
                        break
                    self.console.line(f"{click.style('✗', fg='red')} {var.name}: {problem}")
            while True:
                taken = [v.name for v in kept]
                name = self.ask(questionary.text(
                    "Add a variable — its name (Enter when done):",
                    validate=lambda text, taken=taken: True if not text.strip() else
                    f"{text.strip()} is already added" if text.strip() in taken else
                    self.problem("secrets", [text.strip()], answers={}) or True))
                name = (name or "").strip()
                if not name:
                    break
                var = Variable(name, "", looks_secret(name), source="typed")
                while True:
                    var.secret = self.confirm(f"Is {name} a secret?", var.secret)
                    problem = self.variable_problem(var)
                    if problem is None:
                        break
                    self.console.line(f"{click.style('✗', fg='red')} {name}: {problem}")
                if var.secret:
                    var.value = self.ask(questionary.password(f"Value for secret {name}:")) or ""
                    if not var.value:
                        raise Cancelled(f"no value for secret {name}", "nothing was changed",
                                        "run `botship deploy --guided` again and enter it")
                else:
                    var.value = self.ask(questionary.text(f"Value of {name}:")) or ""
                kept.append(var)
            self.variables = kept
            data = self.spec_data()
            problems = [p for name in ("env", "secrets") for p in check_field(name, data[name], data)]
            if not problems:
                break
            for p in problems:
                self.console.line(f"{click.style('✗', fg='red')} {p.field}: {p.message}")
            self.console.line("Answer the variables again.")

        self.find_secret_values()
        if self.variables:
            width = max(len(v.name) for v in self.variables)
            for var in self.variables:
                shown = "•" * 8 + "  (secret)" if var.secret else var.value
                self.console.line(f"  {var.name:<{width}}  {shown}")
        else:
            self.console.line("  (no variables)")
        to_remember = [v for v in self.variables if v.secret and v.source != "keyring"]
        if to_remember and keyring_usable():
            names = ", ".join(v.name for v in to_remember)
            remember = self.confirm(f"Remember the value{'s' if len(to_remember) > 1 else ''} of {names} in this "
                                    "computer's keyring (after a successful deploy)?", False)
            for var in to_remember:
                var.remember = remember

    def find_secret_values(self) -> None:
        """Secrets without a value yet: the environment, .env or the keyring, else a masked prompt."""
        missing = [v for v in self.variables if v.secret and not v.value]
        if not missing:
            return
        asked = self.answers.get("paper") or {}
        if paper.withholds_secrets(self.project, mode=self.answers.get("mode"), entry=self.answers.get("entry"),
                                   send_secrets=asked.get("send_secrets") is True):
            self.console.line(f"No values needed for {', '.join(v.name for v in missing)}: a paper framework app is "
                              "given no secrets (they are asked for when it goes live).")
            return
        import questionary

        def ask(name: str) -> str | None:
            try:
                value = questionary.password(f"Value for secret {name}:").unsafe_ask()
            except EOFError:
                return None
            return value or None  # an empty answer to a required question cancels

        found = resolve_secrets([v.name for v in missing], project=self.project,
                                bot_name=self.answers["bot_name"], interactive=True, ask=ask)
        for var in missing:
            var.value, var.source = found[var.name], found.source(var.name)

    def ask_size(self) -> None:
        self.heading("Size")
        platform = self.answers["platform"]
        azure_plan = (self.answers.get("azure") or {}).get("plan", "flex")
        limits = limits_for(platform, azure_plan)
        self.console.line("Limits on this platform: " + ", ".join(
            f"{name} {lim.low}–{lim.high}" if not lim.choices else f"{name} one of {', '.join(map(str, lim.choices))}"
            for name, lim in limits.items()))
        for name, label in SIZE_LABELS.items():
            if name not in limits:
                self.answers.pop(name, None)
                continue
            self.help(name)
            default = self.answers.get(name) or DeploySpec.model_fields[name].default
            self.answers[name] = int(self.text(f"{label}:", name, default=str(default),
                                               check=lambda value, name=name: self.size_problem(name, value)))

    def size_problem(self, name: str, value: str) -> str | None:
        try:
            number = int(value)
        except ValueError:
            return "enter a whole number"
        return self.problem(name, number)

    def ask_schedule(self) -> None:
        import questionary

        self.heading("Schedule")
        self.help("schedule")
        current = self.answers.get("schedule")
        preset = "none"
        if current:
            preset = next((k for k, _, e in SCHEDULE_PRESETS if e == current), None) or \
                ("daily" if daily_parts(current) else "custom")
        key = self.select("When should the bot run?",
                          [questionary.Choice(label, value=k) for k, label, _ in SCHEDULE_PRESETS], preset)
        expr = {k: e for k, _, e in SCHEDULE_PRESETS}.get(key)
        if key == "daily":
            parts = daily_parts(current or "")
            at = self.text("Daily at (HH:MM):", "schedule",
                           default=f"{parts[0]:02d}:{parts[1]:02d}" if parts else "09:00",
                           check=lambda value: self.problem("schedule", daily_expr(value)) if daily_expr(value)
                           else "write the time as HH:MM, e.g. 09:00")
            expr = daily_expr(at)
        elif key == "custom":
            expr = self.text("Schedule expression:", "schedule", default=current or "",
                             check=lambda value: self.problem("schedule", value))
        if not expr:
            self.answers.pop("schedule", None)
            self.console.line("Runs only when invoked (`botship invoke`, or from the cloud's console).")
            return
        self.answers["schedule"] = expr
        self.help("timezone")
        zone = self.text("Time zone:", "timezone", default=self.answers.get("timezone") or "UTC",
                         check=lambda value: self.problem("timezone", value) or _never_fires(expr, value))
        self.answers["timezone"] = zone
        from zoneinfo import ZoneInfo

        from .schedule import describe_schedule, next_runs, parse_schedule

        schedule = parse_schedule(expr)
        runs = next_runs(schedule, zone, 5, datetime.now(ZoneInfo(zone)))
        self.console.line(f"{click.style(describe_schedule(schedule), bold=True)} ({expr}) — the next runs:")
        for run in runs:
            self.console.line(f"  {run:%a %d %b %Y %H:%M %Z}")

    def ask_profile_name(self, spec: DeploySpec) -> str:
        """The profile the answers are saved under (and the deploy is recorded and tagged with)."""
        import questionary

        suggested = self.profile or ("live" if spec.mode == "live" else "paper")
        self.console.line(f"The answers are saved as a profile in {self.store.path.name}, to deploy again "
                          "without questions.")
        if self.existing:
            self.console.line(click.style(f"  profiles there now: {', '.join(self.existing)}", dim=True))
        while True:
            name = self.text("Profile name:", "", default=suggested, check=_profile_name_problem)
            if name not in self.existing or name == self.profile:
                return name
            if self.ask(questionary.confirm(f"This replaces the existing profile '{name}' in "
                                            f"{self.store.path.name}. Replace it?", default=False)):
                return name

    # ---- after the run ------------------------------------------------------------------------

    def remember_secrets(self, spec: DeploySpec) -> None:
        remembered = [v.name for v in self.variables
                      if v.secret and v.remember and v.value and keyring_remember(spec.bot_name, v.name, v.value)]
        if remembered:
            self.console.line(f"Remembered {', '.join(remembered)} in this computer's keyring.")

    # ---- answers ------------------------------------------------------------------------------

    def spec_data(self) -> dict[str, Any]:
        return spec_data(self.answers, self.variables)

    def secret_values(self) -> SecretValues:
        return SecretValues([SecretValue(v.name, v.value, v.source) for v in self.variables if v.secret and v.value])

    def problem(self, name: str, value: Any, *, only: str | None = None, project: Path | None = None,
                answers: dict[str, Any] | None = None) -> str | None:
        """The first problem `check_field` finds with one answer, given the others; None when it is fine."""
        data = self.spec_data() if answers is None else answers
        problems = check_field(name, value, data, project)
        if only:
            problems = [p for p in problems if p.field == only or p.field.startswith(only + ".")] or \
                [p for p in problems if p.field == name]
        return problems[0].message if problems else None

    def variable_problem(self, var: Variable) -> str | None:
        if var.secret:
            return self.problem("secrets", [var.name], answers={})
        return self.problem("env", {var.name: var.value}, answers={})

    # ---- questions ----------------------------------------------------------------------------

    def heading(self, title: str) -> None:
        self.console.line("")
        self.console.line(click.style(f"── {title} ──", bold=True))

    def help(self, key: str) -> None:
        """The field's description, as a dim line above its question."""
        doc = self.docs.get(key)
        if doc and doc.help:
            self.console.line(click.style(f"  {key}: {doc.help}", dim=True))

    def ask(self, question: Any) -> Any:
        """Ask; Ctrl-C (or Ctrl-D) cancels the whole guided deploy before anything changed."""
        try:
            return question.unsafe_ask()
        except (KeyboardInterrupt, EOFError):
            raise Cancelled("cancelled", "nothing was changed", "run `botship deploy --guided` again") from None

    def text(self, message: str, key: str, *, default: str = "", check: Callable[[str], str | None] | None = None,
             **kwargs: Any) -> str:
        """A required text answer, checked as it is typed; an empty answer cancels."""
        import questionary

        def validate(text: str) -> bool | str:
            text = text.strip()
            if not text or check is None:
                return True
            return check(text) or True

        answer = (self.ask(questionary.text(message, default=default, validate=validate, **kwargs)) or "").strip()
        if not answer:
            raise Cancelled(f"no answer for {key or message.rstrip(':')}", "nothing was changed",
                            "run `botship deploy --guided` again and answer it")
        return answer

    def select(self, message: str, choices: list[Any], default: Any = None) -> Any:
        import questionary

        values = [getattr(c, "value", c) for c in choices]
        return self.ask(questionary.select(message, choices, default=default if default in values else None,
                                           use_shortcuts=len(choices) <= 9))

    def select_checked(self, key: str, message: str, choices: list[Any], default: Any) -> Any:
        """A choice checked with the spec's rules; a rejected one is said and asked again."""
        while True:
            value = self.select(message, choices, default)
            problem = self.problem(key, value)
            if problem is None:
                return value
            self.console.line(f"{click.style('✗', fg='red')} {key}: {problem}")

    def confirm(self, message: str, default: bool) -> bool:
        import questionary

        return bool(self.ask(questionary.confirm(message, default=default)))


def keyring_usable() -> bool:
    """Whether remembering a value could work: some keyring other than the 'fail' one is configured."""
    try:
        import keyring
        from keyring.backends.fail import Keyring as NoKeyring

        return not isinstance(keyring.get_keyring(), NoKeyring)
    except Exception:  # noqa: BLE001 - no keyring at all is the same as an unusable one
        return False


def _profile_name_problem(name: str) -> str | None:
    try:
        check_profile_name(name)
    except BadInput as exc:
        return f"{exc.what}: {exc.why}"
    return None


def _never_fires(expr: str, zone: str) -> str | None:
    """Why the schedule never runs in `zone` (a DST gap, say), or None when it does."""
    from .schedule import check_fires, parse_schedule

    try:
        check_fires(parse_schedule(expr), zone)
    except ValueError as exc:
        return str(exc)
    return None
