"""The plain template's state.db (templates/project/plain/app.py) read as a trader's books.

state.db keeps the cash (`account`), what is held (`positions`, at its entry price) and every fill
(`trades`: side, symbol, price, amount, value). It keeps no market price and no currency, so:

- the fills are the orders (each one filled at once: status FILLED);
- trades are round trips put back together from the fills, first in first out: a buy opens one,
  the sells of that symbol close them;
- the starting balance is the cash now, plus what the buys spent, less what the sells brought in
  (cash moves only through fills in the template);
- equity and unrealized gain are known only while nothing is held (then equity is the cash); with
  a position open they are None, and `Summary.note` says why;
- the equity series is the equity right after each fill, at that fill's price (so it moves with
  realized gains only), from the starting balance on.

Read-only, from a downloaded copy; nothing is written back.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from botship.errors import BadInput
from botship.sqlite_view import columns_of, connect, quote, table_names
from botship.trading_model import (
    ORDER_SORTS, PAGE, TRADE_SORTS, Order, Position, Rows, Summary, Trade, downsample, num, page_bounds, percent, stamp,
)

FILLED = "FILLED"
NO_PRICE = "state.db keeps no market price: equity and unrealized gain are unknown while a position is open"


@dataclass
class _Fill:
    id: str
    side: str
    symbol: str
    price: float | None
    amount: float | None
    value: float | None
    fee: float | None
    at: str | None


class PlainBook:
    kind = "plain"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        with connect(path) as db:
            self.columns = {name: set(columns_of(db, name)) for name in table_names(db)}

    @cached_property
    def _books(self) -> tuple[float | None, list[_Fill], list[Position]]:
        """The cash, every fill and what is held, read once: the copy does not change under the book."""
        with connect(self.path) as db:
            return self._cash(db), self._fills(db), self._positions(db)

    def _fills(self, db: sqlite3.Connection) -> list[_Fill]:
        have = self.columns.get("trades", set())
        if not {"side", "symbol"} <= have:
            return []
        pick = lambda name: quote(name) if name in have else "NULL"  # noqa: E731
        key = "id" if "id" in have else "rowid"
        rows = db.execute(f"SELECT {key}, side, symbol, {pick('price')}, {pick('amount')}, {pick('value')}, "
                          f"{pick('fee')}, {pick('at')} FROM trades ORDER BY {key}")
        fills = []
        for fid, side, symbol, price, amount, value, fee, at in rows:
            price, amount = num(price), num(amount)
            value = num(value)
            if value is None and price is not None and amount is not None:
                value = price * amount
            fills.append(_Fill(str(fid), str(side or "").upper(), str(symbol or "?"), price, amount, value, num(fee),
                               stamp(at)))
        return fills

    def _cash(self, db: sqlite3.Connection) -> float | None:
        if "cash" not in self.columns.get("account", set()):
            return None
        row = db.execute("SELECT cash FROM account ORDER BY rowid LIMIT 1").fetchone()
        return num(row[0]) if row else None

    def _positions(self, db: sqlite3.Connection) -> list[Position]:
        have = self.columns.get("positions", set())
        if not {"symbol", "amount"} <= have:
            return []
        entry = "entry_price" if "entry_price" in have else "NULL"
        out = []
        for symbol, amount, price in db.execute(f"SELECT symbol, amount, {entry} FROM positions ORDER BY symbol"):
            amount, price = num(amount), num(price)
            if amount:
                out.append(Position(str(symbol), amount, amount * price if price is not None else None))
        return out

    def _round_trips(self, fills: list[_Fill]) -> list[Trade]:
        """The fills paired into trades, first in first out per symbol; oldest first."""
        trips: list[dict] = []
        open_lots: dict[str, list[dict]] = {}
        for fill in fills:
            if fill.side == "BUY" and fill.amount:
                lot = {"fill": fill, "remaining": fill.amount, "gain": 0.0, "closed": None, "close_price": None}
                trips.append(lot)
                open_lots.setdefault(fill.symbol, []).append(lot)
            elif fill.side == "SELL" and fill.amount:
                left = fill.amount
                lots = open_lots.get(fill.symbol, [])
                while lots and left > 1e-12 * fill.amount:
                    lot = lots[0]
                    sold = min(lot["remaining"], left)
                    opened = lot["fill"].price
                    if opened is not None and fill.price is not None:
                        lot["gain"] += sold * (fill.price - opened)
                    lot["remaining"] -= sold
                    left -= sold
                    lot["close_price"] = fill.price
                    if lot["remaining"] <= 1e-12 * lot["fill"].amount:
                        lot["remaining"], lot["closed"] = 0.0, fill.at or ""
                        lots.pop(0)
        return [Trade(lot["fill"].id, lot["fill"].symbol, "CLOSED" if lot["closed"] is not None else "OPEN",
                      lot["fill"].at, lot["closed"] or None, lot["fill"].price, lot["fill"].amount, lot["remaining"],
                      lot["close_price"], lot["gain"], None)  # no market price: an open trade's gain is unknown
                for lot in trips]

    def summary(self) -> Summary:
        cash, fills, held = self._books
        trips = self._round_trips(fills)
        closed = [t for t in trips if not t.is_open]
        fees = [f.fee for f in fills if f.fee is not None]
        initial = _initial(cash, fills) if cash is not None else None
        equity = cash if cash is not None and not held else None
        return Summary(
            equity=equity, return_pct=percent(None if equity is None or initial is None else equity - initial, initial),
            realized_pnl=sum(t.net_gain or 0.0 for t in trips), unrealized_pnl=None if held else 0.0,
            open_positions=len(held), win_rate=percent(sum(1 for t in closed if (t.net_gain or 0) > 0), len(closed))
            if closed else None, fees=sum(fees) if fees else None, currency=None, initial=initial, cash=cash,
            open_trades=len(trips) - len(closed), closed_trades=len(closed), as_of=fills[-1].at if fills else None,
            note=NO_PRICE if held else "")

    def positions(self) -> list[Position]:
        """What is held, at its entry price (state.db keeps no market price)."""
        return list(self._books[2])

    def trades(self, open: bool | None = None, offset: int = 0, limit: int = PAGE, sort: str | None = None,
               descending: bool = True) -> Rows[Trade]:
        offset, limit = page_bounds(offset, limit)
        trips = self._round_trips(self._books[1])
        if open is not None:
            trips = [t for t in trips if t.is_open == open]
        ordered = _sorted(trips, sort or "opened_at", descending, TRADE_SORTS, "trades", _trade_key)
        return Rows(ordered[offset:offset + limit], len(trips), offset)

    def orders(self, status: str | None = None, offset: int = 0, limit: int = PAGE, sort: str | None = None,
               descending: bool = True) -> Rows[Order]:
        offset, limit = page_bounds(offset, limit)
        fills = self._books[1]
        orders = [Order(f.id, f.symbol, f.side, None, FILLED, f.price, f.amount, f.amount, f.fee, f.at)
                  for f in fills if status is None or status == FILLED]
        ordered = _sorted(orders, sort or "created_at", descending, ORDER_SORTS, "orders", _order_key)
        return Rows(ordered[offset:offset + limit], len(orders), offset)

    def order_statuses(self) -> list[str]:
        return [FILLED] if self._books[1] else []

    def equity_series(self, max_points: int = 60) -> list[float]:
        """Equity from the starting balance on, right after each fill at that fill's price; [] without fills."""
        cash, fills, _ = self._books
        if cash is None or not fills:
            return []
        cash = _initial(cash, fills)
        held: dict[str, float] = {}
        last: dict[str, float] = {}
        series = [cash]
        for fill in fills:
            if fill.value is None or fill.amount is None or fill.price is None or fill.side not in ("BUY", "SELL"):
                continue
            sign = 1 if fill.side == "BUY" else -1
            cash -= sign * fill.value + (fill.fee or 0.0)
            held[fill.symbol] = held.get(fill.symbol, 0.0) + sign * fill.amount
            last[fill.symbol] = fill.price
            series.append(cash + sum(amount * last[symbol] for symbol, amount in held.items()))
        return downsample(series, max_points)


