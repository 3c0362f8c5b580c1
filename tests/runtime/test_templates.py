"""The iaf template for real: its artifact built with real pip, run through local invoke, its state read back.

investing-algorithm-framework installs about 1 GB (pandas, polars, pyarrow, ccxt, jupyter, the
Azure SDKs), so the first build of a session takes about half a minute; each run about four
seconds (the framework's import, and a one-second pause it takes after every iteration).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from botship.init import scaffold
from botship.profiles import ProfileStore
from botship.providers import provider_class
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.secret_values import SecretValues
from helpers import run_botship


def invoke(project: Path, cache: Path, *args: str) -> tuple[int, list[dict]]:
    run = run_botship("invoke", "--local", "--json", *args, project=project, cache=cache)
    return run.returncode, [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def result_of(records: list[dict]) -> dict:
    (result,) = [r for r in records if r["type"] == "result"]
    return result


def log_lines(records: list[dict]) -> str:
    return "\n".join(json.dumps(r["record"]) for r in records if r["type"] == "function_log")


def test_iaf_app_runs_one_iteration_per_invoke_offline_with_its_database_in_the_state_folder(tmp_path,
                                                                                               dependency_cache,
                                                                                               sandbox, monkeypatch):
    project = tmp_path / "iaf-bot"
    scaffold(project, "iaf")
    code, records = invoke(project, dependency_cache)
    result = result_of(records)
    assert code == 0 and result["status_code"] == 200, log_lines(records)[-3000:]
    body = result["body"]
    # The App's run() returns nothing; what it did is in its database and its log.
    assert body["status"] == "ok" and body["mode"] == "paper" and body["result"] is None
    assert body["files"]["state_saved"] is True and body["files"]["uploaded"] == 3
    artifact = next(r for r in records if r["type"] == "step_finished" and r["step"] == "package")
    assert artifact["outputs"]["layout"] == "image"
    logs = log_lines(records)
    assert "Running strategy SmaCrossover" in logs and "Creating limit order: BTC OrderSide.BUY" in logs

    # RESOURCE_DIRECTORY was the synced state folder: the framework's SQLite database is there.
    state = project / ".botship" / "local-run" / "sandbox" / "state"
    assert json.loads((state / "replay_feed.json").read_text()) == {"row": 49}
    with sqlite3.connect(state / "databases" / "prod-database.sqlite3") as db:
        orders = db.execute("SELECT order_side, status, price, external_id FROM orders").fetchall()
        portfolio = db.execute("SELECT market, trading_symbol, initial_balance FROM portfolios").fetchall()
        trades = db.execute("SELECT target_symbol, status FROM trades").fetchall()
    # The first replayed candle is a crossover upwards: one buy, filled on paper at its close.
    assert orders == [("BUY", "CLOSED", "29591.05", orders[0][3])] and orders[0][3].startswith("paper-")
    assert portfolio == [("BITVAVO", "EUR", "1000")]
    assert trades == [("BTC", "OPEN")]
    # botship's paper exchange filled it (ahead of the template's own stand-in), and kept the fill.
    ledger = json.loads((state / "botship-paper.json").read_text())
    assert ledger["markets"]["BITVAVO"]["starting_balance"] == 1000.0
    (fill,) = ledger["fills"]
    assert (fill["side"], fill["symbol"], fill["price"], fill["fee"]) == ("BUY", "BTC/EUR", 29591.05, 0.0)
    manifest = json.loads((project / ".botship" / "local-state" / "sandbox" / "paper" / "manifest.json").read_text())
    assert set(manifest["files"]) == {"replay_feed.json", "databases/prod-database.sqlite3", "botship-paper.json"}

    # A new container (--cold) starts from the saved state: the next candle, the same open position.
    code, records = invoke(project, dependency_cache, "--cold")
    body = result_of(records)["body"]
    assert code == 0 and body["status"] == "ok", log_lines(records)[-3000:]
    assert body["files"]["downloaded"] == 3
    assert json.loads((state / "replay_feed.json").read_text()) == {"row": 50}
    with sqlite3.connect(state / "databases" / "prod-database.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM orders").fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM portfolios").fetchone() == (1,)

    # Live mode is refused, not pretended: the prices are a replay and the fills are on paper.
    toml = (project / "botship.toml").read_text()
    live = toml.split("[profiles.sandbox]")[1].replace('mode = "paper"', 'mode = "live"')
    (project / "botship.toml").write_text(f"{toml}\n[profiles.live]{live}")
    code, records = invoke(project, dependency_cache, "--profile", "live", "--confirm-live")
    result = result_of(records)
    assert code == 1 and result["status_code"] == 500
    assert "trades on paper only" in result["body"]["error"]["message"]

    # The same project on the sandbox: deployed as an image (its layers stay here, no Docker), run twice.
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    spec = ProfileStore(project).spec("sandbox")
    provider = provider_class("sandbox")(spec)
    context = DeployContext(project, "sandbox", SecretValues([]))
    deployed = start_run(provider.plan(context), lambda event: None).wait(300)
    assert deployed.ok, deployed.failure
    handle = provider.handle()
    bodies = [handle.invoke({"source": "test"}).body for _ in range(2)]
    assert [b["status"] for b in bodies] == ["ok", "ok"], bodies
    assert set(handle.state_files().files) == {"replay_feed.json", "databases/prod-database.sqlite3",
                                                 "botship-paper.json"}
    exported = tmp_path / "exported"
    handle.export_state(exported)
    assert json.loads((exported / "replay_feed.json").read_text()) == {"row": 50}
