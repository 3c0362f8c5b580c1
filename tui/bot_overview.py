"""A bot's Overview tab: where its parts are, its configuration's names, its schedule and next five runs, what
is shipped, and its deployment history. Each part is read in its own worker and shows its own error in place."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import Worker

from botship.errors import BotshipError
from botship.providers.base import CONTROL, STATE

from .bot_format import ago, local_time, mode_badge, status_text
from .workers import ShowsWorkerErrors, error_markup

CONTROL_WORDS = {"run": "runs as usual", "stopentry": "[yellow]no new entries[/] (stop entries)",
                 "flatten": "[red]flatten[/]: sells every position, no new entries"}


class OverviewPane(VerticalScroll, ShowsWorkerErrors):
    """The bot as deployed now; `Known` tells the screen its status, control level and profile here."""

    class Known(Message):
        """Something the screen's controls depend on was read: `facts` holds status, control or found."""

        def __init__(self, **facts: Any) -> None:
            super().__init__()
            self.facts = facts

    def __init__(self, handle: Any, summary: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handle, self.summary = handle, summary
        self.head: list[str] = []
        self.level: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Reading the bot…", id="ov-status")
        yield Static("", id="ov-parts")
        yield Static("Deployment history", classes="section-title")
        yield Static("", id="ov-history-note", classes="field-help")
        yield DataTable(id="ov-history", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#ov-history", DataTable).add_columns("When", "What", "Version", "Profile", "By", "Outcome")
        self.reload()

    def reload(self) -> None:
        note = self.query_one("#ov-history-note", Static)
        note.update("reading…")
        note.display = True
        self.load_status()
        self.load_history()
        if self.handle.cloud.can(CONTROL) and self.handle.cloud.can(STATE):
            self.load_control()

    # ---- reading, each in a worker of its own -----------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="status")
    def load_status(self) -> None:
        status = self.handle.status()
        self.app.call_from_thread(self._status, status)
        self.post_message(self.Known(status=status))

    @work(thread=True, exclusive=True, exit_on_error=False, group="history")
    def load_history(self) -> None:
        entries = self.handle.history()
        self.app.call_from_thread(self._history, entries)

    @work(thread=True, exclusive=True, exit_on_error=False, group="control")
    def load_control(self) -> None:
        # A bot with no control file (or no state yet) runs as usual: control() says "run". Anything else it raises
        # (no access, a damaged manifest) is shown by worker_failed, and the controls stay hidden: unknown is not "run".
        self.post_message(self.Known(control=self.handle.control()))

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        if worker.group == "status":
            self.query_one("#ov-status", Static).update(error_markup(lines))
            self.post_message(self.Known(status=None))
        elif worker.group == "history":
            note = self.query_one("#ov-history-note", Static)
            note.update(error_markup(lines))
            note.display = True
        else:
            self.notify("\n".join(lines), title="Control level not read", severity="warning", markup=False)

    # ---- showing -----------------------------------------------------------------------------------

    def _status(self, status: Any) -> None:
        from botship import providers

        now = self.app.clock()
        head = [f"[b]{escape(status.bot_name)}[/b]  {mode_badge(status.mode)}  {status_text(status.state)}",
                f"{escape(providers.title(status.platform))} · {escape(status.where)}"
                + (f" · profile {escape(status.profile)}" if status.profile else "")]
        self.head = head
        self._head()
        resources = dict(status.resources)
        # What else the cloud says of it (a hosting plan, the app's own state…), where it is not said above.
        details = {key.replace("_", " "): str(value) for key, value in status.extra.items()
                   if value not in (None, "") and str(value) not in resources.values()}
        shipped = {key: value for key, value in status.shipped.items() if value}
        if status.version and not any(str(value).startswith(status.version) for value in shipped.values()):
            shipped["version"] = status.version
        sections = [("Resources", list(resources.items()))]
        if details:
            sections.append(("Details", list(details.items())))
        sections += [("Configuration [dim](names only)[/dim]",
                      [("variables", ", ".join(status.variables) or "none"),
                       ("secrets", ", ".join(status.secrets) or "none")]),
                     ("Schedule", schedule_lines(status, now)), ("Shipped", list(shipped.items()))]
        width = min(24, max(len(str(name)) + 2 for _, pairs in sections for name, _ in [*pairs, ("", "")]))
        parts: list[Any] = []
        for n, (title, pairs) in enumerate(sections):
            parts += [Text.from_markup(("\n" if n else "") + f"[b]{title}[/b]"), facts(pairs, max(width, 13))]
        self.query_one("#ov-parts", Static).update(Group(*parts))

    def show_control(self, level: str | None) -> None:
        """The control level the bot's state holds (shown under the status once read)."""
        self.level = level
        self._head()

    def _head(self) -> None:
        lines = list(self.head)
        if self.level is not None:
            lines.append(f"control: {CONTROL_WORDS.get(self.level, escape(self.level))}")
        self.query_one("#ov-status", Static).update("\n".join(lines))

    def _history(self, entries: list[Any]) -> None:
        table = self.query_one("#ov-history", DataTable)
        table.clear()
        now = self.app.clock()
        for n, entry in enumerate(entries):
            outcome = "[green]ok[/]" if entry.outcome == "ok" else f"[red]{escape(entry.outcome)}[/]"
            table.add_row(ago(entry.at, now), escape(entry.action), escape(entry.version[:12] or "—"),
                          escape(entry.profile or "—"), escape(short_identity(entry.by)), outcome, key=str(n))
        note = self.query_one("#ov-history-note", Static)
        note.update("" if entries else "Nothing recorded yet: deploys, rollbacks and pauses are noted here.")
        note.display = not entries
        table.display = bool(entries)


def schedule_lines(status: Any, now: Any) -> list[tuple[str, str]]:
    """The schedule in its time zone, and its next five runs (or why there are none)."""
    from botship.schedule import describe_schedule, next_runs, parse_schedule

    if not status.schedule:
        return [("runs", "only when invoked: no schedule")]
    tz = status.timezone or "UTC"
    try:
        schedule = parse_schedule(status.schedule)
        words = describe_schedule(schedule)
        runs = next_runs(schedule, tz, 5, now)
    except (ValueError, BotshipError):
        return [("expression", f"{status.schedule} ({tz})")]
    lines = [("expression", f"{status.schedule} — {words} ({tz})")]
    when = ", ".join(local_time(run, tz, now) for run in runs)
    lines.append(("next five", f"paused: once resumed, {when}" if status.state == "paused" else when))
    return lines


def facts(pairs: Any, width: int) -> Table:
    """Name and value pairs as two columns (the names `width` wide), a long value (an ARN, a URL) folded within
    its own column."""
    rows = list(pairs)
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=width, no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in rows:
        grid.add_row(Text("  " + str(name), style="dim"), Text(str(value)))
    if not rows:
        grid.add_row(Text("  —"), Text(""))
    return grid


def short_identity(who: str) -> str:
    """An identity (an ARN, an e-mail, a principal id) short enough for a cell: its last part."""
    if not who:
        return "—"
    return who.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or who
