"""The new-deployment wizard's sections before the review: platform, credentials, bot, mode, environment, size.

Each section reads and writes the shared WizardState, checks its answers with the spec's own
rules, and says whether the user may go on (`ready`). Sections stay mounted while hidden, so
going back finds everything as it was left.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from rich.text import Text
from textual.widgets import Button, Checkbox, DataTable, Input, OptionList, RadioButton, RadioSet, Select, Static
from textual.widgets.option_list import Option

from botship import providers
from botship.answers import (
    DEFAULT_SIGN_IN,
    MODE_TITLES,
    PACKAGING_TITLES,
    SCHEDULE_PRESETS,
    SIZE_LABELS,
    daily_expr,
    daily_parts,
    preset_of,
    suggest_name,
)
from botship.errors import BotshipError
from botship.project import scan_project
from botship.schedule import describe_schedule, next_runs, parse_schedule
from botship.spec import PLATFORMS, DeploySpec, FieldDoc, build_spec, field_docs, limits_for

from .dialogs import EnvVarDialog
from .state import WizardState
from .widgets import Field, SpecCheck

PLATFORM_NEEDS = {
    "aws": "an AWS account, and credentials on this machine (aws configure, or aws sso login)",
    "azure": "an Azure subscription, and az login on this machine",
    "sandbox": "nothing: an AWS emulator runs inside botship, on this machine",
}

class Section(VerticalScroll):
    """One step of the wizard."""

    key: ClassVar[str]
    title: ClassVar[str]

    class Changed(Message):
        """Something the section's readiness depends on changed."""

    def __init__(self, state: WizardState) -> None:
        super().__init__(id=f"section-{self.key}", classes="section")
        self.state = state

    @property
    def answers(self) -> dict[str, Any]:
        return self.state.answers

    def ready(self) -> bool:
        return all(field.valid for field in self.query(Field) if self._displayed(field))

    def _displayed(self, widget) -> bool:
        """Shown within this section: neither it nor a container up to the section is hidden."""
        while widget is not None and widget is not self:
            if not widget.display:
                return False
            widget = widget.parent
        return True

    def shown(self) -> None:
        """Called each time the section comes into view."""

    def changed(self) -> None:
        self.post_message(self.Changed())


