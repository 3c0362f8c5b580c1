"""The trading view's readers (botship.trading) over hand-built investing-algorithm-framework databases: an older and
a newer schema, one with columns missing, several portfolios; TEXT amounts; find_trading_db; the sparkline.

The plain template's own state.db is read in test_trading_plain.py; the framework's real database, produced by the
iaf template's runs, in tests/providers/test_trading_iaf.py.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botship.errors import BadInput, BotshipError
from botship.trading import find_trading_db, open_book, sparkline
from botship.trading_model import downsample

# The tables as investing-algorithm-framework 8.10 creates them, with `is_short` as later versions add it.
NEWER = """
CREATE TABLE portfolios (id INTEGER NOT NULL PRIMARY KEY, identifier VARCHAR NOT NULL, trading_symbol VARCHAR NOT NULL,
    realized VARCHAR NOT NULL, total_revenue VARCHAR NOT NULL, total_cost VARCHAR NOT NULL,
    total_net_gain VARCHAR NOT NULL, total_trade_volume VARCHAR NOT NULL, net_size VARCHAR NOT NULL,
    unallocated VARCHAR NOT NULL, initial_balance VARCHAR, market VARCHAR NOT NULL, created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL, initialized BOOLEAN NOT NULL);
CREATE TABLE portfolio_snapshots (id INTEGER NOT NULL PRIMARY KEY, portfolio_id VARCHAR NOT NULL,
    trading_symbol VARCHAR NOT NULL, pending_value VARCHAR NOT NULL, unallocated VARCHAR NOT NULL,
    net_size VARCHAR NOT NULL, total_net_gain VARCHAR NOT NULL, total_revenue VARCHAR NOT NULL,
    total_cost VARCHAR NOT NULL, total_value VARCHAR NOT NULL, cash_flow VARCHAR NOT NULL, created_at DATETIME NOT NULL);
CREATE TABLE trades (id INTEGER NOT NULL PRIMARY KEY, target_symbol VARCHAR, trading_symbol VARCHAR,
    closed_at DATETIME, opened_at DATETIME, open_price VARCHAR, amount VARCHAR, available_amount VARCHAR,
    filled_amount VARCHAR, remaining VARCHAR, net_gain VARCHAR, cost VARCHAR, last_reported_price VARCHAR,
    last_reported_price_datetime DATETIME, high_water_mark VARCHAR, high_water_mark_datetime DATETIME,
    updated_at DATETIME, status VARCHAR, is_short BOOLEAN NOT NULL DEFAULT 0);
CREATE TABLE positions (id INTEGER NOT NULL PRIMARY KEY, symbol VARCHAR, amount VARCHAR, cost VARCHAR,
    portfolio_id INTEGER);
CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, external_id INTEGER, target_symbol VARCHAR,
    trading_symbol VARCHAR, order_side VARCHAR NOT NULL, order_type VARCHAR NOT NULL, price VARCHAR, amount VARCHAR,
    remaining VARCHAR, filled VARCHAR, cost VARCHAR, status VARCHAR, position_id INTEGER, created_at DATETIME,
    updated_at DATETIME, order_fee VARCHAR, order_fee_currency VARCHAR, order_fee_rate VARCHAR, slippage VARCHAR,
    stop_price VARCHAR, triggered_at DATETIME, sell_order_metadata_id INTEGER, metadata_json TEXT);
"""
# The shape of the 2.x/3.x framework: no trades table (each filled buy order carried its trade: trade_closed_*,
# net_gain), `side` and `filled`, fees in their own table, snapshots without a total value, no initial balance.
OLDER = """
CREATE TABLE portfolios (id INTEGER PRIMARY KEY, identifier VARCHAR, trading_symbol VARCHAR, net_size VARCHAR,
    unallocated VARCHAR, realized VARCHAR, total_revenue VARCHAR, total_cost VARCHAR, total_net_gain VARCHAR,
    total_trade_volume VARCHAR, market VARCHAR, created_at DATETIME, updated_at DATETIME);
