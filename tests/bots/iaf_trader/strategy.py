"""The strategy: buy BTC when the portfolio holds none, sell all of it when it does.

So every run trades, and the runs alternate: the first buys, the second sells, the third buys again.
It reads Bitvavo's 5-minute candles and its ticker for BTC/EUR through the framework's CCXT data
providers, and trades with market orders, which the exchange fills at once.
"""

import logging

from investing_algorithm_framework import Context, DataSource, DataType, TimeUnit, TradingStrategy

logger = logging.getLogger("investing_algorithm_framework")

MARKET = "BITVAVO"
TRADING_SYMBOL = "EUR"


class BuyThenClose(TradingStrategy):
    time_unit = TimeUnit.MINUTE
    interval = 5  # not shorter than the candles' 5 minutes (the framework refuses that)
    symbols = ["BTC"]
    trading_symbol = TRADING_SYMBOL
    data_sources = [
        DataSource(identifier="btc_eur_ohlcv", data_type=DataType.OHLCV, symbol="BTC/EUR", time_frame="5m",
                   market=MARKET, window_size=24, pandas=True),
        DataSource(identifier="btc_eur_ticker", data_type=DataType.TICKER, symbol="BTC/EUR", market=MARKET),
    ]

    def run_strategy(self, context: Context, data):
        candles = data["btc_eur_ohlcv"]
        ticker = data["btc_eur_ticker"]
        logger.info(f"BTC/EUR: last close {candles['Close'].iloc[-1]} over {len(candles)} candles, "
                    f"bid {ticker['bid']}, ask {ticker['ask']}")

        if context.has_position("BTC"):
            amount = context.get_position("BTC").get_amount()
            context.create_market_order(target_symbol="BTC", order_side="SELL", amount=amount)
        else:
            # Bitvavo takes BTC amounts to 8 decimals: rounded down here, the order fills in full and the
            # framework closes the trade when the position is sold.
            context.create_market_order(target_symbol="BTC", order_side="BUY", percentage_of_portfolio=50,
                                        precision=8)
