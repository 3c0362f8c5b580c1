"""Paper mode, enforced for investing-algorithm-framework apps: botship's own exchange, on paper.

Before a framework app runs in paper mode, `install` gives it an order executor and a portfolio provider
that never reach an exchange, and makes the framework's lookups answer with them for every market, ahead
of the framework's CCXT support and of anything the app registered itself:

- Orders fill on paper at the price the app's own market data gives (its ticker, else the last candle),
  moved against the bot by the slippage, with a fee, and are recorded in the app's own database by the
  framework itself, so its portfolio, positions, trades and P&L read as they would live. A limit order
  that is not marketable rests, and fills at its limit once the market reaches it (checked each run).
- Balances are what the portfolio's books say; a new portfolio starts from add_market's initial_balance,
  else the profile's `[paper] balance` (BOTSHIP_PAPER_BALANCE).
- A market credential without keys gets a placeholder, so the framework does not ask for real ones.

Every fill and the starting balances are also kept in the state folder (`botship-paper.json`).
Market data still comes from the app's data providers (public endpoints), as a dry run does.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import sys
import time
from typing import Any

from . import logs

FRAMEWORK = "investing_algorithm_framework"
LEDGER = "botship-paper.json"
# Lower comes first in the framework's lookups; nothing an app registers comes before this.
PRIORITY = -(2 ** 31)
PLACEHOLDER = "botship-paper-no-key"
# Fills kept in the ledger; the framework's database keeps every order regardless.
KEEP_FILLS = 500


class PaperSetupError(RuntimeError):
    """Paper mode cannot start for this app (e.g. no starting balance): nothing was traded."""


def _setting(name: str, high: float, what: str) -> float | None:
    """A number the deploy put in the environment (from the profile's [paper] table), checked again here."""
    value = os.environ.get(name)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not 0 <= number <= high:  # also refuses nan
        raise PaperSetupError(f"{name} must be {what} from 0 to {high:g}, not {value!r}")
    return number


class Ledger:
    """botship's record of paper trading in the state folder: starting balances and fills."""

    def __init__(self, state_dir: str) -> None:
        self.path = os.path.join(state_dir, LEDGER)
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as exc:
            logs.warning("the paper ledger could not be read; starting a new one", path=LEDGER, error=str(exc))
            data = {}
        self.data: dict[str, Any] = {"version": 1, "markets": dict(data.get("markets") or {}),
                                     "fills": list(data.get("fills") or [])}

    def market(self, market: str) -> dict[str, Any] | None:
        return self.data["markets"].get(market.upper())

    def start(self, market: str, trading_symbol: str, balance: float, source: str) -> None:
        self.data["markets"][market.upper()] = {"trading_symbol": trading_symbol.upper(), "starting_balance": balance,
                                                "source": source, "started_at": _now()}
        self.save()

    def fill(self, record: dict[str, Any]) -> None:
        self.data["fills"] = (self.data["fills"] + [record])[-KEEP_FILLS:]
        self.save()

    def save(self) -> None:
        tmp = f"{self.path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.data, fh, indent=1, sort_keys=True, default=str)
        os.replace(tmp, self.path)


def _significant(value: float) -> float:
    """`value` to 12 significant digits: exact for any tick size an exchange quotes, free of binary noise."""
    return float(f"{value:.12g}")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# The run in progress: its state folder, and whether it is a paper run.
_ACTIVE: dict[str, Any] = {"on": False, "state_dir": ""}
_APP_MODULE = f"{FRAMEWORK}.app.app"


def is_framework_app(target: Any) -> bool:
    """Whether the entry is an investing-algorithm-framework App (or a subclass of one)."""
    return any(cls.__module__.split(".")[0] == FRAMEWORK for cls in type(target).__mro__)


def prepare_apps(state_dir: str, paper: bool) -> None:
    """Every framework App this run starts, whatever the entry's shape (the App itself, a function calling
    app.run(), a wrapper), keeps its database in the state folder (RESOURCE_DIRECTORY) and, in paper mode,
    trades on botship's paper exchange: App.run does both first. The framework is patched now if the bot
    imported it, else the moment it does; nothing is imported for a bot that never uses it."""
    _ACTIVE.update(on=paper, state_dir=state_dir)
    module = sys.modules.get(_APP_MODULE)
    if module is not None:
        _patch_run(module)
    elif not any(isinstance(finder, _AfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(_APP_MODULE, _patch_run))


def _patch_run(module: Any) -> None:
    app_class = getattr(module, "App", None)
    if app_class is None or getattr(app_class.run, "_botship_paper", False):
        return
    original = app_class.run

    def run(self, *args: Any, **kwargs: Any) -> Any:
        if _ACTIVE["state_dir"]:
            self.set_config("RESOURCE_DIRECTORY", _ACTIVE["state_dir"])
            if _ACTIVE["on"]:
                install(self, _ACTIVE["state_dir"])
        return original(self, *args, **kwargs)

    run._botship_paper = True  # type: ignore[attr-defined]
    run.__wrapped__ = original  # type: ignore[attr-defined]
    app_class.run = run


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls `then(module)` once the module named `name` has been executed (a post-import hook)."""

    def __init__(self, name: str, then: Any) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader, then = spec.loader, self.then

        class Loader(importlib.abc.Loader):
            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: Any) -> None:
                loader.exec_module(module)
                then(module)

        spec.loader = Loader()
        return spec


def install(app: Any, state_dir: str) -> Any:
    """Make `app` trade on paper for this run (once per app); returns the paper exchange (for its fills)."""
    installed = getattr(app, "_botship_paper_exchange", None)
    if installed is not None:  # a warm container's app: the same exchange, the ledger as this run's state has it
        installed.ledger = Ledger(state_dir)
        return installed
    from investing_algorithm_framework import OrderExecutor, PortfolioProvider

    exchange = PaperExchange(app, Ledger(state_dir), fee_pct=_setting("BOTSHIP_PAPER_FEE_PCT", 10, "a percentage"),
                             slippage_pct=_setting("BOTSHIP_PAPER_SLIPPAGE_PCT", 10, "a percentage"),
                             balance=_setting("BOTSHIP_PAPER_BALANCE", 1e12, "an amount"))

    class PaperOrderExecutor(OrderExecutor):
        """botship's paper exchange, as the framework's order executor."""

        def execute_order(self, portfolio, order, market_credential):
            return exchange.execute(portfolio, order)

        def cancel_order(self, portfolio, order, market_credential):
            return exchange.cancel(order)

        def supports_market(self, market):
            return True

    class PaperPortfolioProvider(PortfolioProvider):
        """botship's paper exchange, as the framework's source of balances and order states."""

        def get_order(self, portfolio, order, market_credential):
            return exchange.order_state(portfolio, order)

        def get_position(self, portfolio, symbol, market_credential):
            return exchange.position(portfolio, symbol)

        def supports_market(self, market):
            return True

    executor, provider = PaperOrderExecutor(priority=PRIORITY), PaperPortfolioProvider(priority=PRIORITY)
    app.add_order_executor(executor)
    app.add_portfolio_provider(provider)
    # Whatever else is registered (the framework adds its CCXT executor and provider when it runs), the
    # lookups answer with the paper exchange for every market.
    container = app.container
    container.order_executor_lookup().get_order_executor = lambda market: executor
    container.portfolio_provider_lookup().get_portfolio_provider = lambda market: provider
    _paper_credentials(container.market_credential_service().get_all())
    app._botship_paper_exchange = exchange
    return exchange


def _sends_keys() -> bool:
    """Whether the profile asked for its secrets to reach the paper app ([paper] send_secrets = true)."""
    return os.environ.get("BOTSHIP_PAPER_SECRETS") == "send"


def _paper_credentials(credentials: Any) -> None:
    """The app's market credentials hold placeholders, not keys (unless the profile asked for its secrets), and
    the variables the framework would read keys from are gone; a credential added later gets the same."""
    from investing_algorithm_framework.domain import MarketCredential

    keep = _sends_keys()
    for credential in credentials:
        _placeholders(credential, keep)
    if getattr(MarketCredential.initialize, "_botship_paper", False):
        return
    original = MarketCredential.initialize

    def initialize(self) -> None:
        if _ACTIVE["on"]:
            _placeholders(self, _sends_keys())
        original(self)

    initialize._botship_paper = True  # type: ignore[attr-defined]
    MarketCredential.initialize = initialize


def _placeholders(credential: Any, keep: bool) -> None:
    market = str(credential.market).upper()
    if not keep:
        os.environ.pop(f"{market}_API_KEY", None)
        os.environ.pop(f"{market}_SECRET_KEY", None)
        credential._api_key = credential._secret_key = PLACEHOLDER
        return
    if credential._api_key is None and not os.getenv(f"{market}_API_KEY"):
        credential._api_key = PLACEHOLDER
    if credential._secret_key is None and not os.getenv(f"{market}_SECRET_KEY"):
        credential._secret_key = PLACEHOLDER


class PaperExchange:
    """Fills, rests and cancels orders on paper; answers balances from the portfolio's books."""

    def __init__(self, app: Any, ledger: Ledger, *, fee_pct: float | None, slippage_pct: float | None,
                 balance: float | None) -> None:
        self.app, self.ledger = app, ledger
        self.fee_pct, self.slippage_pct, self.balance = fee_pct, slippage_pct, balance
        self.fills: list[dict[str, Any]] = []

    # -- prices -------------------------------------------------------------------------------------------

    def _configuration(self, market: str) -> Any:
        try:
            return self.app.container.portfolio_configuration_service().get(market)
        except Exception:  # noqa: BLE001 - defaults apply
            return None

    def _costs(self, market: str) -> tuple[float, float]:
        """Fee and slippage in percent: the profile's, else add_market's, else none."""
        config = self._configuration(market)
        fee = self.fee_pct if self.fee_pct is not None else float(getattr(config, "fee_percentage", 0) or 0)
        slip = (self.slippage_pct if self.slippage_pct is not None
                else float(getattr(config, "slippage_percentage", 0) or 0))
        return fee, slip

    def market_price(self, portfolio: Any, order: Any) -> float | None:
        """The price the app's own market data gives: the ask for a buy, the bid for a sell, else the last."""
        from investing_algorithm_framework.domain import INDEX_DATETIME, OrderSide

        symbol = f"{order.get_target_symbol()}/{order.get_trading_symbol()}".upper()
        try:
            date = self.app.config.get(INDEX_DATETIME)
            ticker = self.app.container.data_provider_service().get_ticker_data(
                symbol=symbol, market=portfolio.market, date=date)
        except Exception as exc:  # noqa: BLE001 - no price: the caller decides what that means
            logs.warning("paper: no market price from the app's data", symbol=symbol, market=portfolio.market,
                         error=f"{type(exc).__name__}: {exc}")
            return None
        if not isinstance(ticker, dict):
            return None
        side = "ask" if OrderSide.BUY.equals(order.get_order_side()) else "bid"
        for key in (side, "last", "close"):
            value = ticker.get(key)
            if isinstance(value, int | float) and value > 0:
                return float(value)
        return None

    # -- orders -------------------------------------------------------------------------------------------

    def execute(self, portfolio: Any, order: Any) -> Any:
        """Fill a marketable order now (on paper); a limit order the market has not reached rests."""
        from investing_algorithm_framework.domain import OrderSide, OrderStatus, OrderType

        order.set_external_id(f"paper-{order.get_id()}")
        buy = OrderSide.BUY.equals(order.get_order_side())
        market = self.market_price(portfolio, order)
        limit = order.get_price()
        fee_pct, slip_pct = self._costs(portfolio.market)
        stop = self._stop(order)
        if stop is not None and not self._stop_hit(buy, stop, market):
            return self._rest(order, f"stop order rests until the market reaches its stop ({stop:g})", market)
        if stop is not None and OrderType.STOP.equals(order.get_order_type()):
            limit = None  # a stop order, once hit, is a market order
        if OrderType.MARKET.equals(order.get_order_type()) or limit is None:
            if market is None:
                order.set_status(OrderStatus.REJECTED.value)
                order.set_filled(0)
                order.set_remaining(order.get_amount())
                logs.warning("paper: order rejected, the app's data gives no price to fill it at",
                             order=order.get_id(), symbol=order.get_target_symbol())
                return order
            price = market * (1 + slip_pct / 100) if buy else market * (1 - slip_pct / 100)
        elif market is None:
            price = float(limit)  # no market data: a limit order fills at its own price
        elif (market <= float(limit)) if buy else (market >= float(limit)):
            slipped = market * (1 + slip_pct / 100) if buy else market * (1 - slip_pct / 100)
            price = min(float(limit), slipped) if buy else max(float(limit), slipped)
        else:
            return self._rest(order, "limit order rests until the market reaches it", market)
        self._fill(order, price, market, fee_pct, portfolio)
        return order

    @staticmethod
    def _stop(order: Any) -> float | None:
        """The stop price of a STOP or STOP_LIMIT order, else None."""
        from investing_algorithm_framework.domain import OrderType

        kind = order.get_order_type()
        stop = getattr(order, "stop_price", None)
        if stop is None or not (OrderType.STOP.equals(kind) or OrderType.STOP_LIMIT.equals(kind)):
            return None
        return float(stop)

    @staticmethod
    def _stop_hit(buy: bool, stop: float, market: float | None) -> bool:
        """A buy stop triggers once the market rises to it, a sell stop once it falls to it."""
        return market is not None and (market >= stop if buy else market <= stop)

    @staticmethod
    def _rest(order: Any, why: str, market: float | None) -> Any:
        from investing_algorithm_framework.domain import OrderStatus

        order.set_status(OrderStatus.OPEN.value)
        order.set_filled(0)
        order.set_remaining(order.get_amount())
        logs.info(f"paper: {why}", order=order.get_id(), side=order.get_order_side(), type=order.get_order_type(),
                  price=order.get_price(), market=market)
        return order

    def _fill(self, order: Any, price: float, market: float | None, fee_pct: float, portfolio: Any) -> None:
        from investing_algorithm_framework.domain import OrderStatus

        amount = float(order.get_amount())
        price = _significant(price)  # no float noise (29897.941499999997) in the books
        fee = _significant(amount * price * fee_pct / 100)
        order.set_status(OrderStatus.CLOSED.value)
        order.set_filled(amount)
        order.set_remaining(0)
        order.set_price(price)
        order.order_fee, order.order_fee_rate = fee, fee_pct / 100
        order.order_fee_currency = order.get_trading_symbol()
        record = {"order": order.get_id(), "external_id": order.get_external_id(), "market": portfolio.market,
                  "side": order.get_order_side(), "type": order.get_order_type(),
                  "symbol": f"{order.get_target_symbol()}/{order.get_trading_symbol()}", "amount": amount,
                  "price": price, "market_price": market, "fee": fee, "fee_currency": order.get_trading_symbol(),
                  "at": _now()}
        self.fills.append(record)
        self.ledger.fill(record)
        logs.info("paper fill", **{k: record[k] for k in ("order", "side", "symbol", "amount", "price", "fee")})

    def order_state(self, portfolio: Any, order: Any) -> Any:
        """A resting paper order, as the exchange would report it now: filled once the market reached it."""
        from investing_algorithm_framework.domain import Order, OrderSide, OrderStatus, OrderType

        if not OrderStatus.OPEN.equals(order.get_status()):
            return None
        state = Order.from_dict(order.to_dict())
        limit, market = order.get_price(), self.market_price(portfolio, order)
        buy = OrderSide.BUY.equals(order.get_order_side())
        stop = self._stop(order)
        if stop is not None:
            if not self._stop_hit(buy, stop, market):
                return state
            if OrderType.STOP.equals(order.get_order_type()):  # hit: filled at the market, moved by the slippage
                fee_pct, slip_pct = self._costs(portfolio.market)
                price = market * (1 + slip_pct / 100) if buy else market * (1 - slip_pct / 100)
                self._fill(state, price, market, fee_pct, portfolio)
                return state
        if limit is None or market is None or not ((market <= float(limit)) if buy else (market >= float(limit))):
            return state
        # A resting limit order fills at its limit: the cash it reserved is what it costs.
        self._fill(state, float(limit), market, self._costs(portfolio.market)[0], portfolio)
        return state

    def cancel(self, order: Any) -> Any:
        from investing_algorithm_framework.domain import OrderStatus

        order.set_status(OrderStatus.CANCELED.value)
        return order

    # -- balances -----------------------------------------------------------------------------------------

    def position(self, portfolio: Any, symbol: str) -> Any:
        """The paper exchange holds what the portfolio's books say; a new portfolio, its starting balance."""
        from investing_algorithm_framework.domain import Position

        if symbol.upper() != portfolio.trading_symbol.upper():
            return self._held(portfolio, symbol)
        if portfolio.initialized:
            return Position(symbol=symbol, amount=portfolio.get_unallocated(), cost=0, portfolio_id=portfolio.id)
        start, source = self._starting_balance(portfolio)
        known = self.ledger.market(portfolio.market)
        if known is None or known.get("starting_balance") != start:
            self.ledger.start(portfolio.market, portfolio.trading_symbol, start, source)
        logs.info("paper portfolio starts", market=portfolio.market, balance=start,
                  symbol=portfolio.trading_symbol, source=source)
        return Position(symbol=symbol, amount=start, cost=0, portfolio_id=portfolio.id)

    def _starting_balance(self, portfolio: Any) -> tuple[float, str]:
        if portfolio.initial_balance is not None:
            return float(portfolio.initial_balance), "add_market initial_balance"
        if self.balance is not None:
            return self.balance, "profile [paper] balance"
        raise PaperSetupError(
            f"paper mode needs a starting balance for {portfolio.market} ({portfolio.trading_symbol}): give "
            "add_market an initial_balance, or set balance in the profile's [paper] table; nothing was traded")

    def _held(self, portfolio: Any, symbol: str) -> Any:
        try:
            return self.app.container.position_service().find({"portfolio": portfolio.id, "symbol": symbol.upper()})
        except Exception:  # noqa: BLE001 - no such position in the books
            return None
