"""A bot's Trading tab, shown when its state holds trading books (an investing-algorithm-framework database or
the plain template's state.db): a summary bar, the equity sparkline, and its positions, open trades, closed
trades and orders a page at a time. Read from a downloaded copy, read-only: nothing is written back."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Sparkline, Static, Tab, Tabs
from textual.worker import Worker

from botship.errors import BotshipError

from .workers import ShowsWorkerErrors, error_markup

PAGE = 50
WIDE = 120  # below this many columns, times are said to the minute (month and day, no year)
VIEWS = {"positions": "Positions", "open": "Open trades", "closed": "Closed trades", "orders": "Orders"}
COLUMNS = {
    "positions": ("Symbol", "Amount", "Cost", "Price", "Value", "Unrealized"),
    "open": ("Symbol", "Opened", "Open price", "Amount", "Remaining", "Last", "Unrealized"),
    "closed": ("Symbol", "Opened", "Closed", "Open price", "Amount", "Close price", "Net gain"),
    "orders": ("Created", "Symbol", "Side", "Type", "Status", "Price", "Amount", "Filled", "Fee"),
}


def amount(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def gain(value: float | None, digits: int = 2) -> str:
    """A gain or loss, signed, green or red (the sign says it without colour)."""
    if value is None:
        return "—"
    colour = "green" if value > 0 else "red" if value < 0 else "dim"
    return f"[{colour}]{value:+,.{digits}f}[/]"


def summary_text(summary: Any) -> str:
    currency = f" {escape(summary.currency)}" if summary.currency else ""
    pct = "—" if summary.return_pct is None else gain(summary.return_pct) + "%"
    win = "—" if summary.win_rate is None else f"{summary.win_rate:.0f}%"
    parts = [f"[b]equity[/b] {amount(summary.equity)}{currency}", f"[b]return[/b] {pct}",
             f"[b]realized[/b] {gain(summary.realized_pnl)}", f"[b]unrealized[/b] {gain(summary.unrealized_pnl)}",
             f"[b]positions[/b] {'—' if summary.open_positions is None else summary.open_positions}",
             f"[b]win rate[/b] {win}", f"[b]fees[/b] {amount(summary.fees)}",
             f"[b]trades[/b] {summary.open_trades} open, {summary.closed_trades} closed"]
    text = "  ".join(parts)
    if summary.as_of:
        text += f"  [dim]as of {escape(summary.as_of)}[/dim]"
    if summary.note:
        text += f"\n[dim]{escape(summary.note)}[/dim]"
    return text


class TradingPane(Vertical, ShowsWorkerErrors):
    BINDINGS = [Binding("v", "view", "Next view"), Binding("o", "status", "Order status"),
                Binding("right_square_bracket", "page(1)", "Next page", key_display="]"),
                Binding("left_square_bracket", "page(-1)", "Previous page", key_display="[")]

    def __init__(self, handle: Any, path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handle, self.path = handle, path
        self.book: Any = None
        self.folder: Path | None = None
        self.view, self.first, self.total = "positions", 0, 0
        self.statuses: list[str] = []
        self.wide = True
        self.status: str | None = None  # the orders' status filter (None: every order)

    def compose(self) -> ComposeResult:
        yield Static(f"reading {escape(self.path)}…", id="trade-summary")
        yield Static("", id="trade-equity-label", classes="field-help")
        yield Sparkline([], id="trade-equity")
        yield Tabs(*(Tab(title, id=f"view-{key}") for key, title in VIEWS.items()), id="trade-views")
        yield Static("", id="trade-note", classes="field-help")
        yield DataTable(id="trade-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._parts(False)
        self.reload()

    def _parts(self, shown: bool) -> None:
        """What shows the books: hidden until they are read (and when they cannot be)."""
        for part in self.query("#trade-equity-label, #trade-equity, #trade-views, #trade-note, #trade-table"):
            part.display = shown

    def on_unmount(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "status":
            return self.view == "orders" and bool(self.statuses)
        if action == "page":
            step = int(parameters[0]) if parameters else 1
            return self.view != "positions" and 0 <= self.first + step * PAGE < self.total or None
        return True

    def reload(self) -> None:
        self.load_book()

    @work(thread=True, exclusive=True, exit_on_error=False, group="book")
    def load_book(self) -> None:
        from botship.trading import open_book

        content = self.handle.read_state_file(self.path)
        folder = Path(tempfile.mkdtemp(prefix="botship-trading-"))
        copy = folder / PurePosixPath(self.path).name
        copy.write_bytes(content)
        try:
            book = open_book(copy)
        except BotshipError as exc:  # said of the state file, not of the scratch copy
            shutil.rmtree(folder, ignore_errors=True)
            raise BotshipError(exc.what.replace(str(copy), self.path), exc.why, exc.fix) from None
        summary, series, statuses = book.summary(), book.equity_series(120), book.order_statuses()
        self.app.call_from_thread(self._opened, folder, book, summary, series, statuses)

    def _opened(self, folder: Path, book: Any, summary: Any, series: list[float], statuses: list[str]) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder, self.book, self.statuses = folder, book, statuses
        self._parts(True)
        self.query_one("#trade-summary", Static).update(summary_text(summary))
        label = self.query_one("#trade-equity-label", Static)
        spark = self.query_one("#trade-equity", Sparkline)
        known = [value for value in series if value is not None]
        spark.data = known
        spark.styles.width = min(max(len(known), 2), 120)  # a bar per snapshot, up to the pane's width
        spark.display = len(known) > 1
        label.update(f"equity, {len(known)} snapshot(s): {amount(min(known))} – {amount(max(known))}"
                     if len(known) > 1 else "equity: too few snapshots for a line yet")
        self.load_rows()

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        target = "#trade-summary" if worker.group == "book" else "#trade-note"
        if worker.group == "book":
            self.book = None
            self._parts(False)
        self.query_one(target, Static).update(error_markup(lines))

    # ---- the table under the tabs ---------------------------------------------------------------------

    @on(Tabs.TabActivated, "#trade-views")
    def view_picked(self, event: Tabs.TabActivated) -> None:
        view = str(event.tab.id).removeprefix("view-")
        if view != self.view:
            self.view, self.first = view, 0
            self.load_rows()

    def action_view(self) -> None:
        self.query_one("#trade-views", Tabs).action_next_tab()

    def action_status(self) -> None:
        """The orders' status filter: every order, then each status in turn."""
        choices: list[str | None] = [None, *self.statuses]
        self.status = choices[(choices.index(self.status) + 1) % len(choices)] if self.status in choices else None
        self.first = 0
        self.load_rows()

    def action_page(self, step: int) -> None:
        offset = self.first + step * PAGE
        if 0 <= offset < self.total:
            self.first = offset
            self.load_rows()

    def on_resize(self) -> None:
        if self.book is not None and self.wide != (self.app.size.width >= WIDE):
            self.load_rows()

    def load_rows(self) -> None:
        if self.book is not None:
            self.wide = self.app.size.width >= WIDE
            self.read_rows(self.view, self.first, self.status, self.wide)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rows")
    def read_rows(self, view: str, offset: int, status: str | None, wide: bool) -> None:
        book = self.book
        when = (lambda stamp: escape(stamp or "—")) if wide else short_stamp
        if view == "positions":
            items = book.positions()
            rows, total = [position_cells(item) for item in items], len(items)
        elif view == "orders":
            found = book.orders(status=status, offset=offset, limit=PAGE)
            rows, total = [order_cells(item, when) for item in found.items], found.total
        else:
            found = book.trades(open=view == "open", offset=offset, limit=PAGE)
            cells = open_trade_cells if view == "open" else closed_trade_cells
            rows, total = [cells(item, when) for item in found.items], found.total
        self.app.call_from_thread(self._rows, (view, offset, status), rows, total)

    def _rows(self, asked: tuple[str, int, str | None], rows: list[list[str]], total: int) -> None:
        view, offset, _ = asked
        if asked != (self.view, self.first, self.status):
            return  # another page, view or filter was asked for since: it is on its way
        self.total = total
        table = self.query_one("#trade-table", DataTable)
        table.clear(columns=True)
        table.add_columns(*COLUMNS[view])
        for row in rows:
            table.add_row(*row)
        shown = f"{offset + 1:,}–{offset + len(rows):,} of {total:,}" if rows else "none"
        note = f"{VIEWS[view]}: {shown}"
        if view == "orders":
            note += f" · status {escape(self.status) if self.status else 'any'} (o changes it)"
        if view != "positions" and total > PAGE:
            note += " · ] and [ turn pages"
        self.query_one("#trade-note", Static).update(note)
        self.screen.refresh_bindings()


