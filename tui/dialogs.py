"""Modal dialogs: confirm, one environment variable, missing secret values, and a profile name."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from botship.profiles import check_profile_name
from botship.spec import looks_secret

from botship.session import Variable, variable_problem


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; Escape answers no."""

    BINDINGS = [("escape", "no", "No"), ("y", "yes", "Yes")]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No", danger: bool = False) -> None:
        super().__init__(classes="dialog")
        self.question, self.yes, self.no, self.danger = question, yes, no, danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.question, classes="dialog-question")
            with Horizontal(classes="row"):
                yield Button(self.yes, id="yes", variant="error" if self.danger else "primary")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)


class EnvVarDialog(ModalScreen[Variable | None]):
    """Add or edit one variable; a secret's value is typed masked."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, row: Variable | None, taken: list[str]) -> None:
        super().__init__(classes="dialog")
        self.row, self.taken = row, taken

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(classes="dialog-box"):
            yield Static("Edit variable" if row else "Add variable", classes="dialog-question")
            yield Label("Name")
            yield Input(row.name if row else "", id="name", placeholder="EXCHANGE_API_KEY")
            yield Static("", id="name-error", classes="field-error")
            yield Label("Value")
            yield Input(row.value if row else "", id="value", password=bool(row and row.secret))
            yield Checkbox("Secret (masked, kept in the cloud's secret store, never in a file)", id="secret",
                           value=bool(row and row.secret))
            yield Checkbox("Remember the value in this computer's keyring", id="remember",
                           value=bool(row and row.remember))
            with Horizontal(classes="row"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#remember").display = self.query_one("#secret", Checkbox).value
        self._check()

    @on(Input.Changed, "#name")
    def named(self, event: Input.Changed) -> None:
        secret = self.query_one("#secret", Checkbox)
        if self.row is None and looks_secret(event.value) and not secret.value:
            secret.value = True  # proposed from the name; the user may turn it off
        self._check()

    @on(Checkbox.Changed, "#secret")
    def secret_toggled(self, event: Checkbox.Changed) -> None:
        self.query_one("#value", Input).password = event.value
        self.query_one("#remember").display = event.value
        self._check()

    def _problem(self) -> str:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            return "enter a name"
        if name in self.taken:
            return f"{name} is already in the table"
        return variable_problem(name, self.query_one("#value", Input).value,
                                self.query_one("#secret", Checkbox).value) or ""

    def _check(self) -> None:
        problem = self._problem()
        self.query_one("#name-error", Static).update(problem)
        self.query_one("#save", Button).disabled = bool(problem)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def save(self) -> None:
        if self._problem():
            return
        secret = self.query_one("#secret", Checkbox).value
        value = self.query_one("#value", Input).value
        self.dismiss(Variable(self.query_one("#name", Input).value.strip(), value,
                              secret, secret and self.query_one("#remember", Checkbox).value,
                              source=self.row.source if self.row and self.row.value == value else "typed"))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ProfileNameDialog(ModalScreen[str | None]):
    """The name to save the answers under; saving over an existing profile is said out loud."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, suggested: str, existing: list[str]) -> None:
        super().__init__(classes="dialog")
        self.suggested, self.existing = suggested, existing

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("Save these answers as a profile in botship.toml", classes="dialog-question")
            yield Input(self.suggested, id="profile-name")
            yield Static("", id="profile-note", classes="field-help")
            with Horizontal(classes="row"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._check(self.suggested)

    @on(Input.Changed, "#profile-name")
    def typed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def _check(self, name: str) -> None:
        note = self.query_one("#profile-note", Static)
        try:
            check_profile_name(name.strip())
        except Exception as exc:  # noqa: BLE001 - the name's problem, shown under it
            note.update(f"[red]{getattr(exc, 'what', str(exc))}[/]")
            self.query_one("#save", Button).disabled = True
            return
        self.query_one("#save", Button).disabled = False
        note.update(f"replaces profile '{name.strip()}' (its comments are kept)" if name.strip() in self.existing
                    else "a new profile; comments elsewhere in botship.toml are kept")

    @on(Input.Submitted, "#profile-name")
    @on(Button.Pressed, "#save")
    def save(self) -> None:
        if not self.query_one("#save", Button).disabled:
            self.dismiss(self.query_one("#profile-name", Input).value.strip())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class SecretValuesDialog(ModalScreen[dict[str, tuple[str, bool]] | None]):
    """Values for secrets found nowhere (environment, .env, keyring), typed masked; kept in memory only."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, names: list[str]) -> None:
        super().__init__(classes="dialog")
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("These secrets have no value in the environment, .env or the keyring. Their values "
                         "go to the cloud's secret store only.", classes="dialog-question")
            for name in self.names:
                yield Label(name)
                yield Input(id=f"secret-{name}", password=True)
            yield Checkbox("Remember them in this computer's keyring", id="remember")
            with Horizontal(classes="row"):
                yield Button("Use these values", id="save", variant="primary", disabled=True)
                yield Button("Cancel", id="cancel")

    @on(Input.Changed)
    def typed(self) -> None:
        self.query_one("#save", Button).disabled = not all(i.value for i in self.query(Input))

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def save(self) -> None:
        if self.query_one("#save", Button).disabled:
            return
        remember = self.query_one("#remember", Checkbox).value
        self.dismiss({name: (self.query_one(f"#secret-{name}", Input).value, remember) for name in self.names})

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class TypeToConfirmDialog(ModalScreen[bool]):
    """A LIVE deploy goes ahead only when the bot's name is typed."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, question: str, expected: str) -> None:
        super().__init__(classes="dialog")
        self.question, self.expected = question, expected

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box live"):
            yield Static(self.question, classes="dialog-question")
            yield Input(id="typed", placeholder=self.expected)
            with Horizontal(classes="row"):
                yield Button("Deploy LIVE", id="yes", variant="error", disabled=True)
                yield Button("Cancel", id="cancel")

    @on(Input.Changed, "#typed")
    def typed(self, event: Input.Changed) -> None:
        self.query_one("#yes", Button).disabled = event.value.strip() != self.expected

    @on(Input.Submitted, "#typed")
    @on(Button.Pressed, "#yes")
    def confirm(self) -> None:
        if not self.query_one("#yes", Button).disabled:
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class InitDialog(ModalScreen[str | None]):
    """Pick a template for a new bot project in this folder; Escape cancels."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, folder: str, templates: dict[str, str]) -> None:
        super().__init__(classes="dialog")
        self.folder, self.templates = folder, templates

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(f"Create a bot in [b]{self.folder}[/b] (botship init): which template?",
                         classes="dialog-question")
            yield OptionList(*[Option(f"[b]{name}[/b]  {about}", id=name) for name, about in self.templates.items()],
                             id="templates")
            with Horizontal(classes="row"):
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#templates").focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
