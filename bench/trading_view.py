"""Benchmark: the Trading tab's first page over a framework database with 100,000 trades.

Run from the repository root:  .venv/bin/python bench/trading_view.py

The database has investing-algorithm-framework 8.10's tables (amounts as TEXT, no indexes beyond the
primary keys, as the framework creates them): 100,000 trades (2,000 open), 200,000 orders (a buy and,
for a closed trade, a sell), 100,000 portfolio snapshots and the positions. Each round is a fresh
process (imports not timed) doing what the tab does before it can draw: open_book, summary(),
positions(), the first 50 open trades, the first 50 closed trades, the first 50 orders and their
statuses, equity_series(60) and its sparkline. The State tab's SQLite view is timed beside it: tables()
and the first page of `trades` (by rowid, then sorted by a TEXT amount).
Targets: first page under 0.5 s (median of 7) and peak memory under 150 MB (the process's peak RSS,
interpreter included; tracemalloc's Python-only peak beside it). Not part of the test suite.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROUNDS = 7
TRADES = 100_000
OPEN_TRADES = 2_000
SNAPSHOTS = 100_000
REPO = Path(__file__).resolve().parent.parent
SCHEMA = """
CREATE TABLE portfolios (id INTEGER NOT NULL PRIMARY KEY, identifier VARCHAR NOT NULL UNIQUE, trading_symbol VARCHAR NOT NULL,
    realized VARCHAR NOT NULL, total_revenue VARCHAR NOT NULL, total_cost VARCHAR NOT NULL, total_net_gain VARCHAR NOT NULL,
    total_trade_volume VARCHAR NOT NULL, net_size VARCHAR NOT NULL, unallocated VARCHAR NOT NULL, initial_balance VARCHAR,
    market VARCHAR NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, initialized BOOLEAN NOT NULL);
CREATE TABLE portfolio_snapshots (id INTEGER NOT NULL PRIMARY KEY, portfolio_id VARCHAR NOT NULL, trading_symbol VARCHAR NOT NULL,
    pending_value VARCHAR NOT NULL, unallocated VARCHAR NOT NULL, net_size VARCHAR NOT NULL, total_net_gain VARCHAR NOT NULL,
    total_revenue VARCHAR NOT NULL, total_cost VARCHAR NOT NULL, total_value VARCHAR NOT NULL, cash_flow VARCHAR NOT NULL,
    created_at DATETIME NOT NULL);
CREATE TABLE trades (id INTEGER NOT NULL PRIMARY KEY, target_symbol VARCHAR, trading_symbol VARCHAR, closed_at DATETIME,
    opened_at DATETIME, open_price VARCHAR, amount VARCHAR, available_amount VARCHAR, filled_amount VARCHAR, remaining VARCHAR,
    net_gain VARCHAR, cost VARCHAR, last_reported_price VARCHAR, last_reported_price_datetime DATETIME, high_water_mark VARCHAR,
    high_water_mark_datetime DATETIME, updated_at DATETIME, status VARCHAR, UNIQUE (id));
CREATE TABLE positions (id INTEGER NOT NULL PRIMARY KEY, symbol VARCHAR, amount VARCHAR, cost VARCHAR, portfolio_id INTEGER,
    UNIQUE (symbol, portfolio_id));
CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, external_id INTEGER, target_symbol VARCHAR, trading_symbol VARCHAR,
    order_side VARCHAR NOT NULL, order_type VARCHAR NOT NULL, price VARCHAR, amount VARCHAR, remaining VARCHAR, filled VARCHAR,
    cost VARCHAR, status VARCHAR, position_id INTEGER, created_at DATETIME, updated_at DATETIME, order_fee VARCHAR,
    order_fee_currency VARCHAR, order_fee_rate VARCHAR, slippage VARCHAR, stop_price VARCHAR, triggered_at DATETIME,
    sell_order_metadata_id INTEGER, metadata_json TEXT);
"""
SYMBOLS = ["BTC", "ETH", "SOL", "ADA", "XRP", "DOT", "LINK", "AVAX"]
FIRST_PAGE = """
import json, resource, sys, time, tracemalloc
from botship.trading import open_book, sparkline
from botship.sqlite_view import page, tables

path = sys.argv[1]
tracemalloc.start()
times = {}
start = time.perf_counter()
book = open_book(path)
summary = book.summary()
times["summary"] = time.perf_counter() - start
mark = time.perf_counter()
positions = book.positions()
opened, closed = book.trades(open=True, limit=50), book.trades(open=False, limit=50)
orders, statuses = book.orders(limit=50), book.order_statuses()
times["positions, trades, orders"] = time.perf_counter() - mark
mark = time.perf_counter()
line = sparkline(book.equity_series(60), 60)
times["equity sparkline"] = time.perf_counter() - mark
times["first page"] = time.perf_counter() - start
assert closed.total == %(closed)d and opened.total == %(open)d and len(closed.items) == 50 and len(line) == 60
mark = time.perf_counter()
listed = tables(path)
first = page(path, "trades", 0, 100)
times["state tab: tables + first page"] = time.perf_counter() - mark
mark = time.perf_counter()
page(path, "trades", 0, 100, order_by="net_gain", descending=True)
times["state tab: sorted by net_gain"] = time.perf_counter() - mark
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
try:  # this process's own peak (ru_maxrss would carry the parent's peak over the fork)
    with open("/proc/self/status") as fh:
        rss = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
