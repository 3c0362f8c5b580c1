"""Paper trading with no network: a replayed price feed and an exchange that fills every order on paper.

ReplayFeed serves the candles of prices.csv as if they were live: each run of the bot sees the
next candle (which one is kept in the bot's state folder, so it carries on between runs), its
timestamps moved to now so the framework's clock, orders and snapshots line up.

PaperExchange fills each order at once at its price; PaperBalances tells the framework that the
exchange holds exactly what the portfolio's books say.

The framework's own CSV provider cannot stand in here: it serves a live run only for dates
inside the file. Going live means dropping these three for the framework's exchange support
(CCXT: prices, orders and balances), see app.py.
"""

import json
import os
from datetime import datetime, timedelta, timezone

import polars as pl
from investing_algorithm_framework import (
    RESOURCE_DIRECTORY, AppHook, DataProvider, DataType, Order, OrderExecutor, OrderStatus,
    PortfolioProvider, Position, TimeFrame, convert_polars_to_pandas,
)

PRICES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prices.csv")
# The first run sees this row of prices.csv, so the strategy's averages have history from the start.
# The feed wraps around at its end: the bot never runs out of prices.
FIRST_ROW = 49
COLUMNS = ["Datetime", "Open", "High", "Low", "Close", "Volume"]


class ReplayFeed(DataProvider):
    """OHLCV candles from prices.csv, one further on each run, stamped as if they were live."""

    data_type = DataType.OHLCV
    data_provider_identifier = "replay_feed"
    row = FIRST_ROW  # set at the start of each run by AdvanceFeed

    def __init__(self, symbol=None, market=None, time_frame=None, window_size=None, pandas=False):
        super().__init__(symbol=symbol, market=market, time_frame=time_frame, window_size=window_size,
                         data_type=DataType.OHLCV.value, data_provider_identifier=self.data_provider_identifier)
        self.pandas = pandas
        self.candles = pl.read_csv(PRICES).drop("Datetime")

    def has_data(self, data_source, start_date=None, end_date=None) -> bool:
        # In paper mode this feed stands in for the exchange's prices, for every OHLCV data source.
        return DataType.OHLCV.equals(data_source.data_type)

    def copy(self, data_source) -> "ReplayFeed":
        return ReplayFeed(symbol=data_source.symbol, market=data_source.market, time_frame=data_source.time_frame,
                          window_size=data_source.window_size, pandas=data_source.pandas)

    def get_data(self, date=None, start_date=None, end_date=None, save=False):
        size = self.window_size or 50
        count = len(self.candles)
        window = self.candles[[(ReplayFeed.row - size + 1 + i) % count for i in range(size)]]
        step = timedelta(minutes=TimeFrame.from_value(self.time_frame or "5m").amount_of_minutes)
        newest = (date or datetime.now(timezone.utc)).replace(second=0, microsecond=0)
        stamps = [newest - step * (size - 1 - i) for i in range(size)]
        data = window.with_columns(pl.Series("Datetime", stamps, dtype=pl.Datetime("ms", "UTC"))).select(COLUMNS)
        return convert_polars_to_pandas(data) if self.pandas else data

    # Backtests have a provider of their own: the framework's CSVOHLCVDataProvider reads prices.csv as it is.
    def prepare_backtest_data(self, *args, **kwargs):
        raise NotImplementedError("for backtests, use CSVOHLCVDataProvider(storage_path='prices.csv', ...)")

    def get_backtest_data(self, *args, **kwargs):
        raise NotImplementedError("for backtests, use CSVOHLCVDataProvider(storage_path='prices.csv', ...)")

    def get_number_of_data_points(self, start_date, end_date):
        return len(self.candles)

    def get_missing_data_dates(self, start_date, end_date):
        return []

    def get_data_source_file_path(self):
        return PRICES


class AdvanceFeed(AppHook):
    """At the start of each run: refuse live mode, and move the replayed feed one candle on."""

    def on_run(self, context) -> None:
        if os.environ.get("BOTSHIP_MODE", "paper") != "paper":
            # Never pretend: the prices are a replay and the fills are on paper.
            raise RuntimeError("this bot trades on paper only: wire in a real exchange (see app.py) "
                               "before running it in live mode")
        folder = context.config.get(RESOURCE_DIRECTORY) or "resources"
        path = os.path.join(folder, "replay_feed.json")
        try:
            with open(path, encoding="utf-8") as fh:
                row = int(json.load(fh)["row"]) + 1
        except (OSError, ValueError, KeyError):
            row = FIRST_ROW
        os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"row": row}, fh)
        ReplayFeed.row = row


class PaperExchange(OrderExecutor):
    """Fills every order at once, in full, at its price."""

    def execute_order(self, portfolio, order, market_credential) -> Order:
        order.set_external_id(f"paper-{order.get_id()}")
        order.set_status(OrderStatus.CLOSED.value)
        order.set_filled(order.get_amount())
        order.set_remaining(0)
        return order

    def cancel_order(self, portfolio, order, market_credential) -> Order:
        order.set_status(OrderStatus.CANCELED.value)
        return order

    def supports_market(self, market) -> bool:
        return True


class PaperBalances(PortfolioProvider):
    """The paper exchange's side of the books: it holds what the portfolio says, and orders stay as filled."""

    def get_order(self, portfolio, order, market_credential):
        return order

    def get_position(self, portfolio, symbol, market_credential):
        if symbol.upper() != portfolio.trading_symbol.upper():
            return None
        amount = portfolio.get_unallocated() if portfolio.initialized else portfolio.initial_balance
        return Position(symbol=symbol, amount=amount, cost=0, portfolio_id=portfolio.id)

    def supports_market(self, market) -> bool:
        return True
