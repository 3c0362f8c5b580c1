"""Paper means paper for a real framework app: tests/bots/iaf_trader, written as a live app is (its orders and
balances go through the framework's CCXT support, no stand-in of its own), against a fake Bitvavo on loopback.

Deployed in paper mode to the sandbox and run twice, it buys and then sells on botship's paper exchange with
not one private request reaching the exchange, and its own database shows the paper orders and the updated
portfolio. The same app in live mode (confirmed) reaches the exchange's private endpoints: the switch is real.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from botship.profiles import ProfileStore
from botship.providers import provider_class
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.secret_values import SecretValue, SecretValues
from fake_exchange import API_KEY, SECRET, FakeExchange
from helpers import BOTS, HOST_PYTHON, LIMIT_STRATEGY, run_botship

KEYS = {"BITVAVO_API_KEY": API_KEY, "BITVAVO_SECRET_KEY": SECRET}


@pytest.fixture
def exchange():
    with FakeExchange() as fake:
        yield fake


@pytest.fixture
def trader(tmp_path, exchange, dependency_cache, monkeypatch) -> Path:
    """The app, its profiles pointing ccxt at the fake exchange: `sandbox` (paper) and `live`."""
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "iaf-trader"
    shutil.copytree(BOTS / "iaf_trader", project, ignore=shutil.ignore_patterns("resources", "__pycache__"))
    toml = (project / "botship.toml").read_text()
    toml = toml.replace('python = "3.11"', f'python = "{HOST_PYTHON}"').replace(
        'env = { BITVAVO_OPERATOR_ID = "1" }', f'env = {{ BITVAVO_OPERATOR_ID = "1", FAKE_EXCHANGE_URL = "{exchange.url}" }}')
    live = toml.split("[profiles.sandbox]")[1].replace('mode = "paper"', 'mode = "live"').replace(
        'bot_name = "iaf-trader"', 'bot_name = "iaf-trader-live"')
    (project / "botship.toml").write_text(f"{toml}\n[profiles.live]{live}")
    assert f'FAKE_EXCHANGE_URL = "{exchange.url}"' in toml
    return project


def database(state: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(state / "databases" / "prod-database.sqlite3") as db:
        return {
            "orders": db.execute("SELECT order_side, order_type, status, amount, filled, price, external_id, order_fee "
                                 "FROM orders ORDER BY created_at").fetchall(),
            "portfolio": db.execute("SELECT market, initial_balance, unallocated FROM portfolios").fetchall(),
            "trades": db.execute("SELECT target_symbol, status, amount, net_gain FROM trades").fetchall(),
        }


def test_a_paper_framework_app_trades_on_paper_in_the_sandbox_and_never_reaches_a_private_endpoint(
        trader, exchange, tmp_path, monkeypatch):
    for name, value in KEYS.items():  # the keys are at hand, as for a real user: botship must keep them back
        monkeypatch.setenv(name, value)
    spec = ProfileStore(trader).spec("sandbox")
    provider = provider_class("sandbox")(spec)
    context = DeployContext(trader, "sandbox", SecretValues([SecretValue(n, v, "environment") for n, v in KEYS.items()]))
    plan = provider.plan(context)
    summary = dict(plan.summary)
    assert summary["paper start"] == "BITVAVO (EUR): 1000 EUR, from add_market; fee 0%, slippage 0%"
    assert summary["paper secrets"].startswith("kept back")
    deployed = start_run(plan, lambda event: None).wait(300)
    assert deployed.ok, deployed.failure

    bot = provider.handle()
    answers = [bot.invoke({"source": "test"}) for _ in range(2)]
    bodies = [answer.body for answer in answers]
    logs = "\n".join(line for answer in answers for line in answer.logs)
    assert [b["status"] for b in bodies] == ["ok", "ok"], logs[-4000:]

    # Market data came from the exchange's public endpoints; not one request went to a private one.
    assert exchange.private_requests == [] and exchange.orders == []
    assert exchange.count("GET", "/v2/BTC-EUR/candles") >= 2 and exchange.unknown == []
    assert API_KEY not in logs and SECRET not in logs

    state = tmp_path / "exported"
    bot.export_state(state)
    books = database(state)
    buy, sell = books["orders"]
    # Run 1 bought at the ask the app's own ticker gave, run 2 sold the whole position at the bid.
    assert (buy[0], buy[1], buy[2]) == ("BUY", "MARKET", "CLOSED") and buy[3] == buy[4]
    assert (sell[0], sell[1], sell[2]) == ("SELL", "MARKET", "CLOSED") and sell[3] == sell[4] == buy[4]
    assert buy[6].startswith("paper-") and sell[6].startswith("paper-")
    ledger = json.loads((state / "botship-paper.json").read_text())
    assert ledger["markets"]["BITVAVO"]["starting_balance"] == 1000.0
    fills = ledger["fills"]
    assert [f["side"] for f in fills] == ["BUY", "SELL"]
    assert all(f["price"] == f["market_price"] for f in fills)  # no slippage asked for
    assert fills[0]["price"] == pytest.approx(float(buy[5])) and fills[1]["price"] == pytest.approx(float(sell[5]))
    # The portfolio reads as it would live: cash back from the sale, the trade closed with its gain.
    ((market, initial, unallocated),) = books["portfolio"]
    assert (market, float(initial)) == ("BITVAVO", 1000.0)
    cost, proceeds = float(buy[4]) * float(buy[5]), float(sell[4]) * float(sell[5])
    assert float(unallocated) == pytest.approx(1000.0 - cost + proceeds, abs=1e-6)
    ((symbol, status, _, net_gain),) = books["trades"]
    assert (symbol, status) == ("BTC", "CLOSED") and float(net_gain) == pytest.approx(proceeds - cost, abs=1e-6)


def test_the_same_app_in_live_mode_reaches_the_exchange(trader, exchange, dependency_cache):
    run = run_botship("invoke", "--local", "--json", "--profile", "live", "--confirm-live",
                      project=trader, cache=dependency_cache, **KEYS)
    records = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    (result,) = [r for r in records if r["type"] == "result"]
    assert run.returncode == 0 and result["body"]["status"] == "ok", run.stdout[-4000:] + run.stderr[-2000:]
    assert [(r.method, r.path) for r in exchange.private_requests] == [("GET", "/v2/balance"), ("POST", "/v2/order")]
    assert [(o["side"], o["status"]) for o in exchange.orders] == [("buy", "filled")]


def test_fee_and_slippage_of_the_profile_move_paper_fills_against_the_bot(trader, exchange, dependency_cache):
    toml = (trader / "botship.toml").read_text()
    (trader / "botship.toml").write_text(
        toml + "\n[profiles.sandbox.paper]\nfee_pct = 0.25\nslippage_pct = 0.1\n")
    run = run_botship("invoke", "--local", "--json", "--profile", "sandbox", project=trader, cache=dependency_cache)
    records = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    (result,) = [r for r in records if r["type"] == "result"]
    assert run.returncode == 0 and result["body"]["status"] == "ok", run.stdout[-4000:]
    assert exchange.private_requests == []
    state = trader / ".botship" / "local-run" / "sandbox" / "state"
    (fill,) = json.loads((state / "botship-paper.json").read_text())["fills"]
    assert fill["side"] == "BUY" and fill["price"] == pytest.approx(fill["market_price"] * 1.001)
    assert fill["fee"] == pytest.approx(fill["amount"] * fill["price"] * 0.0025)
    ((_, _, _, amount, _, price, _, order_fee),) = database(state)["orders"]
    assert float(price) == pytest.approx(fill["price"]) and float(order_fee) == pytest.approx(fill["fee"])


def test_a_limit_order_the_market_has_not_reached_rests_and_fills_at_its_limit_when_it_does(
        trader, exchange, dependency_cache):
    (trader / "strategy.py").write_text(LIMIT_STRATEGY)

    def invoke() -> dict:
        run = run_botship("invoke", "--local", "--json", "--profile", "sandbox", project=trader, cache=dependency_cache)
        result = next(json.loads(line) for line in run.stdout.splitlines() if '"type": "result"' in line)
        assert run.returncode == 0 and result["body"]["status"] == "ok", run.stdout[-4000:]
        return database(trader / ".botship" / "local-run" / "sandbox" / "state")

    books = invoke()
    ((side, kind, status, amount, filled, limit, _, _),) = books["orders"]
    assert (side, kind, status, float(amount), float(filled or 0)) == ("BUY", "LIMIT", "OPEN", 0.01, 0.0)
    # The cash the order needs is held for it, as an exchange would.
    assert float(books["portfolio"][0][2]) == pytest.approx(1000 - 0.01 * float(limit))

    books = invoke()  # the market has not moved: it still rests
    assert [o[2] for o in books["orders"]] == ["OPEN"]

    exchange.set_price(float(limit) * 0.9)  # the market falls through the limit
    books = invoke()
    ((_, _, status, _, filled, price, _, _),) = books["orders"]
    assert (status, float(filled), float(price)) == ("CLOSED", 0.01, float(limit))
    (fill,) = json.loads((trader / ".botship" / "local-run" / "sandbox" / "state" / "botship-paper.json")
                         .read_text())["fills"]
    assert fill["price"] == float(limit) and fill["market_price"] < float(limit)
    assert [t[:2] for t in books["trades"]] == [("BTC", "OPEN")]
    assert exchange.private_requests == []


def test_the_iaf_template_without_its_paper_stand_ins_still_trades_on_paper_with_no_exchange_reachable(
        tmp_path, dependency_cache, sandbox, monkeypatch):
    """The issue's own reproduction: the template's paper exchange and balances removed, the profile still paper.
    Every HTTP(S) request the bot could make to another host goes to a closed port on loopback, so no exchange is
    reachable."""
    import socket

    from botship.init import scaffold

    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "iaf-bot"
    scaffold(project, "iaf")
    app = (project / "app.py").read_text()
    for line in ("app.add_order_executor(PaperExchange(priority=1))\n",
                 "app.add_portfolio_provider(PaperBalances(priority=1))\n"):
        assert line in app
        app = app.replace(line, "")
    (project / "app.py").write_text(app)
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    toml = (project / "botship.toml").read_text()
    (project / "botship.toml").write_text(toml.replace(
        'mode = "paper"', f'mode = "paper"\nenv = {{ HTTP_PROXY = "{closed}", HTTPS_PROXY = "{closed}", NO_PROXY = "127.0.0.1" }}',
        1))  # the state store (the emulator, on loopback) is reached directly; everything else meets a closed port

    spec = ProfileStore(project).spec("sandbox")
    provider = provider_class("sandbox")(spec)
    context = DeployContext(project, "sandbox", SecretValues([]))
    deployed = start_run(provider.plan(context), lambda event: None).wait(300)
    assert deployed.ok, deployed.failure
    bot = provider.handle()
    answers = [bot.invoke({"source": "test"}) for _ in range(2)]
    logs = "\n".join(line for answer in answers for line in answer.logs)
    assert [a.bot_status for a in answers] == ["ok", "ok"], logs[-4000:]
    assert "Could not" not in logs

    state = tmp_path / "exported"
    bot.export_state(state)
    books = database(state)
    # The first replayed candle crosses upwards: one buy, filled on paper at that candle's close.
    (order,) = books["orders"]
    assert (order[0], order[2], float(order[5])) == ("BUY", "CLOSED", 29591.05) and order[6].startswith("paper-")
    ((_, initial, unallocated),) = books["portfolio"]
    assert float(initial) == 1000.0 and float(unallocated) == pytest.approx(1000.0 - float(order[4]) * 29591.05)
    assert [t[:2] for t in books["trades"]] == [("BTC", "OPEN")]
    assert [f["side"] for f in json.loads((state / "botship-paper.json").read_text())["fills"]] == ["BUY"]


HANDLER = '''

def handler(event, context):
    """An entry that is a function running the app (not the App itself), telling what keys the app held."""
    app.run(number_of_iterations=1)
    return {"env_key": os.environ.get("BITVAVO_API_KEY"), "env_secret": os.environ.get("BITVAVO_SECRET_KEY"),
            "credential_key": app.get_market_credential("BITVAVO").api_key}
'''


def test_a_function_entry_running_the_app_trades_on_paper_and_never_holds_the_keys_of_env_or_shell(
        trader, exchange, dependency_cache):
    (trader / "app.py").write_text((trader / "app.py").read_text() + HANDLER)
    toml = (trader / "botship.toml").read_text().replace('entry = "app:app"', 'entry = "app:handler"', 1)
    (trader / "botship.toml").write_text(toml.replace('\nsecrets = ["BITVAVO_API_KEY", "BITVAVO_SECRET_KEY"]', "", 1))
    # The keys where users keep them: .env (which the framework's create_app loads by itself) and the shell.
    (trader / ".env").write_text(f"BITVAVO_API_KEY={API_KEY}\nBITVAVO_SECRET_KEY={SECRET}\n")
    run = run_botship("invoke", "--local", "--json", "--profile", "sandbox", project=trader, cache=dependency_cache,
                      **KEYS)
    result = next(json.loads(line) for line in run.stdout.splitlines() if '"type": "result"' in line)
    assert run.returncode == 0 and result["body"]["status"] == "ok", run.stdout[-4000:]
    assert result["body"]["result"] == {"env_key": None, "env_secret": None, "credential_key": "botship-paper-no-key"}
    assert exchange.private_requests == [] and exchange.orders == []
    (fill,) = json.loads((trader / ".botship" / "local-run" / "sandbox" / "state" / "botship-paper.json")
                         .read_text())["fills"]
    assert fill["side"] == "BUY"
    assert API_KEY not in run.stdout + run.stderr
