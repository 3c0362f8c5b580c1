"""botship's paper exchange: how paper orders fill and rest, what balances it answers, and the ledger of fills
it keeps in the bot's state folder (`botship-paper.json`). paper.py fits it to a framework app."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from . import logs

FRAMEWORK = "investing_algorithm_framework"
LEDGER = "botship-paper.json"
# Fills the ledger keeps; the framework's database keeps every order.
KEEP_FILLS = 500


class PaperSetupError(RuntimeError):
    """Paper mode cannot start for this app (e.g. no starting balance): nothing was traded."""


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


class PaperExchange:
    """Fills, rests and cancels orders on paper; answers balances from the portfolio's books."""

    control = "run"  # buys are refused unless "run" (control.py)

    def __init__(self, app: Any, ledger: Ledger, *, fee_pct: float | None, slippage_pct: float | None,
                 balance: float | None) -> None:
        self.app, self.ledger = app, ledger
        self.fee_pct, self.slippage_pct, self.balance = fee_pct, slippage_pct, balance
        self.fills: list[dict[str, Any]] = []

    # -- prices

    def _costs(self, market: str) -> tuple[float, float]:
        """Fee and slippage in percent: the profile's, else add_market's, else none."""
        try:
            config = self.app.container.portfolio_configuration_service().get(market)
        except Exception:  # noqa: BLE001 - defaults apply
            config = None
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

    # -- orders

    def execute(self, portfolio: Any, order: Any) -> Any:
        """Fill a marketable order now (on paper); a limit order the market has not reached rests."""
        from investing_algorithm_framework.domain import OrderSide, OrderType

        order.set_external_id(f"paper-{order.get_id()}")
        buy = OrderSide.BUY.equals(order.get_order_side())
        market = self.market_price(portfolio, order)
        if buy and self.control != "run":
            if order.get_price() is None:
                order.set_price(market)
            return self._rest(order, f"BUY refused: new entries are stopped (control {self.control})", market,
                              "REJECTED")
        limit = order.get_price()
        fee_pct, slip_pct = self._costs(portfolio.market)
        stop = self._stop(order)
        if stop is not None and not self._stop_hit(buy, stop, market):
            return self._rest(order, f"stop order rests until the market reaches its stop ({stop:g})", market)
        if stop is not None and OrderType.STOP.equals(order.get_order_type()):
            limit = None  # a stop order, once hit, is a market order
        if OrderType.MARKET.equals(order.get_order_type()) or limit is None:
            if market is None:
                return self._rest(order, "order rejected, the app's data gives no price to fill it at", market,
                                  "REJECTED")
            price = market * (1 + (slip_pct if buy else -slip_pct) / 100)
        elif market is None:
            price = float(limit)  # no market data: a limit order fills at its own price
        elif (market <= float(limit)) if buy else (market >= float(limit)):
            slipped = market * (1 + (slip_pct if buy else -slip_pct) / 100)
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
    def _rest(order: Any, why: str, market: float | None, status: str = "OPEN") -> Any:
        """The order unfilled: resting (OPEN), or REJECTED (a warning)."""
        order.set_status(status)
        order.set_filled(0)
        order.set_remaining(order.get_amount())
        (logs.info if status == "OPEN" else logs.warning)(
            f"paper: {why}", order=order.get_id(), side=order.get_order_side(), type=order.get_order_type(),
            symbol=order.get_target_symbol(), price=order.get_price(), market=market)
        return order

    def _fill(self, order: Any, price: float, market: float | None, fee_pct: float, portfolio: Any) -> None:
        amount, quote = float(order.get_amount()), order.get_trading_symbol()
        price = _significant(price)  # no float noise (29897.941499999997) in the books
        fee = _significant(amount * price * fee_pct / 100)
        order.set_status("CLOSED")
        order.set_filled(amount)
        order.set_remaining(0)
        order.set_price(price)
        order.order_fee, order.order_fee_rate, order.order_fee_currency = fee, fee_pct / 100, quote
        if fee:  # cash pays it, as on an exchange (the framework takes it from the trade's gain, not from the cash)
            books, positions = self.app.container.portfolio_repository(), self.app.container.position_service()
            books.update(portfolio.id, {"unallocated": books.get(portfolio.id).get_unallocated() - fee})
            held = positions.find({"portfolio": portfolio.id, "symbol": portfolio.trading_symbol})
            positions.update(held.id, {"amount": held.get_amount() - fee})
        record = {"order": order.get_id(), "external_id": order.get_external_id(), "market": portfolio.market,
                  "side": order.get_order_side(), "type": order.get_order_type(),
                  "symbol": f"{order.get_target_symbol()}/{quote}", "amount": amount,
                  "price": price, "market_price": market, "fee": fee, "fee_currency": quote, "at": _now()}
        self.fills.append(record)
        self.ledger.fill(record)
        logs.info("paper fill", **{k: record[k] for k in ("order", "side", "symbol", "amount", "price", "fee")})

    def order_state(self, portfolio: Any, order: Any) -> Any:
        """A resting paper order, as the exchange would report it now: filled once the market reached it."""
        from investing_algorithm_framework.domain import Order, OrderSide, OrderStatus, OrderType

        if not OrderStatus.OPEN.equals(order.get_status()):
            return None
        state = Order.from_dict(order.to_dict())
        buy = OrderSide.BUY.equals(order.get_order_side())
        if buy and self.control == "flatten":  # it rests, to be cancelled after the iteration
            return state
        limit, market = order.get_price(), self.market_price(portfolio, order)
        stop = self._stop(order)
        if stop is not None:
            if not self._stop_hit(buy, stop, market):
                return state
            if OrderType.STOP.equals(order.get_order_type()):  # hit: filled at the market, moved by the slippage
                fee_pct, slip_pct = self._costs(portfolio.market)
                price = market * (1 + (slip_pct if buy else -slip_pct) / 100)
                self._fill(state, price, market, fee_pct, portfolio)
                return state
        if limit is None or market is None or not ((market <= float(limit)) if buy else (market >= float(limit))):
            return state
        # A resting limit order fills at its limit (the cash it reserved; its fee comes on top).
        self._fill(state, float(limit), market, self._costs(portfolio.market)[0], portfolio)
        return state

    def cancel(self, order: Any) -> Any:
        order.set_status("CANCELED")
        return order

    # -- balances

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
