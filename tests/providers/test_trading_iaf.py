"""The trading view against a real investing-algorithm-framework database: the iaf template (`botship init --template
iaf`) run by `botship invoke --local` on botship's paper exchange with a fee, until it has bought, sold, bought again
and reported a price; then botship.trading reads a copy of its database and must agree with the framework's own
tables and with botship's paper ledger (botship-paper.json: every fill's price, amount and fee).

The replayed price feed's position (replay_feed.json, a state file) is moved on between runs through the state store,
as the runs in between would have moved it: the template's first candle crosses upwards (a buy), the 73rd a sell, the
97th a buy. Each run takes about fifteen seconds (the framework's import), the first build about half a minute.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from botship.init import scaffold
from botship.runtime.state import StateSync
from botship.runtime.stores import open_store
from botship.trading import find_trading_db, open_book, sparkline
from helpers import run_botship

FEE = 0.0025  # fee_pct = 0.25 in the profile


def invoke(project: Path, cache: Path) -> None:
    run = run_botship("invoke", "--local", "--json", project=project, cache=cache)
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith('{"type": "result"')]
    assert run.returncode == 0 and results and results[0]["body"]["status"] == "ok", run.stdout[-3000:] + run.stderr[-2000:]


def move_feed(project: Path, row: int) -> None:
    """Set the replayed feed's row in the bot's saved state (the next run reads row + 1)."""
    store = open_store((project / ".botship" / "local-state" / "sandbox").as_uri(), "paper")
    with tempfile.TemporaryDirectory() as scratch:
        sync = StateSync(store, scratch)
        sync.load()
        (Path(scratch) / "replay_feed.json").write_text(json.dumps({"row": row}))
        sync.save("test-moves-the-feed")


@pytest.fixture(scope="module")
def traded(tmp_path_factory, dependency_cache):
    """The iaf template after four paper runs: buy (candle 49), sell (73), buy (97), hold (98)."""
    project = tmp_path_factory.mktemp("trading") / "iaf-bot"
    scaffold(project, "iaf")
    toml = project / "botship.toml"
    toml.write_text(toml.read_text() + f"\n[profiles.sandbox.paper]\nfee_pct = {FEE * 100}\n")
    invoke(project, dependency_cache)
    move_feed(project, 72)
    invoke(project, dependency_cache)
    move_feed(project, 96)
    invoke(project, dependency_cache)
    invoke(project, dependency_cache)
    state = project / ".botship" / "local-run" / "sandbox" / "state"
    files = [p.relative_to(state).as_posix() for p in state.rglob("*") if p.is_file()]
    downloaded = tmp_path_factory.mktemp("downloaded")
    path = find_trading_db(files)
    assert path == "databases/prod-database.sqlite3", files
    shutil.copy(state / path, downloaded / "bot.sqlite3")
    closes = [float(row["Close"]) for row in csv.DictReader((project / "prices.csv").open())]
    return downloaded / "bot.sqlite3", json.loads((state / "botship-paper.json").read_text()), closes


def test_the_trading_view_reads_the_frameworks_own_books(traded):
    path, ledger, closes = traded
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    buy, sell, rebuy = ledger["fills"]
    assert [f["side"] for f in (buy, sell, rebuy)] == ["BUY", "SELL", "BUY"]
    assert (buy["price"], sell["price"], rebuy["price"]) == (closes[49], closes[73], closes[97])

    book = open_book(path)
    s = book.summary()
    assert book.kind == "framework" and (s.currency, s.initial) == ("EUR", ledger["markets"]["BITVAVO"]["starting_balance"])
    # The round trip's gain is the sale less the purchase less both fees, as the ledger's fills say.
    gain = sell["amount"] * sell["price"] - buy["amount"] * buy["price"] - buy["fee"] - sell["fee"]
    assert s.realized_pnl == pytest.approx(gain, abs=1e-6)
    assert (s.closed_trades, s.open_trades, s.open_positions) == (1, 1, 1)
    assert s.win_rate == (100.0 if gain > 0 else 0.0)
    assert s.fees == pytest.approx(buy["fee"] + sell["fee"] + rebuy["fee"]) and s.fees > 0
    # The held BTC, priced at the last candle the bot saw (the 98th), as the framework reported it in its last run.
    assert s.unrealized_pnl == pytest.approx(rebuy["amount"] * (closes[98] - rebuy["price"]), abs=1e-6)
    with sqlite3.connect(path) as db:
        (cash,) = db.execute("SELECT CAST(amount AS REAL) FROM positions WHERE symbol = 'EUR'").fetchone()
        (newest,) = db.execute("SELECT CAST(total_value AS REAL) FROM portfolio_snapshots "
                               "ORDER BY created_at DESC LIMIT 1").fetchone()
        snapshots = db.execute("SELECT count(*) FROM portfolio_snapshots").fetchone()[0]
        flat = [value for value, free in db.execute("SELECT CAST(total_value AS REAL), CAST(unallocated AS REAL) FROM "
                                                    "portfolio_snapshots ORDER BY created_at") if value == free]
    assert s.cash == pytest.approx(cash) and s.equity == pytest.approx(newest)
    assert s.equity == pytest.approx(cash + rebuy["amount"] * closes[98])  # the snapshot is cash plus BTC at its price
    assert s.return_pct == pytest.approx((s.equity - s.initial) / s.initial * 100)
    # The books reconcile with the fees. Cash paid each one, as on an exchange: a buy's cost and fee left it, a sale's
    # proceeds less its fee arrived, as botship's ledger says. So the flat snapshot after the sale is the start plus the
    # realized gain, and the newest is that plus what the held BTC gained since it was bought, less the fee paid to buy
    # it (spent already; the framework books it in the trade's gain once the trade closes).
    flows = [f["amount"] * f["price"] * (-1 if f["side"] == "BUY" else 1) - f["fee"] for f in (buy, sell, rebuy)]
    assert cash == pytest.approx(s.initial + sum(flows), abs=1e-6)
    assert flat[-1] == pytest.approx(s.initial + s.realized_pnl, abs=1e-6) and flat[-1] != pytest.approx(s.initial)
    assert s.equity == pytest.approx(s.initial + s.realized_pnl + s.unrealized_pnl - rebuy["fee"], abs=1e-6)
    assert s.as_of and s.note == ""

    (held,) = book.positions()  # cash (EUR) apart
    assert (held.symbol, held.amount, held.price) == ("BTC", pytest.approx(rebuy["amount"]), closes[98])
    assert held.unrealized == pytest.approx(s.unrealized_pnl, abs=1e-6)

    (open_trade,) = book.trades(open=True).items
    (closed_trade,) = book.trades(open=False).items
    assert (open_trade.symbol, open_trade.open_price, open_trade.last_price) == ("BTC/EUR", rebuy["price"], closes[98])
    assert open_trade.remaining == pytest.approx(rebuy["amount"])
    assert (closed_trade.open_price, closed_trade.last_price, closed_trade.remaining) == (buy["price"], sell["price"], 0)
    assert closed_trade.net_gain == pytest.approx(gain, abs=1e-6) and closed_trade.closed_at
    assert [t.id for t in book.trades().items] == [open_trade.id, closed_trade.id]  # newest first

    orders = book.orders()
    assert orders.total == 3 and book.order_statuses() == ["CLOSED"]
    assert [(o.side, o.price, o.fee) for o in orders.items] == [
        (f["side"], f["price"], pytest.approx(f["fee"])) for f in (rebuy, sell, buy)]
    assert all(o.filled == pytest.approx(o.amount) and o.order_type == "LIMIT" for o in orders.items)
    assert book.orders(status="OPEN").total == 0

    series = book.equity_series()
    assert len(series) == snapshots and series[-1] == pytest.approx(s.equity)
    assert series[0] == pytest.approx(s.initial - buy["fee"])  # the first snapshot follows the first buy, its fee paid
    assert len(sparkline(series, 30)) == snapshots
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