CREATE TABLE orders (id INTEGER PRIMARY KEY, external_id INTEGER, target_symbol VARCHAR, trading_symbol VARCHAR,
    side VARCHAR NOT NULL, order_type VARCHAR NOT NULL, price VARCHAR, amount VARCHAR, filled VARCHAR,
    remaining VARCHAR, cost VARCHAR, status VARCHAR, position_id INTEGER, created_at DATETIME, updated_at DATETIME,
    trade_closed_at DATETIME, trade_closed_price VARCHAR, trade_closed_amount VARCHAR, net_gain VARCHAR);
CREATE TABLE order_fees (id INTEGER PRIMARY KEY, currency VARCHAR, cost NUMERIC(24, 20), rate NUMERIC(24, 20),
    order_id INTEGER);
CREATE TABLE positions (id INTEGER PRIMARY KEY, symbol VARCHAR, amount VARCHAR, portfolio_id INTEGER);
CREATE TABLE portfolio_snapshots (id INTEGER PRIMARY KEY, portfolio_id VARCHAR, trading_symbol VARCHAR,
    pending_value VARCHAR, unallocated VARCHAR, total_net_gain VARCHAR, total_revenue VARCHAR, total_cost VARCHAR,
    cash_flow VARCHAR, created_at DATETIME);
