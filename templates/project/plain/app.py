"""{{bot_name}}: a moving-average bot. botship calls `handler(event, context)` once per scheduled run.

Each run is one tick: the bot reads the next candle of prices.csv (a price feed shipped with
the bot, so it works offline), asks strategy.py for a signal, and buys or sells on paper.
Its cash, positions and trades live in state.db (SQLite) in the folder botship keeps
between runs (BOTSHIP_STATE_DIR), so every run continues where the last one stopped.

    botship invoke --local     run it once here, exactly as the cloud would
    python app.py              run it without botship (state in ./state)

botship's controls reach it through BOTSHIP_CONTROL, set before every run from the control file in
its state folder (algorithm_control.json, written by `botship stop-entries BOT`, `botship flatten BOT`
or the bots browser's controls, under the bot's lock):

    run          trade as usual
    stopentry    no new entries: buy signals are ignored; an open position is still sold on its signal
    flatten      no new entries, and the open position is sold at this run's price

Run on its own, the bot reads the same file from ./state. Keep this check if you change the strategy:
botship cannot stop a plain bot's orders, only tell it the level.

It trades on paper only. To trade for real, replace `load_closes` with your exchange's
prices and, in live mode only, `paper_fill` with its orders, then add its keys to the
profile's `secrets`. Keep reading BOTSHIP_MODE: botship tells a plain bot its mode
("paper" or "live") but cannot stop its orders, so paper mode stays on paper only
because this code checks it.
"""

import json
import os
import sqlite3
import time
from contextlib import closing

import strategy

START_CASH = float(os.environ.get("START_CASH", "1000"))
SCHEMA = """
CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1), tick INTEGER NOT NULL, cash REAL NOT NULL);
CREATE TABLE IF NOT EXISTS positions (symbol TEXT PRIMARY KEY, amount REAL NOT NULL, entry_price REAL NOT NULL,
                                      opened_tick INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS trades (id INTEGER PRIMARY KEY AUTOINCREMENT, tick INTEGER NOT NULL, at TEXT NOT NULL,
                                   side TEXT NOT NULL, symbol TEXT NOT NULL, price REAL NOT NULL,
                                   amount REAL NOT NULL, value REAL NOT NULL, mode TEXT NOT NULL);
"""


def state_dir():
    """The folder botship keeps between runs; ./state when the bot runs on its own."""
    return os.environ.get("BOTSHIP_STATE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "state")


def control_level():
    """"run", "stopentry" or "flatten": what botship says (BOTSHIP_CONTROL), else the control file, else "run"."""
    level = os.environ.get("BOTSHIP_CONTROL")
    if not level:
        try:
            with open(os.path.join(state_dir(), "algorithm_control.json"), encoding="utf-8") as fh:
                level = json.load(fh).get("level")
        except (OSError, ValueError, AttributeError):
            level = None
    return level if level in ("run", "stopentry", "flatten") else "run"


def handler(event, context):
    mode = os.environ.get("BOTSHIP_MODE", "paper")  # what botship deployed it as: "paper" or "live"
    if mode != "paper":
        # Never pretend: the feed is a replay and fills are on paper, so a live run must not go on.
        raise RuntimeError("this bot trades on paper only: wire in a real exchange (prices and orders, see the top "
                           "of app.py) before running it in live mode")
    os.makedirs(state_dir(), exist_ok=True)
    closes = strategy.load_closes()
    with closing(sqlite3.connect(os.path.join(state_dir(), "state.db"))) as db, db:
        db.executescript(SCHEMA)
        db.execute("INSERT OR IGNORE INTO account (id, tick, cash) VALUES (1, 0, ?)", (START_CASH,))
        db.execute("UPDATE account SET tick = tick + 1 WHERE id = 1")
        tick = db.execute("SELECT tick FROM account WHERE id = 1").fetchone()[0]
        history = strategy.closes_until(closes, tick)
        price, signal = history[-1], strategy.signal(history)
        held = db.execute("SELECT amount FROM positions WHERE symbol = ?", (strategy.SYMBOL,)).fetchone()
        control = control_level()
        if held and (signal == "sell" or control == "flatten"):
            paper_fill(db, tick, "sell", price, mode)
        elif signal == "buy" and not held and control == "run":
            paper_fill(db, tick, "buy", price, mode)
        summary = {**_summary(db, tick, price, history, signal), "control": control}
    print(json.dumps({"bot": "{{bot_name}}", **summary}))
    return summary


def paper_fill(db, tick, side, price, mode):
    """Fill an order on paper at `price`: a buy spends all cash, a sell closes the position."""
    cash = db.execute("SELECT cash FROM account WHERE id = 1").fetchone()[0]
    if side == "buy":
        amount = cash / price
        db.execute("INSERT INTO positions (symbol, amount, entry_price, opened_tick) VALUES (?, ?, ?, ?)",
                   (strategy.SYMBOL, amount, price, tick))
        db.execute("UPDATE account SET cash = 0 WHERE id = 1")
    else:
        amount = db.execute("SELECT amount FROM positions WHERE symbol = ?", (strategy.SYMBOL,)).fetchone()[0]
        db.execute("DELETE FROM positions WHERE symbol = ?", (strategy.SYMBOL,))
        db.execute("UPDATE account SET cash = cash + ? WHERE id = 1", (amount * price,))
    db.execute("INSERT INTO trades (tick, at, side, symbol, price, amount, value, mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (tick, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), side, strategy.SYMBOL, price, amount,
                amount * price, mode))


def _summary(db, tick, price, history, signal):
    cash = db.execute("SELECT cash FROM account WHERE id = 1").fetchone()[0]
    held = db.execute("SELECT amount FROM positions WHERE symbol = ?", (strategy.SYMBOL,)).fetchone()
    position = held[0] if held else 0.0
    return {
        "tick": tick,
        "symbol": strategy.SYMBOL,
        "price": price,
        "short_sma": round(strategy.sma(history, strategy.SHORT_WINDOW), 2),
        "long_sma": round(strategy.sma(history, strategy.LONG_WINDOW), 2),
        "signal": signal,
        "position": round(position, 8),
        "cash": round(cash, 2),
        "equity": round(cash + position * price, 2),
        "trades": db.execute("SELECT COUNT(*) FROM trades").fetchone()[0],
    }


if __name__ == "__main__":
    print(json.dumps(handler({}, None), indent=2))
