"""An investing-algorithm-framework database (`databases/*.sqlite3`) read as a trader's books.

The framework's schema differs between versions, so nothing here names a column it has not found
with PRAGMA table_info: a renamed column is looked for under each name it had (`order_side` or
`side`, `filled` or `filled_amount`), and a missing one makes its figure None, never an error.
Versions with a `trades` table (the framework's own trades) are read from it; older ones, whose
orders carried their trade (`trade_closed_at`, `net_gain`), from their filled buy orders. Amounts
are stored as TEXT: every sum, comparison and sort casts them to REAL first.

The database is a downloaded copy, opened read-only; nothing is written back.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from botship.errors import BadInput
from botship.sqlite_view import columns_of, connect, quote, table_names
from botship.trading_model import (
    PAGE, Order, Position, Rows, Summary, Trade, downsample, page_bounds, percent, stamp,
)

TRADE_SORTS = ("opened_at", "closed_at", "symbol", "status", "open_price", "amount", "remaining", "last_price",
               "net_gain", "unrealized", "id")
ORDER_SORTS = ("created_at", "symbol", "side", "order_type", "status", "price", "amount", "filled", "fee", "id")


def real(expr: str | None) -> str:
    return f"CAST({expr} AS REAL)" if expr else "NULL"


class FrameworkBook:
    kind = "framework"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        with connect(path) as db:
            self.columns = {name: set(columns_of(db, name)) for name in table_names(db)}
        self._trade_sql = self._trades_view()

    # ---------------------------------------------------------------- the schema, as found
    def col(self, table: str, *names: str, alias: str | None = None) -> str | None:
        """The first of `names` that `table` has, quoted (prefixed by `alias.` when given); None when none."""
        for name in names:
            if name in self.columns.get(table, ()):
                return f"{alias}.{quote(name)}" if alias else quote(name)
        return None

    def has(self, table: str) -> bool:
        return table in self.columns

    def _trades_view(self) -> str:
        """A SELECT giving every trade as the same columns, whatever the framework version wrote."""
        if self.col("trades", "target_symbol", "symbol"):
            c = lambda *names: self.col("trades", *names)  # noqa: E731
            status = c("status")
            closed = c("closed_at")
            held_col = c("available_amount")
            amount = c("amount", "filled_amount")
            if status:
                status_sql = f"UPPER(COALESCE({status}, 'OPEN'))"
            elif closed:
                status_sql = f"CASE WHEN {closed} IS NULL THEN 'OPEN' ELSE 'CLOSED' END"
            else:
                status_sql = "'OPEN'"
            is_open = f"({status_sql} <> 'CLOSED')"
            held = real(held_col) if held_col else f"CASE WHEN {is_open} THEN {real(amount)} ELSE 0 END"
            fields = {
                "id": c("id") or "rowid", "target": c("target_symbol", "symbol"), "trading": c("trading_symbol"),
                "status": status_sql, "opened_at": c("opened_at", "created_at"), "closed_at": closed,
                "open_price": real(c("open_price")), "amount": real(amount), "remaining": held,
                # A trade opened in the bot's last run has no reported price yet: its fill price is the last seen.
                "last_price": (f"CASE WHEN {is_open} THEN COALESCE({real(c('last_reported_price'))}, "
                               f"{real(c('open_price'))}) ELSE {real(c('last_reported_price'))} END")
                if c("last_reported_price") else "NULL",
                "net_gain": real(c("net_gain")), "short": c("is_short"),
            }
            source, where = "trades", ""
        elif self.col("orders", "order_side", "side"):
            c = lambda *names: self.col("orders", *names)  # noqa: E731
            closed = c("trade_closed_at")
            filled = c("filled", "filled_amount") or c("amount")
            status_sql = f"CASE WHEN {closed} IS NULL THEN 'OPEN' ELSE 'CLOSED' END" if closed else "'OPEN'"
            closed_amount = c("trade_closed_amount")
            held = (f"MAX({real(filled)} - COALESCE({real(closed_amount)}, 0), 0)" if closed_amount
                    else f"CASE WHEN {status_sql} = 'OPEN' THEN {real(filled)} ELSE 0 END")
            fields = {
                "id": c("id") or "rowid", "target": c("target_symbol", "symbol"), "trading": c("trading_symbol"),
                "status": status_sql, "opened_at": c("created_at"), "closed_at": closed,
                "open_price": real(c("price")), "amount": real(filled), "remaining": held,
                "last_price": real(c("trade_closed_price")), "net_gain": real(c("net_gain")), "short": None,
            }
            side = c("order_side", "side")
            state = c("status")
            done = f"{real(filled)} > 0" if filled else f"UPPER({state}) = 'CLOSED'" if state else "1"
            source, where = "orders", f" WHERE UPPER({side}) = 'BUY' AND {done}"
        else:
            return ""
        sign = f"CASE WHEN {fields['short']} THEN -1 ELSE 1 END" if fields["short"] else "1"
        fields["short"] = f"COALESCE({fields['short']}, 0)" if fields["short"] else "0"
        fields["unrealized"] = (f"CASE WHEN {fields['status']} <> 'CLOSED' THEN ({fields['last_price']} - "
                                f"{fields['open_price']}) * {fields['remaining']} * {sign} END")
        fields["symbol"] = (f"{fields['target']} || '/' || {fields['trading']}" if fields["trading"]
                            else fields["target"])
        select = ", ".join(f"{expr or 'NULL'} AS {name}" for name, expr in fields.items())
        return f"SELECT {select} FROM {quote(source)}{where}"

    # ---------------------------------------------------------------- what the view reads
    def _portfolio(self, db: sqlite3.Connection) -> dict:
        if not self.has("portfolios"):
            return {}
        c = lambda *names: self.col("portfolios", *names)  # noqa: E731
        symbols = [row[0] for row in db.execute(f"SELECT DISTINCT {c('trading_symbol')} FROM portfolios "
                                                f"WHERE {c('trading_symbol')} IS NOT NULL")] if c("trading_symbol") else []
        initial = c("initial_balance")
        unallocated = c("unallocated")
        total = db.execute(f"SELECT count(*), TOTAL({real(initial)}), count({initial or 'NULL'}), "
                           f"TOTAL({real(unallocated)}), count({unallocated or 'NULL'}), "
                           f"TOTAL({real(c('total_net_gain'))}), count({c('total_net_gain') or 'NULL'}) "
                           f"FROM portfolios").fetchone()
        return {"symbols": symbols, "count": total[0], "initial": total[1] if total[2] else None,
                "unallocated": total[3] if total[4] else None, "net_gain": total[5] if total[6] else None}

    def _snapshot_equity(self, db: sqlite3.Connection) -> tuple[float | None, str | None]:
        """The total value of each portfolio's newest snapshot, summed, and when it was taken."""
        value = self.col("portfolio_snapshots", "total_value")
        if not value:
            return None, None
        created = self.col("portfolio_snapshots", "created_at")
        owner = self.col("portfolio_snapshots", "portfolio_id")
        # SQLite reads the bare value from the row MAX() picked: each portfolio's newest snapshot, in one scan.
        newest = f"MAX({created})" if created else "MAX(rowid)"
        group = f" GROUP BY {owner}" if owner else ""
        rows = [(v, at) for v, at in db.execute(f"SELECT {real(value)}, {newest} FROM portfolio_snapshots{group}")
                if at is not None]
        if not rows:
            return None, None
        return sum(v or 0.0 for v, _ in rows), stamp(max(str(at) for _, at in rows)) if created else None

    def _cash(self, db: sqlite3.Connection, symbols: list[str], portfolio: dict) -> float | None:
        symbol, amount = self.col("positions", "symbol"), self.col("positions", "amount")
        if symbol and amount and symbols:
            marks = ", ".join("?" * len(symbols))
            row = db.execute(f"SELECT TOTAL({real(amount)}), count(*) FROM positions WHERE UPPER({symbol}) IN "
                             f"({marks})", [s.upper() for s in symbols]).fetchone()
            if row[1]:
                return row[0]
        return portfolio.get("unallocated")

    def summary(self) -> Summary:
        notes = []
        with connect(self.path) as db:
            portfolio = self._portfolio(db)
            symbols = portfolio.get("symbols", [])
            cash = self._cash(db, symbols, portfolio)
            equity, as_of = self._snapshot_equity(db)
            agg = (0, 0, None, 0, None, 0, None) if not self._trade_sql else db.execute(
                "SELECT TOTAL(status <> 'CLOSED'), TOTAL(status = 'CLOSED'), TOTAL(net_gain), count(net_gain), "
                "TOTAL(CASE WHEN status <> 'CLOSED' THEN unrealized END), "
                "TOTAL(status <> 'CLOSED' AND unrealized IS NULL), "
                "TOTAL(status = 'CLOSED' AND net_gain > 0) "
                f"FROM ({self._trade_sql})").fetchone()
            open_count, closed_count = int(agg[0] or 0), int(agg[1] or 0)
            realized = agg[2] if agg[3] else (portfolio.get("net_gain") if not self._trade_sql else None)
            unrealized = None if agg[5] else (agg[4] if self._trade_sql else None)
            if equity is None:
                notes.append("equity is worked out from the cash and the open trades' last prices "
                             "(the snapshots of this framework version keep no total value)")
                held = db.execute(f"SELECT TOTAL(remaining * last_price), TOTAL(last_price IS NULL AND remaining > 0) "
                                  f"FROM ({self._trade_sql}) WHERE status <> 'CLOSED'").fetchone() \
                    if self._trade_sql else (0.0, 0)
                equity = cash + held[0] if cash is not None and not held[1] else None
            fees = self._fees(db)
            held_positions = self._positions(db, symbols)
        if unrealized is None and open_count:
            notes.append("an open trade has no last price in the database: its gain is unknown")
        open_positions = len(held_positions) if self.has("positions") else (open_count if self._trade_sql else None)
        initial = portfolio.get("initial")
        return Summary(
            equity=equity, return_pct=percent(None if equity is None or initial is None else equity - initial, initial),
            realized_pnl=realized, unrealized_pnl=unrealized, open_positions=open_positions,
            win_rate=percent(agg[6], closed_count) if closed_count else None, fees=fees,
            currency="/".join(symbols) or None, initial=initial, cash=cash, open_trades=open_count,
            closed_trades=closed_count, as_of=as_of, note="; ".join(notes))

    def _fees(self, db: sqlite3.Connection) -> float | None:
        fee = self.col("orders", "order_fee")
        if fee:
            return db.execute(f"SELECT TOTAL({real(fee)}) FROM orders").fetchone()[0]
        if self.col("order_fees", "cost"):
            return db.execute("SELECT TOTAL(CAST(cost AS REAL)) FROM order_fees").fetchone()[0]
        return None

    def _positions(self, db: sqlite3.Connection, symbols: list[str]) -> list[Position]:
        symbol, amount = self.col("positions", "symbol"), self.col("positions", "amount")
        if not (symbol and amount):
            return []
        cost = self.col("positions", "cost")
        marks = ", ".join("?" * len(symbols))
        cash_apart = f" AND UPPER({symbol}) NOT IN ({marks})" if symbols else ""
        rows = db.execute(f"SELECT {symbol}, {real(amount)}, {real(cost)} FROM positions WHERE {real(amount)} <> 0"
                          f"{cash_apart} ORDER BY {symbol}", [s.upper() for s in symbols]).fetchall()
        prices = {}
        if self._trade_sql:
            prices = {target: price for target, price in db.execute(
                f"SELECT target, last_price FROM ({self._trade_sql}) WHERE last_price IS NOT NULL AND "
                f"status <> 'CLOSED' ORDER BY opened_at, id")}  # the price of the newest open trade wins
        out = []
        for name, held, paid in rows:
            price = prices.get(name)
            value = held * price if price is not None else None
            out.append(Position(name, held, paid, price, value,
                                value - paid if value is not None and paid is not None else None))
        return out

    def positions(self) -> list[Position]:
        """What is held, cash apart (the trading symbol's own position is the cash: see Summary.cash)."""
        with connect(self.path) as db:
            return self._positions(db, self._portfolio(db).get("symbols", []))

    # ---------------------------------------------------------------- pages
    def trades(self, open: bool | None = None, offset: int = 0, limit: int = PAGE, sort: str | None = None,
               descending: bool = True) -> Rows[Trade]:
        """A page of trades, newest first (or by `sort`, one of TRADE_SORTS); `open` picks open or closed ones."""
        offset, limit = page_bounds(offset, limit)
        if not self._trade_sql:
            return Rows([], 0, offset)
        where = "" if open is None else " WHERE status <> 'CLOSED'" if open else " WHERE status = 'CLOSED'"
        order = _order(sort or "opened_at", descending, TRADE_SORTS, "trades")
        with connect(self.path) as db:
            total = db.execute(f"SELECT count(*) FROM ({self._trade_sql}){where}").fetchone()[0]
            rows = db.execute(f"SELECT id, symbol, status, opened_at, closed_at, open_price, amount, remaining, "
                              f"last_price, net_gain, unrealized, short FROM ({self._trade_sql}){where}{order} "
                              f"LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return Rows([Trade(str(r[0]), str(r[1] or "?"), str(r[2]), stamp(r[3]), stamp(r[4]), r[5], r[6], r[7],
                           r[8], r[9], r[10], "short" if r[11] else "long") for r in rows], total, offset)

    def _orders_sql(self) -> str:
        c = lambda *names: self.col("orders", *names, alias="o")  # noqa: E731
        fee, join = c("order_fee"), ""
        if not fee and self.col("order_fees", "cost") and self.col("order_fees", "order_id"):
            fee, join = "f.cost", " LEFT JOIN order_fees f ON f.order_id = o.id"
        target, trading = c("target_symbol", "symbol"), c("trading_symbol")
        fields = {
            "id": c("id") or "o.rowid", "symbol": f"{target} || '/' || {trading}" if target and trading else target,
            "side": f"UPPER({c('order_side', 'side')})", "order_type": c("order_type", "type"),
            "status": c("status"), "price": real(c("price")), "amount": real(c("amount")),
            "filled": real(c("filled", "filled_amount")), "fee": real(fee), "created_at": c("created_at"),
        }
        select = ", ".join(f"{expr or 'NULL'} AS {name}" for name, expr in fields.items())
        return f"SELECT {select} FROM orders o{join}"

    def orders(self, status: str | None = None, offset: int = 0, limit: int = PAGE, sort: str | None = None,
               descending: bool = True) -> Rows[Order]:
        """A page of orders, newest first (or by `sort`, one of ORDER_SORTS), of one status when given."""
        offset, limit = page_bounds(offset, limit)
        if not self.col("orders", "order_side", "side"):
            return Rows([], 0, offset)
        where, args = (" WHERE status = ?", [status]) if status is not None else ("", [])
        order = _order(sort or "created_at", descending, ORDER_SORTS, "orders")
        with connect(self.path) as db:
            total = db.execute(f"SELECT count(*) FROM ({self._orders_sql()}){where}", args).fetchone()[0]
            rows = db.execute(f"SELECT * FROM ({self._orders_sql()}){where}{order} LIMIT ? OFFSET ?",
                              [*args, limit, offset]).fetchall()
        return Rows([Order(str(r[0]), str(r[1] or "?"), str(r[2] or "?"), r[3], r[4], r[5], r[6], r[7], r[8],
                           stamp(r[9])) for r in rows], total, offset)

    def order_statuses(self) -> list[str]:
        """The statuses the orders have, for the status filter."""
        status = self.col("orders", "status")
        if not status:
            return []
        with connect(self.path) as db:
            return [row[0] for row in db.execute(f"SELECT DISTINCT {status} FROM orders WHERE {status} IS NOT NULL "
                                                 f"ORDER BY 1")]

    def equity_series(self, max_points: int = 60) -> list[float]:
        """The portfolio's total value at each snapshot, oldest first, thinned to `max_points` (several
        portfolios summed); [] when the snapshots keep no total value (older framework versions)."""
        value = self.col("portfolio_snapshots", "total_value")
        if not value or max_points <= 0:
            return []
        created = self.col("portfolio_snapshots", "created_at") or "rowid"
        owner = self.col("portfolio_snapshots", "portfolio_id") or "NULL"
        series: dict[object, list[float]] = {}
        with connect(self.path) as db:
            for who, v in db.execute(f"SELECT {owner}, {real(value)} FROM portfolio_snapshots WHERE {value} IS NOT NULL "
                                     f"ORDER BY {created}, rowid"):
                series.setdefault(who, []).append(v)
        thinned = [downsample(values, max_points) for values in series.values()]
        length = max((len(values) for values in thinned), default=0)
        # Aligned on the newest snapshot: a portfolio added later counts from when it has snapshots.
        return [sum(values[i - (length - len(values))] for values in thinned if i >= length - len(values))
                for i in range(length)]


def _order(sort: str, descending: bool, allowed: tuple[str, ...], what: str) -> str:
    """ORDER BY one of the view's columns (amounts are REAL there already), the id breaking ties."""
    if sort not in allowed:
        raise BadInput(f"the {what} cannot be sorted by {sort!r}", fix=f"sort by one of: {', '.join(allowed)}")
    direction = " DESC" if descending else ""
    return f" ORDER BY {sort}{direction}, id{direction}"


def is_framework(db: sqlite3.Connection) -> bool:
    names = table_names(db)
    return "orders" in names and ("portfolios" in names or "trades" in names)