except OSError:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"times": times, "tracemalloc_mb": peak / 2**20, "maxrss_mb": rss}))
""" % {"closed": TRADES - OPEN_TRADES, "open": OPEN_TRADES}


START = datetime(2024, 1, 1)


def stamp(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path) -> None:
    rng = random.Random(15)
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        db.execute("INSERT INTO portfolios VALUES (1, 'BITVAVO', 'EUR', '0', '0', '0', '0', '0', '100000', '52000', "
                   "'100000', 'BITVAVO', ?, ?, 1)", (stamp(0), stamp(0)))
        trades, orders = [], []
        for i in range(1, TRADES + 1):  # a trade every 5 minutes, its sell 3 minutes later
            symbol, price = rng.choice(SYMBOLS), rng.uniform(0.5, 60000)
            amount = rng.uniform(10, 500) / price
            is_open = i > TRADES - OPEN_TRADES
            close = price * rng.uniform(0.9, 1.12)
            gain = 0 if is_open else amount * (close - price) - 0.005 * amount * price
            trades.append((i, symbol, "EUR", None if is_open else stamp(i * 5 + 3), stamp(i * 5), str(price), str(amount),
                           str(amount if is_open else 0), str(amount), "0", str(gain), str(amount * price), str(close),
                           stamp(i * 5 + 3), str(max(close, price)), stamp(i * 5 + 3), stamp(i * 5 + 3),
                           "OPEN" if is_open else "CLOSED"))
            for side, at, fill in (("BUY", i * 5, price), *(() if is_open else (("SELL", i * 5 + 3, close),))):
                orders.append((len(orders) + 1, len(orders) + 1, symbol, "EUR", side, "LIMIT", str(fill), str(amount), "0",
                               str(amount), "0", "CLOSED", 1, stamp(at), stamp(at), str(0.0025 * amount * fill), "EUR",
                               "0.0025", None, None, None, None, '{"order_reason": "signal"}'))
        db.executemany(f"INSERT INTO trades VALUES ({', '.join('?' * 18)})", trades)
        db.executemany(f"INSERT INTO orders VALUES ({', '.join('?' * 23)})", orders)
        value, snapshots = 100_000.0, []
        for i in range(1, SNAPSHOTS + 1):
            value = max(50_000.0, min(200_000.0, value * rng.uniform(0.999, 1.001)))
            snapshots.append((i, "1", "EUR", "0", "52000", "100000", "0", "0", "0", str(value), "0", stamp(i * 5)))
        db.executemany(f"INSERT INTO portfolio_snapshots VALUES ({', '.join('?' * 12)})", snapshots)
        db.executemany("INSERT INTO positions (symbol, amount, cost, portfolio_id) VALUES (?, ?, ?, 1)",
                       [("EUR", "52000", "100000"), *((s, str(rng.uniform(0.1, 5)), "1000") for s in SYMBOLS)])


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="botship-bench-trading-"))
    try:
        path = scratch / "prod-database.sqlite3"
        started = time.perf_counter()
        build(path)
        print(f"built {path.stat().st_size / 2**20:.0f} MB ({TRADES:,} trades) in {time.perf_counter() - started:.1f} s")
        runs = []
        for _ in range(ROUNDS + 1):  # the first warms the OS file cache and the .pyc files, and is not counted
            done = subprocess.run([sys.executable, "-c", FIRST_PAGE, str(path)], capture_output=True, text=True,
                                  cwd=REPO, timeout=300)
            if done.returncode != 0:
                raise RuntimeError(done.stderr[-3000:])
            runs.append(json.loads(done.stdout.splitlines()[-1]))
        cold, runs = runs[0], runs[1:]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"\ntrading tab over {TRADES:,} trades, median of {ROUNDS} fresh processes (imports not timed)")
    for name in runs[0]["times"]:
        print(f"  {name:<34}{statistics.median(r['times'][name] for r in runs):>8.3f} s")
    first = statistics.median(r["times"]["first page"] for r in runs)
    rss = max(r["maxrss_mb"] for r in runs)
    traced = max(r["tracemalloc_mb"] for r in runs)
    print(f"  {'first page, the uncounted first run':<34}{cold['times']['first page']:>8.3f} s")
    print(f"\nfirst page {first:.3f} s   target < 0.5 s: {'MET' if first < 0.5 else 'MISSED'}")
    print(f"peak RSS {rss:.1f} MB (tracemalloc peak {traced:.1f} MB)   target < 150 MB: "
          f"{'MET' if rss < 150 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
