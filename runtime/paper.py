"""Paper mode, enforced for investing-algorithm-framework apps: botship's own exchange, on paper.

Before a framework app runs in paper mode, `install` makes the framework's lookups answer with botship's
order executor and portfolio provider for every market, ahead of CCXT and of anything the app registered:

- Orders fill at the price the app's own market data gives (its ticker, else the last candle), moved
  against the bot by the slippage; cash pays the fee. The framework records them in the app's database,
  so its portfolio, trades and P&L read as they would live. A limit order not marketable rests, and
  fills at its limit once the market reaches it (checked each run).
- Balances are what the books say; a new portfolio starts from add_market's initial_balance, else the
  profile's `[paper] balance`. Credentials without keys get placeholders.
- Under control "stopentry" (control.py) every new BUY is rejected, its cash given back; under "flatten"
  too, and after the app's iteration every resting order is cancelled and every position sold at market.

Fills and starting balances are also kept in `botship-paper.json`; how orders fill is paper_exchange.py.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from typing import Any

from . import logs
from .paper_exchange import FRAMEWORK, Ledger, PaperExchange, PaperSetupError

# Lower comes first in the framework's lookups; nothing an app registers comes before this.
PRIORITY = -(2 ** 31)
PLACEHOLDER = "botship-paper-no-key"


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


# The run in progress: its state folder, whether it is a paper run, its control level.
_ACTIVE: dict[str, Any] = {"on": False, "state_dir": "", "control": "run"}
_APP_MODULE = f"{FRAMEWORK}.app.app"


def is_framework_app(target: Any) -> bool:
    """Whether the entry is an investing-algorithm-framework App (or a subclass of one)."""
    return any(cls.__module__.split(".")[0] == FRAMEWORK for cls in type(target).__mro__)


def prepare_apps(state_dir: str, paper: bool, control: str = "run") -> None:
    """Every framework App this run starts, whatever the entry's shape, keeps its database in the state folder
    and, in paper mode, trades on paper: App.run does both first (patched now if the bot imported the
    framework, else the moment it does; nothing is imported for a bot that never uses it)."""
    _ACTIVE.update(on=paper, state_dir=state_dir, control=control)
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
        result = original(self, *args, **kwargs)
        if _ACTIVE["on"] and _ACTIVE["control"] == "flatten":
            flatten(self)
        return result

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
        installed.ledger, installed.control = Ledger(state_dir), _ACTIVE["control"]
        return installed
    from investing_algorithm_framework import OrderExecutor, PortfolioProvider
    from investing_algorithm_framework.services import OrderService

    _give_back_refused(OrderService)

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
    # Whatever else is registered (CCXT's, added as the app runs), the paper exchange answers for every market.
    container = app.container
    container.order_executor_lookup().get_order_executor = lambda market: executor
    container.portfolio_provider_lookup().get_portfolio_provider = lambda market: provider
    _paper_credentials(container.market_credential_service().get_all())
    exchange.control = _ACTIVE["control"]
    app._botship_paper_exchange = exchange
    return exchange


def _give_back_refused(service: Any) -> None:
    """A BUY rejected as it is placed gets its cash back the framework's way (the order reported rejected)."""
    original = service.create
    if getattr(original, "_botship_paper", False):
        return

    def create(self, *args: Any, **kwargs: Any) -> Any:
        order = original(self, *args, **kwargs)
        if (_ACTIVE["on"] and order and str(order.get_status()) == "REJECTED" and str(order.get_order_side()) == "BUY"
                and str(order.get_external_id()).startswith("paper-")):
            order = self.update(order.id, {"status": "REJECTED"})
        return order

    create._botship_paper = True  # type: ignore[attr-defined]
    service.create = create


def flatten(app: Any) -> None:
    """Cancel every resting order, then sell every open position at market."""
    context = app.context
    for order in context.get_open_orders():
        context.order_service.cancel_order(order)
    for portfolio in context.get_portfolios():
        for position in context.position_service.get_all({"portfolio": portfolio.id}):
            symbol, amount = position.get_symbol(), position.get_amount()
            if symbol.upper() != portfolio.trading_symbol.upper() and amount > 0:
                logs.info("paper: flatten sells the position at market", symbol=symbol, amount=amount)
                context.create_market_order(target_symbol=symbol, order_side="SELL", amount=amount,
                                            market=portfolio.market, metadata={"order_reason": "botship flatten"})


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
