"""The bots browser's dialogs: a folder to download into, a text to read (a run's answer), a row to pick (a state
generation, a version), and destroying a bot (its plan, a purge box and the bot's name typed)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Static
from textual.worker import Worker

from .workers import ShowsWorkerErrors, error_markup


class FolderDialog(ModalScreen[str | None]):
    """Where to download into: a folder typed (relative to the project), `default` proposed."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, default: str) -> None:
        super().__init__(classes="dialog")
        self.question, self.default = question, default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.question, classes="dialog-question")
            yield Input(self.default, id="folder", compact=True)
            yield Static("relative to this project's folder; created when missing", classes="field-help")
            with Horizontal(classes="row"):
                yield Button("Download", id="yes", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#folder", Input).focus()

    @on(Input.Submitted, "#folder")
    @on(Button.Pressed, "#yes")
    def chosen(self) -> None:
        folder = self.query_one("#folder", Input).value.strip()
        if folder:
            self.dismiss(folder)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class TextDialog(ModalScreen[None]):
    """Something to read (a run's answer: markup or a Rich renderable), scrolled when long; Escape or Enter closes
    it."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("enter", "close", "Close", show=False)]

    def __init__(self, title: str, body: Any) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide-dialog"):
            yield Static(self.title_text, classes="dialog-question")
            with VerticalScroll(classes="dialog-scroll reading"):
                yield Static(self.body, id="text-body")
            with Horizontal(classes="row"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class PickDialog(ModalScreen[str | None]):
    """A table of rows to pick one from; a row whose key is in `refused` says why instead (`why`)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, columns: list[str], rows: list[tuple[str, list[str]]], *,
                 refused: dict[str, str] | None = None, note: str = "") -> None:
        super().__init__(classes="dialog")
        self.question, self.columns, self.rows, self.note = question, columns, rows, note
        self.refused = refused or {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide-dialog"):
            yield Static(self.question, classes="dialog-question")
            yield DataTable(id="pick", cursor_type="row", zebra_stripes=True)
            yield Static(self.note, id="pick-note", classes="field-help")
            with Horizontal(classes="row"):
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        table = self.query_one("#pick", DataTable)
        table.add_columns(*self.columns)
        for key, cells in self.rows:
            table.add_row(*cells, key=key)
        table.focus()

    @on(DataTable.RowSelected, "#pick")
    def picked(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        if key in self.refused:
            self.query_one("#pick-note", Static).update(f"[yellow]{escape(self.refused[key])}[/]")
            return
        self.dismiss(key)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class DestroyDialog(ShowsWorkerErrors, ModalScreen[Any]):
    """Destroy a bot: its plan (read again when purge is ticked), and the bot's name typed to go ahead.
    Dismissed with the plan to run, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, provider: Any, bot: str, where: str) -> None:
        super().__init__(classes="dialog")
        self.provider, self.bot, self.where = provider, bot, where
        self.plan: Any = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide-dialog danger-box"):
            yield Static(f"[b red]Destroy {escape(self.bot)}[/] on {escape(self.where)}", classes="dialog-question")
            with VerticalScroll(classes="dialog-scroll plan-scroll"):
                yield Static("Reading what would be removed…", id="destroy-plan")
            yield Checkbox("Also delete its state and every earlier generation (purge)", id="purge", compact=True)
            yield Input(id="typed", placeholder=f"type {self.bot} to destroy it", compact=True)
            with Horizontal(classes="row"):
                yield Button("Destroy", id="yes", variant="error", disabled=True)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()
        self.read_plan(False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def read_plan(self, purge: bool) -> None:
        plan = self.provider.plan_destroy(purge_state=purge)
        self.app.call_from_thread(self._planned, plan, purge)

    def _planned(self, plan: Any, purge: bool) -> None:
        if purge != self.query_one("#purge", Checkbox).value:
            return  # ticked again since: the newer plan is on its way
        self.plan = plan
        lines = [f"  {step.action.mark} {escape(step.title)}  [dim]{escape(step.resource)}[/dim]"
                 for step in plan.changes]
        if not lines:
            lines = ["  nothing of it is deployed there: nothing to remove"]
        if plan.kept:
            lines += ["", "[b]Kept[/b]", *(f"  {escape(kept)}" for kept in plan.kept)]
        self.query_one("#destroy-plan", Static).update("[b]Removed[/b]\n" + "\n".join(lines))
        self._check()

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        self.plan = None
        self.query_one("#destroy-plan", Static).update(error_markup(lines))
        self._check()

    @on(Checkbox.Changed, "#purge")
    def purge_toggled(self, event: Checkbox.Changed) -> None:
        self.plan = None
        self.query_one("#destroy-plan", Static).update("Reading what would be removed…")
        self._check()
        self.read_plan(event.value)

    @on(Input.Changed, "#typed")
    def _check(self) -> None:
        typed = self.query_one("#typed", Input).value.strip()
        self.query_one("#yes", Button).disabled = self.plan is None or self.plan.is_noop or typed != self.bot

    @on(Input.Submitted, "#typed")
    @on(Button.Pressed, "#yes")
    def confirm(self) -> None:
        if not self.query_one("#yes", Button).disabled:
            self.dismiss(self.plan)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
