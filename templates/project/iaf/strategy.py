"""The strategy: a moving-average crossover on BTC/EUR 5-minute candles.

Buy when the fast average of the closing prices crosses above the slow one, sell when it crosses
back below. The framework turns the signals into orders, sized by `position_sizes`; stop losses
and take profits can be added the same way (StopLossRule, TakeProfitRule).
"""

from investing_algorithm_framework import DataSource, DataType, PositionSize, TimeUnit, TradingStrategy

MARKET = "BITVAVO"
TRADING_SYMBOL = "EUR"


class SmaCrossover(TradingStrategy):
    time_unit = TimeUnit.MINUTE
    interval = 5
    symbols = ["BTC"]
    fast = 5
    slow = 20
    data_sources = [
        DataSource(identifier="btc_eur_5m", data_type=DataType.OHLCV, symbol="BTC/EUR", time_frame="5m",
                   market=MARKET, window_size=50, pandas=True),
    ]
    position_sizes = [PositionSize(symbol="BTC", percentage_of_portfolio=50)]

    def _averages(self, data):
        close = data["btc_eur_5m"]["Close"]
        return close.rolling(self.fast).mean(), close.rolling(self.slow).mean()

    def generate_buy_signals(self, data):
        fast, slow = self._averages(data)
        above = fast > slow
        return {"BTC": above & ~above.shift(1, fill_value=True)}

    def generate_sell_signals(self, data):
        fast, slow = self._averages(data)
        below = fast < slow
        return {"BTC": below & ~below.shift(1, fill_value=True)}
