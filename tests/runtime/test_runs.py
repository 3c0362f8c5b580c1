"""Run records (runtime/runs.py): what each run that held the bot's lock leaves in runs.json beside its state, read
back newest first in one request, against a folder, moto's S3 server and Azurite."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import boto3
import pytest

from botship.runtime.runs import RUNS_NAME, append_run, read_doc, read_runs
from botship.runtime.store_cloud import AzureStore
from botship.runtime.stores import open_store
from conftest import ALL_STORES
from runtime_run import run_once

BOT = '''
import json, os


def handler(event, context):
    path = os.path.join(os.environ["BOTSHIP_STATE_DIR"], "n.txt")
    n = int(open(path).read()) + 1 if os.path.exists(path) else 1
    with open(path, "w") as fh:
        fh.write(str(n))
    for i in range(event.get("lines", 1)):
        print(f"bot line {i} of run {n}")
    if event.get("say"):
        print(event["say"])
    if event.get("leak"):
        key = os.environ["EXCHANGE_API_KEY"]
        print(f"using key {key}")
        raise RuntimeError(f"exchange rejected key {key}")
    if event.get("fail"):
        raise RuntimeError("exchange said no")
    return {"n": n, "control": os.environ.get("BOTSHIP_CONTROL"), "big": "x" * event.get("big", 0)}
'''


@pytest.fixture
def bot(tmp_path) -> Path:
    project = tmp_path / "bot"
    project.mkdir()
    (project / "app.py").write_text(BOT)
    return project


@ALL_STORES
def test_extras_are_small_objects_beside_the_manifest_none_until_written(store, state_url):
    assert store.read_extra(RUNS_NAME) is None
    store.write_extra(RUNS_NAME, b'{"a": 1}')
    store.write_extra("history.json", b"[]")
    store.write_extra(RUNS_NAME, b'{"a": 2}')
    assert store.read_extra(RUNS_NAME) == b'{"a": 2}' and store.read_extra("history.json") == b"[]"
    # Under the mode's prefix, beside manifest.json; the other mode has its own.
    assert open_store(state_url, "live").read_extra(RUNS_NAME) is None
    assert list(store.list_objects()) == []  # not state objects: no sweep of orphans ever removes them


def test_a_folder_store_writes_an_extra_whole_or_not_at_all(tmp_path):
    store = open_store(f"file://{tmp_path / 'remote'}", "paper")
    store.write_extra(RUNS_NAME, b"x" * 100_000)
    assert (tmp_path / "remote" / "paper" / RUNS_NAME).read_bytes() == b"x" * 100_000
    assert [p.name for p in (tmp_path / "remote" / "paper").iterdir() if p.name.endswith(".tmp")] == []
    with pytest.raises(ValueError):
        store.write_extra("../outside.json", b"{}")
    assert not (tmp_path / "remote" / "outside.json").exists()


@ALL_STORES
def test_each_run_that_held_the_lock_leaves_a_record_listed_newest_first(bot, store, state_url):
    first = run_once(bot, state_url)
    failed = run_once(bot, state_url, event={"fail": True})
    scheduled = run_once(bot, state_url, event={"source": "schedule"})
    assert [r.body["status"] for r in (first, failed, scheduled)] == ["ok", "error", "ok"]

    records = read_runs(store)
    assert [r["run_id"] for r in records] == [r.body["run_id"] for r in (scheduled, failed, first)]
    newest, error, oldest = records
    assert [r["trigger"] for r in records] == ["schedule", "invoke", "invoke"]
    assert [r["status"] for r in records] == ["ok", "error", "ok"]
    assert oldest["result"] == {"n": 1, "control": "run", "big": ""} and oldest["error"] is None
    assert error["error"] == {"type": "RuntimeError", "message": "exchange said no"} and error["result"] is None
    # The generation each run left current: the failed run saved nothing, so the first's stayed.
    manifest = json.loads(store.read_manifest()[0])
    assert [r["generation"] for r in records] == [manifest["generation"], 1, 1]
    assert oldest["bytes"] == first.body["bytes"] and newest["bytes"]["uploaded"] > 0
    assert all(r["control"] == "run" for r in records)
    assert all(0 <= r["duration_ms"] < 60_000 and abs(r["started"] - time.time()) < 300 for r in records)
    assert oldest["started"] < error["started"] < newest["started"]
    assert any("bot line 0 of run 1" == line for line in oldest["log_tail"])
    assert json.loads(oldest["log_tail"][-1])["message"] == "run finished"
    assert "exchange said no" in json.dumps(error["log_tail"])  # the traceback's line


def test_listing_the_runs_is_one_request_on_s3(aws, bot):
    boto3.client("s3").create_bucket(Bucket="runs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for _ in range(3):
        run_once(bot, "s3://runs/bots/b")
    store = open_store("s3://runs/bots/b", "paper")
    calls: list[str] = []
    store.client.meta.events.register("before-call.s3", lambda model, **kw: calls.append(model.name))
    assert len(read_runs(store)) == 3
    assert calls == ["GetObject"]
    key = "bots/b/paper/runs.json"
    assert boto3.client("s3").head_object(Bucket="runs", Key=key)["ContentLength"] > 0


@pytest.mark.parametrize("state_url", ["azure"], indirect=True)
def test_listing_the_runs_is_one_request_on_azure(bot, state_url, azurite):
    for _ in range(3):
        run_once(bot, state_url)
    requests: list[str] = []
    store = AzureStore(state_url.removeprefix("azure://"), "paper/", azurite,
                       raw_request_hook=lambda request: requests.append(request.http_request.method))
    assert len(read_runs(store)) == 3
    assert requests == ["GET"]


def test_a_skipped_run_leaves_no_record(bot, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    store = open_store(url, "paper")
    assert store.try_lock("someone-else", 60)
    skipped = run_once(bot, url, env={"BOTSHIP_LOCK_WAIT_S": "0"})
    assert skipped.body["status"] == "skipped"
    assert read_runs(store) == []


def test_old_records_are_compacted_into_a_summary_and_the_list_stays_short(tmp_path):
    store = open_store(f"file://{tmp_path / 'remote'}", "paper")
    for i in range(8):
        append_run(store, {"run_id": f"r{i}", "started": 1000.0 + i, "status": "error" if i in (1, 2) else "ok"},
                   keep=5)
    doc = read_doc(store)
    assert [r["run_id"] for r in doc["runs"]] == ["r7", "r6", "r5", "r4", "r3"]
    assert doc["compacted"] == {"count": 3, "ok": 1, "error": 2, "since": 1000.0}
    append_run(store, {"run_id": "r8", "started": 1008.0, "status": "ok"}, keep=5)
    assert read_doc(store)["compacted"] == {"count": 4, "ok": 2, "error": 2, "since": 1000.0}  # r3 joined


def test_the_default_keeps_a_hundred_records(tmp_path):
    store = open_store(f"file://{tmp_path / 'remote'}", "paper")
    for i in range(105):
        append_run(store, {"run_id": f"r{i}", "started": float(i), "status": "ok"})
    doc = read_doc(store)
    assert len(doc["runs"]) == 100 and doc["runs"][0]["run_id"] == "r104"
    assert doc["compacted"]["count"] == 5


def test_a_damaged_runs_file_reads_as_none_and_is_started_over(bot, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    store = open_store(url, "paper")
    store.write_extra(RUNS_NAME, b"{not json")
    assert read_runs(store) == []
    assert run_once(bot, url).body["status"] == "ok"
    assert len(read_runs(store)) == 1


def test_the_log_tail_is_the_last_twelve_lines_each_cut_to_300_characters(bot, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    run = run_once(bot, url, event={"lines": 30, "say": "y" * 1000})
    (record,) = read_runs(open_store(url, "paper"))
    tail = record["log_tail"]
    assert len(tail) == 12 and all(len(line) <= 300 for line in tail)
    assert "y" * 299 + "\u2026" in tail and "bot line 29 of run 1" in tail and "bot line 10 of run 1" not in tail
    assert json.loads(tail[-1])["message"] == "run finished"
    # What the bot printed still reached the function's own log, whole.
    assert "y" * 1000 in run.lines and "bot line 0 of run 1" in run.lines


def test_a_big_result_is_cut_to_about_two_kilobytes_in_the_record_not_in_the_answer(bot, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    run = run_once(bot, url, event={"big": 10_000})
    assert run.body["result"]["big"] == "x" * 10_000
    (record,) = read_runs(open_store(url, "paper"))
    assert isinstance(record["result"], str) and len(record["result"]) == 2048 and record["result"].endswith("\u2026")
    assert record["result"].startswith('{"big": "xxxx')  # the answer's JSON (keys sorted), cut


def test_a_secret_in_the_bots_output_and_error_is_masked_in_the_record(bot, tmp_path, aws):
    value = "sm-secret-value-4242"
    arn = boto3.client("secretsmanager").create_secret(
        Name="botship/bot", SecretString=json.dumps({"EXCHANGE_API_KEY": value}))["ARN"]
    url = f"file://{tmp_path / 'remote'}"
    run = run_once(bot, url, event={"leak": True}, env={"BOTSHIP_SECRET_ARN": arn})
    assert run.body["status"] == "error"
    raw = (tmp_path / "remote" / "paper" / RUNS_NAME).read_text()
    assert value not in raw
    (record,) = read_runs(open_store(url, "paper"))
    assert "using key ***" in record["log_tail"]
    assert record["error"] == {"type": "RuntimeError", "message": "exchange rejected key ***"}


def test_a_secret_the_platform_put_in_the_environment_is_masked_when_named(bot, tmp_path):
    value = "vault-resolved-value-1717"
    url = f"file://{tmp_path / 'remote'}"
    run_once(bot, url, event={"leak": True}, env={"EXCHANGE_API_KEY": value,
                                                  "BOTSHIP_SECRET_NAMES": "EXCHANGE_API_KEY"})
    raw = (tmp_path / "remote" / "paper" / RUNS_NAME).read_text()
    assert value not in raw and "using key ***" in raw


def test_a_record_that_cannot_be_written_is_a_log_line_and_the_run_stands(bot, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    run_once(bot, url)
    runs = tmp_path / "remote" / "paper" / RUNS_NAME
    runs.unlink()
    runs.mkdir()  # the record cannot replace a folder
    second = run_once(bot, url)
    assert second.status_code == 200 and second.body["status"] == "ok" and second.body["result"]["n"] == 2
    assert any(r["message"] == "the run's record could not be written; the run stands" for r in second.logged)
    # The lock was released all the same: the next run runs.
    runs.rmdir()
    third = run_once(bot, url, env={"BOTSHIP_LOCK_WAIT_S": "0"})
    assert third.body["status"] == "ok" and [r["result"]["n"] for r in read_runs(open_store(url, "paper"))] == [3]


def test_a_local_run_says_local_and_keeps_its_records_in_the_local_state(tmp_path, monkeypatch, dependency_cache):
    from botship.providers.artifact import build_artifact
    from botship.providers.local import run_local
    from botship.secret_values import SecretValues
    from botship.spec import build_spec
    from helpers import RecordingReport

    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "counter"
    shutil.copytree(Path(__file__).resolve().parents[1] / "bots" / "counter", project)
    spec = build_spec({"platform": "sandbox", "bot_name": "counter", "entry": "app:handler",
                       "python": f"{sys.version_info.major}.{sys.version_info.minor}"}, project)
    artifact = build_artifact(spec, project, RecordingReport())
    url = f"file://{tmp_path / 'remote'}"
    for event in ({}, {"source": "schedule"}):
        result = run_local(spec, artifact, project=project, profile="p", secrets=SecretValues(), state_url=url,
                           event=event, on_line=lambda line: None)
        assert result.status_code == 200, result.body
    assert [r["trigger"] for r in read_runs(open_store(url, "paper"))] == ["schedule", "local"]
    assert os.environ.get("BOTSHIP_TRIGGER") is None  # set for the run's process only
