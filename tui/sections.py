"""The new-deployment wizard's sections before the review: platform, credentials, bot, mode, environment, size.

Each section reads and writes the shared WizardState, checks its answers with the spec's own
rules, and says whether the user may go on (`ready`). Sections stay mounted while hidden, so
going back finds everything as it was left.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    OptionList,
    RadioButton,
    RadioSet,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from botship import providers
from botship.answers import (
    DEFAULT_SIGN_IN,
    PACKAGING_TITLES,
    suggest_name,
)
from botship.errors import BotshipError
from botship.mode_check import MODE_TITLES, live_switch_lines, paper_note
from botship.project import scan_project
from botship.spec import FieldDoc, build_spec, field_docs

from .state import WizardState
from .widgets import Field, SpecCheck


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
        for platform in providers.platforms():
            name, available = platform.name, platform.available
            prompt = Text.assemble((platform.title, "bold"),
                                   ("" if available else "  — coming in a later release", "italic"),
                                   "\n", (f"needs {platform.needs}", "dim"))
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
            if not providers.provider_class(name).supports_image:
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
            self.query_one("#no-account", Static).update(f"{providers.title(platform or '')} needs no account.")
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
            lines.append(f"{mark} [b]{check.name}[/b]: {escape(check.detail)}")
            if check.fix and check.ok is not True:
                lines.append(f"    → {escape(check.fix[:400])}")
        if message.error:
            lines.append(f"[red]✗[/] {escape(message.error.what)}")
            if message.error.why:
                lines.append(f"    {escape(message.error.why[:300])}")
            if message.error.fix:
                lines.append(f"    → {escape(message.error.fix)}")
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
        scan = self.scan = scan_project(self.state.project)
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
        platform = self.answers.get("platform")
        images = platform in providers.available() and providers.provider_class(platform).supports_image
        self.query_one("#packaging-image", RadioButton).disabled = not images
        requirements = len(self.scan.requirements)
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
        yield Static("", id="paper-note")
        with Vertical(id="live-confirm"):
            yield Static("", id="live-summary")
            yield Field("Type the bot's name to confirm LIVE mode", Input(id="live-name"))

    def on_mount(self) -> None:
        self.query_one("#live-confirm").display = self.state.mode == "live"

    def shown(self) -> None:
        self._paper_note()
        self._summary()

    def _bot(self) -> dict[str, Any]:
        """The answers so far, with the secrets named on the environment step."""
        return {**self.answers, "secrets": [row.name for row in self.state.env if row.secret]}

    def _paper_note(self) -> None:
        note = paper_note(self._bot(), self.state.project)
        self.query_one("#paper-note", Static).update(
            (f"[b yellow]Paper, for this bot — WARNING[/]: {escape(note.text)}.\n→ {escape(note.fix)}"
             if note.warning else f"[b]Paper, for this bot[/]: {escape(note.text)}."))
        self.query_one("#paper-note").set_class(note.warning, "warning")

    def _summary(self) -> None:
        a = self._bot()
        secrets = a["secrets"]
        switch = "".join(f"\n• {escape(line)}" for line in live_switch_lines(a, self.state.project))
        self.query_one("#live-summary", Static).update(
            f"[b red]LIVE[/]: [b]{escape(a.get('bot_name', ''))}[/b] will trade real money on "
            f"{providers.title(a.get('platform', ''))}, "
            f"{'on ' + escape(a['schedule']) if a.get('schedule') else 'when invoked'}, "
            + (f"with the secrets {', '.join(secrets)}." if secrets else "with no secrets.") + switch)

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
