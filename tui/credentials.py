"""The credentials step: the form of whatever settings the chosen cloud declares, and its sign-in check.

Nothing here knows a cloud: the provider declares its settings (questions: an AWS profile and
region, an Azure subscription…) and the form draws each; the check is the session's.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Select, Static

from botship import providers
from botship.checks import CheckReport
from botship.errors import BotshipError
from botship.questions import Question

from .sections import Section
from .widgets import Field, QuestionCheck, check_markup
from .workers import ShowsWorkerErrors, error_markup


def setting_id(question: Question) -> str:
    return "setting-" + question.key.replace(".", "-").replace("_", "-")


class CredentialsSection(Section, ShowsWorkerErrors):
    key, title = "credentials", "Credentials"

    class Checked(Message):
        def __init__(self, key: tuple, report: CheckReport) -> None:
            super().__init__()
            self.key, self.report = key, report

    def __init__(self, state) -> None:
        super().__init__(state)
        self.drawn_for: int | None = None  # the session's platform switch the form was drawn for

    def compose(self) -> ComposeResult:
        yield Static("Which account, and where?", classes="section-title")
        yield Vertical(id="cloud-settings")
        yield Static("", id="no-account")
        with Horizontal(classes="row"):
            yield Button("Check again", id="check", variant="primary")
            yield Static("", id="check-status")
        yield Static("", id="check-results")
        yield Checkbox("Go on although a check failed (I know what I am doing)", id="override")

    def shown(self) -> None:
        self.query_one("#override").display = False
        if self.drawn_for != self.session.platform_changes:
            self._draw()
        else:
            self._refresh_choices()
        if not self.session.credentials_ok:
            self.run_check()

    def _draw(self) -> None:
        """The chosen cloud's settings, each as the widget its kind calls for."""
        self.drawn_for = self.session.platform_changes
        self.session.cloud_defaults()
        form = self.query_one("#cloud-settings", Vertical)
        form.remove_children()
        settings = self.session.cloud_settings()
        form.mount_all([self._field(question) for question in settings])
        title = providers.title(self.session.platform or "")
        self.query_one("#no-account", Static).update("" if settings else f"{escape(title)} needs no account.")

    def _refresh_choices(self) -> None:
        """Choices read again on each visit (an AWS profile added while the app is open shows up)."""
        for question in self.session.cloud_settings():
            if question.kind != "choice":
                continue
            select = self.query_one(f"#{setting_id(question)}", Select)
            options = [(c.title, c.value) for c in question.options(self.session.answers) if not c.disabled]
            value = self.session.answer(question.key)
            with select.prevent(Select.Changed):
                select.set_options(options)
                if value in {v for _, v in options}:
                    select.value = value

    def _field(self, question: Question) -> Field:
        answers = self.session.answers
        value = self.session.answer(question.key)
        if question.kind == "choice":
            options = [(c.title, c.value) for c in question.options(answers) if not c.disabled]
            known = {v for _, v in options}
            widget = Select(options, prompt=question.blank or question.label, id=setting_id(question),
                            allow_blank=question.blank is not None,
                            value=value if value in known else Select.NULL)
        else:
            suggestions = question.suggestions(answers) if question.suggestions else []
            widget = Input(str(value or ""), placeholder=question.placeholder, id=setting_id(question),
                           suggester=SuggestFromList(suggestions, case_sensitive=False) if suggestions else None,
                           validators=[QuestionCheck(question, self.session.spec_data)])
        widget.question = question  # type: ignore[attr-defined]
        return Field(question.label, widget, question.help)

    def _typed(self, question: Question, value: Any) -> None:
        if value == self.session.answer(question.key):
            return
        self.session.set(question.key, value)
        # Settings whose default depends on this one (an AWS profile's region) follow it.
        for other in self.session.cloud_settings():
            if question.key in other.depends_on and (default := other.default_for(self.session.answers)):
                widget = self.query_one(f"#{setting_id(other)}")
                if isinstance(widget, Input):
                    widget.value = str(default)
                self.session.set(other.key, default)
        self.query_one("#check-results", Static).update("")
        self.changed()
        self.run_check()

    @on(Select.Changed)
    def picked(self, event: Select.Changed) -> None:
        question = getattr(event.select, "question", None)
        if question is not None:
            self._typed(question, None if event.value is Select.NULL else str(event.value))

    @on(Input.Changed)
    def typed(self, event: Input.Changed) -> None:
        question = getattr(event.input, "question", None)
        if question is not None:
            self._typed(question, event.value.strip() or None)

    @on(Button.Pressed, "#check")
    def check_pressed(self) -> None:
        self.run_check()

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.run_check()

    @on(Checkbox.Changed, "#override")
    def override(self) -> None:
        self.changed()

    def run_check(self) -> None:
        if not super().ready():
            self.query_one("#check-status", Static).update("")
            return
        self.query_one("#check-status", Static).update("checking…")
        self.query_one("#check-results", Static).update("")
        try:
            spec = self.session.credentials_spec()  # the answers as they are now, not as a worker finds them
        except BotshipError as exc:
            self.on_credentials_section_checked(self.Checked(self.session.credentials_key(), CheckReport([], exc)))
            return
        self.check_credentials(self.session.credentials_key(), spec)

    @work(thread=True, exclusive=True, exit_on_error=False, group="credentials")
    def check_credentials(self, key: tuple, spec) -> None:
        self.post_message(self.Checked(key, self.session.check_credentials(spec)))

    def on_credentials_section_checked(self, message: Checked) -> None:
        if message.key != self.session.credentials_key():
            return  # the answers changed while this check ran; a newer check is on its way
        report = message.report
        self.session.checked(report)
        self.query_one("#check-status", Static).update(
            "[red]a check failed[/]" if report.failed else "[green]all good[/]")
        self.query_one("#check-results", Static).update(check_markup(report.lines()))
        self.query_one("#override").display = report.failed
        self.changed()

    def worker_failed(self, worker, lines: list[str]) -> None:
        """The check itself failed (not a check that answered ✗): said in its place; Check again and the
        override stay usable."""
        self.session.credentials_ok = False
        self.query_one("#check-status", Static).update("[red]the check could not run[/]")
        self.query_one("#check-results", Static).update(error_markup(lines))
        self.query_one("#override").display = True
        self.changed()

    def ready(self) -> bool:
        if not super().ready():
            return False
        return self.session.credentials_ok or self.query_one("#override", Checkbox).value