"""


def insert(db: sqlite3.Connection, table: str, **values) -> None:
    db.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
               list(values.values()))


def trade(db, id, symbol, status, open_price, amount, held, last, gain, opened, closed=None, short=0) -> None:
    insert(db, "trades", id=id, target_symbol=symbol, trading_symbol="EUR", status=status, open_price=open_price,
           amount=amount, available_amount=held, filled_amount=amount, remaining="0", net_gain=gain,
           last_reported_price=last, opened_at=opened, closed_at=closed, is_short=short, cost="0")


def order(db, id, side, status, fee, created, symbol="BTC") -> None:
    insert(db, "orders", id=id, external_id=id, target_symbol=symbol, trading_symbol="EUR", order_side=side,
           order_type="LIMIT", price="30000", amount="0.01", filled="0.01" if status == "CLOSED" else "0",
           status=status, order_fee=fee, created_at=created)


@pytest.fixture
def newer(tmp_path) -> Path:
    path = tmp_path / "databases" / "prod-database.sqlite3"
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.executescript(NEWER)
        insert(db, "portfolios", id=1, identifier="BITVAVO", trading_symbol="EUR", realized="0", total_revenue="0",
               total_cost="0", total_net_gain="13.25", total_trade_volume="0", net_size="1000", unallocated="600",
               initial_balance="1000", market="BITVAVO", created_at="2026-01-01 00:00:00",
               updated_at="2026-01-01 00:00:00", initialized=1)
        for symbol, amount, cost in (("EUR", "600", "1000"), ("BTC", "0.01", "300"), ("ETH", "0", "0"),
                                     ("ADA", "10", "5")):
            insert(db, "positions", symbol=symbol, amount=amount, cost=cost, portfolio_id=1)
        trade(db, 1, "BTC", "OPEN", "30000", "0.01", "0.01", "31000", "0", "2026-01-01 00:05:00.123456")
        trade(db, 2, "ETH", "CLOSED", "2000", "0.05", "0", "2100", "4.5", "2026-01-01 00:10:00", "2026-01-01 01:00:00")
        trade(db, 3, "ETH", "CLOSED", "2000", "0.05", "0", "1975", "-1.25", "2026-01-01 00:15:00", "2026-01-01 02:00:00")
        trade(db, 4, "XRP", "CLOSED", "0.5", "100", "0", "0.6", "10", "2026-01-01 00:20:00", "2026-01-01 03:00:00")
        trade(db, 5, "SOL", "OPEN", "100", "1", "1", "90", "0", "2026-01-01 00:25:00", short=1)
        trade(db, 6, "ADA", "OPEN", "0.5", "10", "10", None, "0", "2026-01-01 00:30:00")  # bought in the last run
        order(db, 11, "BUY", "CLOSED", "0.5", "2026-01-01 00:05:00")
        order(db, 12, "SELL", "CLOSED", "0.25", "2026-01-01 01:00:00", symbol="ETH")
        order(db, 13, "BUY", "OPEN", None, "2026-01-01 04:00:00")
        order(db, 14, "BUY", "CANCELED", None, "2026-01-01 03:30:00")
        # Snapshots in the order the bot wrote them (their ids), whatever its clock said: it went back once.
        for id, value, at in ((1, "1000", "2026-01-01 00:00:00"), (2, "990", "2026-01-01 01:00:00"),
                              (3, "1020", "2026-01-01 00:30:00"), (4, "1015.5", "2026-01-01 05:00:00")):
            insert(db, "portfolio_snapshots", id=id, portfolio_id="1", trading_symbol="EUR", pending_value="0",
                   unallocated="600", net_size="1000", total_net_gain="0", total_revenue="0", total_cost="0",
                   total_value=value, cash_flow="0", created_at=at)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_newer_framework_database_reads_as_a_traders_books_and_is_never_written(newer):
    before = digest(newer)
    book = open_book(newer)
    assert book.kind == "framework"
    s = book.summary()
    assert (s.currency, s.initial, s.cash, s.equity, s.as_of) == ("EUR", 1000.0, 600.0, 1015.5, "2026-01-01 05:00:00")
    assert s.return_pct == pytest.approx(1.55)
    assert s.realized_pnl == pytest.approx(13.25)  # 0 + 4.5 − 1.25 + 10, summed as numbers from TEXT
    # BTC +10 at its last price; SOL is short (bought back cheaper: +10); ADA has no price yet: its fill price.
    assert s.unrealized_pnl == pytest.approx(20.0)
    assert (s.open_trades, s.closed_trades, s.open_positions) == (3, 3, 2)
    assert s.win_rate == pytest.approx(200 / 3)
    assert s.fees == pytest.approx(0.75) and s.note == ""

    positions = {p.symbol: p for p in book.positions()}
    assert set(positions) == {"BTC", "ADA"}  # cash (EUR) apart, a sold-out ETH left out
    assert (positions["BTC"].amount, positions["BTC"].price, positions["BTC"].cost) == (0.01, 31000.0, 300.0)
    assert positions["BTC"].value == pytest.approx(310.0) and positions["BTC"].unrealized == pytest.approx(10.0)
    assert positions["ADA"].price == 0.5 and positions["ADA"].unrealized == pytest.approx(0.0)

    everything = book.trades()
    assert everything.total == 6 and [t.id for t in everything.items] == ["6", "5", "4", "3", "2", "1"]  # newest first
    opened = book.trades(open=True)
    assert [(t.symbol, t.side) for t in opened.items] == [("ADA/EUR", "long"), ("SOL/EUR", "short"), ("BTC/EUR", "long")]
    assert opened.items[2].opened_at == "2026-01-01 00:05:00" and opened.items[2].unrealized == pytest.approx(10.0)
    closed = book.trades(open=False, sort="net_gain", descending=False)
    assert [t.net_gain for t in closed.items] == [-1.25, 4.5, 10.0]  # numbers, not the letters "-1.25" < "10" < "4.5"
    assert all(not t.is_open and t.remaining == 0 and t.unrealized is None for t in closed.items)
    page = book.trades(open=False, offset=1, limit=1, sort="net_gain")
    assert ([t.net_gain for t in page.items], page.total, page.offset) == ([4.5], 3, 1)
    with pytest.raises(BadInput, match="cannot be sorted by 'price'"):
        book.trades(sort="price")

    assert book.order_statuses() == ["CANCELED", "CLOSED", "OPEN"]
    assert [o.id for o in book.orders().items] == ["13", "14", "12", "11"]
    done = book.orders(status="CLOSED")
    assert done.total == 2 and [(o.side, o.symbol, o.fee) for o in done.items] == [("SELL", "ETH/EUR", 0.25),
                                                                                   ("BUY", "BTC/EUR", 0.5)]
    assert book.orders(status="EXPIRED").items == [] and book.orders(offset=3).items[0].id == "11"

    assert book.equity_series() == [1000.0, 990.0, 1020.0, 1015.5]  # as written
    assert book.equity_series(max_points=2) == [990.0, 1015.5]
    assert digest(newer) == before


def test_an_older_framework_database_reads_its_trades_from_its_orders(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLDER)
        insert(db, "portfolios", id=1, identifier="binance", trading_symbol="USDT", net_size="1030",
               unallocated="830", total_net_gain="30", market="BINANCE")
        insert(db, "positions", symbol="USDT", amount="830", portfolio_id=1)
        insert(db, "positions", symbol="ETH", amount="0.1", portfolio_id=1)
        insert(db, "orders", id=1, target_symbol="BTC", trading_symbol="USDT", side="BUY", order_type="LIMIT",
               price="30000", amount="0.01", filled="0.01", status="CLOSED", created_at="2024-01-01 00:00:00",
               trade_closed_at="2024-01-02 00:00:00", trade_closed_price="33000", trade_closed_amount="0.01",
               net_gain="30")
        insert(db, "orders", id=2, target_symbol="BTC", trading_symbol="USDT", side="SELL", order_type="LIMIT",
               price="33000", amount="0.01", filled="0.01", status="CLOSED", created_at="2024-01-02 00:00:00")
        insert(db, "orders", id=3, target_symbol="ETH", trading_symbol="USDT", side="BUY", order_type="MARKET",
               price="2000", amount="0.1", filled="0.1", status="CLOSED", created_at="2024-01-03 00:00:00")
        insert(db, "orders", id=4, target_symbol="ETH", trading_symbol="USDT", side="BUY", order_type="LIMIT",
               price="1500", amount="0.1", filled="0", status="OPEN", created_at="2024-01-04 00:00:00")
        for order_id, cost in ((1, 0.3), (2, 0.33), (3, 0.2)):
            insert(db, "order_fees", currency="USDT", cost=cost, rate=0.001, order_id=order_id)
        insert(db, "portfolio_snapshots", portfolio_id="1", trading_symbol="USDT", pending_value="0", unallocated="830",
               total_net_gain="30", total_revenue="0", total_cost="0", cash_flow="0", created_at="2024-01-03")
    book = open_book(path)
    s = book.summary()
    assert book.kind == "framework" and (s.currency, s.cash, s.realized_pnl) == ("USDT", 830.0, 30.0)
    # What this version did not keep is None, and the note says why: no starting balance, no price for the ETH held.
    assert (s.initial, s.return_pct, s.equity, s.unrealized_pnl) == (None, None, None, None)
    assert "no last price" in s.note and "no snapshot of the portfolio holds its total value" in s.note
    assert (s.open_trades, s.closed_trades, s.win_rate, s.open_positions) == (1, 1, 100.0, 1)
    assert s.fees == pytest.approx(0.83)
    trades = book.trades()
    assert [(t.id, t.symbol, t.status, t.amount) for t in trades.items] == [("3", "ETH/USDT", "OPEN", 0.1),
                                                                            ("1", "BTC/USDT", "CLOSED", 0.01)]
    assert (trades.items[1].last_price, trades.items[1].closed_at, trades.items[1].remaining) == (33000.0,
                                                                                                  "2024-01-02 00:00:00", 0)
    assert trades.items[0].unrealized is None and trades.items[0].remaining == 0.1
    assert [p.symbol for p in book.positions()] == ["ETH"] and book.positions()[0].cost is None
    assert [(o.id, o.side, o.fee) for o in book.orders(status="CLOSED").items] == [("3", "BUY", 0.2), ("2", "SELL", 0.33),
                                                                                    ("1", "BUY", 0.3)]
    assert book.order_statuses() == ["CLOSED", "OPEN"]
    assert book.equity_series() == []  # its snapshots keep no total value


def test_missing_columns_make_their_figures_none_never_an_error(tmp_path):
    path = tmp_path / "sparse.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE portfolios (id INTEGER PRIMARY KEY, trading_symbol VARCHAR);
            CREATE TABLE trades (id INTEGER PRIMARY KEY, target_symbol VARCHAR, closed_at DATETIME, net_gain VARCHAR);
            CREATE TABLE orders (id INTEGER PRIMARY KEY, order_side VARCHAR);
            CREATE TABLE portfolio_snapshots (id INTEGER PRIMARY KEY, total_value VARCHAR);
            INSERT INTO portfolios (trading_symbol) VALUES ('EUR');
            INSERT INTO trades VALUES (1, 'BTC', NULL, '0'), (2, 'ETH', '2026-01-02', '-3.5'), (3, 'ETH', '2026-01-03', 'n/a');
            INSERT INTO orders VALUES (1, 'buy');
            INSERT INTO portfolio_snapshots (total_value) VALUES ('1000'), ('1010'), ('bad');
        """)
    book = open_book(path)
    s = book.summary()
    assert (s.currency, s.initial, s.cash, s.fees, s.unrealized_pnl, s.open_positions) == ("EUR", None, None, None,
                                                                                          None, 1)
    assert s.realized_pnl == -3.5 and (s.open_trades, s.closed_trades, s.win_rate) == (1, 2, 0.0)
    assert s.equity == 0.0  # the newest snapshot says 'bad': SQLite reads text that is no number as 0
    trades = book.trades(sort="closed_at", descending=False)
    assert [(t.id, t.status, t.symbol, t.open_price, t.last_price) for t in trades.items] == [
        ("1", "OPEN", "BTC", None, None), ("2", "CLOSED", "ETH", None, None), ("3", "CLOSED", "ETH", None, None)]
    assert book.positions() == [] and book.order_statuses() == []
    (only,) = book.orders().items
    assert (only.side, only.status, only.price, only.fee, only.symbol, only.created_at) == ("BUY", None, None, None,
                                                                                            "?", None)
    assert book.equity_series() == [1000.0, 1010.0, 0.0]


