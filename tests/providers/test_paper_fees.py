"""Fees on botship's paper exchange are paid in cash, as on a real exchange, and the books reconcile.

investing-algorithm-framework 8.10.0 records an order's fee (order_fee) and takes it out of the trade's net_gain,
but never out of the portfolio's cash (unallocated, and the trading symbol's position), live or in a backtest:
left alone, its own snapshot equity reads too high by every fee paid. The paper exchange charges the cash.

Each run is botship's runtime in a fresh Python with only the framework's install and the runtime as an artifact
ships it (tests/bots/iaf_trader: buys half its cash when flat, sells everything when holding), against a fake
Bitvavo on loopback and a state folder store, with `[paper] fee_pct = 0.25` and `slippage_pct = 0.1`.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from botship.runtime.control_write import write_control
from botship.runtime.state import StateSync
from botship.runtime.stores import open_store
from fake_exchange import FakeExchange
from helpers import BOTS, LIMIT_STRATEGY
from runtime_run import run_once, runtime_package

FEE = 0.0025
PAPER = {"BOTSHIP_PAPER_FEE_PCT": "0.25", "BOTSHIP_PAPER_SLIPPAGE_PCT": "0.1", "BITVAVO_OPERATOR_ID": "1"}


@pytest.fixture
def bot(framework_site, tmp_path):
    """iaf_trader against a fake Bitvavo; `bot.run()` runs it once and answers its books as the store holds them."""
    project = tmp_path / "iaf-trader"
    shutil.copytree(BOTS / "iaf_trader", project, ignore=shutil.ignore_patterns("resources", "__pycache__"))
    code, url = runtime_package(tmp_path / "code"), f"file://{tmp_path / 'remote'}"
    store = open_store(url, "paper")
    with FakeExchange() as exchange:
        runs = []

        def run() -> dict:
            answer = run_once(project, url, entry="app:app", paths=(code, framework_site), isolated=True,
                              env={**PAPER, "FAKE_EXCHANGE_URL": exchange.url})
            assert answer.body["status"] == "ok", "\n".join(answer.lines)[-4000:]
            folder = tmp_path / f"check-{len(runs)}"
            runs.append(folder)
            return books(store, folder)

        run.exchange, run.store = exchange, store
        yield run
        assert exchange.private_requests == []


def books(store, folder: Path) -> dict:
    """The framework's own figures and botship's ledger, as the state store holds them now."""
    StateSync(store, str(folder)).load()
    with sqlite3.connect(folder / "databases" / "prod-database.sqlite3") as db:
        def one(sql: str) -> tuple:
            return db.execute(sql).fetchone()

        cash, realized, initial = one("SELECT CAST(unallocated AS REAL), CAST(total_net_gain AS REAL), "
                                      "CAST(initial_balance AS REAL) FROM portfolios")
        positions = dict(db.execute("SELECT symbol, CAST(amount AS REAL) FROM positions").fetchall())
        equity, snapshot_cash = one("SELECT CAST(total_value AS REAL), CAST(unallocated AS REAL) "
                                    "FROM portfolio_snapshots ORDER BY created_at DESC LIMIT 1")
        fees = db.execute("SELECT order_side, status, CAST(order_fee AS REAL) FROM orders "
                          "ORDER BY created_at").fetchall()
        gains = [g for (g,) in db.execute("SELECT CAST(net_gain AS REAL) FROM trades WHERE status = 'CLOSED'")]
    ledger = json.loads((folder / "botship-paper.json").read_text())
    return {"cash": cash, "realized": realized, "initial": initial, "positions": positions, "equity": equity,
            "snapshot_cash": snapshot_cash, "orders": fees, "gains": gains, "ledger": ledger}


def ledger_cash(ledger: dict) -> float:
    """The cash botship's ledger says is left: the start, less each buy's cost and fee, plus each sale less its fee."""
    cash = ledger["markets"]["BITVAVO"]["starting_balance"]
    for fill in ledger["fills"]:
        size = fill["amount"] * fill["price"]
        cash += -size - fill["fee"] if fill["side"] == "BUY" else size - fill["fee"]
    return cash


def test_cash_pays_each_fee_and_equity_is_the_start_plus_the_gains(bot):
    bought = bot()
    (buy,) = bought["ledger"]["fills"]
    cost = buy["amount"] * buy["price"]
    assert buy["side"] == "BUY" and buy["fee"] == pytest.approx(cost * FEE) and buy["fee"] > 0.3
    # A real exchange leaves the cash less the cost and less the fee, in the portfolio and in the EUR position.
    assert bought["cash"] == pytest.approx(1000 - cost - buy["fee"], abs=1e-9)
    assert bought["positions"]["EUR"] == pytest.approx(bought["cash"], abs=1e-9)
    assert bought["cash"] == pytest.approx(ledger_cash(bought["ledger"]), abs=1e-9)
    assert bought["orders"] == [("BUY", "CLOSED", pytest.approx(buy["fee"]))]
    # Holding: the snapshot is the cash plus the BTC at the market; the start plus what the BTC gained since it
    # was bought (its value less its cost and the fee paid to buy it).
    value = bought["equity"] - bought["snapshot_cash"]
    assert bought["snapshot_cash"] == pytest.approx(bought["cash"], abs=1e-9)
    assert value == pytest.approx(buy["amount"] * buy["market_price"], rel=0.02)  # the bid, within the fake's swing
    unrealized = value - cost - buy["fee"]
    assert bought["equity"] == pytest.approx(bought["initial"] + bought["realized"] + unrealized, abs=1e-9)

    flat = bot()
    _, sell = flat["ledger"]["fills"]
    proceeds = sell["amount"] * sell["price"]
    assert sell["side"] == "SELL" and sell["amount"] == buy["amount"] and sell["fee"] == pytest.approx(proceeds * FEE)
    # The sale's proceeds arrive less its fee.
    assert flat["cash"] == pytest.approx(bought["cash"] + proceeds - sell["fee"], abs=1e-9)
    assert flat["positions"] == {"EUR": pytest.approx(flat["cash"], abs=1e-9), "BTC": 0.0}
    assert flat["cash"] == pytest.approx(ledger_cash(flat["ledger"]), abs=1e-9)
    # Flat, the framework's own figures agree: equity = cash = the start plus the realized gain, both fees in it.
    (gain,) = flat["gains"]
    assert gain == pytest.approx(proceeds - cost - buy["fee"] - sell["fee"], abs=1e-9)
    assert flat["realized"] == pytest.approx(gain, abs=1e-9)
    assert flat["equity"] == pytest.approx(flat["cash"], abs=1e-9)
    assert flat["equity"] == pytest.approx(flat["initial"] + flat["realized"], abs=1e-9)

    bot.exchange.set_price(31_000.0)
    again = bot()
    rebuy = again["ledger"]["fills"][-1]
    assert rebuy["side"] == "BUY" and rebuy["market_price"] > 30_000
    rebuy_cost = rebuy["amount"] * rebuy["price"]
    assert again["cash"] == pytest.approx(flat["cash"] - rebuy_cost - rebuy["fee"], abs=1e-9)
    assert again["cash"] == pytest.approx(ledger_cash(again["ledger"]), abs=1e-9)
    value = again["equity"] - again["snapshot_cash"]
    assert again["equity"] == pytest.approx(again["initial"] + again["realized"] + value - rebuy_cost - rebuy["fee"],
                                            abs=1e-9)
    assert [fee for _, _, fee in again["orders"]] == [pytest.approx(f["fee"]) for f in again["ledger"]["fills"]]


def test_a_resting_limit_buy_pays_its_fee_when_it_fills_and_a_refused_buy_pays_none(bot, tmp_path):
    (tmp_path / "iaf-trader" / "strategy.py").write_text(LIMIT_STRATEGY)
    resting = bot()
    (limit,) = resting["orders"]
    assert limit[:2] == ("BUY", "OPEN") and not limit[2] and resting["ledger"]["fills"] == []
    # Resting, its cost is held for it; no fee is due until it fills.
    held = 1000 - resting["cash"]
    assert held > 0 and resting["positions"]["EUR"] == pytest.approx(resting["cash"], abs=1e-9)
    assert resting["equity"] == pytest.approx(1000.0, abs=1e-9)  # held cash counts as the order's pending value

    bot.exchange.set_price(1_000.0)  # the market falls through the limit
    filled = bot()
    (fill,) = filled["ledger"]["fills"]
    assert fill["amount"] * fill["price"] == pytest.approx(held, abs=1e-9)
    assert fill["fee"] == pytest.approx(held * FEE) and [o[1] for o in filled["orders"]] == ["CLOSED"]
    assert filled["orders"][0][2] == pytest.approx(fill["fee"])
    assert filled["cash"] == pytest.approx(1000 - held - fill["fee"], abs=1e-9)
    assert filled["positions"]["EUR"] == pytest.approx(filled["cash"], abs=1e-9)
    assert filled["cash"] == pytest.approx(ledger_cash(filled["ledger"]), abs=1e-9)
    value = filled["equity"] - filled["snapshot_cash"]
    assert filled["equity"] == pytest.approx(1000 + filled["realized"] + value - held - fill["fee"], abs=1e-9)


def test_a_buy_refused_under_stop_entries_costs_no_fee(bot):
    write_control(bot.store, "stopentry", "someone@example.com")
    refused = bot()
    assert [o[:2] for o in refused["orders"]] == [("BUY", "REJECTED")] and not refused["orders"][0][2]
    assert refused["cash"] == 1000.0 and refused["positions"]["EUR"] == 1000.0 and refused["equity"] == 1000.0
    assert refused["ledger"]["fills"] == []
