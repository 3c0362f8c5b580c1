"""A fake Bitvavo on loopback: its v2 REST API as ccxt's `bitvavo` client calls it, with every request counted.

    with FakeExchange() as exchange:        # or exchange.start() ... exchange.stop()
        ...  # point ccxt's bitvavo at exchange.url (what tests/bots/iaf_trader does with FAKE_EXCHANGE_URL)
        exchange.private_count, exchange.orders, exchange.unknown

Public endpoints (no keys): markets, assets, time, ticker/price, ticker/book, ticker/24h, {market}/book,
{market}/trades, {market}/candles. Prices follow a gentle sine (BTC-EUR around 30000 EUR, a day long), on
the market's tick grid, with candles aligned to the real clock, so a client's freshness checks pass.

Private endpoints (signed with the Bitvavo-Access-* headers, checked as Bitvavo checks them): balance,
account, account/fees, order (place, get, cancel), orders, ordersOpen, trades. Behind them a small
in-memory exchange: a starting balance (10000 EUR), market orders fill at once at the book's price,
limit orders fill at once when marketable (at the book's price) and otherwise rest on the book.

Every request is recorded in `requests` as (method, path, private). A request is private when it hits a
private path or carries Bitvavo's auth headers: a private path asked without keys (refused, as Bitvavo
refuses it) still counts as private. Unknown endpoints answer 404 with Bitvavo's "invalid endpoint" error
and are recorded in `unknown` as well, so a test sees any call this fake does not serve.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import threading
import time
import uuid
from decimal import ROUND_DOWN, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

API_KEY = "fake-bitvavo-key"
SECRET = "fake-bitvavo-secret"

# Bitvavo's private endpoints (ccxt's bitvavo `api.private`), by their path after /v2/.
PRIVATE_PATHS = frozenset({
    "order", "orders", "ordersOpen", "trades", "deposit", "depositHistory", "withdrawalHistory", "account",
    "balance", "stakingBalance", "account/fees", "account/history", "subaccounts", "subaccounts/transfers",
    "cancelOrdersAfter", "withdrawal", "crypto/withdrawal", "atomic/orders",
    "institutional/subaccounts/balance", "institutional/subaccounts/history",
    "institutional/subaccounts/orders/open", "institutional/subaccounts/order",
    "institutional/subaccounts/orders",
})
AUTH_HEADERS = ("bitvavo-access-key", "bitvavo-access-signature", "bitvavo-access-timestamp")
INTERVALS = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14400, "6h": 21600,
             "8h": 28800, "12h": 43200, "1d": 86400}
DAY_MS = 86_400_000
EIGHT = Decimal("0.00000001")


class Request(NamedTuple):
    method: str
    path: str      # without the query, e.g. /v2/balance
    private: bool


class ExchangeError(Exception):
    """An error answered as Bitvavo answers errors: {"errorCode": N, "error": "..."} with an HTTP status."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _text(value: Decimal) -> str:
    """A decimal as Bitvavo writes it: a plain string, no exponent, no trailing zeros past the point."""
    text = format(value.normalize(), "f")
    return text


