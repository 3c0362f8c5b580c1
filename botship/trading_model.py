"""What the trading view shows, as values: the summary, positions, trades, orders, and a page of them.

Amounts are floats (or None when the database cannot tell them); times are the stored text, cut to
the second. Both readers (trading_iaf for investing-algorithm-framework databases, trading_plain for
the plain template's state.db) return these, and the front ends draw them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
PAGE = 50  # rows of one page, unless asked otherwise
MAX_LIMIT = 1000
BLOCKS = "▁▂▃▄▅▆▇█"
# What trades and orders can be sorted by (Trade's and Order's fields).
TRADE_SORTS = ("opened_at", "closed_at", "symbol", "status", "open_price", "amount", "remaining", "last_price",
               "net_gain", "unrealized", "id")
ORDER_SORTS = ("created_at", "symbol", "side", "order_type", "status", "price", "amount", "filled", "fee", "id")
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$")


@dataclass(frozen=True)
class Summary:
    """The summary bar. Every figure is None when the database cannot tell it (see `note`)."""

    equity: float | None  # cash plus open positions at their last known price
    return_pct: float | None  # equity against the initial balance, in percent
    realized_pnl: float | None  # net gain of what was sold
    unrealized_pnl: float | None  # gain of what is held, at its last known price
    open_positions: int | None  # symbols held, cash apart
    win_rate: float | None  # closed trades with a gain, in percent (None before the first closed trade)
    fees: float | None  # fees the orders paid
    currency: str | None  # the trading symbol (e.g. "EUR"): its own position is the cash
    initial: float | None  # the starting balance
    cash: float | None = None
    open_trades: int = 0
    closed_trades: int = 0
    as_of: str | None = None  # when the figures were last written by the bot (its last snapshot)
    note: str = ""  # what this kind of database cannot tell, in a sentence (empty when it tells everything)


@dataclass(frozen=True)
class Position:
    symbol: str
    amount: float | None
    cost: float | None  # what was paid for it, in the trading symbol
    price: float | None = None  # its last known price
    value: float | None = None  # amount × price
    unrealized: float | None = None  # value − cost


@dataclass(frozen=True)
class Trade:
    id: str
    symbol: str  # "BTC/EUR" (target/trading symbol), or the target alone when the trading symbol is unknown
    status: str  # "OPEN" | "CLOSED" | what the framework wrote ("CREATED", …)
    opened_at: str | None
    closed_at: str | None
    open_price: float | None
    amount: float | None  # what was bought
    remaining: float | None  # what is still held (0 when closed)
    last_price: float | None  # the last price the bot saw (the close price once closed, when known)
    net_gain: float | None  # realized
    unrealized: float | None  # open trades: (last − open) × remaining; None when no price is known
    side: str = "long"  # "long" | "short"

    @property
    def is_open(self) -> bool:
        return self.status.upper() != "CLOSED"


@dataclass(frozen=True)
class Order:
    id: str
    symbol: str
    side: str  # "BUY" | "SELL"
    order_type: str | None  # "LIMIT" | "MARKET" | None
    status: str | None
    price: float | None
    amount: float | None
    filled: float | None
    fee: float | None
    created_at: str | None


@dataclass(frozen=True)
class Rows(Generic[T]):
    """One page of trades or orders: `items`, and how many there are in all (with the same filter)."""

    items: list[T] = field(default_factory=list)
    total: int = 0
    offset: int = 0


def num(value: object) -> float | None:
    """A stored amount (TEXT, REAL, INTEGER or NULL) as a float; None when it is not a finite number."""
    if value is None or isinstance(value, bytes | bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def stamp(value: object) -> str | None:
    """A stored time as text cut to the second ("2026-12-01 07:05:01"), or as stored when it reads otherwise."""
    if value is None:
        return None
    text = str(value).strip()
    match = _STAMP.match(text)
    return match.group(1).replace("T", " ") if match else text


def page_bounds(offset: int, limit: int) -> tuple[int, int]:
    return max(0, int(offset)), max(0, min(int(limit), MAX_LIMIT))


def percent(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or whole == 0:
        return None
    return part / whole * 100.0


def downsample(values: list[float], points: int) -> list[float]:
    """At most `points` values: the last value of each of `points` equal stretches (the newest always kept)."""
    if points <= 0:
        return []
    if len(values) <= points:
        return list(values)
    size = len(values)
    return [values[min(size - 1, math.ceil((i + 1) * size / points) - 1)] for i in range(points)]


def sparkline(values: list[float | None] | tuple[float | None, ...], width: int = 30) -> str:
    """`values` as a line of unicode blocks (▁…█), at most `width` characters, the lowest value ▁ and the highest
    █; a flat series is a line of ▄. Missing values are skipped; no values give ""."""
    known = [v for v in (num(v) for v in values) if v is not None]
    known = downsample(known, width)
    if not known:
        return ""
    low, high = min(known), max(known)
    if high - low <= 1e-12 * max(abs(high), abs(low), 1.0):
        return BLOCKS[3] * len(known)
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[round((v - low) / (high - low) * top)] for v in known)