def position_cells(item: Any) -> list[str]:
    return [escape(item.symbol), amount(item.amount, 6), amount(item.cost), amount(item.price), amount(item.value),
            gain(item.unrealized)]


def short_stamp(stamp: str | None) -> str:
    """A stored time ("2026-12-01 07:24:49") as month, day and minute, for a narrow terminal."""
    if not stamp:
        return "—"
    return escape(stamp[5:16] if len(stamp) >= 16 and stamp[4] == "-" else stamp)


def open_trade_cells(item: Any, when: Any) -> list[str]:
    return [escape(item.symbol), when(item.opened_at), amount(item.open_price), amount(item.amount, 6),
            amount(item.remaining, 6), amount(item.last_price), gain(item.unrealized)]


def closed_trade_cells(item: Any, when: Any) -> list[str]:
    return [escape(item.symbol), when(item.opened_at), when(item.closed_at),
            amount(item.open_price), amount(item.amount, 6), amount(item.last_price), gain(item.net_gain)]


def order_cells(item: Any, when: Any) -> list[str]:
    side = "[green]BUY[/]" if item.side.upper() == "BUY" else "[red]SELL[/]" if item.side.upper() == "SELL" \
        else escape(item.side)
    return [when(item.created_at), escape(item.symbol), side, escape(item.order_type or "—"),
            escape(item.status or "—"), amount(item.price), amount(item.amount, 6), amount(item.filled, 6),
            amount(item.fee, 4)]