def test_a_database_without_trading_tables_or_no_database_at_all_is_an_error_naming_it(tmp_path):
    other = tmp_path / "cache.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE orders_seen (id INTEGER)")
    with pytest.raises(BotshipError, match="cache.sqlite3 holds no trading books"):
        open_book(other)
    junk = tmp_path / "state.db"
    junk.write_text("not sqlite at all, only words" * 30)
    with pytest.raises(BotshipError, match="state.db cannot be read as a SQLite database"):
        open_book(junk)


def test_find_trading_db_prefers_the_framework_database_then_the_shallowest():
    assert find_trading_db(["replay_feed.json", "databases/prod-database.sqlite3", "botship-paper.json"]) == \
        "databases/prod-database.sqlite3"
    assert find_trading_db(["state.db", "databases/backtest.sqlite3"]) == "databases/backtest.sqlite3"
    assert find_trading_db(["databases/a.sqlite3", "databases/prod-database.sqlite3"]) == "databases/prod-database.sqlite3"
    assert find_trading_db(["x/databases/z.sqlite3", "databases/z.sqlite3"]) == "databases/z.sqlite3"
    assert find_trading_db(["sub/state.db", "state.db", "notes.txt"]) == "state.db"
    assert find_trading_db(["databases/readme.txt", "state.db.bak", "my-state.db", "prod-database.sqlite3"]) is None
    assert find_trading_db([]) is None