class Market:
    """One market's listing and its deterministic price: a sine around `base`, one period a day."""

    def __init__(self, base: str, quote: str, price: float, tick: str, min_base: str) -> None:
        self.base, self.quote, self.id = base, quote, f"{base}-{quote}"
        self.price, self.tick, self.min_base = price, Decimal(tick), min_base

    def mid(self, ms: int) -> float:
        return self.price * (1 + 0.01 * math.sin(2 * math.pi * ms / DAY_MS))

    def on_tick(self, value: float) -> Decimal:
        return (Decimal(str(value)) / self.tick).quantize(Decimal(1)) * self.tick

    def quote_at(self, ms: int) -> tuple[Decimal, Decimal, Decimal]:
        """(bid, last, ask): last on the tick grid, one tick either side."""
        last = self.on_tick(self.mid(ms))
        return last - self.tick, last, last + self.tick

    def listing(self) -> dict[str, Any]:
        return {"market": self.id, "status": "trading", "base": self.base, "quote": self.quote,
                "pricePrecision": "0", "tickSize": _text(self.tick), "minOrderInBaseAsset": self.min_base,
                "minOrderInQuoteAsset": "5.00", "maxOrderInBaseAsset": "1000000000.00000000",
                "maxOrderInQuoteAsset": "1000000000.00", "quantityDecimals": "8", "notionalDecimals": "2",
                "maxOpenOrders": "100", "feeCategory": "A",
                "orderTypes": ["market", "limit", "stopLoss", "stopLossLimit", "takeProfit", "takeProfitLimit"]}

    def candle(self, start_ms: int, step_ms: int, now_ms: int) -> list:
        """One candle [start, open, high, low, close, volume]; the current one closes at the current price."""
        end = min(start_ms + step_ms, now_ms)
        points = [self.mid(start_ms + (end - start_ms) * i / 4) for i in range(5)]
        open_, close = self.on_tick(points[0]), self.on_tick(points[-1])
        high, low = self.on_tick(max(points)) + self.tick, self.on_tick(min(points)) - self.tick
        volume = Decimal(1 + (start_ms // step_ms) % 7) / 4
        return [start_ms, _text(open_), _text(high), _text(low), _text(close), _text(volume)]


def _markets() -> dict[str, Market]:
    return {m.id: m for m in (Market("BTC", "EUR", 30000.0, "1", "0.00006100"),
                              Market("ETH", "EUR", 2000.0, "0.01", "0.00100000"))}
ASSETS = {"EUR": ("Euro", 2), "BTC": ("Bitcoin", 8), "ETH": ("Ethereum", 8)}


class FakeExchange:
    """A fake Bitvavo v2 REST API on 127.0.0.1 (a free port), in a thread. See the module's docstring."""

    def __init__(self, balances: dict[str, str] | None = None, api_key: str = API_KEY, secret: str = SECRET,
                 taker_fee: str = "0.0025", maker_fee: str = "0.0015") -> None:
        self.api_key, self.secret = api_key, secret
        self.taker_fee, self.maker_fee = Decimal(taker_fee), Decimal(maker_fee)
        self.balances: dict[str, Decimal] = {k: Decimal(v) for k, v in (balances or {"EUR": "10000"}).items()}
        self.on_hold: dict[str, Decimal] = {}
        self.orders: list[dict[str, Any]] = []       # every order placed, as Bitvavo shows it (kept up to date)
        self.fills: list[dict[str, Any]] = []        # every trade of the account
        self.requests: list[Request] = []
        self.unknown: list[tuple[str, str]] = []     # (method, path) of every request to an endpoint not served
        self.refused: list[tuple[str, str, int]] = []  # (method, path, errorCode) of every request answered an error
        self.markets = _markets()  # each exchange its own prices: a test may move them (set_price)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> "FakeExchange":
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
            self._server.daemon_threads = True
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="fake-bitvavo", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(10)
            self._server = self._thread = None

    def __enter__(self) -> "FakeExchange":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL ccxt's bitvavo takes as its `api` URL (it adds /v2/... itself)."""
        assert self._server is not None, "FakeExchange is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- what was asked --------------------------------------------------------------------------------
    @property
    def private_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.private]

    @property
    def public_count(self) -> int:
        with self._lock:
            return sum(not r.private for r in self.requests)

    @property
    def private_count(self) -> int:
        with self._lock:
            return sum(r.private for r in self.requests)

    def count(self, method: str, path: str) -> int:
        """How many requests were `method path` (path as recorded, e.g. "/v2/order")."""
        with self._lock:
            return sum(r.method == method and r.path == path for r in self.requests)

    def clear_requests(self) -> None:
        """Forget the requests seen so far (balances and orders stay): to count one run's requests."""
        with self._lock:
            self.requests.clear()
            self.unknown.clear()
            self.refused.clear()

    def balance(self, symbol: str) -> Decimal:
        """The available (not on hold) balance of `symbol`."""
        with self._lock:
            return self.balances.get(symbol, Decimal(0))

    def price(self, market: str = "BTC-EUR") -> Decimal:
        """The market's last price right now (bid one tick below, ask one tick above)."""
        return self.markets[market].quote_at(_now_ms())[1]

    def set_price(self, price: float, market: str = "BTC-EUR") -> None:
        """Move the market: its price swings around `price` from now on (candles, tickers, fills)."""
        self.markets[market].price = price

    # -- the API ---------------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        split = urlsplit(target)
        path = split.path
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        route = path[len("/v2/"):] if path.startswith("/v2/") else None
        signed = any(h in headers for h in AUTH_HEADERS)
        private = signed or (route is not None and route in PRIVATE_PATHS)
        with self._lock:
            self.requests.append(Request(method, path, private))
            try:
                if route is None:
                    raise _invalid_endpoint()
                if signed or route in PRIVATE_PATHS:
                    self._authenticate(method, target, headers, body)
                if route in PRIVATE_PATHS:
                    return 200, self._private(method, route, query, _json_body(body))
                return 200, self._public(method, route, query)
            except ExchangeError as error:
                if error.code == 110:
                    self.unknown.append((method, path))
                self.refused.append((method, path, error.code))
                return error.status, {"errorCode": error.code, "error": error.message}

    def _authenticate(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        key = headers.get("bitvavo-access-key")
        signature = headers.get("bitvavo-access-signature")
        stamp = headers.get("bitvavo-access-timestamp")
        if not key or not signature or not stamp:
            raise ExchangeError(403, 300, "Authentication is required for this endpoint.")
        if key != self.api_key:
            raise ExchangeError(403, 305, "No active API key found.")
        if not stamp.isdigit():
            raise ExchangeError(403, 302, "Timestamp is invalid. This must be a timestamp in ms.")
        window = int(headers.get("bitvavo-access-window") or 10000)
        if abs(_now_ms() - int(stamp)) > window:
            raise ExchangeError(403, 304, "Request was not received within acceptable window.")
        expected = hmac.new(self.secret.encode(), (stamp + method + target).encode() + body, hashlib.sha256)
        if not hmac.compare_digest(expected.hexdigest(), signature):
            raise ExchangeError(403, 309, "The signature is invalid.")

    def _public(self, method: str, route: str, query: dict[str, str]) -> Any:
        if method != "GET":
            raise _invalid_endpoint()
        now = _now_ms()
        if route == "time":
            return {"time": now, "timeNs": now * 1_000_000}
        if route == "markets":
            return _one_or_all(query, "market", {m.id: m.listing() for m in self.markets.values()})
        if route == "assets":
            assets = {code: {"symbol": code, "name": name, "decimals": decimals, "depositFee": "0",
                             "depositConfirmations": 10, "depositStatus": "OK", "withdrawalFee": "0",
                             "withdrawalMinAmount": "0", "withdrawalStatus": "OK",
                             "networks": [] if code == "EUR" else [code], "message": ""}
                      for code, (name, decimals) in ASSETS.items()}
            return _one_or_all(query, "symbol", assets)
        if route == "ticker/price":
            return _one_or_all(query, "market", {m.id: {"market": m.id, "price": _text(m.quote_at(now)[1])}
                                                 for m in self.markets.values()})
        if route == "ticker/book":
            return _one_or_all(query, "market", {m.id: self._book_ticker(m, now) for m in self.markets.values()})
        if route == "ticker/24h":
            return _one_or_all(query, "market", {m.id: self._day_ticker(m, now) for m in self.markets.values()})
        market_id, _, what = route.partition("/")
        if what in ("book", "trades", "candles"):
            market = self.markets.get(market_id)
            if market is None:
                raise ExchangeError(400, 205, "market parameter is invalid.")
            if what == "book":
                bid, _, ask = market.quote_at(now)
                return {"market": market.id, "nonce": now, "bids": [[_text(bid), "1.5"]],
                        "asks": [[_text(ask), "1.5"]]}
            if what == "trades":
                return [{"id": f"public-{now}", "timestamp": now, "amount": "0.01",
                         "price": _text(market.quote_at(now)[1]), "side": "buy"}]
            return self._candles(market, query, now)
        raise _invalid_endpoint()

    def _book_ticker(self, market: Market, now: int) -> dict[str, Any]:
        bid, _, ask = market.quote_at(now)
        return {"market": market.id, "bid": _text(bid), "bidSize": "1.5", "ask": _text(ask), "askSize": "1.5"}

    def _day_ticker(self, market: Market, now: int) -> dict[str, Any]:
        bid, last, ask = market.quote_at(now)
        hours = [market.on_tick(market.mid(now - DAY_MS + i * 3_600_000)) for i in range(25)]
        return {"market": market.id, "startTimestamp": now - DAY_MS, "timestamp": now,
                "open": _text(hours[0]), "openTimestamp": now - DAY_MS, "high": _text(max(hours + [last])),
                "low": _text(min(hours + [last])), "last": _text(last), "closeTimestamp": now,
                "bid": _text(bid), "bidSize": "1.5", "ask": _text(ask), "askSize": "1.5",
                "volume": "42.5", "volumeQuote": _text((Decimal("42.5") * last).quantize(Decimal("0.01")))}

    def _candles(self, market: Market, query: dict[str, str], now: int) -> list:
        interval = query.get("interval")
        if interval not in INTERVALS:
            raise ExchangeError(400, 205, "interval parameter is invalid.")
        step = INTERVALS[interval] * 1000
        limit = min(int(query.get("limit") or 1440), 1440)
        end = min(int(query["end"]), now) if query.get("end") else now
        last = end // step                      # the candle `end` falls in (the current one, if end is now)
        first = -(-int(query["start"]) // step) if query.get("start") else last - limit + 1
        first = max(first, last - limit + 1)
        # Newest first, as Bitvavo answers.
        return [market.candle(k * step, step, now) for k in range(last, first - 1, -1)]

    # -- the account -----------------------------------------------------------------------------------
    def _private(self, method: str, route: str, query: dict[str, str], body: dict[str, Any]) -> Any:
        params = body if method in ("POST", "PUT") else query
        if (method, route) == ("GET", "balance"):
            symbols = set(self.balances) | set(self.on_hold)
            if "symbol" in query:
                symbols &= {query["symbol"]}
            return [{"symbol": s, "available": _text(self.balances.get(s, Decimal(0))),
                     "inOrder": _text(self.on_hold.get(s, Decimal(0)))} for s in sorted(symbols)]
        if (method, route) == ("GET", "account"):
            return {"fees": {"tier": 0, "volume": "0.00", "maker": _text(self.maker_fee),
                             "taker": _text(self.taker_fee)}, "capabilities": ["buy", "sell"]}
        if (method, route) == ("GET", "account/fees"):
            self._market(params)
            return {"tier": 0, "volume": "0.00", "maker": _text(self.maker_fee), "taker": _text(self.taker_fee)}
        if (method, route) == ("POST", "order"):
            return self._place(params)
        if (method, route) == ("GET", "order"):
            return dict(self._find(params))
        if (method, route) == ("DELETE", "order"):
            _require(params, "operatorId")
            order = self._find(params)
            if order["status"] not in ("new", "partiallyFilled"):
                raise ExchangeError(400, 233, "Order must be active (status new or partiallyFilled) "
                                              "to allow updating/cancelling.")
            self._cancel(order)
            return {"orderId": order["orderId"]}
        if (method, route) == ("DELETE", "orders"):
            _require(params, "operatorId")
            wanted = params.get("market")
            cancelled = [o for o in self.orders if o["status"] in ("new", "partiallyFilled")
                         and (wanted is None or o["market"] == wanted)]
            for order in cancelled:
                self._cancel(order)
            return [{"orderId": o["orderId"]} for o in cancelled]
        if (method, route) == ("GET", "ordersOpen"):
            wanted = params.get("market")
            return [dict(o) for o in reversed(self.orders) if o["status"] in ("new", "partiallyFilled")
                    and (wanted is None or o["market"] == wanted)]
        if (method, route) == ("GET", "orders"):
            market = self._market(params)
            return [dict(o) for o in reversed(self.orders) if o["market"] == market.id]
        if (method, route) == ("GET", "trades"):
            market = self._market(params)
            return [dict(f) for f in reversed(self.fills) if f["market"] == market.id]
        raise _invalid_endpoint()

    def _market(self, params: dict[str, Any]) -> Market:
        market_id = _require(params, "market")
        if market_id not in self.markets:
            raise ExchangeError(400, 205, "market parameter is invalid.")
        return self.markets[market_id]

    def _find(self, params: dict[str, Any]) -> dict[str, Any]:
        market = self._market(params)
        order_id = _require(params, "orderId")
        for order in self.orders:
            if order["orderId"] == order_id and order["market"] == market.id:
                return order
        raise ExchangeError(404, 240, "No order found. Please be aware that simultaneously updating the same "
                                      "order may return this error.")

    def _place(self, params: dict[str, Any]) -> dict[str, Any]:
        market = self._market(params)
        side = _require(params, "side")
        kind = _require(params, "orderType")
        _require(params, "operatorId")
        if side not in ("buy", "sell"):
            raise ExchangeError(400, 205, "side parameter is invalid.")
        if kind not in ("market", "limit"):
            raise ExchangeError(400, 205, "orderType parameter is invalid.")
        now = _now_ms()
        bid, _, ask = market.quote_at(now)
        fill_price = ask if side == "buy" else bid
        price = None
        if kind == "limit":
            price = _decimal(_require(params, "price"), "price")
            amount = _decimal(_require(params, "amount"), "amount")
        elif "amount" in params:
            amount = _decimal(params["amount"], "amount")
        elif "amountQuote" in params:
            amount = (_decimal(params["amountQuote"], "amountQuote") / fill_price).quantize(EIGHT, ROUND_DOWN)
        else:
            raise ExchangeError(400, 203, "amount or amountQuote parameter is required.")
        if amount != amount.quantize(EIGHT):
            raise ExchangeError(400, 205, "amount parameter is invalid.")
        if price is not None and price % market.tick:
            raise ExchangeError(400, 214, "Price is too detailed")
        if amount < Decimal(market.min_base) or amount * (price or fill_price) < 5:
            raise ExchangeError(400, 217, f"Minimum order size in quote currency is 5 {market.quote} or "
                                          f"{market.min_base} {market.base}.")
        marketable = kind == "market" or (price >= ask if side == "buy" else price <= bid)
        post_only = str(params.get("postOnly")).lower() == "true"
        order = {"orderId": str(uuid.uuid4()), "market": market.id, "created": now, "updated": now,
                 "status": "new", "side": side, "orderType": kind, "amount": _text(amount),
                 "amountRemaining": _text(amount), "onHold": "0", "onHoldCurrency": market.quote,
                 "filledAmount": "0", "filledAmountQuote": "0", "feePaid": "0", "feeCurrency": market.quote,
                 "fills": [], "selfTradePrevention": params.get("selfTradePrevention", "decrementAndCancel"),
                 "visible": kind == "limit", "timeInForce": params.get("timeInForce", "GTC"),
                 "postOnly": post_only, "operatorId": params["operatorId"]}
        if price is not None:
            order["price"] = _text(price)
        if marketable and post_only:
            order["status"] = "canceledPostOnly"
            self.orders.append(order)
            return dict(order)
        # Funds: a buy needs the quote (its cost and the fee), a sell the base.
        needed = amount * (price or fill_price) * (1 + self.taker_fee) if side == "buy" else amount
        currency = market.quote if side == "buy" else market.base
        if self.balances.get(currency, Decimal(0)) < needed:
            raise ExchangeError(400, 216, "You do not have sufficient balance to complete this operation.")
        if marketable:
            self._fill(order, market, amount, fill_price, now)
        else:
            held = (amount * price * (1 + self.maker_fee)).quantize(Decimal("0.01")) if side == "buy" else amount
            self.balances[currency] -= held
            self.on_hold[currency] = self.on_hold.get(currency, Decimal(0)) + held
            order.update(onHold=_text(held), onHoldCurrency=currency)
        self.orders.append(order)
        return dict(order)

    def _fill(self, order: dict[str, Any], market: Market, amount: Decimal, price: Decimal, now: int) -> None:
        cost = (amount * price).quantize(EIGHT)
        fee = (cost * self.taker_fee).quantize(EIGHT)
        if order["side"] == "buy":
            self.balances[market.quote] -= cost + fee
            self.balances[market.base] = self.balances.get(market.base, Decimal(0)) + amount
        else:
            self.balances[market.base] -= amount
            self.balances[market.quote] = self.balances.get(market.quote, Decimal(0)) + cost - fee
        fill = {"id": str(uuid.uuid4()), "timestamp": now, "amount": _text(amount), "price": _text(price),
                "taker": True, "fee": _text(fee), "feeCurrency": market.quote, "settled": True}
        self.fills.append({**fill, "orderId": order["orderId"], "market": market.id, "side": order["side"],
                           "clientOrderId": None})
        order.update(status="filled", amountRemaining="0", filledAmount=_text(amount),
                     filledAmountQuote=_text(cost), feePaid=_text(fee), fills=[fill], updated=now)

    def _cancel(self, order: dict[str, Any]) -> None:
        held, currency = Decimal(order["onHold"]), order["onHoldCurrency"]
        self.on_hold[currency] -= held
        self.balances[currency] = self.balances.get(currency, Decimal(0)) + held
        order.update(status="canceled", onHold="0", updated=_now_ms())


def _handler_for(exchange: FakeExchange) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = exchange.handle(self.command, self.path, headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, *args) -> None:  # the tests read the counters, not a log
            pass

    return Handler


def _now_ms() -> int:
    return int(time.time() * 1000)


def _invalid_endpoint() -> ExchangeError:
    return ExchangeError(404, 110, "Invalid endpoint. Please check url and HTTP method.")


def _json_body(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise ExchangeError(400, 102, "Invalid JSON.") from None
    if not isinstance(data, dict):
        raise ExchangeError(400, 102, "Invalid JSON.")
    return {k: v for k, v in data.items()}


def _require(params: dict[str, Any], name: str) -> Any:
    if params.get(name) in (None, ""):
        raise ExchangeError(400, 203, f"{name} parameter is required.")
    return params[name]


def _decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ExchangeError(400, 205, f"{name} parameter is invalid.") from None
    if not number.is_finite() or number <= 0:
        raise ExchangeError(400, 205, f"{name} parameter is invalid.")
    return number


def _one_or_all(query: dict[str, str], key: str, items: dict[str, Any]) -> Any:
    """Bitvavo's list endpoints: the whole list, or the one item a query parameter names."""
    if key not in query:
        return list(items.values())
    if query[key] not in items:
        raise ExchangeError(400, 205, f"{key} parameter is invalid.")
    return items[query[key]]
