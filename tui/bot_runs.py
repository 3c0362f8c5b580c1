"""A bot's Runs tab: its run records (one request to its state store), a run's log tail and result, and a live
tail of its logs from the cloud's log service."""

from __future__ import annotations

import json
import threading
from typing import Any

from rich.markup import escape
from rich.syntax import Syntax
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, RichLog, Static
from textual.worker import Worker

from botship.masking import Masker
from botship.providers.base import LOGS, STATE

from .bot_format import ago, local_time, pretty, run_mark, short, size_text, took
from .workers import ShowsWorkerErrors, error_lines, error_markup


class RunsPane(Vertical, ShowsWorkerErrors):
    BINDINGS = [Binding("enter", "open_run", "Open run", show=False), Binding("t", "tail", "Live tail")]

    def __init__(self, handle: Any, tz: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handle, self.tz = handle, tz
        self.records: list[Any] = []
        self.tailing: threading.Event | None = None  # set to stop the live tail

    def compose(self) -> ComposeResult:
        yield Static("reading the run records…", id="runs-note", classes="field-help")
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="tail-note", classes="field-help")
        yield RichLog(id="tail-log", wrap=True, markup=True, max_lines=2000)

    def on_mount(self) -> None:
        self.query_one("#runs-table", DataTable).add_columns("When", "Trigger", "Outcome", "Took", "Gen", "Result")
        self.query_one("#tail-log").display = False
        self.query_one("#tail-note").display = False
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "tail":
            return self.handle.cloud.can(LOGS)
        return True

    # ---- the run records ------------------------------------------------------------------------------

    def reload(self) -> None:
        if self.handle.cloud.can(STATE):
            self.load_runs()
        else:
            self.query_one("#runs-note", Static).update(
                f"{escape(self.handle.cloud.title)} keeps no run records for botship; t follows the logs.")

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs")
    def load_runs(self) -> None:
        records = self.handle.runs()
        self.app.call_from_thread(self._runs, records)

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        self.query_one("#runs-note", Static).update(error_markup(lines))

    def _runs(self, records: list[Any]) -> None:
        self.records = records
        table = self.query_one("#runs-table", DataTable)
        table.clear()
        now = self.app.clock()
        for n, run in enumerate(records):
            result = run.error if run.error else json.dumps(run.result, default=str) if run.result is not None else ""
            table.add_row(ago(run.started_at, now, self.tz), escape(run.trigger), run_mark(run.status),
                          took(run.duration_ms),
                          "—" if run.generation is None else str(run.generation), escape(short(result, 40)),
                          key=str(n))
        note = (f"{len(records)} run(s), newest first. Enter opens one." if records else
                "No runs recorded yet: each run of the bot (scheduled or invoked) adds one here.")
        self.query_one("#runs-note", Static).update(note)

    @on(DataTable.RowSelected, "#runs-table")
    def action_open_run(self) -> None:
        table = self.query_one("#runs-table", DataTable)
        if not self.records or table.row_count == 0:
            return
        self.app.push_screen(RunDialog(self.records[table.cursor_row], self.handle.bot_name, self.tz))

    # ---- the live tail ----------------------------------------------------------------------------------

    def action_tail(self) -> None:
        """Start or stop following the bot's logs."""
        log, note = self.query_one("#tail-log", RichLog), self.query_one("#tail-note", Static)
        if self.tailing is not None:
            self.stop_tail()
            note.update(note.content + " — stopped (t follows again)")
            return
        log.display = note.display = True
        said = self.handle.logs_note()
        note.update(f"[b]Live tail[/b] — {escape(said)}" if said else "[b]Live tail[/b]")
        log.write("[dim]following the logs; t stops[/dim]")
        self.tailing = threading.Event()
        # A plain daemon thread, not a worker: a log service may give no line for minutes, and an iterator
        # waiting for one cannot be interrupted; a worker would hold the app's exit until it gave one.
        threading.Thread(target=self._follow, args=(self.tailing,), name="botship-tail", daemon=True).start()

    def stop_tail(self) -> None:
        if self.tailing is not None:
            self.tailing.set()
            self.tailing = None

    def _follow(self, stop: threading.Event) -> None:
        try:
            for line in self.handle.logs(None, follow=True):
                if stop.is_set():
                    return
                if line is not None:
                    self._hand(stop, self._line, line)
        except Exception as exc:  # noqa: BLE001 - shown in place of the tail, as every worker error is
            if not stop.is_set():
                self._hand(stop, self._tail_failed, error_lines(exc))

    def _hand(self, stop: threading.Event, show: Any, value: Any) -> None:
        try:
            self.app.call_from_thread(show, value)
        except RuntimeError:  # the app closed meanwhile
            stop.set()

    def _line(self, line: Any) -> None:
        at = f"[dim]{line.at:%H:%M:%S}[/dim] " if line.at else ""
        self.query_one("#tail-log", RichLog).write(at + escape("\n".join(log_lines([line.text]))))

    def _tail_failed(self, lines: list[str]) -> None:
        self.tailing = None
        self.query_one("#tail-log", RichLog).write(error_markup(lines))

    def on_unmount(self) -> None:
        self.stop_tail()


class RunDialog(ModalScreen[None]):
    """One run: when and how it ran, its error, its result pretty-printed, and the last lines it logged."""

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, record: Any, bot: str, tz: str | None = None) -> None:
        super().__init__(classes="dialog")
        self.record, self.bot, self.tz = record, bot, tz

    def compose(self) -> ComposeResult:
        run = self.record
        with Vertical(classes="dialog-box wide-dialog"):
            yield Static(f"[b]Run {escape(run.run_id)}[/b] of {escape(self.bot)}  {run_mark(run.status)}",
                         classes="dialog-question")
            with VerticalScroll(classes="dialog-scroll reading"):
                started = local_time(run.started_at, self.tz or "UTC")
                facts = [f"started   {started} ({ago(run.started_at, self.app.clock(), self.tz)})",
                         f"trigger   {escape(run.trigger)} · took {took(run.duration_ms)} · "
                         f"control {escape(run.control)}",
                         f"state     generation {'—' if run.generation is None else run.generation} · "
                         f"{size_text(run.bytes_down)} down, {size_text(run.bytes_up)} up"]
                yield Static("\n".join(facts))
                if run.error:
                    yield Static(f"[red]{escape(run.error)}[/]", classes="run-part")
                yield Static("[b]Result[/b]", classes="run-part")
                result = run.result
                if result is None:
                    yield Static("[dim]none[/dim]")
                elif isinstance(result, str):
                    yield Static(escape(result))
                else:
                    yield Static(Syntax(pretty(result), "json", word_wrap=True, background_color="default"))
                yield Static(f"[b]Log tail[/b] [dim]({len(run.log_tail)} line(s), masked)[/dim]", classes="run-part")
                yield Static(escape("\n".join(log_lines(run.log_tail))) or "[dim]none[/dim]")

    def action_close(self) -> None:
        self.dismiss(None)


def log_lines(lines: Any) -> list[str]:
    """Log lines to read: a botship JSON record as its message and fields, anything else as it is. The runtime
    masked them; no secret value is known here to mask them again."""
    from botship.function_log import function_log_lines

    masker = Masker()
    return [text.removeprefix("  │ ") for line in lines for text in function_log_lines(masker, line)[1]]