@given(others=st.lists(st.text(alphabet="abdes/_-", max_size=12), max_size=8),  # no "." : never a database's name
       framework=st.lists(st.sampled_from(["databases/prod-database.sqlite3", "databases/x.sqlite3",
                                           "a/databases/y.sqlite3"]), max_size=2),
       plain=st.lists(st.sampled_from(["state.db", "bot/state.db"]), max_size=2), data=st.data())
def test_a_framework_database_always_wins_and_nothing_else_is_taken(others, framework, plain, data):
    paths = data.draw(st.permutations([*others, *plain, *framework]))
    found = find_trading_db(paths)
    if framework:
        assert found == min(framework, key=lambda p: (p.rsplit("/", 1)[-1] != "prod-database.sqlite3", p.count("/"), p))
    elif plain:
        assert found == min(plain, key=lambda p: (p.count("/"), p))
    else:
        assert found is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gains=st.lists(st.decimals(-10**6, 10**6, allow_nan=False, places=8), min_size=1, max_size=30))
def test_text_amounts_sum_and_sort_as_the_numbers_they_are(gains):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bot.sqlite3"
        with sqlite3.connect(path) as db:
            db.executescript(NEWER)
            for i, gain in enumerate(gains):
                trade(db, i + 1, "BTC", "CLOSED", "1", "1", "0", "1", str(gain), f"2026-01-01 00:{i:02d}:00", "2026")
        book = open_book(path)
        summary, closed = book.summary(), book.trades(open=False, limit=100, sort="net_gain", descending=False)
    floats = [float(g) for g in gains]
    assert summary.realized_pnl == pytest.approx(math.fsum(floats), abs=1e-6)
    assert [t.net_gain for t in closed.items] == sorted(floats)
    assert summary.win_rate == pytest.approx(100 * sum(f > 0 for f in floats) / len(floats))


