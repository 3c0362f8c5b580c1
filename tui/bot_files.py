"""One file of a bot's state, opened: JSON pretty-printed, text highlighted, a SQLite database as its tables in a
paged table (read from a downloaded copy, read-only: nothing is written back)."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.syntax import Syntax
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from .bot_format import size_text
from .bot_keys import KeysFooter
from .widgets import TopBar
from .workers import ShowsWorkerErrors, error_markup

SQLITE_MAGIC = b"SQLite format 3\x00"
TEXT_LIMIT = 256 * 1024  # a longer text shows its start (download it to read it all)
PAGE = 100


@dataclass
class FileView:
    """A state file made ready to show (in a worker): its kind, and its text or its database's copy."""

    path: str
    size: int
    kind: str  # "sqlite" | "json" | "text" | "binary"
    text: str = ""
    copy: Path | None = None  # a SQLite database's downloaded copy, in a folder of its own


def prepare_view(path: str, content: bytes) -> FileView:
    if content.startswith(SQLITE_MAGIC):
        folder = Path(tempfile.mkdtemp(prefix="botship-view-"))
        copy = folder / Path(path).name
        copy.write_bytes(content)
        return FileView(path, len(content), "sqlite", copy=copy)
    try:
        text = content[:TEXT_LIMIT].decode("utf-8")
    except UnicodeDecodeError:
        return FileView(path, len(content), "binary")
    if len(content) <= TEXT_LIMIT:
        try:
            return FileView(path, len(content), "json", json.dumps(json.loads(text), indent=2, ensure_ascii=False))
        except ValueError:
            pass
    return FileView(path, len(content), "text", text)


def viewer_for(handle: Any, view: FileView) -> Screen:
    return SqliteScreen(handle, view) if view.kind == "sqlite" else FileScreen(handle, view)


class FileScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, handle: Any, view: FileView) -> None:
        super().__init__()
        self.handle, self.view = handle, view

    def compose(self) -> ComposeResult:
        view = self.view
        yield TopBar(f"{escape(self.handle.bot_name)} · state · {escape(view.path)}", self.handle.mode)
        note = f"{size_text(view.size)} · {view.kind}"
        if view.kind == "binary":
            note += " — not text: press d on the State tab to download it"
        elif view.size > TEXT_LIMIT:
            note += f" — the first {size_text(TEXT_LIMIT)} shown: press d on the State tab to download it all"
        yield Static(note, id="file-note", classes="field-help")
        with VerticalScroll(id="file-body"):
            if view.kind == "json":
                yield Static(Syntax(view.text, "json", word_wrap=True, background_color="default"))
            elif view.kind == "text":
                lexer = Syntax.guess_lexer(view.path, view.text)
                yield Static(Syntax(view.text, lexer, word_wrap=True, background_color="default"))
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#file-body").focus()


class SqliteScreen(ShowsWorkerErrors, Screen):
    """A database's tables on the left; the highlighted one's rows a page at a time, sortable by a column."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"),
                Binding("right_square_bracket", "page(1)", "Next page", key_display="]"),
                Binding("left_square_bracket", "page(-1)", "Previous page", key_display="["),
                Binding("s", "sort", "Sort by column")]

    def __init__(self, handle: Any, view: FileView) -> None:
        super().__init__()
        self.handle, self.view = handle, view
        self.infos: dict[str, Any] = {}
        self.table: str | None = None
        self.first, self.total = 0, 0
        self.order: tuple[str, bool] | None = None  # column, descending
        self.columns: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield TopBar(f"{escape(self.handle.bot_name)} · state · {escape(self.view.path)}", self.handle.mode)
        with Horizontal(id="sql"):
            yield OptionList(id="sql-tables")
            with Vertical(id="sql-side"):
                yield Static("reading the database…", id="sql-note", classes="field-help")
                yield DataTable(id="sql-page", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load_tables()

    def on_unmount(self) -> None:
        if self.view.copy is not None:
            shutil.rmtree(self.view.copy.parent, ignore_errors=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "page":
            step = int(parameters[0]) if parameters else 1
            return self.table is not None and (0 <= self.first + step * PAGE < self.total) or None
        if action == "sort":
            return bool(self.columns) or None
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="tables")
    def load_tables(self) -> None:
        from botship.sqlite_view import tables

        found = tables(self.view.copy)
        self.app.call_from_thread(self._tables, found)

    def _tables(self, found: list[Any]) -> None:
        self.infos = {info.name: info for info in found}
        listed = self.query_one("#sql-tables", OptionList)
        listed.clear_options()
        listed.add_options([Option(f"{escape(info.name)} [dim]{info.row_count:,}[/dim]", id=info.name)
                            for info in found])
        if not found:
            self.query_one("#sql-note", Static).update("The database holds no tables.")
            return
        listed.highlighted = 0
        listed.focus()

    @on(OptionList.OptionHighlighted, "#sql-tables")
    def table_picked(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id != self.table:
            self.table, self.first, self.order = event.option.id, 0, None
            self.load_page()

    @on(OptionList.OptionSelected, "#sql-tables")
    def table_entered(self) -> None:
        self.query_one("#sql-page", DataTable).focus()

    def action_page(self, step: int) -> None:
        offset = self.first + step * PAGE
        if self.table is not None and 0 <= offset < self.total:
            self.first = offset
            self.load_page()

    def action_sort(self) -> None:
        """Sort by the column under the cursor; again, the other way round."""
        grid = self.query_one("#sql-page", DataTable)
        if not self.columns:
            return
        column = self.columns[min(grid.cursor_column, len(self.columns) - 1)]
        descending = self.order is not None and self.order[0] == column and not self.order[1]
        self.order, self.first = (column, descending), 0
        self.load_page()

    def load_page(self) -> None:
        self.read_page(self.table, self.first, self.order)

    @work(thread=True, exclusive=True, exit_on_error=False, group="page")
    def read_page(self, table: str, offset: int, order: tuple[str, bool] | None) -> None:
        from botship.sqlite_view import page

        column, descending = order if order else (None, False)
        found = page(self.view.copy, table, offset, PAGE, order_by=column, descending=descending)
        self.app.call_from_thread(self._page, (table, offset, order), found)

    def _page(self, asked: tuple[str, int, Any], found: Any) -> None:
        table = asked[0]
        if asked != (self.table, self.first, self.order):
            return  # asked for another page since: that one is on its way
        grid = self.query_one("#sql-page", DataTable)
        column = grid.cursor_column if tuple(found.columns) == tuple(str(key.value) for key in grid.columns) else 0
        self.total, self.columns = found.total, tuple(found.columns)
        grid.clear(columns=True)
        for name in found.columns:
            marked = name + (" ▼" if self.order == (name, True) else " ▲" if self.order == (name, False) else "")
            grid.add_column(escape(marked), key=name)
        for row in found.rows:
            grid.add_row(*(escape(value) for value in row))
        grid.move_cursor(column=column)  # the same column again after a sort or a page turn
        last = found.offset + len(found.rows)
        shown = f"rows {found.offset + 1:,}–{last:,} of {found.total:,}" if found.rows else "no rows"
        order = f" · sorted by {escape(self.order[0])}{' descending' if self.order[1] else ''}" if self.order else ""
        self.query_one("#sql-note", Static).update(f"[b]{escape(table)}[/b] · {shown}{order}")
        self.refresh_bindings()

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        self.query_one("#sql-note", Static).update(error_markup(lines))