def _initial(cash: float, fills: list[_Fill]) -> float:
    """The starting balance: the cash now, plus what the buys spent and the fees cost, less what sells brought."""
    moved = sum((f.value or 0.0) * (1 if f.side == "BUY" else -1 if f.side == "SELL" else 0) for f in fills)
    return cash + moved + sum(f.fee or 0.0 for f in fills)

def _trade_key(trade: Trade, sort: str) -> object:
    return _id_key(trade.id) if sort == "id" else getattr(trade, sort)


def _sorted(items: list, sort: str, descending: bool, allowed: tuple[str, ...], what: str, key) -> list:
    if sort not in allowed:
        raise BadInput(f"the {what} cannot be sorted by {sort!r}", fix=f"sort by one of: {', '.join(allowed)}")
    present = [item for item in items if key(item, sort) is not None]
    missing = [item for item in items if key(item, sort) is None]
    present.sort(key=lambda item: (key(item, sort), _id_key(item.id)), reverse=descending)
    return present + missing


def _id_key(value: str) -> tuple:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def _order_key(order: Order, sort: str) -> object:
    return _id_key(order.id) if sort == "id" else getattr(order, sort)


def is_plain(db: sqlite3.Connection) -> bool:
    names = table_names(db)
    return "account" in names and "trades" in names and {"side", "symbol"} <= set(columns_of(db, "trades"))