@given(values=st.lists(st.one_of(st.none(), st.floats(-1e9, 1e9)), max_size=200), width=st.integers(1, 80))
def test_a_sparkline_fits_its_width_and_spans_the_blocks(values, width):
    line = sparkline(values, width)
    known = [v for v in values if v is not None]
    assert len(line) == min(len(known), width) and set(line) <= set("▁▂▃▄▅▆▇█")
    spread = max(known) - min(known) if known else 0.0
    if spread > 1e-9 * max([1.0, *map(abs, known)]) and len(known) <= width:  # a spread beyond float noise
        assert line[known.index(min(known))] == "▁" and line[known.index(max(known))] == "█"


def test_sparkline_edges():
    assert sparkline([], 10) == "" and sparkline([5, 5, 5], 10) == "▄▄▄"
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8) == "▁▂▃▄▅▆▇█"
    assert sparkline(list(range(1000)), 10)[-1] == "█" and len(sparkline(list(range(1000)), 10)) == 10


def snapshots_db(folder: Path, rows: list[tuple[int, str, str | None]], portfolios: int = 1,
                 nullable: bool = True) -> Path:
    """A newer-schema database with `portfolios` portfolios and snapshots (id, portfolio id, total value); the
    framework declares total_value NOT NULL, `nullable` drops that."""
    path = folder / "snap.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(NEWER.replace("total_value VARCHAR NOT NULL", "total_value VARCHAR") if nullable else NEWER)
        for pid in range(1, portfolios + 1):
            insert(db, "portfolios", id=pid, identifier=f"M{pid}", trading_symbol="EUR", realized="0",
                   total_revenue="0", total_cost="0", total_net_gain="0", total_trade_volume="0", net_size="0",
                   unallocated="0", initial_balance="500", market=f"M{pid}", created_at="2026", updated_at="2026",
                   initialized=1)
        for id, pid, value in rows:
            insert(db, "portfolio_snapshots", id=id, portfolio_id=pid, trading_symbol="EUR", pending_value="0",
                   unallocated="0", net_size="0", total_net_gain="0", total_revenue="0", total_cost="0",
                   total_value=value, cash_flow="0", created_at=f"2026-01-01 00:00:{id % 60:02d}")
    return path


def test_several_portfolios_add_up_aligned_on_their_newest_snapshot(tmp_path):
    path = snapshots_db(tmp_path, [(1, "1", "500"), (2, "1", "510"), (3, "2", "500"), (4, "1", "520"),
                                   (5, "2", "490")], portfolios=2)
    book = open_book(path)
    assert book.equity_series() == [500.0, 1010.0, 1010.0]  # portfolio 2 counts from its first snapshot on
    s = book.summary()
    assert (s.equity, s.initial, s.currency, s.as_of) == (1010.0, 1000.0, "EUR", "2026-01-01 00:00:05")
    assert s.return_pct == pytest.approx(1.0)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.none(), st.decimals(0, 10**6, places=2).map(str)), min_size=1, max_size=80),
       gaps=st.lists(st.integers(1, 3), min_size=80, max_size=80), dense=st.booleans(), points=st.integers(1, 70))
def test_the_equity_series_is_the_written_values_thinned_whether_ids_have_gaps_or_not(values, gaps, dense, points):
    """Dense ids under NOT NULL take the quick path (the points read by id); gaps or NULLs the full read: the same."""
    nullable = None in values
    ids, at = [], 0
    for gap in gaps[:len(values)]:
        at += 1 if dense else gap
        ids.append(at)
    with tempfile.TemporaryDirectory() as tmp:
        book = open_book(snapshots_db(Path(tmp), [(i, "1", v) for i, v in zip(ids, values)], nullable=nullable))
        series, summary = book.equity_series(points), book.summary()
    written = [float(v) for v in values if v is not None]
    assert series == downsample(written, points)
    # The newest snapshot with a value; none at all: the cash (0 here) and the open trades (none).
    assert summary.equity == (written[-1] if written else 0.0)
    assert ("no snapshot" in summary.note) == (not written)
