"""botship's controls reach a real investing-algorithm-framework app in paper mode: the runtime reads the control
file (written under the bot's lock by control_write.py) before the app's iteration, and botship's paper exchange
keeps to it — under "stopentry" no new BUY is filled (and no cash stays reserved for it), under "flatten" every
resting order is cancelled and every position sold at market after the iteration.

Each run is botship's runtime in a fresh Python with only the framework's install (8.10.0, the iaf layer the
other provider tests use) and the runtime as an artifact ships it, against a state folder store.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from botship.init import scaffold
from botship.runtime.control_write import write_control
from botship.runtime.runs import read_runs
from botship.runtime.state import StateSync
from botship.runtime.stores import open_store
from fake_exchange import FakeExchange
from helpers import BOTS, LIMIT_STRATEGY
from runtime_run import run_once, runtime_package


def books(store, folder: Path) -> dict[str, list[tuple]]:
    """The framework's own database as the state store holds it now."""
    StateSync(store, str(folder)).load()
    with sqlite3.connect(folder / "databases" / "prod-database.sqlite3") as db:
        return {
            "orders": db.execute("SELECT order_side, order_type, status, CAST(amount AS REAL), CAST(filled AS REAL), "
                                 "external_id, metadata_json FROM orders ORDER BY created_at").fetchall(),
            "positions": db.execute("SELECT symbol, CAST(amount AS REAL) FROM positions ORDER BY symbol").fetchall(),
            "cash": db.execute("SELECT CAST(unallocated AS REAL) FROM portfolios").fetchone()[0],
            "trades": db.execute("SELECT target_symbol, status, CAST(net_gain AS REAL) FROM trades").fetchall(),
        }


@pytest.fixture
def run_app(framework_site, tmp_path):
    """Run the app in `project` once, as its function would, with its state in a folder store."""
    code = runtime_package(tmp_path / "code")
    url = f"file://{tmp_path / 'remote'}"

    def run(project: Path, env: dict[str, str] | None = None):
        answer = run_once(project, url, entry="app:app", paths=(code, framework_site), isolated=True, env=env)
        assert answer.body["status"] == "ok", "\n".join(answer.lines)[-4000:]
        return answer

    run.store = open_store(url, "paper")
    return run


def test_stop_entries_rejects_the_apps_buy_and_leaves_its_cash_free(run_app, tmp_path):
    project = tmp_path / "iaf-bot"
    scaffold(project, "iaf")
    write_control(run_app.store, "stopentry", "someone@example.com")
    answer = run_app(project)
    refused = [r for r in answer.logged if r["message"].startswith("paper: BUY refused")]
    assert refused and refused[0]["message"] == "paper: BUY refused: new entries are stopped (control stopentry)"
    state = books(run_app.store, tmp_path / "check")
    # The template's first candle is a buy signal (its own test shows the buy): the order is there, rejected.
    ((side, kind, status, amount, filled, external, _),) = state["orders"]
    assert (side, status, filled) == ("BUY", "REJECTED", 0.0) and amount > 0 and external.startswith("paper-")
    assert state["cash"] == 1000.0 and state["trades"] == []
    assert dict(state["positions"]) == {"EUR": 1000.0, "BTC": 0.0}
    (record,) = read_runs(run_app.store)
    assert record["control"] == "stopentry" and any("BUY refused" in line for line in record["log_tail"])


def test_flatten_sells_the_open_position_at_market_after_the_iteration(run_app, tmp_path):
    project = tmp_path / "iaf-bot"
    scaffold(project, "iaf")
    run_app(project)
    bought = books(run_app.store, tmp_path / "first")
    assert [(o[0], o[2]) for o in bought["orders"]] == [("BUY", "CLOSED")] and bought["cash"] < 1000

    write_control(run_app.store, "flatten", "someone@example.com")
    answer = run_app(project)
    state = books(run_app.store, tmp_path / "check")
    buy, sell = state["orders"]
    assert (sell[0], sell[1], sell[2]) == ("SELL", "MARKET", "CLOSED") and sell[4] == buy[4]
    assert json.loads(sell[6])["order_reason"] == "botship flatten"
    assert dict(state["positions"])["BTC"] == 0.0
    ((symbol, status, gain),) = state["trades"]
    assert (symbol, status) == ("BTC", "CLOSED") and state["cash"] == pytest.approx(1000 + gain, abs=1e-6)
    assert any(r["message"] == "paper: flatten sells the position at market" for r in answer.logged)

    run_app(project)  # still flat: nothing bought, nothing more sold
    assert books(run_app.store, tmp_path / "again")["orders"] == state["orders"]


@pytest.fixture
def trader(tmp_path):
    """tests/bots/iaf_trader (buys when flat, sells all when holding; CCXT prices) against a fake Bitvavo."""
    project = tmp_path / "iaf-trader"
    shutil.copytree(BOTS / "iaf_trader", project, ignore=shutil.ignore_patterns("resources", "__pycache__"))
    with FakeExchange() as exchange:
        yield project, exchange, {"FAKE_EXCHANGE_URL": exchange.url, "BITVAVO_OPERATOR_ID": "1"}


def test_stop_entries_still_lets_the_app_sell_what_it_holds(run_app, trader, tmp_path):
    project, exchange, env = trader
    run_app(project, env)  # buys
    write_control(run_app.store, "stopentry", "me")
    run_app(project, env)  # sells: an exit is not an entry
    run_app(project, env)  # would buy again: refused
    state = books(run_app.store, tmp_path / "check")
    assert [(o[0], o[2]) for o in state["orders"]] == [("BUY", "CLOSED"), ("SELL", "CLOSED"), ("BUY", "REJECTED")]
    ((_, status, gain),) = state["trades"]
    assert status == "CLOSED" and state["cash"] == pytest.approx(1000 + gain, abs=1e-6)
    assert exchange.private_requests == []
    assert [r["control"] for r in read_runs(run_app.store)] == ["stopentry", "stopentry", "run"]


def test_flatten_cancels_a_resting_buy_even_once_the_market_reaches_it(run_app, trader, tmp_path):
    project, exchange, env = trader
    (project / "strategy.py").write_text(LIMIT_STRATEGY)
    run_app(project, env)
    resting = books(run_app.store, tmp_path / "first")
    ((_, kind, status, _, _, _, _),) = resting["orders"]
    assert (kind, status) == ("LIMIT", "OPEN") and resting["cash"] < 1000  # its cash is held for it

    write_control(run_app.store, "flatten", "me")
    exchange.set_price(10_000.0)  # far through the limit: under "run" it would fill now
    run_app(project, env)
    state = books(run_app.store, tmp_path / "check")
    assert [(o[0], o[2], o[4]) for o in state["orders"]] == [("BUY", "CANCELED", 0.0)]
    assert state["cash"] == pytest.approx(1000.0) and dict(state["positions"]).get("BTC", 0.0) == 0.0
    assert json.loads((tmp_path / "check" / "botship-paper.json").read_text())["fills"] == []
