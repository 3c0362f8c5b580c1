"""The SQL that reads an investing-algorithm-framework database, whatever the framework version wrote.

The schema is read once (PRAGMA table_info); nothing here names a column it has not found. A renamed
column is looked for under each name it had (`order_side` or `side`, `filled` or `filled_amount`),
and a missing one reads as NULL. Versions with a `trades` table are read from it; older ones, whose
orders carried their trade (`trade_closed_at`, `trade_closed_price`, `net_gain`), from their filled
buy orders. Amounts are stored as TEXT: every one is CAST to REAL here, so sums, comparisons and
sorts are numeric.

`FrameworkSchema.trades_sql` and `.orders_sql` are SELECTs giving every trade / order as the same
columns (TRADE_COLUMNS, ORDER_COLUMNS) for trading_iaf.py to filter, sort and page.
"""

from __future__ import annotations

import sqlite3

from botship.errors import BadInput
from botship.sqlite_view import columns_of, quote, table_names

TRADE_COLUMNS = ("id", "symbol", "status", "opened_at", "closed_at", "open_price", "amount", "remaining", "last_price",
                 "net_gain", "unrealized", "short")
ORDER_COLUMNS = ("id", "symbol", "side", "order_type", "status", "price", "amount", "filled", "fee", "created_at")


def real(expr: str | None) -> str:
    return f"CAST({expr} AS REAL)" if expr else "NULL"


def order_by(sort: str, descending: bool, allowed: tuple[str, ...], what: str) -> str:
    """ORDER BY one of a view's columns (its amounts are REAL already), the id breaking ties."""
    if sort not in allowed:
        raise BadInput(f"the {what} cannot be sorted by {sort!r}", fix=f"sort by one of: {', '.join(allowed)}")
    direction = " DESC" if descending else ""
    return f" ORDER BY {sort}{direction}, id{direction}"


class FrameworkSchema:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.columns = {name: set(columns_of(db, name)) for name in table_names(db)}
        self.not_null = {name: {row[1] for row in db.execute(f"PRAGMA table_info({quote(name)})") if row[3]}
                         for name in self.columns}
        self.has_fees = False
        self.trades_sql = self._trades_sql()
        self.orders_sql = self._orders_sql()

    def col(self, table: str, *names: str, alias: str | None = None) -> str | None:
        """The first of `names` that `table` has, quoted (prefixed by `alias.` when given); None when none."""
        for name in names:
            if name in self.columns.get(table, ()):
                return f"{alias}.{quote(name)}" if alias else quote(name)
        return None

    def has(self, table: str) -> bool:
        return table in self.columns

    def _trades_sql(self) -> str:
        if self.col("trades", "target_symbol", "symbol"):
            fields, source, where = self._from_trades()
        elif self.col("orders", "order_side", "side"):
            fields, source, where = self._from_buy_orders()
        else:
            return ""
        short = fields.pop("short")
        fields = {name: expr or "NULL" for name, expr in fields.items()}
        sign = f"CASE WHEN {short} THEN -1 ELSE 1 END" if short else "1"
        fields["short"] = f"COALESCE({short}, 0)" if short else "0"
        fields["unrealized"] = (f"CASE WHEN {fields['status']} <> 'CLOSED' THEN ({fields['last_price']} - "
                                f"{fields['open_price']}) * {fields['remaining']} * {sign} END")
        fields["symbol"] = (f"{fields['target']} || '/' || {fields['trading']}" if fields["trading"] != "NULL"
                            else fields["target"])
        select = ", ".join(f"{fields[name]} AS {name}" for name in (*TRADE_COLUMNS, "target"))
        return f"SELECT {select} FROM {quote(source)}{where}"

    def _from_trades(self) -> tuple[dict, str, str]:
        c = lambda *names: self.col("trades", *names)  # noqa: E731
        status, closed = c("status"), c("closed_at")
        amount, held, last = c("amount", "filled_amount"), c("available_amount"), c("last_reported_price")
        if status:
            status_sql = f"UPPER(COALESCE({status}, 'OPEN'))"
        elif closed:
            status_sql = f"CASE WHEN {closed} IS NULL THEN 'OPEN' ELSE 'CLOSED' END"
        else:
            status_sql = "'OPEN'"
        is_open = f"({status_sql} <> 'CLOSED')"
        return {
            "id": c("id") or "rowid", "target": c("target_symbol", "symbol"), "trading": c("trading_symbol"),
            "status": status_sql, "opened_at": c("opened_at", "created_at"), "closed_at": closed,
            "open_price": real(c("open_price")), "amount": real(amount),
            "remaining": real(held) if held else f"CASE WHEN {is_open} THEN {real(amount)} ELSE 0 END",
            # A trade opened in the bot's last run has no reported price yet: its fill price is the last one seen.
            "last_price": (f"CASE WHEN {is_open} THEN COALESCE({real(last)}, {real(c('open_price'))}) "
                           f"ELSE {real(last)} END") if last else None,
            "net_gain": real(c("net_gain")), "short": c("is_short"),
        }, "trades", ""

    def _from_buy_orders(self) -> tuple[dict, str, str]:
        c = lambda *names: self.col("orders", *names)  # noqa: E731
        closed, closed_amount = c("trade_closed_at"), c("trade_closed_amount")
        filled = c("filled", "filled_amount") or c("amount")
        status_sql = f"CASE WHEN {closed} IS NULL THEN 'OPEN' ELSE 'CLOSED' END" if closed else "'OPEN'"
        state = c("status")
        done = f"{real(filled)} > 0" if filled else f"UPPER({state}) = 'CLOSED'" if state else "1"
        return {
            "id": c("id") or "rowid", "target": c("target_symbol", "symbol"), "trading": c("trading_symbol"),
            "status": status_sql, "opened_at": c("created_at"), "closed_at": closed,
            "open_price": real(c("price")), "amount": real(filled),
            "remaining": (f"MAX({real(filled)} - COALESCE({real(closed_amount)}, 0), 0)" if closed_amount
                          else f"CASE WHEN {status_sql} = 'OPEN' THEN {real(filled)} ELSE 0 END"),
            "last_price": real(c("trade_closed_price")), "net_gain": real(c("net_gain")), "short": None,
        }, "orders", f" WHERE UPPER({c('order_side', 'side')}) = 'BUY' AND {done}"

    def _orders_sql(self) -> str:
        if not self.col("orders", "order_side", "side"):
            return ""
        c = lambda *names: self.col("orders", *names, alias="o")  # noqa: E731
        fee, join = c("order_fee"), ""
        if not fee and self.col("order_fees", "cost") and self.col("order_fees", "order_id"):
            fee, join = "f.cost", " LEFT JOIN order_fees f ON f.order_id = o.id"  # older versions: a table of fees
        self.has_fees = fee is not None
        target, trading = c("target_symbol", "symbol"), c("trading_symbol")
        fields = {
            "id": c("id") or "o.rowid", "symbol": f"{target} || '/' || {trading}" if target and trading else target,
            "side": f"UPPER({c('order_side', 'side')})", "order_type": c("order_type", "type"),
            "status": c("status"), "price": real(c("price")), "amount": real(c("amount")),
            "filled": real(c("filled", "filled_amount")), "fee": real(fee), "created_at": c("created_at"),
        }
        select = ", ".join(f"{fields[name] or 'NULL'} AS {name}" for name in ORDER_COLUMNS)
        return f"SELECT {select} FROM orders o{join}"


def is_framework(db: sqlite3.Connection) -> bool:
    names = table_names(db)
    return "orders" in names and ("portfolios" in names or "trades" in names)
