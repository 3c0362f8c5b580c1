"""The trading view (botship.trading) over the plain template's own state.db: the template rendered as `botship init`
writes it, its handler run 200 ticks, and what the book reads checked against what the handler itself reported."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from botship.init import scaffold
from botship.trading import open_book


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


PLAIN_RUNNER = textwrap.dedent("""
    import json, os, shutil, sys
    project, state, keep, ticks = sys.argv[1], sys.argv[2], sys.argv[3], [int(t) for t in sys.argv[4].split(",")]
    os.environ["BOTSHIP_STATE_DIR"] = state
    sys.path.insert(0, project)
    import app
    summaries = []
    for tick in range(1, max(ticks) + 1):
        summaries.append(app.handler({}, None))
        if tick in ticks:
            shutil.copy(os.path.join(state, "state.db"), os.path.join(keep, f"state-{tick}.db"))
    with open(os.path.join(keep, "summaries.json"), "w") as fh:
        json.dump(summaries, fh)
""")


@pytest.fixture(scope="module")
def plain_runs(tmp_path_factory):
    """The plain template, rendered as `botship init` writes it, run 200 ticks by its own handler; state.db kept
    at a few ticks, and every summary the handler returned."""
    root = tmp_path_factory.mktemp("plain")
    scaffold(root / "bot", "plain")
    (root / "keep").mkdir()
    ticks = list(range(20, 201))
    run = subprocess.run([sys.executable, "-c", PLAIN_RUNNER, str(root / "bot"), str(root / "state"), str(root / "keep"),
                          ",".join(map(str, ticks))], capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "BOTSHIP_MODE": "paper"})
    assert run.returncode == 0, run.stderr[-3000:]
    return root / "keep", json.loads((root / "keep" / "summaries.json").read_text())


def round_trips(summaries: list[dict]) -> list[float]:
    """The gain of each closed round trip, from the handler's own summaries: equity at each sell less at its buy."""
    gains, bought_at = [], None
    for before, now in zip([{"position": 0, "equity": 1000.0}, *summaries], summaries):
        if now["position"] and not before["position"]:
            bought_at = before["equity"]
        elif before["position"] and not now["position"]:
            gains.append(now["equity"] - bought_at)
    return gains


def test_the_plain_templates_state_db_reads_as_the_handler_reported_it(plain_runs):
    keep, summaries = plain_runs
    flat = [i for i, s in enumerate(summaries, 1) if s["position"] == 0 and s["trades"] >= 4 and i >= 20][-1]
    holding = [i for i, s in enumerate(summaries, 1) if s["position"] and i >= 20][-1]
    for tick in (flat, holding):
        db = keep / f"state-{tick}.db"
        before = digest(db)
        book, last = open_book(db), summaries[tick - 1]
        s = book.summary()
        gains = round_trips(summaries[:tick])
        assert book.kind == "plain" and s.initial == pytest.approx(1000.0)  # START_CASH, worked out from the fills
        assert s.cash == pytest.approx(last["cash"], abs=0.01) and s.currency is None
        assert book.orders().total == last["trades"] and book.order_statuses() == ["FILLED"]
        assert s.closed_trades == len(gains) and s.open_trades == (1 if last["position"] else 0)
        assert s.realized_pnl == pytest.approx(sum(gains), abs=0.02)
        assert s.win_rate == pytest.approx(100 * sum(g > 0 for g in gains) / len(gains))
        assert s.fees is None  # the template pays none, and keeps no column for them
        series = book.equity_series(max_points=1000)
        assert series[0] == pytest.approx(1000.0) and len(series) == last["trades"] + 1
        closed = book.trades(open=False, limit=1000)
        assert sorted(t.net_gain for t in closed.items) == pytest.approx(sorted(gains), abs=0.02)
        assert all(t.remaining == 0 and t.unrealized is None and t.last_price for t in closed.items)
        assert [t.id for t in book.trades(limit=1000).items] == sorted((t.id for t in book.trades(limit=1000).items),
                                                                       key=int, reverse=True)  # newest first
        newest = book.orders(limit=1).items[0]
        assert newest.side == ("BUY" if last["position"] else "SELL") and newest.symbol == "BTC/EUR"
        if last["position"]:
            # state.db keeps no market price: equity is unknown while it holds, and the note says so.
            assert (s.equity, s.unrealized_pnl, s.return_pct) == (None, None, None) and "no market price" in s.note
            ((held,),) = [book.positions()]
            assert held.amount == pytest.approx(last["position"]) and held.symbol == "BTC/EUR"
            (open_trade,) = book.trades(open=True).items
            assert open_trade.amount == pytest.approx(last["position"]) and open_trade.unrealized is None
        else:
            assert s.equity == pytest.approx(last["equity"], abs=0.01) and s.unrealized_pnl == 0.0
            assert s.return_pct == pytest.approx((last["equity"] - 1000) / 10, abs=0.01)
            assert series[-1] == pytest.approx(last["equity"], abs=0.01) and book.positions() == []
        assert digest(db) == before
