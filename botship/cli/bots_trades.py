"""`botship trades BOT`: the trading summary, positions and trades, read from a downloaded copy of the bot's trading
database (botship.trading); nothing is written back."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from ..errors import BadInput, BotshipError
from .bots_flow import Pick, find, identity, label, require
from .bots_show import fields, plain, short, table
from .console import Console, mode_badge

# Files SQLite keeps beside a database while it is written: copied with it, so the copy reads what the bot saw.
_SIDECARS = ("-wal", "-journal")


def _money(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+,.2f}" if sign else f"{value:,.2f}"


def _amount(value: float | None) -> str:
    return "—" if value is None else f"{value:,.8g}"


def _pct(value: float | None, sign: bool = True) -> str:
    return "—" if value is None else (f"{value:+.2f}%" if sign else f"{value:.1f}%")


def _gain(value: float | None) -> str:
    text = _money(value, sign=True)
    if value is None or value == 0:
        return text
    return click.style(text, fg="green" if value > 0 else "red")


def download(found: Any, path: str, files: dict[str, int], mode: str, into: str) -> str:
    """The database `path` of the bot's state (and the files SQLite keeps beside it) copied into `into`."""
    local = os.path.join(into, os.path.basename(path))
    for name in (path, *(path + suffix for suffix in _SIDECARS if path + suffix in files)):
        with open(os.path.join(into, os.path.basename(name)), "wb") as out:
            out.write(found.handle.read_state_file(name, mode))
    return local


def run_trades(project: Path, bot: str, pick: Pick, mode: str | None, limit: int, console: Console) -> int:
    from botship.providers.base import STATE
    from botship.trading import find_trading_db, open_book

    if limit < 0:
        raise BadInput(f"--limit {limit} is not a number of trades", fix="pass --limit 0 or more")
    found = find(project, bot, pick)
    name = found.handle.bot_name
    require(found, STATE, "reading the trades of", "run the bot here and read its state: `botship invoke --local`")
    chosen = mode or found.handle.mode
    listing = found.handle.state_files(chosen)
    database = find_trading_db(list(listing.files))
    if database is None:
        raise BadInput(f"{name}'s {chosen} state holds no trading database",
                       "botship reads an investing-algorithm-framework database (databases/*.sqlite3) or the plain "
                       "template's state.db" + (f"; its state holds: {short(', '.join(listing.files), 80)}"
                                                if listing.files else "; it has no state saved yet"),
                       f"list its files with `botship state ls {name}`")
    with tempfile.TemporaryDirectory(prefix="botship-trades-") as scratch:
        local = download(found, database, dict(listing.files), chosen, scratch)
        try:
            book = open_book(local)
        except BotshipError as exc:  # said of the file in the bot's state, not of the copy read here
            raise BotshipError(exc.what.replace(local, f"{database} of {name}'s state"), exc.why,
                               f"read its tables yourself: `botship state get {name} {database} -o FILE`, then "
                               f"`sqlite3 FILE .tables`") from None
        summary = book.summary()
        positions = book.positions()
        opened = book.trades(open=True, offset=0, limit=limit) if limit else None
        closed = book.trades(open=False, offset=0, limit=limit) if limit else None
        kind = getattr(book, "kind", "")
    _show(console, found, chosen, database, kind, summary, positions, opened, closed)
    return 0


def _show(console: Console, found: Any, mode: str, database: str, kind: str, summary: Any, positions: list[Any],
          opened: Any, closed: Any) -> None:
    console.record("trading", **identity(found), state_mode=mode, database=database, kind=kind, **plain(summary))
    for position in positions:
        console.record("position", bot=found.handle.bot_name, **plain(position))
    for page in (opened, closed):
        for trade in (page.items if page else []):
            console.record("trade", bot=found.handle.bot_name, **plain(trade))
    currency = f" {summary.currency}" if summary.currency else ""
    console.line(f"{mode_badge(mode)} trading of {label(found)}  {click.style(database, dim=True)}"
                 f"{click.style(' as of ' + summary.as_of, dim=True) if summary.as_of else ''}")
    fields(console, [
        ("equity", f"{_money(summary.equity)}{currency}  ({_pct(summary.return_pct)} on {_money(summary.initial)})"),
        ("cash", f"{_money(summary.cash)}{currency}"),
        ("realized P&L", _gain(summary.realized_pnl)),
        ("unrealized P&L", _gain(summary.unrealized_pnl)),
        ("positions", f"{'—' if summary.open_positions is None else summary.open_positions} open"),
        ("trades", f"{summary.open_trades} open, {summary.closed_trades} closed"),
        ("win rate", _pct(summary.win_rate, sign=False)),
        ("fees", _money(summary.fees)),
    ])
    if positions:
        console.line("\nPositions (cash apart):")
        table(console, ("SYMBOL", "AMOUNT", "COST", "PRICE", "VALUE", "UNREALIZED"),
              [[p.symbol, _amount(p.amount), _money(p.cost), _money(p.price), _money(p.value), _gain(p.unrealized)]
               for p in positions])
    for title, page in (("Open trades", opened), ("Closed trades", closed)):
        if not page or not page.items:
            continue
        more = f", the newest {len(page.items)} of {page.total}" if page.total > len(page.items) else ""
        console.line(f"\n{title}{more}:")
        table(console, ("OPENED", "SYMBOL", "SIDE", "AMOUNT", "OPEN PRICE", "LAST PRICE", "GAIN", "CLOSED"),
              [[t.opened_at or "—", t.symbol, t.side, _amount(t.amount), _money(t.open_price), _money(t.last_price),
                _gain(t.net_gain if not t.is_open else t.unrealized), t.closed_at or ("open" if t.is_open else "—")]
               for t in page.items])
    if summary.note:
        console.line(click.style(f"\nnote: {summary.note}", dim=True))
