"""The trading view of a bot's state: its summary, positions, trades and orders, read from its database.

Two kinds of database are read, from a downloaded copy, read-only:

- "framework": an investing-algorithm-framework database (`databases/*.sqlite3` in the state folder),
  read whatever the framework version (trading_iaf.py);
- "plain": the plain template's `state.db` (trading_plain.py).

    path = find_trading_db(state_paths)      # which state file holds the books, or None
    book = open_book(local_copy)             # BotshipError when it is no trading database
    book.summary()                           # Summary: equity, return %, P&L, win rate, fees, …
    book.positions()                         # [Position], cash apart (Summary.cash)
    book.trades(open=True, offset=0, limit=50)   # Rows[Trade]: .items, .total
    book.orders(status="CLOSED")             # Rows[Order]; book.order_statuses() for the filter
    sparkline(book.equity_series(60), 30)    # "▁▂▄▆█…"

Every figure the database cannot tell is None; nothing here draws, prints or writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Protocol

from botship.errors import BotshipError
from botship.sqlite_view import connect
from botship.trading_iaf import FrameworkBook
from botship.trading_iaf_sql import is_framework
from botship.trading_model import ORDER_SORTS, PAGE, TRADE_SORTS, Order, Position, Rows, Summary, Trade, sparkline
from botship.trading_plain import PlainBook, is_plain

__all__ = ["ORDER_SORTS", "PAGE", "TRADE_SORTS", "Order", "Position", "Rows", "Summary", "Trade", "TradingBook",
           "find_trading_db", "open_book", "sparkline"]

FRAMEWORK_DEFAULT = "prod-database.sqlite3"  # the name the framework gives its database
PLAIN_NAME = "state.db"


class TradingBook(Protocol):
    kind: str  # "framework" | "plain"
    path: str

    def summary(self) -> Summary: ...

    def positions(self) -> list[Position]: ...

    def trades(self, open: bool | None = None, offset: int = 0, limit: int = PAGE, sort: str | None = None,
               descending: bool = True) -> Rows[Trade]: ...

    def orders(self, status: str | None = None, offset: int = 0, limit: int = PAGE, sort: str | None = None,
               descending: bool = True) -> Rows[Order]: ...

    def order_statuses(self) -> list[str]: ...

    def equity_series(self, max_points: int = 60) -> list[float]: ...


def find_trading_db(paths: Iterable[str]) -> str | None:
    """Of a bot's state file paths (relative, "/"-separated), the one holding its trading books: a framework
    database (`databases/*.sqlite3`, the framework's prod-database.sqlite3 first, the shallowest first) ahead of
    the plain template's `state.db` (the shallowest first); None when there is neither."""
    found: list[tuple[tuple, str]] = []
    for path in paths:
        parts = PurePosixPath(str(path).replace("\\", "/")).parts
        if len(parts) >= 2 and parts[-2] == "databases" and parts[-1].endswith(".sqlite3"):
            found.append(((0, parts[-1] != FRAMEWORK_DEFAULT, len(parts), path), path))
        elif parts and parts[-1] == PLAIN_NAME:
            found.append(((1, False, len(parts), path), path))
    return min(found)[1] if found else None


def open_book(path: str | Path) -> TradingBook:
    """The trading books in the SQLite database at `path` (a local, downloaded copy), opened read-only.
    BotshipError naming the file when it is not a database, or holds neither kind of books."""
    with connect(path) as db:
        if is_framework(db):
            kind = "framework"
        elif is_plain(db):
            kind = "plain"
        else:
            raise BotshipError(f"{path} holds no trading books",
                               "it has neither an investing-algorithm-framework's tables (portfolios, orders, "
                               "trades) nor the plain template's (account, trades)",
                               "open it from the State tab to see its tables")
    return FrameworkBook(path) if kind == "framework" else PlainBook(path)
