"""The control file (runtime/control.py, control_write.py): written into a bot's state under its lock, read by the
next run before the bot, and honoured by the `plain` template — against a folder, moto's S3 and Azurite."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from botship.init import scaffold
from botship.runtime.control import CONTROL_FILE, LEVELS, read_control
from botship.runtime.control_write import write_control
from botship.runtime.history import LockHeld
from botship.runtime.runs import read_runs
from botship.runtime.state import StateSync
from botship.runtime.stores import open_store
from conftest import ALL_STORES, live_objects
from runtime_run import run_once


def cold(store, folder: Path) -> dict[str, bytes]:
    StateSync(store, str(folder)).load()
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def saved_state(store, folder: Path, files: dict[str, bytes]) -> None:
    sync = StateSync(store, str(folder))
    sync.load()
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    sync.save("a-run")


def test_a_missing_or_invalid_control_file_means_run(tmp_path):
    assert read_control(str(tmp_path)) == {"level": "run"}
    assert read_control(str(tmp_path / "no-such-folder")) == {"level": "run"}
    for content in (b"{", b"[]", b'{"level": "pause"}', b'{"level": 3}', b"null", b"\xff\xfe"):
        (tmp_path / CONTROL_FILE).write_bytes(content)
        assert read_control(str(tmp_path)) == {"level": "run"}, content
    (tmp_path / CONTROL_FILE).unlink()
    (tmp_path / CONTROL_FILE).mkdir()  # not even a file
    assert read_control(str(tmp_path)) == {"level": "run"}


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200),
                 st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.text(max_size=12), st.integers()),
                                 max_size=4).map(lambda d: json.dumps(d).encode()),
                 st.sampled_from(LEVELS).map(lambda level: json.dumps({"level": level, "by": "x"}).encode())))
def test_any_control_file_reads_as_one_of_the_levels_and_never_raises(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("control")
    (folder / CONTROL_FILE).write_bytes(content)
    level = read_control(str(folder))["level"]
    assert level in LEVELS
    try:
        written = json.loads(content)
    except ValueError:
        written = None
    if isinstance(written, dict) and written.get("level") in LEVELS:
        assert level == written["level"]


@ALL_STORES
def test_write_control_adds_the_file_as_a_new_generation_and_keeps_every_other_file(store, tmp_path):
    files = {"state.db": b"db" * 1000, "notes/a.txt": b"a", **{f"small/{i}.txt": str(i).encode() for i in range(20)}}
    saved_state(store, tmp_path / "run", files)
    before = json.loads(store.read_manifest()[0])["generation"]

    done = write_control(store, "stopentry", "someone@example.com")
    assert done == {"level": "stopentry", "generation": before + 1}
    state = cold(store, tmp_path / "after")
    control = json.loads(state.pop(CONTROL_FILE))
    assert state == files
    assert control["level"] == "stopentry" and control["by"] == "someone@example.com" and control["set_at"] > 0
    assert store.lock_holder() is None  # released

    assert write_control(store, "flatten", "someone@example.com")["generation"] == before + 2
    assert json.loads(cold(store, tmp_path / "again")[CONTROL_FILE])["level"] == "flatten"
    # Only the current objects stay live: the first control file's went with the generation that dropped it
    # (kept for it while that generation is kept).
    manifest = json.loads(store.read_manifest()[0])
    listed = {e.get("pack") or e["sha256"] for e in manifest["files"].values()}
    assert live_objects(store) == listed

    # A warm state folder picks the new file up on its next load, and nothing else.
    sync = StateSync(store, str(tmp_path / "run"))
    assert sync.load().files == 1
    assert read_control(str(tmp_path / "run"))["level"] == "flatten"


@ALL_STORES
def test_write_control_on_a_bot_with_no_state_yet_makes_its_first_generation(store, tmp_path):
    assert write_control(store, "stopentry", "me") == {"level": "stopentry", "generation": 1}
    assert set(cold(store, tmp_path / "s")) == {CONTROL_FILE}


@ALL_STORES
def test_write_control_is_refused_while_a_run_holds_the_lock_and_changes_nothing(store, state_url, tmp_path):
    saved_state(store, tmp_path / "run", {"a.txt": b"a"})
    manifest = store.read_manifest()[0]
    run = open_store(state_url, "paper")  # the run's own store, as in its function
    assert run.try_lock("run-1234", 60)
    with pytest.raises(LockHeld) as refused:
        write_control(store, "flatten", "me")
    assert (refused.value.holder or {}).get("owner") == "run-1234"
    assert store.read_manifest()[0] == manifest
    run.unlock("run-1234")
    assert write_control(store, "flatten", "me")["level"] == "flatten"


def test_an_unknown_level_is_refused_before_anything_is_written(tmp_path):
    store = open_store(f"file://{tmp_path / 'remote'}", "paper")
    with pytest.raises(ValueError, match="not a control level"):
        write_control(store, "pause", "me")
    assert store.read_manifest() == (None, None) and store.lock_holder() is None


BOT = '''
import os


def handler(event, context):
    return {"control": os.environ.get("BOTSHIP_CONTROL")}
'''


@ALL_STORES
def test_the_next_run_reads_the_level_before_the_bot_and_records_it(state_url, store, tmp_path):
    project = tmp_path / "bot"
    project.mkdir()
    (project / "app.py").write_text(BOT)
    assert run_once(project, state_url).body["result"] == {"control": "run"}
    write_control(store, "stopentry", "me")
    second = run_once(project, state_url)
    assert second.body["result"] == {"control": "stopentry"}
    (started,) = [r for r in second.logged if r["message"] == "run started"]
    assert started["control"] == "stopentry"
    assert [r["control"] for r in read_runs(store)] == ["stopentry", "run"]


# ---- the plain template honours it ----------------------------------------------------------------------------

def plain(tmp_path: Path) -> Path:
    project = tmp_path / "sma-bot"
    scaffold(project, "plain")
    return project


def trades(state_url: str, folder: Path) -> list[tuple]:
    cold(open_store(state_url, "paper"), folder)
    with sqlite3.connect(folder / "state.db") as db:
        return db.execute("SELECT tick, side FROM trades ORDER BY id").fetchall()


@pytest.mark.parametrize("state_url", ["folder", "s3"], indirect=True)
def test_the_plain_template_buys_nothing_after_stop_entries(state_url, store, tmp_path):
    project = plain(tmp_path)
    write_control(store, "stopentry", "me")
    first = run_once(project, state_url).body["result"]
    # The first tick's signal is a buy (the template's own test shows it bought there): now it is not taken.
    assert (first["signal"], first["control"], first["position"], first["trades"]) == ("buy", "stopentry", 0.0, 0)
    assert first["cash"] == 1000.0
    assert trades(state_url, tmp_path / "check") == []


@pytest.mark.parametrize("state_url", ["folder", "s3"], indirect=True)
def test_the_plain_template_sells_its_position_on_flatten_and_buys_nothing(state_url, store, tmp_path):
    project = plain(tmp_path)
    first = run_once(project, state_url).body["result"]
    assert first["signal"] == "buy" and first["position"] > 0 and first["control"] == "run"
    write_control(store, "flatten", "me")
    second = run_once(project, state_url).body["result"]
    assert second["signal"] == "hold"  # no signal to sell: the sale is the flatten's
    assert (second["position"], second["control"], second["trades"]) == (0.0, "flatten", 2)
    assert second["cash"] == pytest.approx(first["position"] * second["price"], abs=0.01)
    third = run_once(project, state_url).body["result"]
    assert (third["position"], third["trades"]) == (0.0, 2)
    assert trades(state_url, tmp_path / "check") == [(1, "buy"), (2, "sell")]
    # Back to run: the bot trades on its signals again (it waits for the next crossover).
    write_control(store, "run", "me")
    assert run_once(project, state_url).body["result"]["control"] == "run"
