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

    class ChoicesRead(Message):
        """A slow question's choices, read aside (they ask the network)."""

        def __init__(self, question: Question, options: list[tuple[str, str]], drawn_for: int | None) -> None:
            super().__init__()
            self.question, self.options, self.drawn_for = question, options, drawn_for

    class SignInNews(Message):
        """What a sign-in in progress asks of the user (a device code), or how it ended."""

        def __init__(self, text: str, done: bool = False, ok: bool = False) -> None:
            super().__init__()
            self.text, self.done, self.ok = text, done, ok

    class Remedied(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def compose(self) -> ComposeResult:
        yield Static("Which account, and where?", classes="section-title")
        with Horizontal(classes="row", id="sign-in-row"):
            yield Static("Sign in:", id="sign-in-label")
            yield Horizontal(id="sign-in-buttons")
        yield Static("", id="sign-in-news")
        yield Vertical(id="cloud-settings")
        yield Static("", id="no-account")
        with Horizontal(classes="row"):
            yield Button("Check again", id="check", variant="primary")
            yield Static("", id="check-status")
        yield Static("", id="check-results")
        yield Horizontal(id="remedies", classes="row")
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
        methods = self.session.sign_in_methods()
        self.query_one("#sign-in-row").display = self.query_one("#sign-in-news").display = bool(methods)
        buttons = self.query_one("#sign-in-buttons", Horizontal)
        buttons.remove_children()
        buttons.mount_all([Button(method.capitalize(), id="sign-in-" + method.replace(" ", "-"), name=method)
                           for method in methods])
        self.query_one("#sign-in-news", Static).update("")
        self.query_one("#remedies", Horizontal).remove_children()
        self.call_after_refresh(self._read_slow_choices)  # once the fields just mounted are there

    def _refresh_choices(self) -> None:
        """Choices read again on each visit (an AWS profile added while the app is open shows up)."""
        for question in self.session.cloud_settings():
            if question.kind != "choice" or question.slow:
                continue
            options = [(c.title, c.value) for c in question.options(self.session.answers) if not c.disabled]
            self._set_options(question, options)
        self._read_slow_choices()

    def _set_options(self, question: Question, options: list[tuple[str, str]]) -> None:
        select = self.query_one(f"#{setting_id(question)}", Select)
        value = self.session.answer(question.key)
        with select.prevent(Select.Changed):
            select.set_options(options)
            if value in {v for _, v in options}:
                select.value = value
            elif value is not None and options:
                # An answer the cloud does not list (now): kept in the answers, offered for correction.
                select.set_options([(f"{value} (not found now)", value), *options])
                select.value = value

    def _read_slow_choices(self, changed: str | None = None) -> None:
        """The choices that ask the network, read aside; `changed`: only those depending on that answer."""
        slow = [q for q in self.session.cloud_settings() if q.slow and (q.kind == "choice" or q.suggestions)
                and (changed is None or changed in q.depends_on)]
        for question in slow:
            if question.kind == "choice":
                self.query_one(f"#{setting_id(question)}", Select).prompt = "reading…"
        if slow:
            self.read_choices(slow, dict(self.session.answers), self.drawn_for)

    @work(thread=True, group="choices", exit_on_error=False)
    def read_choices(self, questions: list[Question], answers: dict[str, Any], drawn_for: int | None) -> None:
        for question in questions:
            try:
                options = ([(c.title, c.value) for c in question.options(answers) if not c.disabled]
                           if question.kind == "choice" else [(s, s) for s in question.suggestions(answers)])
            except Exception:  # noqa: BLE001 - a question's choices say nothing; its check says why
                options = []
            self.post_message(self.ChoicesRead(question, options, drawn_for))

    def on_credentials_section_choices_read(self, message: ChoicesRead) -> None:
        if message.drawn_for != self.drawn_for:
            return  # drawn again since: a newer read is on its way
        question = message.question
        if question.kind != "choice":
            field = self.query_one(f"#{setting_id(question)}", Input)
            field.suggester = SuggestFromList([value for value, _ in message.options], case_sensitive=False)
            if not field.value and message.options and not field.placeholder.startswith("e.g."):
                field.placeholder = f"e.g. {message.options[0][0]}, or a new name"
            return
        select = self.query_one(f"#{setting_id(question)}", Select)
        select.prompt = question.blank or (question.label if message.options else f"{question.label}: none found")
        self._set_options(question, message.options)

    @on(Button.Pressed, "#sign-in-buttons Button")
    def sign_in_pressed(self, event: Button.Pressed) -> None:
        method = event.button.name or ""
        self.query_one("#sign-in-news", Static).update(f"signing in ({escape(method)})…")
        for button in self.query("#sign-in-buttons Button"):
            button.disabled = True
        self.sign_in(method)

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def sign_in(self, method: str) -> None:
        try:
            who = self.session.sign_in(method, lambda text: self.post_message(self.SignInNews(text)))
        except BotshipError as exc:
            self.post_message(self.SignInNews(error_markup([exc.what, exc.why, f"→ {exc.fix}" if exc.fix else ""]),
                                              done=True))
            return
        self.post_message(self.SignInNews(f"[green]✓[/] signed in as {escape(who)}", done=True, ok=True))

    def on_credentials_section_sign_in_news(self, message: SignInNews) -> None:
        self.query_one("#sign-in-news", Static).update(message.text if message.done else escape(message.text))
        if message.done:
            for button in self.query("#sign-in-buttons Button"):
                button.disabled = False
        if message.ok:
            self._read_slow_choices()
            self.run_check()

    @on(Button.Pressed, "#remedies Button")
    def remedy_pressed(self, event: Button.Pressed) -> None:
        event.button.disabled = True
        self.query_one("#check-status", Static).update("putting it right…")
        self.remedy(event.button.name or "")

    @work(thread=True, exclusive=True, group="remedy", exit_on_error=False)
    def remedy(self, remedy: str) -> None:
        self.post_message(self.Remedied(self.session.apply_remedy(remedy)))

    def on_credentials_section_remedied(self, message: Remedied) -> None:
        self.query_one("#check-status", Static).update(escape(message.text))
        self.run_check()

    def _field(self, question: Question) -> Field:
        answers = self.session.answers
        value = self.session.answer(question.key)
        if question.kind == "choice":
            # A slow question's choices arrive from a worker; until then the answer given so far is its one option.
            options = ([(str(value), str(value))] if value else []) if question.slow else [
                (c.title, c.value) for c in question.options(answers) if not c.disabled]
            known = {v for _, v in options}
            widget = Select(options, prompt=question.blank or question.label, id=setting_id(question),
                            # A required choice may still show none chosen: while its options are read
                            # (slow), or when there are none to offer; its check then says what is missing.
                            allow_blank=question.blank is not None or question.slow or not options,
                            value=value if value in known else Select.NULL)
        else:
            # A slow question's suggestions arrive from a worker (see `_read_slow_choices`).
            suggestions = question.suggestions(answers) if question.suggestions and not question.slow else []
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
        self._read_slow_choices(changed=question.key)
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
        remedies = self.query_one("#remedies", Horizontal)
        remedies.remove_children()
        remedies.mount_all([Button(title, name=remedy, classes="remedy") for remedy, title in report.remedies])
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
