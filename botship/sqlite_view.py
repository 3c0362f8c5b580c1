"""A read-only look into a SQLite database: its tables, and one page of a table's rows as table cells.

The database is a downloaded copy of a bot's state file. It is opened read-only (`mode=ro`), so
nothing is ever written to it, and every table or column name it holds is quoted before it reaches
SQL: a name comes from the file, never from botship. A file that is not a database, or cannot be
opened, is a BotshipError naming it.

    tables(path)                       → [TableInfo(name, columns, row_count, kind)]
    page(path, table, offset, limit)   → Page(columns, rows, total, offset): rows of strings
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from botship.errors import BadInput, BotshipError

CELL_CHARS = 80  # text longer than this is cut, with "…", for a table cell
MAX_LIMIT = 1000  # rows one page holds at most
# Terminal control characters (C0 but tab and newline, DEL, C1) never reach a cell: ESC would drive the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Text that reads as a number (an amount the framework stores as TEXT): sorted by its value, not its letters.
_NUMBER_SQL = ("(trim({c}) <> '' AND trim({c}) GLOB '*[0-9]*' AND NOT trim({c}) GLOB '*[^0-9.eE+-]*')")


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[str, ...]
    row_count: int
    kind: str = "table"  # "table" or "view"


@dataclass(frozen=True)
class Page:
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]  # each value as a table cell (see cell())
    total: int  # rows in the table
    offset: int = 0


def quote(name: str) -> str:
    """An SQL identifier, quoted: a name read from the file is never written into SQL as it is."""
    return '"' + str(name).replace('"', '""') + '"'


def _uri(path: str | Path) -> str:
    return f"{Path(path).resolve().as_uri()}?mode=ro"


def _not_readable(path: str | Path, exc: Exception) -> BotshipError:
    return BotshipError(f"{path} cannot be read as a SQLite database", str(exc),
                        "check that the file is a SQLite database (download it again if it was cut short)")


@contextmanager
def connect(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the database at `path`, closed after use. BotshipError (naming the file) when
    it is missing, is not a database, or cannot be read."""
    if not Path(path).is_file():
        why = "it is a folder, not a file" if Path(path).is_dir() else "there is no file at that path"
        raise BotshipError(f"{path} cannot be read as a SQLite database", why,
                           "check the path, or download the state file again")
    try:
        db = sqlite3.connect(_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise _not_readable(path, exc) from None
    with closing(db):
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise _not_readable(path, exc) from None
        try:
            yield db
        except sqlite3.Error as exc:  # a file damaged further in than its first page, a view that cannot run
            raise _not_readable(path, exc) from None


def columns_of(db: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """The column names of a table or view, from PRAGMA table_info (empty when there is no such table)."""
    return tuple(row[1] for row in db.execute(f"PRAGMA table_info({quote(table)})"))


def table_names(db: sqlite3.Connection) -> dict[str, str]:
    """Every table and view by name → "table" | "view", SQLite's own (sqlite_*) left out."""
    rows = db.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    return {name: kind for name, kind in rows}


def _count(db: sqlite3.Connection, table: str) -> int:
    try:
        return db.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0]
    except sqlite3.OperationalError:  # a view over a table that is gone, a virtual table of a missing module
        return 0


def tables(path: str | Path) -> list[TableInfo]:
    """The tables and views of the database at `path`, by name, with their columns and row counts."""
    with connect(path) as db:
        return [TableInfo(name, columns_of(db, name), _count(db, name), kind)
                for name, kind in table_names(db).items()]


def _rowid(db: sqlite3.Connection, table: str, kind: str, names: tuple[str, ...]) -> str | None:
    """The name that reaches the table's rowid (a column may take "rowid" for itself), or None for a view or a
    WITHOUT ROWID table."""
    if kind != "table":
        return None
    alias = next((name for name in ("rowid", "_rowid_", "oid") if name.lower() not in {n.lower() for n in names}),
                 None)
    if alias is None:
        return None
    try:
        db.execute(f"SELECT {alias} FROM {quote(table)} LIMIT 0")
        return alias
    except sqlite3.OperationalError:  # WITHOUT ROWID
        return None


def order_clause(column: str | None, descending: bool, rowid: str | None) -> str:
    """ORDER BY for a column: numbers (and text that reads as a number) by value, the rest by their text; the
    rowid last so that pages never overlap or skip a row."""
    direction = " DESC" if descending else ""
    keys = []
    if column is not None:
        c = quote(column)
        keys += [f"CASE WHEN {_NUMBER_SQL.format(c=c)} THEN CAST({c} AS REAL) END{direction}", f"{c}{direction}"]
    if rowid:
        keys.append(f"{rowid}{direction}")
    return f" ORDER BY {', '.join(keys)}" if keys else ""


def page(path: str | Path, table: str, offset: int = 0, limit: int = 100, order_by: str | None = None,
         descending: bool = False) -> Page:
    """`limit` rows of `table` from `offset` (in rowid order, or by `order_by`), as table cells, with the
    table's row count. An unknown table or column is BadInput."""
    offset, limit = max(0, int(offset)), max(0, min(int(limit), MAX_LIMIT))
    with connect(path) as db:
        kind = table_names(db).get(table)
        if kind is None:
            raise BadInput(f"{path} has no table named {table!r}", fix="pick one of the tables it lists")
        names = columns_of(db, table)
        if order_by is not None and order_by not in names:
            raise BadInput(f"the table {table!r} has no column named {order_by!r}",
                           fix=f"sort by one of: {', '.join(names)}")
        rowid = _rowid(db, table, kind, names)
        order = order_clause(order_by, descending, rowid)
        if rowid and order_by is not None:
            # Sort the rowids alone, then read the page's rows: the sorter never holds the table's wide columns.
            rows = db.execute(f"SELECT * FROM {quote(table)} WHERE {rowid} IN (SELECT {rowid} FROM {quote(table)}"
                              f"{order} LIMIT ? OFFSET ?){order}", (limit, offset))
        else:
            rows = db.execute(f"SELECT * FROM {quote(table)}{order} LIMIT ? OFFSET ?", (limit, offset))
        cells = [tuple(cell(value) for value in row) for row in rows]
        return Page(names, cells, _count(db, table), offset)


def cell(value: object, width: int = CELL_CHARS) -> str:
    """A stored value as one line of text for a table cell: NULL, a number as SQLite gave it, a blob by its
    size, text on one line with control characters replaced and cut to `width` characters."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"<blob {len(value)} bytes>"
    if isinstance(value, float):
        return repr(value)
    text = str(value).replace("\r\n", "\n").replace("\n", "⏎").replace("\t", " ")
    text = _CONTROL.sub("\ufffd", text)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
