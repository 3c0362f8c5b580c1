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
How orders fill and balances answer is paper_exchange.py; this module fits it to the app.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from typing import Any

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
