"""The fake Bitvavo (tests/fake_exchange.py) on its own, and the framework app tests/bots/iaf_trader trading on it.

The app runs here as a live app does, without botship: in a fresh Python with the framework installed by
botship's real dependency build, its keys in the environment and FAKE_EXCHANGE_URL pointing ccxt at the
fake. Each run is one iteration of the framework (`app.run(number_of_iterations=1)`), the same
RESOURCE_DIRECTORY every time: the first run buys, the second sells. Any connection to a host other than
loopback is refused inside the bot and reported, so nothing reaches the real exchange.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from fake_exchange import API_KEY, SECRET, FakeExchange
from helpers import BOTS


@pytest.fixture
def exchange():
    with FakeExchange() as fake:
        yield fake


def call(exchange: FakeExchange, method: str, path: str, body: dict | None = None, *, key: str | None = API_KEY,
         secret: str = SECRET) -> tuple[int, object]:
    """One request as ccxt's bitvavo sends it: signed (Bitvavo-Access-* headers) unless `key` is None."""
    target = f"/v2/{path}"
    payload = json.dumps(body) if body is not None else ""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key is not None:
        stamp = str(int(time.time() * 1000))
        signature = hmac.new(secret.encode(), (stamp + method + target + payload).encode(), hashlib.sha256)
        headers.update({"Bitvavo-Access-Key": key, "Bitvavo-Access-Signature": signature.hexdigest(),
                        "Bitvavo-Access-Timestamp": stamp, "Bitvavo-Access-Window": "10000"})
    request = urllib.request.Request(exchange.url + target, data=payload.encode() or None, headers=headers,
                                     method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def public(exchange: FakeExchange, path: str) -> tuple[int, object]:
    return call(exchange, "GET", path, key=None)


def test_public_endpoints_answer_as_bitvavo_with_prices_aligned_to_now(exchange):
    status, markets = public(exchange, "markets")
    assert status == 200 and {m["market"] for m in markets} == {"BTC-EUR", "ETH-EUR"}
    assert public(exchange, "markets?market=BTC-EUR")[1]["tickSize"] == "1"
    assert {a["symbol"] for a in public(exchange, "assets")[1]} == {"EUR", "BTC", "ETH"}
    assert abs(public(exchange, "time")[1]["time"] - time.time() * 1000) < 5000

    ticker = public(exchange, "ticker/24h?market=BTC-EUR")[1]
    bid, last, ask = Decimal(ticker["bid"]), Decimal(ticker["last"]), Decimal(ticker["ask"])
    assert bid == last - 1 and ask == last + 1 and 29000 < last < 31000
    assert public(exchange, "ticker/price?market=BTC-EUR")[1]["market"] == "BTC-EUR"
    assert public(exchange, "ticker/book?market=BTC-EUR")[1]["ask"] == ticker["ask"]
    assert public(exchange, "BTC-EUR/book?depth=1")[1]["bids"][0][0] == ticker["bid"]

    now = int(time.time() * 1000)
    candles = public(exchange, "BTC-EUR/candles?interval=5m&limit=12")[1]
    later = int(time.time() * 1000)
    # Newest first, the newest being the candle now falls in, 5 minutes apart.
    assert len(candles) == 12 and candles[0][0] in (now // 300_000 * 300_000, later // 300_000 * 300_000)
    assert [c[0] for c in candles] == [candles[0][0] - i * 300_000 for i in range(12)]
    assert all(Decimal(c[3]) <= min(Decimal(c[1]), Decimal(c[4])) <= max(Decimal(c[1]), Decimal(c[4]))
               <= Decimal(c[2]) for c in candles)
    window = public(exchange, f"BTC-EUR/candles?interval=1h&start={now - 3 * 3_600_000}&end={now}&limit=1440")[1]
    assert len(window) == 3 or len(window) == 4
    assert public(exchange, "BTC-EUR/candles?interval=7m")[0] == 400

    assert exchange.private_count == 0 and exchange.public_count == len(exchange.requests) == 11
    assert exchange.unknown == []


def test_a_private_path_counts_as_private_with_or_without_keys_and_is_refused_without_good_ones(exchange):
    assert call(exchange, "GET", "balance", key=None) == (
        403, {"errorCode": 300, "error": "Authentication is required for this endpoint."})
    assert call(exchange, "GET", "balance", key="someone-else")[1]["errorCode"] == 305
    assert call(exchange, "GET", "balance", secret="wrong")[1]["errorCode"] == 309
    assert call(exchange, "GET", "balance") == (200, [{"symbol": "EUR", "available": "10000", "inOrder": "0"}])
    assert exchange.private_count == 4 and exchange.public_count == 0
    assert [tuple(r) for r in exchange.private_requests] == [("GET", "/v2/balance", True)] * 4
    assert [code for _, _, code in exchange.refused] == [300, 305, 309]


def test_orders_fill_at_the_book_price_when_marketable_and_rest_otherwise(exchange):
    order = {"market": "BTC-EUR", "side": "buy", "orderType": "market", "amount": "0.01", "operatorId": 7}
    # Bitvavo takes no order without an operatorId.
    assert call(exchange, "POST", "order", {k: v for k, v in order.items() if k != "operatorId"})[1][
        "errorCode"] == 203
    status, bought = call(exchange, "POST", "order", order)
    assert status == 200 and bought["status"] == "filled" and bought["filledAmount"] == "0.01"
    ask = Decimal(bought["fills"][0]["price"])
    cost = ask * Decimal("0.01")
    assert Decimal(bought["filledAmountQuote"]) == cost and Decimal(bought["feePaid"]) == cost * Decimal("0.0025")
    assert exchange.balance("BTC") == Decimal("0.01")
    assert exchange.balance("EUR") == Decimal(10000) - cost - cost * Decimal("0.0025")

    # A limit sell far above the market rests on the book, its BTC on hold, until cancelled.
    resting = call(exchange, "POST", "order", {**order, "side": "sell", "orderType": "limit", "amount": "0.004",
                                               "price": "90000"})[1]
    assert resting["status"] == "new" and exchange.balance("BTC") == Decimal("0.006")
    assert [o["orderId"] for o in call(exchange, "GET", "ordersOpen?market=BTC-EUR")[1]] == [resting["orderId"]]
    assert call(exchange, "GET", f"order?market=BTC-EUR&orderId={resting['orderId']}")[1]["status"] == "new"
    assert call(exchange, "DELETE", f"order?market=BTC-EUR&orderId={resting['orderId']}&operatorId=7") == (
        200, {"orderId": resting["orderId"]})
    assert exchange.balance("BTC") == Decimal("0.01") and call(exchange, "GET", "ordersOpen")[1] == []
    assert call(exchange, "DELETE", f"order?market=BTC-EUR&orderId={resting['orderId']}&operatorId=7")[1][
        "errorCode"] == 233

    # A marketable limit sell fills at once, at the bid.
    sold = call(exchange, "POST", "order", {**order, "side": "sell", "orderType": "limit", "price": "1000"})[1]
    assert sold["status"] == "filled" and sold["price"] == "1000" and Decimal(sold["fills"][0]["price"]) < ask
    assert exchange.balance("BTC") == 0
    assert call(exchange, "POST", "order", {**order, "amount": "10"})[1]["errorCode"] == 216
    assert call(exchange, "POST", "order", {**order, "amount": "0.0001"})[1]["errorCode"] == 217
    assert call(exchange, "GET", "order?market=BTC-EUR&orderId=nope") == (404, {
        "errorCode": 240, "error": "No order found. Please be aware that simultaneously updating the same "
                                   "order may return this error."})

    assert [(o["side"], o["orderType"], o["status"]) for o in exchange.orders] == [
        ("buy", "market", "filled"), ("sell", "limit", "canceled"), ("sell", "limit", "filled")]
    assert [t["side"] for t in call(exchange, "GET", "trades?market=BTC-EUR")[1]] == ["sell", "buy"]
    assert call(exchange, "GET", "account/fees?market=BTC-EUR")[1]["taker"] == "0.0025"
    assert exchange.unknown == [] and exchange.public_count == 0


def test_unknown_endpoints_answer_404_and_are_recorded(exchange):
    invalid = {"errorCode": 110, "error": "Invalid endpoint. Please check url and HTTP method."}
    assert public(exchange, "nothing/here") == (404, invalid)
    assert call(exchange, "POST", "markets", {}) == (404, invalid)     # signed: counted private
    assert call(exchange, "GET", "stakingBalance") == (404, invalid)  # a private path this fake does not serve
    request = urllib.request.Request(exchange.url + "/v3/markets")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404
    assert exchange.unknown == [("GET", "/v2/nothing/here"), ("POST", "/v2/markets"), ("GET", "/v2/stakingBalance"),
                                ("GET", "/v3/markets")]
    assert [r.private for r in exchange.requests] == [False, True, True, False]


# -- the framework app, live, against the fake ----------------------------------------------------------

# Runs the app's one iteration the way botship's runtime does (RESOURCE_DIRECTORY through set_config),
# with every connection to a host other than loopback refused and reported.
DRIVER = """
import os, socket, sys

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo

def connect(sock, address):
    if isinstance(address, tuple) and address[0] not in LOOPBACK:
        print(f"outside network refused: {address[0]}", file=sys.stderr, flush=True)
        raise OSError(f"outside network refused: {address[0]}")
    return _connect(sock, address)

def getaddrinfo(host, *args, **kwargs):
    if host not in LOOPBACK and host is not None:
        print(f"outside network refused: {host}", file=sys.stderr, flush=True)
        raise OSError(f"outside network refused: {host}")
    return _getaddrinfo(host, *args, **kwargs)

socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo

from app import app

app.set_config("RESOURCE_DIRECTORY", os.environ["TEST_RESOURCE_DIRECTORY"])
app.run(number_of_iterations=1)
"""


def run_app(bot: Path, site: Path, exchange: FakeExchange, resources: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(bot.parent), "LANG": "C.UTF-8",
           # -S below: only the framework's install and the standard library, not this virtualenv's packages.
           # The install has no bytecode (botship installs with --no-compile) and stays as built: the runs keep
           # theirs beside the bot, so the second run does not compile the framework again.
           "PYTHONPATH": str(site), "PYTHONPYCACHEPREFIX": str(bot.parent / "pycache"),
           "FAKE_EXCHANGE_URL": exchange.url, "BITVAVO_API_KEY": API_KEY, "BITVAVO_SECRET_KEY": SECRET,
           "TEST_RESOURCE_DIRECTORY": str(resources)}
    return subprocess.run([sys.executable, "-S", "-c", DRIVER], cwd=bot, env=env, capture_output=True, text=True,
                          timeout=240)


def database_rows(resources: Path) -> tuple[list, list]:
    (database,) = (resources / "databases").glob("*.sqlite3")
    with sqlite3.connect(database) as db:
        orders = db.execute("SELECT order_side, order_type, status, filled, external_id FROM orders "
                            "ORDER BY created_at").fetchall()
        trades = db.execute("SELECT target_symbol, status FROM trades ORDER BY opened_at").fetchall()
    return orders, trades


def test_the_framework_app_trades_live_on_the_fake_exchange_buying_then_selling(framework_site, exchange, tmp_path):
    bot = shutil.copytree(BOTS / "iaf_trader", tmp_path / "iaf_trader")
    resources = tmp_path / "resources"

    first = run_app(bot, framework_site, exchange, resources)
    assert first.returncode == 0, first.stderr[-4000:]
    assert "outside network refused" not in first.stderr and exchange.unknown == [] and exchange.refused == []
    # Live, the framework asks the exchange for the EUR balance and sends the order: both private, signed.
    assert [(r.method, r.path) for r in exchange.private_requests] == [("GET", "/v2/balance"), ("POST", "/v2/order")]
    assert exchange.count("GET", "/v2/BTC-EUR/candles") >= 1 and exchange.count("GET", "/v2/ticker/24h") >= 1
    (buy,) = exchange.orders
    assert (buy["side"], buy["orderType"], buy["status"]) == ("buy", "market", "filled")
    assert exchange.balance("BTC") == Decimal(buy["filledAmount"]) > 0
    orders, trades = database_rows(resources)
    assert orders == [("BUY", "MARKET", "CLOSED", buy["filledAmount"], buy["orderId"])]
    assert trades == [("BTC", "OPEN")]

    exchange.clear_requests()
    second = run_app(bot, framework_site, exchange, resources)
    assert second.returncode == 0, second.stderr[-4000:]
    assert "outside network refused" not in second.stderr and exchange.unknown == [] and exchange.refused == []
    assert [(r.method, r.path) for r in exchange.private_requests] == [("GET", "/v2/balance"), ("POST", "/v2/order")]
    sell = exchange.orders[1]
    assert len(exchange.orders) == 2 and (sell["side"], sell["orderType"], sell["status"]) == (
        "sell", "market", "filled")
    assert sell["filledAmount"] == buy["filledAmount"] and exchange.balance("BTC") == 0
    orders, trades = database_rows(resources)
    assert orders[1] == ("SELL", "MARKET", "CLOSED", sell["filledAmount"], sell["orderId"])
    assert trades == [("BTC", "CLOSED")]
    assert "Running strategy BuyThenClose" in second.stderr + second.stdout