class PlatformSection(Section):
    key, title = "platform", "Platform"

    def compose(self) -> ComposeResult:
        yield Static("Where should the bot run?", classes="section-title")
        options = []
        for name, title in PLATFORMS.items():
            available = name in providers.available()
            prompt = Text.assemble((title, "bold"), ("" if available else "  — coming in a later release", "italic"),
                                   "\n", (f"needs {PLATFORM_NEEDS[name]}", "dim"))
            options.append(Option(prompt, id=name, disabled=not available))
        yield OptionList(*options, id="platform")

    def on_mount(self) -> None:
        chosen = self.answers.get("platform")
        platforms = self.query_one("#platform", OptionList)
        if chosen in providers.available():
            platforms.highlighted = platforms.get_option_index(chosen)

    def ready(self) -> bool:
        return self.answers.get("platform") in providers.available()

    @on(OptionList.OptionHighlighted, "#platform")
    @on(OptionList.OptionSelected, "#platform")
    def picked(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        name = event.option.id or ""
        if event.option.disabled:
            return
        if name != self.answers.get("platform"):
            self.answers["platform"] = name
            self.state.credentials_ok = False
            if name != "aws":
                self.answers.pop("aws", None)
                self.answers["packaging"] = "zip"
        self.changed()
        if isinstance(event, OptionList.OptionSelected):
            self.screen.action_next()


class CredentialsSection(Section):
    key, title = "credentials", "Credentials"

    def compose(self) -> ComposeResult:
        yield Static("Which account, and where?", classes="section-title")
        with Vertical(id="aws-sign-in"):
            yield Field("AWS profile", Select([], prompt=DEFAULT_SIGN_IN,
                                              id="aws-profile", allow_blank=True),
                        describe("aws.profile"))
            yield Field("Region", Input(placeholder="eu-west-1", id="aws-region",
                                        suggester=SuggestFromList(_regions(), case_sensitive=False),
                                        validators=[SpecCheck("aws", lambda: self.answers,
                                                              wrap=self._aws_with_region)]),
                        describe("aws.region"))
        yield Static("", id="no-account")
        with Horizontal(classes="row"):
            yield Button("Check again", id="check", variant="primary")
            yield Static("", id="check-status")
        yield Static("", id="check-results")
        yield Checkbox("Go on although a check failed (I know what I am doing)", id="override")

    def _aws_with_region(self, region: str) -> tuple[str, Any]:
        return "aws", {**(self.answers.get("aws") or {}), "region": region}

    def shown(self) -> None:
        platform = self.answers.get("platform")
        self.query_one("#aws-sign-in").display = platform == "aws"
        self.query_one("#override").display = False
        if platform == "aws":
            provider = providers.provider_class("aws")
            select = self.query_one("#aws-profile", Select)
            options = provider.sign_in_options()
            select.set_options([(name, name) for name in options])
            aws = self.answers.setdefault("aws", {})
            if aws.get("profile") in options:
                select.value = aws["profile"]
            region = self.query_one("#aws-region", Input)
            if not region.value:
                region.value = aws.get("region") or provider.default_location(aws.get("profile")) or ""
                aws["region"] = region.value
            self.query_one("#no-account", Static).update("")
        else:
            self.query_one("#no-account", Static).update(f"{PLATFORMS.get(platform or '', '')} needs no account.")
        if not self.state.credentials_ok:
            self.run_check()

    @on(Select.Changed, "#aws-profile")
    def profile_picked(self, event: Select.Changed) -> None:
        aws = self.answers.setdefault("aws", {})
        profile = None if event.value is Select.NULL else str(event.value)
        if profile != aws.get("profile"):
            aws["profile"] = profile
            if profile is None:
                aws.pop("profile")
            region = providers.provider_class("aws").default_location(profile)
            if region:
                self.query_one("#aws-region", Input).value = region
            self.state.credentials_ok = False
            self.changed()
            self.run_check()

    @on(Input.Changed, "#aws-region")
    def region_typed(self, event: Input.Changed) -> None:
        aws = self.answers.setdefault("aws", {})
        if event.value.strip() != aws.get("region"):
            aws["region"] = event.value.strip()
            self.state.credentials_ok = False
            self.query_one("#check-results", Static).update("")
            self.changed()
            self.run_check()

    @on(Button.Pressed, "#check")
    def check_pressed(self) -> None:
        self.run_check()

    @on(Input.Submitted, "#aws-region")
    def region_submitted(self) -> None:
        self.run_check()

    @on(Checkbox.Changed, "#override")
    def override(self) -> None:
        self.changed()

    def run_check(self) -> None:
        if not super().ready():
            return
        self.query_one("#check-status", Static).update("checking…")
        self.query_one("#check-results", Static).update("")
        self.check_credentials(copy.deepcopy(self.state.spec_data()))

    @work(thread=True, exclusive=True, exit_on_error=False, group="credentials")
    def check_credentials(self, data: dict[str, Any]) -> None:
        try:
            spec = build_spec({**data, "bot_name": data.get("bot_name") or "credentials-check",
                               "entry": "app:handler", "env": {}, "secrets": []}, source="the credentials")
            checks = providers.provider_class(spec.platform)(spec).check_credentials()
            self.post_message(self.Checked(data, checks, None))
        except BotshipError as exc:
            self.post_message(self.Checked(data, [], exc))

    class Checked(Message):
        def __init__(self, data: dict[str, Any], checks: list, error: BotshipError | None) -> None:
            super().__init__()
            self.data, self.checks, self.error = data, checks, error

    def on_credentials_section_checked(self, message: Checked) -> None:
        now = self.state.spec_data()
        if (message.data.get("platform"), message.data.get("aws")) != (now.get("platform"), now.get("aws")):
            return  # the answers changed while this check ran; a newer check is on its way
        lines = []
        for check in message.checks:
            mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[yellow]![/]"}[check.ok]
            lines.append(f"{mark} [b]{check.name}[/b]: {_escape(check.detail)}")
            if check.fix and check.ok is not True:
                lines.append(f"    → {_escape(check.fix[:400])}")
        if message.error:
            lines.append(f"[red]✗[/] {_escape(message.error.what)}")
            if message.error.why:
                lines.append(f"    {_escape(message.error.why[:300])}")
            if message.error.fix:
                lines.append(f"    → {_escape(message.error.fix)}")
        failed = message.error is not None or any(c.ok is False for c in message.checks)
        self.state.credentials_ok = not failed
        self.query_one("#check-status", Static).update("[red]a check failed[/]" if failed else "[green]all good[/]")
        self.query_one("#check-results", Static).update("\n".join(lines))
        self.query_one("#override").display = failed
        self.changed()

    def ready(self) -> bool:
        if not super().ready():
            return False
        return self.state.credentials_ok or self.query_one("#override", Checkbox).value


class BotSection(Section):
    key, title = "bot", "Bot"

    def compose(self) -> ComposeResult:
        scan = scan_project(self.state.project)
        self.candidates = [c.entry for c in scan.entries]
        yield Static("Which bot?", classes="section-title")
        yield Field("Bot name", Input(self.answers.get("bot_name") or suggest_name(self.state.project.name),
                                      id="bot-name", validators=[SpecCheck("bot_name", lambda: self.answers)]),
                    describe("bot_name"))
        options = [(f"{c.entry}  ({c.kind} in {c.file})", c.entry) for c in scan.entries]
        yield Field("Entry point", Select(options + [("Other… (type it below)", "")], id="entry-choice",
                                          allow_blank=False, value=self._entry_choice()),
                    "found by reading the project's files (never importing them)")
        yield Field("", Input(self.answers.get("entry", ""), placeholder="module:attribute", id="entry",
                              validators=[SpecCheck("entry", lambda: self.answers, project=self.state.project)]),
                    describe("entry"), id="entry-field")
        yield Field("Python", Select([(v, v) for v in choices("python")], id="python", allow_blank=False,
                                     value=str(self.answers.get("python", "3.12"))), describe("python"))
        with RadioSet(id="packaging"):
            yield RadioButton(PACKAGING_TITLES["zip"], id="packaging-zip",
                              value=self.answers.get("packaging", "zip") == "zip")
            yield RadioButton(PACKAGING_TITLES["image"], id="packaging-image",
                              value=self.answers.get("packaging") == "image")
        yield Static("", id="package-size", classes="field-help")

    def _entry_choice(self) -> str:
        entry = self.answers.get("entry") or (self.candidates[0] if self.candidates else "")
        self.answers["entry"] = entry
        return entry if entry in self.candidates else ""

    def on_mount(self) -> None:
        self.answers.setdefault("bot_name", self.query_one("#bot-name", Input).value)
        self.answers.setdefault("python", "3.12")
        self.query_one("#entry-field").display = self.answers["entry"] not in self.candidates

    def shown(self) -> None:
        aws = self.answers.get("platform") == "aws"
        self.query_one("#packaging-image", RadioButton).disabled = not aws
        requirements = len(scan_project(self.state.project).requirements)
        self.query_one("#package-size", Static).update(
            f"{requirements} requirement(s); the package's size is shown on the review step once built")

    @on(Input.Changed, "#bot-name")
    def named(self, event: Input.Changed) -> None:
        self.answers["bot_name"] = event.value.strip()
        self.changed()

    @on(Select.Changed, "#entry-choice")
    def entry_picked(self, event: Select.Changed) -> None:
        typed = self.query_one("#entry", Input)
        self.query_one("#entry-field").display = not event.value
        if event.value:
            typed.value = str(event.value)
        else:
            typed.focus()
        self.changed()

    @on(Input.Changed, "#entry")
    def entry_typed(self, event: Input.Changed) -> None:
        self.answers["entry"] = event.value.strip()
        self.changed()

    @on(Select.Changed, "#python")
    def python_picked(self, event: Select.Changed) -> None:
        self.answers["python"] = str(event.value)

    @on(RadioSet.Changed, "#packaging")
    def packaging_picked(self, event: RadioSet.Changed) -> None:
        self.answers["packaging"] = (event.pressed.id or "packaging-zip").removeprefix("packaging-")
        self.changed()


class ModeSection(Section):
    key, title = "mode", "Mode"

    def compose(self) -> ComposeResult:
        yield Static("Paper or live?", classes="section-title")
        with RadioSet(id="mode"):
            yield RadioButton(MODE_TITLES["paper"], id="mode-paper", value=self.state.mode == "paper")
            yield RadioButton(MODE_TITLES["live"], id="mode-live", value=self.state.mode == "live")
        with Vertical(id="live-confirm"):
            yield Static("", id="live-summary")
            yield Field("Type the bot's name to confirm LIVE mode", Input(id="live-name"))

    def on_mount(self) -> None:
        self.query_one("#live-confirm").display = self.state.mode == "live"

    def shown(self) -> None:
        self._summary()

    def _summary(self) -> None:
        a = self.answers
        secrets = [row.name for row in self.state.env if row.secret]
        self.query_one("#live-summary", Static).update(
            f"[b red]LIVE[/]: [b]{_escape(a.get('bot_name', ''))}[/b] will trade real money on "
            f"{PLATFORMS.get(a.get('platform', ''), '?')}, "
            f"{'on ' + _escape(a['schedule']) if a.get('schedule') else 'when invoked'}, "
            f"with the secrets {', '.join(secrets) or 'none'}.")

    @on(RadioSet.Changed, "#mode")
    def picked(self, event: RadioSet.Changed) -> None:
        mode = (event.pressed.id or "mode-paper").removeprefix("mode-")
        self.answers["mode"] = mode
        self.query_one("#live-confirm").display = mode == "live"
        if mode == "live":
            self._summary()
            self.query_one("#live-name", Input).focus()
        self.changed()

    @on(Input.Changed, "#live-name")
    def typed(self) -> None:
        self.changed()

    def ready(self) -> bool:
        return self.state.mode != "live" or self.ready_confirmed()

    def ready_confirmed(self) -> bool:
        """The bot's name was typed on this step (a live deploy's confirmation)."""
        return self.query_one("#live-name", Input).value.strip() == self.answers.get("bot_name")


class EnvironmentSection(Section):
    key, title = "environment", "Environment"
    BINDINGS = [("a", "add", "Add"), ("e", "edit", "Edit"), ("delete", "remove", "Remove"),
                ("s", "toggle_secret", "Secret on/off")]

    def compose(self) -> ComposeResult:
        yield Static("Variables the bot gets. Secret values are masked, sent to the cloud's secret store, "
                     "and never written to a file.", classes="section-title")
        yield DataTable(id="env", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="row"):
            yield Button("Add", id="env-add")
            yield Button("Edit", id="env-edit")
            yield Button("Remove", id="env-remove")
            yield Button("Secret on/off", id="env-secret")
        yield Static("", id="env-problems", classes="field-error")

    def on_mount(self) -> None:
        table = self.query_one("#env", DataTable)
        table.add_columns("Name", "Value", "Secret", "Keyring")
        self.refill()

    def refill(self) -> None:
        table = self.query_one("#env", DataTable)
        table.clear()
        for row in self.state.env:
            shown = ("•" * 8 if row.value else "[red]no value yet[/]") if row.secret else _escape(row.value)
            table.add_row(row.name, shown, "yes" if row.secret else "", "remember" if row.remember else "",
                          key=row.name)
        problems = self.problems()
        self.query_one("#env-problems", Static).update("\n".join(problems))
        self.changed()

    def problems(self) -> list[str]:
        data = self.state.spec_data()
        found = []
        for name in ("env", "secrets"):
            from botship.spec import check_field

            found += [f"{p.field}: {p.message}" for p in check_field(name, data[name], data)]
        missing = self.state.missing_secrets()
        if missing:
            found.append(f"no value yet for {', '.join(missing)}: edit the row to enter it")
        return found

    def ready(self) -> bool:
        return not self.problems()

    def _current(self) -> int | None:
        table = self.query_one("#env", DataTable)
        return table.cursor_row if self.state.env and table.cursor_row is not None else None

    def action_add(self) -> None:
        self.app.push_screen(EnvVarDialog(None, [r.name for r in self.state.env]), self._added)

    def _added(self, row) -> None:
        if row is not None:
            self.state.env.append(row)
            self.refill()

    def action_edit(self) -> None:
        index = self._current()
        if index is None:
            return
        others = [r.name for i, r in enumerate(self.state.env) if i != index]

        def done(row) -> None:
            if row is not None:
                self.state.env[index] = row
                self.refill()

        self.app.push_screen(EnvVarDialog(self.state.env[index], others), done)

    def action_remove(self) -> None:
        index = self._current()
        if index is not None:
            del self.state.env[index]
            self.refill()

    def action_toggle_secret(self) -> None:
        index = self._current()
        if index is not None:
            row = self.state.env[index]
            row.secret = not row.secret
            row.remember = row.remember and row.secret
            self.refill()

    @on(DataTable.RowSelected, "#env")
    def selected(self) -> None:
        self.action_edit()

    @on(Button.Pressed, "#env-add")
    def add_pressed(self) -> None:
        self.action_add()

    @on(Button.Pressed, "#env-edit")
    def edit_pressed(self) -> None:
        self.action_edit()

    @on(Button.Pressed, "#env-remove")
    def remove_pressed(self) -> None:
        self.action_remove()

    @on(Button.Pressed, "#env-secret")
    def secret_pressed(self) -> None:
        self.action_toggle_secret()


class SizeSection(Section):
    key, title = "size", "Size and schedule"

    def compose(self) -> ComposeResult:
        yield Static("How big, and when?", classes="section-title")
        with Horizontal(classes="row"):
            for name, label in SIZE_LABELS.items():
                yield Field(label, Input(str(self.answers.get(name) or DeploySpec.model_fields[name].default),
                                         id=name.replace("_", "-"), type="integer",
                                         validators=[SpecCheck(name, lambda: self.answers, convert=int)]),
                            "", id=f"field-{name}")
        yield Static("", id="limits", classes="field-help")
        with Horizontal(classes="row"):
            yield Field("Schedule", Select([(label, key) for key, label, _ in SCHEDULE_PRESETS], id="schedule-preset",
                                           allow_blank=False, value=self._preset()))
            yield Field("Daily at (HH:MM)", Input(self._daily_time(), id="daily-at", placeholder="09:00"),
                        id="field-daily")
            yield Field("Custom expression", Input(self.answers.get("schedule") or "", id="custom-schedule",
                                                   placeholder="cron(0 9 ? * MON-FRI *)",
                                                   validators=[SpecCheck("schedule", lambda: self.answers)]),
                        id="field-custom")
            yield Field("Time zone", Input(self.answers.get("timezone", "UTC"), id="timezone",
                                           validators=[SpecCheck("timezone", lambda: self.answers)]))
        yield Static("", id="schedule-preview")

    def _preset(self) -> str:
        return preset_of(self.answers.get("schedule"))

    def _daily_time(self) -> str:
        parts = daily_parts(self.answers.get("schedule") or "")
        return f"{parts[0]:02d}:{parts[1]:02d}" if parts else "09:00"

    def on_mount(self) -> None:
        self._show_preset(self._preset())

    def shown(self) -> None:
        platform = self.answers.get("platform", "aws")
        plan = (self.answers.get("azure") or {}).get("plan", "flex")
        limits = limits_for(platform, plan)
        self.query_one("#field-ephemeral_mb").display = "ephemeral_mb" in limits
        self.query_one("#limits", Static).update("limits on this platform: " + ", ".join(
            f"{name} {lim.low}–{lim.high}" if not lim.choices else f"{name} one of {', '.join(map(str, lim.choices))}"
            for name, lim in limits.items()))
        for name in ("memory_mb", "timeout_s", "ephemeral_mb"):
            field = self.query_one(f"#field-{name}", Field)
            field.show_problem()
        self._preview()

    def _show_preset(self, key: str) -> None:
        self.query_one("#field-daily").display = key == "daily"
        self.query_one("#field-custom").display = key == "custom"

    @on(Input.Changed, "#memory-mb, #timeout-s, #ephemeral-mb")
    def sized(self, event: Input.Changed) -> None:
        name = (event.input.id or "").replace("-", "_")
        try:
            self.answers[name] = int(event.value)
        except ValueError:
            self.answers.pop(name, None)
        self.changed()

    @on(Select.Changed, "#schedule-preset")
    def preset_picked(self, event: Select.Changed) -> None:
        key = str(event.value)
        self._show_preset(key)
        self._apply_schedule(key)

    @on(Input.Changed, "#daily-at, #custom-schedule, #timezone")
    def schedule_typed(self, event: Input.Changed) -> None:
        if event.input.id == "timezone":
            self.answers["timezone"] = event.value.strip()
        self._apply_schedule(str(self.query_one("#schedule-preset", Select).value))

    def _apply_schedule(self, key: str) -> None:
        expr = dict((k, e) for k, _, e in SCHEDULE_PRESETS).get(key)
        if key == "daily":
            expr = daily_expr(self.query_one("#daily-at", Input).value) or "invalid"
        elif key == "custom":
            expr = self.query_one("#custom-schedule", Input).value.strip() or None
        if expr:
            self.answers["schedule"] = expr
        else:
            self.answers.pop("schedule", None)
        self._preview()
        self.changed()

    def _preview(self) -> None:
        preview = self.query_one("#schedule-preview", Static)
        expr, zone = self.answers.get("schedule"), self.answers.get("timezone", "UTC")
        if not expr:
            preview.update("Runs only when invoked (Invoke now, or `botship invoke`).")
            return
        try:
            schedule = parse_schedule(expr)
            runs = next_runs(schedule, zone, 5, self.app.clock().astimezone(ZoneInfo(zone)))
        except (ValueError, KeyError, LookupError) as exc:
            preview.update(f"[red]{_escape(str(exc) if expr != 'invalid' else 'write the time as HH:MM, e.g. 09:00')}[/]")
            return
        times = "\n".join(f"  {run:%a %d %b %Y %H:%M %Z}" for run in runs)
        preview.update(f"[b]{describe_schedule(schedule)}[/b] ({expr}) — the next runs:\n{times}")

    def ready(self) -> bool:
        return super().ready() and self.answers.get("schedule") != "invalid"


@functools.cache
def _docs() -> dict[str, FieldDoc]:
    return {doc.key: doc for doc in field_docs()}


def describe(key: str) -> str:
    """A field's help, from its one declaration in the spec."""
    return _docs()[key].help


def choices(key: str) -> tuple[str, ...]:
    return _docs()[key].choices


def _regions() -> list[str]:
    return providers.provider_class("aws").location_suggestions() if "aws" in providers.available() else []


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


SECTIONS: list[type[Section]] = [PlatformSection, CredentialsSection, BotSection, ModeSection, EnvironmentSection,
                                 SizeSection]
