"""The strategy: a simple moving-average crossover on closing prices, and the price feed it reads.

Buy when the short average crosses above the long one, sell when it crosses back below.
Change the windows here, or set SHORT_WINDOW / LONG_WINDOW in the profile's `env`.
"""

import csv
import os

SHORT_WINDOW = int(os.environ.get("SHORT_WINDOW", "5"))
LONG_WINDOW = int(os.environ.get("LONG_WINDOW", "20"))
SYMBOL = "BTC/EUR"

PRICES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prices.csv")
# The first run reads this row of prices.csv, so the averages have history from the start.
# The feed wraps around at its end: the bot never runs out of prices.
FIRST_ROW = 49


def load_closes(path=PRICES):
    """The closing prices of the candles in prices.csv (Datetime,Open,High,Low,Close,Volume), oldest first."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [float(row["Close"]) for row in csv.DictReader(fh)]


def closes_until(closes, tick):
    """The closes the bot knows at `tick` (1 for its first run): enough history for both averages, newest last."""
    row = FIRST_ROW + tick - 1
    count = LONG_WINDOW + 1
    return [closes[(row - count + 1 + i) % len(closes)] for i in range(count)]


def sma(values, window):
    """The simple moving average of the last `window` values."""
    return sum(values[-window:]) / window


def signal(history):
    """"buy", "sell" or "hold" for the newest candle in `history`: did the averages cross since the one before?"""
    short_now, long_now = sma(history, SHORT_WINDOW), sma(history, LONG_WINDOW)
    short_before, long_before = sma(history[:-1], SHORT_WINDOW), sma(history[:-1], LONG_WINDOW)
    if short_now > long_now and short_before <= long_before:
        return "buy"
    if short_now < long_now and short_before >= long_before:
        return "sell"
    return "hold"
