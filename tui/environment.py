"""The environment section: the bot's variables, secrets masked and kept in memory (or the keyring) only."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Static

from .dialogs import EnvVarDialog
from .sections import Section


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
        for row in self.state.variables:
            shown = ("•" * 8 if row.value else "[red]no value yet[/]") if row.secret else escape(row.value)
            table.add_row(row.name, shown, "yes" if row.secret else "", "remember" if row.remember else "",
                          key=row.name)
        problems = self.problems()
        self.query_one("#env-problems", Static).update("\n".join(problems))
        self.changed()

    def problems(self) -> list[str]:
        found = self.session.variable_problems()
        missing = self.state.missing_secrets()
        if missing:
            found.append(f"no value yet for {', '.join(missing)}: edit the row to enter it")
        return found

    def ready(self) -> bool:
        return not self.problems()

    def _current(self) -> int | None:
        table = self.query_one("#env", DataTable)
        return table.cursor_row if self.state.variables and table.cursor_row is not None else None

    def action_add(self) -> None:
        self.app.push_screen(EnvVarDialog(None, [r.name for r in self.state.variables]), self._added)

    def _added(self, row) -> None:
        if row is not None:
            self.state.variables.append(row)
            self.refill()

    def action_edit(self) -> None:
        index = self._current()
        if index is None:
            return
        others = [r.name for i, r in enumerate(self.state.variables) if i != index]

        def done(row) -> None:
            if row is not None:
                self.state.variables[index] = row
                self.refill()

        self.app.push_screen(EnvVarDialog(self.state.variables[index], others), done)

    def action_remove(self) -> None:
        index = self._current()
        if index is not None:
            del self.state.variables[index]
            self.refill()

    def action_toggle_secret(self) -> None:
        index = self._current()
        if index is not None:
            row = self.state.variables[index]
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
