"""iaf_trader: an investing-algorithm-framework app trading BTC/EUR on Bitvavo, written as a live app is.

The framework reaches the exchange through CCXT for everything: candles and ticker, balances, orders.
The keys come from the environment (BITVAVO_API_KEY, BITVAVO_SECRET_KEY), as the framework reads them
when add_market is given none.

botship's tests run it against a fake Bitvavo on loopback (tests/fake_exchange.py): when
FAKE_EXCHANGE_URL is set, ccxt's bitvavo client talks to that URL instead of Bitvavo. That is the only
change made for the tests.

    python app.py      run one iteration (state in ./resources)
"""

import logging.config
import os

import ccxt
from investing_algorithm_framework import (
    AWS_LAMBDA_LOGGING_CONFIG, RESOURCE_DIRECTORY, CCXTTickerDataProvider, create_app,
)

from strategy import BuyThenClose

# The framework's log lines, to the console only (a deployed bot's code folder is read-only).
logging.config.dictConfig(AWS_LAMBDA_LOGGING_CONFIG)

# Bitvavo takes no order without an operatorId, a number that names the bot within the account, and
# ccxt refuses to send one without it. The framework builds its ccxt clients from the keys alone, so the
# operatorId goes into ccxt's bitvavo defaults.
OPERATOR_ID = int(os.environ.get("BITVAVO_OPERATOR_ID", "1"))

# TEST-ONLY ADAPTATION: the real Bitvavo is out of reach in tests, so with FAKE_EXCHANGE_URL set, ccxt's
# bitvavo client sends every request (public and private) to that URL. Unset, this changes nothing.
FAKE_EXCHANGE_URL = os.environ.get("FAKE_EXCHANGE_URL")

_bitvavo_describe = ccxt.bitvavo.describe


def _describe_bitvavo(exchange):
    description = _bitvavo_describe(exchange)
    description["options"]["operatorId"] = OPERATOR_ID
    if FAKE_EXCHANGE_URL:
        description["urls"]["api"] = {"public": FAKE_EXCHANGE_URL, "private": FAKE_EXCHANGE_URL}
    return description


ccxt.bitvavo.describe = _describe_bitvavo

# botship points RESOURCE_DIRECTORY (the framework's SQLite database) at the bot's state folder before
# each run (app.set_config); run by hand, the state stays in ./resources.
app = create_app(config={RESOURCE_DIRECTORY: os.path.join(os.path.dirname(os.path.abspath(__file__)), "resources")})
app.add_market(market="BITVAVO", trading_symbol="EUR", initial_balance=1000)
app.add_data_provider(CCXTTickerDataProvider())
app.add_strategy(BuyThenClose)

if __name__ == "__main__":
    app.run(number_of_iterations=1)
