"""botship's paper exchange (runtime/paper.py) order by order, with the framework's own Order objects: what fills at
once, what rests, and at what price — in a fresh Python that has only the framework's install and botship's runtime.

The market price is what the app's data would give; here a stand-in for the framework's data provider service
answers a fixed ticker, so each case is exact. The whole app path (CCXT data, the database) is in
test_paper_framework.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"

SCRIPT = r'''
import json, os, sys, types
from investing_algorithm_framework.domain import Order
from botship_runtime import paper_exchange as paper

TICKER = {"bid": 99.0, "ask": 101.0, "last": 100.0}
# The framework's books as far as a fill touches them: the portfolio's free cash and its EUR position (the fee).
CASH = {"free": 1000.0, "EUR": 1000.0, "asked": []}
books = types.SimpleNamespace(get=lambda id: types.SimpleNamespace(get_unallocated=lambda: CASH["free"]),
                              update=lambda id, data: CASH.update(free=data["unallocated"]))
cash_position = types.SimpleNamespace(id=70, get_amount=lambda: CASH["EUR"])
positions = types.SimpleNamespace(find=lambda query: CASH["asked"].append(query) or cash_position,
                                  update=lambda id, data: CASH.update(EUR=data["amount"]) if id == 70 else None)
services = types.SimpleNamespace(
    data_provider_service=lambda: types.SimpleNamespace(get_ticker_data=lambda **kw: dict(TICKER)),
    portfolio_configuration_service=lambda: types.SimpleNamespace(get=lambda market: None),
    portfolio_repository=lambda: books, position_service=lambda: positions)
app = types.SimpleNamespace(container=services, config={})
exchange = paper.PaperExchange(app, paper.Ledger(sys.argv[1]), fee_pct=0.5, slippage_pct=1.0, balance=None)
portfolio = types.SimpleNamespace(market="BITVAVO", id=5, trading_symbol="EUR")

def order(side, kind, price=None, stop=None):
    made = Order(target_symbol="BTC", trading_symbol="EUR", order_side=side, order_type=kind, amount=2.0,
                 price=price, stop_price=stop, status="CREATED", id=7)
    return made

def shown(o):
    return {"status": o.get_status(), "price": o.get_price(), "filled": o.get_filled(), "fee": o.order_fee}

cases = {}
cases["market buy"] = shown(exchange.execute(portfolio, order("BUY", "MARKET")))
cases["market sell"] = shown(exchange.execute(portfolio, order("SELL", "MARKET")))
cases["marketable limit buy"] = shown(exchange.execute(portfolio, order("BUY", "LIMIT", price=101.5)))
resting = exchange.execute(portfolio, order("BUY", "LIMIT", price=95))
cases["limit buy under the market"] = shown(resting)
cases["still resting"] = shown(exchange.order_state(portfolio, resting))
TICKER.update(bid=93.0, ask=94.0, last=93.5)
cases["market came down"] = shown(exchange.order_state(portfolio, resting))
stop = exchange.execute(portfolio, order("SELL", "STOP", price=90, stop=90))
cases["stop sell above its stop"] = shown(stop)
TICKER.update(bid=89.0, ask=90.0, last=89.5)
cases["stop sell hit"] = shown(exchange.order_state(portfolio, stop))
stop_limit = exchange.execute(portfolio, order("SELL", "STOP_LIMIT", price=88, stop=89.5))
cases["stop-limit sell hit, limit reached"] = shown(stop_limit)
TICKER.clear()
cases["market order without a price"] = shown(exchange.execute(portfolio, order("BUY", "MARKET")))
cases["cash"] = {k: CASH[k] for k in ("free", "EUR")}
cases["cash asked"] = CASH["asked"]
print(json.dumps(cases))
'''


@pytest.fixture(scope="module")
def cases(framework_site, tmp_path_factory) -> dict:
    package = tmp_path_factory.mktemp("code") / "botship_runtime"
    package.symlink_to(RUNTIME, target_is_directory=True)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": f"{package.parent}{os.pathsep}{framework_site}",
           "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run([sys.executable, "-S", "-c", SCRIPT, str(tmp_path_factory.mktemp("state"))],
                         capture_output=True, text=True, env=env, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_market_orders_fill_at_once_at_the_ask_or_bid_moved_against_the_bot(cases):
    assert cases["market buy"] == {"status": "CLOSED", "price": 102.01, "filled": 2.0, "fee": 1.0201}
    assert cases["market sell"] == {"status": "CLOSED", "price": 98.01, "filled": 2.0, "fee": 0.9801}


def test_a_marketable_limit_order_fills_never_worse_than_its_limit(cases):
    assert cases["marketable limit buy"]["status"] == "CLOSED" and cases["marketable limit buy"]["price"] == 101.5


def test_a_limit_order_under_the_market_rests_then_fills_at_its_limit(cases):
    assert cases["limit buy under the market"] == {"status": "OPEN", "price": 95, "filled": 0, "fee": None}
    assert cases["still resting"]["status"] == "OPEN"
    assert cases["market came down"] == {"status": "CLOSED", "price": 95.0, "filled": 2.0, "fee": 0.95}


def test_stop_orders_wait_for_their_stop(cases):
    assert cases["stop sell above its stop"]["status"] == "OPEN"
    # Hit: a stop order becomes a market order (the bid, less the slippage).
    assert cases["stop sell hit"] == {"status": "CLOSED", "price": 88.11, "filled": 2.0, "fee": 0.8811}
    assert cases["stop-limit sell hit, limit reached"]["status"] == "CLOSED"
    assert cases["stop-limit sell hit, limit reached"]["price"] == 88.11


def test_a_market_order_without_a_price_from_the_app_is_rejected_not_guessed(cases):
    assert cases["market order without a price"]["status"] == "REJECTED"


ENTRY_SHAPES = r'''
import json, sys
from investing_algorithm_framework import create_app
from investing_algorithm_framework.app import App
from botship_runtime import paper
from botship_runtime.entry import call_entry

state = sys.argv[1]


class OwnLoop(App):
    """An App subclass whose run() never calls App.run: the entry itself is still fitted."""

    def run(self, number_of_iterations=None):
        return "own loop"


def made(cls):
    app = create_app()  # the framework's own set-up (its services), then the subclass
    app.__class__ = cls
    return app


seen = {}
own = made(OwnLoop)
seen["subclass entry, own run"] = [call_entry(own, {}, None, state, "paper"),
                                   hasattr(own, "_botship_paper_exchange")]
live = made(OwnLoop)
call_entry(live, {}, None, state, "live")
seen["live mode"] = hasattr(live, "_botship_paper_exchange")

app = create_app()
def handler(event, context):
    try:  # the framework's own run needs markets and strategies: only whether botship fitted it first counts here
        app.run(number_of_iterations=1)
    except Exception:
        pass
    return hasattr(app, "_botship_paper_exchange")
seen["function entry"] = call_entry(handler, {}, None, state, "paper")
seen["resource directory"] = app.config.get("RESOURCE_DIRECTORY") == state
print(json.dumps(seen))
'''


def test_every_shape_of_entry_meets_the_paper_exchange_in_paper_mode_only(framework_site, tmp_path):
    package = tmp_path / "code" / "botship_runtime"
    package.parent.mkdir()
    package.symlink_to(RUNTIME, target_is_directory=True)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": f"{package.parent}{os.pathsep}{framework_site}",
           "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(tmp_path)}
    state = tmp_path / "state"
    state.mkdir()
    run = subprocess.run([sys.executable, "-S", "-c", ENTRY_SHAPES, str(state)], capture_output=True, text=True,
                         env=env, timeout=180, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen == {"subclass entry, own run": ["own loop", True], "live mode": False, "function entry": True,
                    "resource directory": True}


def test_each_fill_takes_its_fee_from_the_cash_and_nothing_else_does(cases):
    """Cash pays the fee of each fill, from the portfolio's free cash and its EUR position alike; an order that rests
    or is rejected pays none. (The cost of a buy and the proceeds of a sale are the framework's own to book.)"""
    fees = [case["fee"] for case in cases.values() if isinstance(case, dict) and case.get("status") == "CLOSED"]
    assert len(fees) == 6 and all(fee > 0 for fee in fees)
    assert cases["cash"] == {"free": pytest.approx(1000 - sum(fees)), "EUR": pytest.approx(1000 - sum(fees))}
    assert cases["cash asked"] == [{"portfolio": 5, "symbol": "EUR"}] * 6
