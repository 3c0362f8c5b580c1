"""The bot step: its name, its entry point (found by reading the project), Python, and packaging."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, RadioButton, RadioSet, Select, Static

from botship.project import scan_project

from .sections import Section
from .widgets import Field, QuestionCheck


class BotSection(Section):
    key, title = "bot", "Bot"

    def compose(self) -> ComposeResult:
        session = self.session
        scan = self.scan = scan_project(session.project)
        self.candidates = [c.entry for c in scan.entries]
        check = session.spec_data
        name, entry, python = (session.question(k) for k in ("bot_name", "entry", "python"))
        yield Static("Which bot?", classes="section-title")
        yield Field(name.label, Input(self.answers.get("bot_name") or name.default_for(self.answers), id="bot-name",
                                      validators=[QuestionCheck(name, check)]), name.help)
        options = [(f"{c.entry}  ({c.kind} in {c.file})", c.entry) for c in scan.entries]
        yield Field(entry.label, Select(options + [("Other… (type it below)", "")], id="entry-choice",
                                        allow_blank=False, value=self._entry_choice()),
                    "found by reading the project's files (never importing them)")
        yield Field("", Input(self.answers.get("entry", ""), placeholder=entry.placeholder, id="entry",
                              validators=[QuestionCheck(entry, check)]), entry.help, id="entry-field")
        yield Field(python.label, Select([(c.title, c.value) for c in python.options(self.answers)], id="python",
                                         allow_blank=False,
                                         value=str(self.answers.get("python") or python.default_for(self.answers))),
                    python.help)
        with RadioSet(id="packaging"):
            for choice in session.question("packaging").options(self.answers):
                yield RadioButton(choice.title, id=f"packaging-{choice.value}",
                                  value=self.answers.get("packaging", "zip") == choice.value)
        yield Static("", id="package-size", classes="field-help")

    def _entry_choice(self) -> str:
        entry = self.answers.get("entry") or (self.candidates[0] if self.candidates else "")
        self.answers["entry"] = entry
        return entry if entry in self.candidates else ""

    def on_mount(self) -> None:
        self.answers.setdefault("bot_name", self.query_one("#bot-name", Input).value)
        self.answers.setdefault("python", self.session.question("python").default_for(self.answers))
        self.query_one("#entry-field").display = self.answers["entry"] not in self.candidates

    def shown(self) -> None:
        for choice in self.session.question("packaging").options(self.answers):
            self.query_one(f"#packaging-{choice.value}", RadioButton).disabled = bool(choice.disabled)
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
