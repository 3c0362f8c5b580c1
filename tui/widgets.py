"""Widgets every screen shares: the top bar with its PAPER/LIVE badge, and inputs checked by the spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from botship.checks import CheckLine
from botship.questions import Question


class TopBar(Horizontal):
    """The app's name, where the user is, and — once a mode is chosen — the mode badge."""

    mode: reactive[str | None] = reactive(None)

    def __init__(self, title: str, mode: str | None = None) -> None:
        super().__init__(id="topbar")
        self.title = title
        self.set_reactive(TopBar.mode, mode)

    def compose(self) -> ComposeResult:
        yield Static("[b]botship[/b]", id="brand")
        yield Static(self.title, id="where")
        yield Static("", id="badge")

    def on_mount(self) -> None:
        self._show(self.mode)

    def watch_mode(self, mode: str | None) -> None:
        if self.is_mounted:
            self._show(mode)

    def _show(self, mode: str | None) -> None:
        badge = self.query_one("#badge", Static)
        badge.update(f" {mode.upper()} " if mode else "")
        badge.set_class(mode == "live", "live")
        badge.set_class(mode == "paper", "paper")


class QuestionCheck(Validator):
    """An input's value checked by its question's own check (the spec's rules), given the other answers."""

    def __init__(self, question: Question, answers: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self.question, self.answers = question, answers

    def validate(self, value: str) -> ValidationResult:
        problem = self.question.problem(value.strip(), self.answers())
        return self.failure(problem) if problem else self.success()


class Field(Vertical):
    """A labelled input with the spec field's help below it and its problem, if any, in red."""

    def __init__(self, label: str, input_: Widget, help_text: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id, classes="field")
        self.label, self.input, self.help_text = label, input_, help_text

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        yield self.input
        error = Static("", classes="field-error")
        error.display = False
        yield error
        if self.help_text:
            yield Static(self.help_text, classes="field-help")

    @property
    def valid(self) -> bool:
        if not getattr(self.input, "validators", None):
            return True
        return self.input.validate(self.input.value).is_valid

    def show_problem(self) -> None:
        result = self.input.validate(self.input.value) if getattr(self.input, "validators", None) else None
        message = result.failure_descriptions[0] if result and not result.is_valid else ""
        error = self.query_one(".field-error", Static)
        error.update(message)
        error.display = bool(message)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show_problem()


def check_markup(lines: list[CheckLine]) -> str:
    """Check lines as markup: each mark in its colour, the check's name bold."""
    out = []
    for line in lines:
        if line.indent:
            out.append(f"    {escape(line.text)}")
        else:
            name = f"[b]{escape(line.name)}[/b]: " if line.name else ""
            out.append(f"[{line.colour}]{line.mark}[/] {name}{escape(line.text)}")
    return "\n".join(out)
