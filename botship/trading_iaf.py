"""An investing-algorithm-framework database (`databases/*.sqlite3`) read as a trader's books.

The SQL that copes with the framework's versions is in trading_iaf_sql.py. The database is a
downloaded copy, opened read-only: it does not change under the book, so what takes a scan of a
whole table (the trade figures, the open trades' prices, the orders' count, fees and statuses, the
snapshots) is worked out once, by whichever thread asks first, and kept; a page then scans only
the columns it sorts and filters by. Nothing is written back.
"""

from __future__ import annotations

import json
import threading
from functools import cached_property
from pathlib import Path

from botship.sqlite_view import connect
from botship.trading_iaf_sql import TRADE_COLUMNS, FrameworkSchema, order_by, real
from botship.trading_model import (
    ORDER_SORTS, PAGE, TRADE_SORTS, Order, Position, Rows, Summary, Trade, downsample, page_bounds, percent, stamp,
)


class FrameworkBook:
    kind = "framework"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()  # a kept figure is worked out once, whichever thread asks first
        self._status_totals: dict[str, int] = {}
        with connect(path) as db:
            self.schema = FrameworkSchema(db)

    # ---------------------------------------------------------------- worked out once
    @cached_property
    def _portfolio(self) -> dict:
        """Trading symbols, starting balance, unallocated cash, realized gain and count of the portfolios."""
        if not self.schema.has("portfolios"):
            return {"symbols": [], "count": 0}
        c = lambda *names: self.schema.col("portfolios", *names)  # noqa: E731
        with self._lock, connect(self.path) as db:
            symbol = c("trading_symbol")
            symbols = [row[0] for row in db.execute(f"SELECT DISTINCT {symbol} FROM portfolios WHERE {symbol} IS NOT "
                                                    f"NULL ORDER BY {symbol}")] if symbol else []
            figures = [c("initial_balance"), c("unallocated"), c("total_net_gain")]
            row = db.execute("SELECT count(*), " + ", ".join(f"TOTAL({real(f)}), count({f or 'NULL'})" for f in figures)
                             + " FROM portfolios").fetchone()
        initial, unallocated, net_gain = (row[i] if row[i + 1] else None for i in (1, 3, 5))
        return {"symbols": symbols, "count": row[0], "initial": initial, "unallocated": unallocated,
                "net_gain": net_gain}

    @cached_property
    def _trade_stats(self) -> tuple[int, int, float | None, int]:
        """(open, closed, realized gain or None, closed with a gain) over every trade."""
        view = self.schema.trades_sql
        if not view:
            return 0, 0, None, 0
        with self._lock, connect(self.path) as db:
            # LIMIT -1 keeps the inner SELECT a subroutine: each row's status is worked out once, not per use.
            closed, count, realized, known, wins = db.execute(
                "SELECT TOTAL(status = 'CLOSED'), count(*), TOTAL(net_gain), count(net_gain), "
                f"TOTAL(status = 'CLOSED' AND net_gain > 0) FROM (SELECT status, net_gain FROM ({view}) LIMIT -1)"
            ).fetchone()
        return count - int(closed), int(closed), realized if known or not count else None, int(wins)

    @cached_property
    def _open_trades(self) -> tuple[float | None, dict[str, float]]:
        """The open trades' unrealized gain (None when one has no price) and each symbol's newest price."""
        view = self.schema.trades_sql
        if not view:
            return None, {}
        with self._lock, connect(self.path) as db:
            rows = db.execute(f"SELECT target, last_price, unrealized FROM ({view}) WHERE status <> 'CLOSED' "
                              f"ORDER BY opened_at, id").fetchall()
        prices = {target: price for target, price, _ in rows if price is not None}  # the newest trade's wins
        gains = [gain for _, _, gain in rows]
        return (None if None in gains else float(sum(gains))), prices

    @cached_property
    def _order_stats(self) -> tuple[int, float, list[str]]:
        """How many orders there are, the fees they paid, and their statuses: one scan."""
        view = self.schema.orders_sql
        if not view:
            return 0, 0.0, []
        with self._lock, connect(self.path) as db:
            count, fees, statuses = db.execute(f"SELECT count(*), TOTAL(fee), json_group_array(DISTINCT status) "
                                               f"FROM ({view})").fetchone()
        return count, fees, sorted(s for s in json.loads(statuses) if s is not None)

    @cached_property
    def _newest_snapshot(self) -> tuple[float | None, str | None]:
        """The total value of each portfolio's newest snapshot (the last it wrote), summed, and when."""
        value = self.schema.col("portfolio_snapshots", "total_value")
        if not value:
            return None, None
        created = self.schema.col("portfolio_snapshots", "created_at") or "NULL"
        owner = self.schema.col("portfolio_snapshots", "portfolio_id")
        several = owner and self._portfolio["count"] > 1
        with self._lock, connect(self.path) as db:
            if several:  # each portfolio's newest: the bare columns of MAX(rowid)
                rows = db.execute(f"SELECT {real(value)}, {created}, MAX(rowid) FROM portfolio_snapshots WHERE "
                                  f"{value} IS NOT NULL GROUP BY {owner}").fetchall()
            else:
                rows = db.execute(f"SELECT {real(value)}, {created} FROM portfolio_snapshots WHERE {value} IS NOT "
                                  f"NULL ORDER BY rowid DESC LIMIT 1").fetchall()
        if not rows:
            return None, None
        newest = [row[1] for row in rows if row[1] is not None]
        return sum(row[0] or 0.0 for row in rows), stamp(max(map(str, newest))) if newest else None

    @cached_property
    def _positions(self) -> list[Position]:
        symbol, amount = self.schema.col("positions", "symbol"), self.schema.col("positions", "amount")
        if not (symbol and amount):
            return []
        symbols = [s.upper() for s in self._portfolio["symbols"]]
        cash_apart = f" AND UPPER({symbol}) NOT IN ({', '.join('?' * len(symbols))})" if symbols else ""
        with connect(self.path) as db:
            rows = db.execute(f"SELECT {symbol}, {real(amount)}, {real(self.schema.col('positions', 'cost'))} FROM "
                              f"positions WHERE {real(amount)} <> 0{cash_apart} ORDER BY {symbol}", symbols).fetchall()
        prices = self._open_trades[1] if rows else {}
        out = []
        for name, held, paid in rows:
            price = prices.get(name)
            value = held * price if price is not None else None
            out.append(Position(name, held, paid, price, value,
                                value - paid if value is not None and paid is not None else None))
        return out

    def _cash(self) -> float | None:
        symbol, amount = self.schema.col("positions", "symbol"), self.schema.col("positions", "amount")
        symbols = [s.upper() for s in self._portfolio["symbols"]]
        if symbol and amount and symbols:
            with connect(self.path) as db:
                total, count = db.execute(f"SELECT TOTAL({real(amount)}), count(*) FROM positions WHERE "
                                          f"UPPER({symbol}) IN ({', '.join('?' * len(symbols))})", symbols).fetchone()
            if count:
                return total
        return self._portfolio.get("unallocated")

    # ---------------------------------------------------------------- what the view shows
    def summary(self) -> Summary:
        notes = []
        portfolio, cash = self._portfolio, self._cash()
        open_count, closed_count, realized, wins = self._trade_stats
        has_trades = bool(self.schema.trades_sql)
        if not has_trades:
            realized = portfolio.get("net_gain")
        unrealized, _ = self._open_trades
        equity, as_of = self._newest_snapshot
        if equity is None:
            notes.append("equity is worked out from the cash and the open trades' last prices "
                         "(no snapshot of the portfolio holds its total value)")
            equity = self._equity_from_trades(cash)
        if unrealized is None and open_count:
            notes.append("an open trade has no last price in the database: its gain is unknown")
        initial = portfolio.get("initial")
        open_positions = len(self._positions) if self.schema.has("positions") else (open_count if has_trades else None)
        return Summary(
            equity=equity, return_pct=percent(None if equity is None or initial is None else equity - initial, initial),
            realized_pnl=realized, unrealized_pnl=unrealized if has_trades else None, open_positions=open_positions,
            win_rate=percent(wins, closed_count) if closed_count else None,
            fees=self._order_stats[1] if self.schema.has_fees else None,
            currency="/".join(portfolio["symbols"]) or None, initial=initial, cash=cash, open_trades=open_count,
            closed_trades=closed_count, as_of=as_of, note="; ".join(notes))

    def _equity_from_trades(self, cash: float | None) -> float | None:
        if cash is None or not self.schema.trades_sql:
            return cash
        with connect(self.path) as db:
            value, unpriced = db.execute(f"SELECT TOTAL(remaining * last_price), TOTAL(last_price IS NULL AND "
                                         f"remaining > 0) FROM ({self.schema.trades_sql}) WHERE status <> 'CLOSED'"
                                         ).fetchone()
        return None if unpriced else cash + value

    def positions(self) -> list[Position]:
        """What is held, cash apart (the trading symbol's own position is the cash: see Summary.cash)."""
        return list(self._positions)

    def trades(self, open: bool | None = None, offset: int = 0, limit: int = PAGE, sort: str | None = None,
               descending: bool = True) -> Rows[Trade]:
        """A page of trades, newest first (or by `sort`, one of TRADE_SORTS); `open` picks open or closed ones."""
        offset, limit = page_bounds(offset, limit)
        view = self.schema.trades_sql
        if not view:
            return Rows([], 0, offset)
        where = "" if open is None else " WHERE status <> 'CLOSED'" if open else " WHERE status = 'CLOSED'"
        order = order_by(sort or "opened_at", descending, TRADE_SORTS, "trades")
        opened, closed = self._trade_stats[:2]
        total = opened + closed if open is None else opened if open else closed
        # The page's ids are sorted first (only the sort key is worked out for every trade), then its rows read.
        with connect(self.path) as db:
            rows = db.execute(f"SELECT {', '.join(TRADE_COLUMNS)} FROM ({view}) WHERE id IN (SELECT id FROM ({view})"
                              f"{where}{order} LIMIT ? OFFSET ?){order}", (limit, offset)).fetchall()
        return Rows([Trade(str(r[0]), str(r[1] or "?"), str(r[2]), stamp(r[3]), stamp(r[4]), r[5], r[6], r[7], r[8],
                           r[9], r[10], "short" if r[11] else "long") for r in rows], total, offset)

    def orders(self, status: str | None = None, offset: int = 0, limit: int = PAGE, sort: str | None = None,
               descending: bool = True) -> Rows[Order]:
        """A page of orders, newest first (or by `sort`, one of ORDER_SORTS), of one status when given."""
        offset, limit = page_bounds(offset, limit)
        view = self.schema.orders_sql
        if not view:
            return Rows([], 0, offset)
        where, args = (" WHERE status = ?", [status]) if status is not None else ("", [])
        order = order_by(sort or "created_at", descending, ORDER_SORTS, "orders")
        with connect(self.path) as db:
            if status is None:
                total = self._order_stats[0]
            elif status not in self._status_totals:  # counted once, when the filter is first asked for
                total = db.execute(f"SELECT count(*) FROM ({view}) WHERE status = ?", (status,)).fetchone()[0]
                self._status_totals[status] = total
            else:
                total = self._status_totals[status]
            rows = db.execute(f"SELECT * FROM ({view}) WHERE id IN (SELECT id FROM ({view}){where}{order} LIMIT ? "
                              f"OFFSET ?){order}", [*args, limit, offset]).fetchall()
        return Rows([Order(str(r[0]), str(r[1] or "?"), str(r[2] or "?"), r[3], r[4], r[5], r[6], r[7], r[8],
                           stamp(r[9])) for r in rows], total, offset)

    def order_statuses(self) -> list[str]:
        """The statuses the orders have, for the status filter."""
        return list(self._order_stats[2])

    def equity_series(self, max_points: int = 60) -> list[float]:
        """The portfolio's total value at its snapshots, in the order the bot wrote them, thinned to `max_points`
        (several portfolios summed, aligned on the newest); [] when the snapshots keep no total value (older
        framework versions)."""
        value = self.schema.col("portfolio_snapshots", "total_value")
        if not value or max_points <= 0:
            return []
        owner = self.schema.col("portfolio_snapshots", "portfolio_id")
        with connect(self.path) as db:
            low, high, count = db.execute("SELECT min(rowid), max(rowid), count(*) FROM portfolio_snapshots").fetchone()
            if not count:
                return []
            never_null = "total_value" in self.schema.not_null.get("portfolio_snapshots", ())
            if (self._portfolio["count"] <= 1 or not owner) and never_null and high - low + 1 == count:
                # One portfolio, every snapshot with a value, ids without gaps (as the framework writes them): the
                # k-th snapshot written is low + k, so only the points shown are read.
                picks = [low + i for i in downsample(range(count), max_points)]
                found = dict(db.execute(f"SELECT rowid, {real(value)} FROM portfolio_snapshots WHERE rowid IN "
                                        f"({', '.join(map(str, picks))})"))
                return [found[p] for p in picks]
            series: dict[object, list[float]] = {}
            for who, v in db.execute(f"SELECT {owner or 'NULL'}, {real(value)} FROM portfolio_snapshots WHERE "
                                     f"{value} IS NOT NULL ORDER BY rowid"):
                series.setdefault(who, []).append(v)
        thinned = [downsample(values, max_points) for values in series.values()]
        length = max((len(values) for values in thinned), default=0)
        return [sum(values[i - (length - len(values))] for values in thinned if i >= length - len(values))
                for i in range(length)]
