"""{{bot_name}}: an investing-algorithm-framework app. botship runs `app` one iteration per scheduled run.

botship points the framework's RESOURCE_DIRECTORY (its SQLite database of portfolio, orders,
positions and trades) at the state folder it keeps between runs (BOTSHIP_STATE_DIR), so every
run continues where the last one stopped; the framework needs no state handler of its own.

In paper mode the prices are prices.csv replayed one candle per run, so the bot runs with no
network and no exchange account. Under botship, botship's own paper exchange fills the orders and
answers balance requests, ahead of anything registered here; the paper stand-ins of paper.py serve
`python app.py` outside botship the same way.

    botship invoke --local     run one iteration here, exactly as the cloud would
    python app.py              run it without botship (state in ./resources)

botship's controls (`botship stop-entries BOT`, `botship flatten BOT`, or the bots browser) write the
control file algorithm_control.json into the state folder under the bot's lock; every run reads it
first and sets BOTSHIP_CONTROL to its level. In paper mode botship's paper exchange keeps to it:

    run          trade as usual
    stopentry    every new BUY order is rejected (a log line says so, its cash stays free); sells go on
    flatten      buys are rejected too, and after the iteration every resting order is cancelled and
                 every open position sold at market (orders the database shows like any other)

In live mode botship cannot stop the exchange's orders: a live strategy reads BOTSHIP_CONTROL itself
(no buy signals unless it is "run"; under "flatten", a sell signal for every position).

It trades on paper only. To trade for real, remove the four paper lines at the end (the feed,
the exchange, the balances, and AdvanceFeed, which refuses live mode) so the framework uses the
exchange through CCXT; drop add_market's paper keys so the framework reads BITVAVO_API_KEY and
BITVAVO_SECRET_KEY from the environment, and list those names under `secrets` in botship.toml.
"""

import logging.config
import os

from investing_algorithm_framework import AWS_LAMBDA_LOGGING_CONFIG, RESOURCE_DIRECTORY, create_app

from paper import AdvanceFeed, PaperBalances, PaperExchange, ReplayFeed
from strategy import MARKET, TRADING_SYMBOL, SmaCrossover

# The framework's log lines, to the console only (a deployed bot's code folder is read-only).
logging.config.dictConfig(AWS_LAMBDA_LOGGING_CONFIG)

STATE_DIR = os.environ.get("BOTSHIP_STATE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "resources")

app = create_app(config={RESOURCE_DIRECTORY: STATE_DIR})
# The paper exchange needs no keys; the framework asks for some all the same, and these never leave the bot.
app.add_market(market=MARKET, trading_symbol=TRADING_SYMBOL, initial_balance=1000, api_key="paper",
               secret_key="paper")
app.add_strategy(SmaCrossover)
# Paper trading: these take priority over the framework's exchange support (priority 1 comes first).
app.on_initialize(AdvanceFeed)
app.add_data_provider(ReplayFeed(), priority=1)
app.add_order_executor(PaperExchange(priority=1))
app.add_portfolio_provider(PaperBalances(priority=1))

if __name__ == "__main__":
    app.run(number_of_iterations=1)
