"""Whole invocations of a built artifact, run locally the way the cloud runs them, against real stores."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest

from botship.providers.artifact import build_artifact
from botship.providers.local import run_local
from botship.runtime.state import StateSync
from botship.runtime.stores import open_store
from botship.secret_values import SecretValues
from botship.spec import build_spec
from conftest import ALL_STORES
from helpers import RecordingReport as Report

BOTS = Path(__file__).resolve().parents[1] / "bots"


AZURE = {"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "bots", "location": "westeurope"}


@pytest.fixture
def counter(request, tmp_path, monkeypatch, dependency_cache):
    """The counter bot's project, its spec (timeout 8 s) and its artifact, built for the store's cloud."""
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", project)
    azure = getattr(request, "param", None) == "azure" or "azure" in request.node.name
    data = {"platform": "azure" if azure else "sandbox", "bot_name": "counter", "entry": "app:handler",
            "timeout_s": 8, "python": f"{sys.version_info.major}.{sys.version_info.minor}"}
    if azure:
        data["azure"] = AZURE
    spec = build_spec(data, project)
    return project, spec, build_artifact(spec, project, Report())


def invoke(counter, state_url, event=None, cold=False, secrets=SecretValues(), state_env=None, lines=None):
    project, spec, artifact = counter
    lines = [] if lines is None else lines
    return run_local(spec, artifact, project=project, profile="test", secrets=secrets, state_url=state_url,
                     event=event or {}, on_line=lines.append, cold=cold, state_env=state_env)


def state_env(state_url: str, request) -> dict[str, str]:
    if state_url.startswith("azure://"):
        return {"BOTSHIP_STORAGE_CONNECTION_STRING": request.getfixturevalue("azurite")}
    return {}


def cold_tree(state_url, tmp_path, name="inspect") -> Path:
    folder = tmp_path / name
    StateSync(open_store(state_url, "paper"), str(folder)).load()
    return folder


@ALL_STORES
def test_three_runs_count_to_three_and_a_cold_container_sees_them(counter, state_url, request, tmp_path):
    env = state_env(state_url, request)
    for expected in (1, 2, 3):
        result = invoke(counter, state_url, state_env=env)
        assert result.status_code == 200, result.body
        assert result.body["result"]["runs"] == expected

    folder = cold_tree(state_url, tmp_path)
    assert (folder / "runs.txt").read_text() == "3"
    assert sqlite3.connect(folder / "databases" / "bot.sqlite3").execute("select count(*) from runs").fetchone() == (3,)

    fourth = invoke(counter, state_url, cold=True, state_env=env)
    assert fourth.body["result"]["before"] == 3
    assert fourth.body["files"]["downloaded"] == 2


def test_a_warm_second_run_downloads_nothing(counter, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    invoke(counter, url)
    second = invoke(counter, url)
    assert second.body["files"]["downloaded"] == 0 and second.body["bytes"]["downloaded"] == 0
    assert second.body["result"]["before"] == 1


@ALL_STORES
def test_a_bot_that_raises_gets_500_its_traceback_logged_and_state_unchanged(counter, state_url, request, tmp_path):
    env = state_env(state_url, request)
    invoke(counter, state_url, state_env=env)
    lines: list[str] = []
    failed = invoke(counter, state_url, event={"fail": True}, state_env=env, lines=lines)

    assert failed.status_code == 500
    assert failed.body["error"] == {"type": "RuntimeError", "message": "exchange said no"}
    assert failed.body["files"]["state_saved"] is False
    logged = [json.loads(line) for line in lines if line.startswith("{") and '"logger"' in line]
    tb = [r for r in logged if r["message"] == "bot raised"]
    assert tb and "Traceback" in tb[0]["traceback"] and "exchange said no" in tb[0]["traceback"]
    assert (cold_tree(state_url, tmp_path) / "runs.txt").read_text() == "1"

    # The warm folder still holds the failed run's writes; the next run starts from the saved state.
    after = invoke(counter, state_url, state_env=env)
    assert after.body["result"]["before"] == 1


@ALL_STORES
def test_two_runs_at_once_one_runs_the_other_waits_then_skips(counter, state_url, request, tmp_path):
    env = state_env(state_url, request)
    project, spec, artifact = counter
    results = {}

    def slow():
        results["slow"] = run_local(spec, artifact, project=project, profile="slow", secrets=SecretValues(),
                                    state_url=state_url, event={"sleep": 5}, on_line=lambda line: None,
                                    state_env=env)

    thread = threading.Thread(target=slow)
    thread.start()
    # Wait until the slow run holds the lock: its "run started" line comes after the lock is taken.
    for _ in range(200):
        if _lock_held(state_url):
            break
        threading.Event().wait(0.05)
    quick = run_local(spec, artifact, project=project, profile="quick", secrets=SecretValues(),
                      state_url=state_url, event={}, on_line=lambda line: None, state_env=env)
    thread.join(30)

    assert quick.status_code == 200 and quick.body["status"] == "skipped"
    assert quick.body["reason"] == "previous run still active"
    assert quick.body["timings"]["lock"] >= 1.5  # waited (timeout 8 s → up to 2 s) before giving up
    assert results["slow"].body["status"] == "ok"
    assert (cold_tree(state_url, tmp_path) / "runs.txt").read_text() == "1"


def _lock_held(state_url: str) -> bool:
    probe = open_store(state_url, "paper")
    if probe.try_lock("probe", 1):
        probe.unlock("probe")
        return False
    return True


@pytest.fixture
def restored_environ():
    """The runtime writes to os.environ (secrets, state variables); put it back afterwards."""
    import os

    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_secrets_come_from_secrets_manager_and_never_reach_a_log(aws, tmp_path, monkeypatch, capsys,
                                                                 restored_environ):
    """The runtime, in this process, resolves the function's secret ARN into the environment once."""
    from botship.runtime import entry, invoke as runtime_invoke, secrets

    value = "sm-secret-value-777"
    arn = boto3.client("secretsmanager").create_secret(
        Name="botship/counter", SecretString=json.dumps({"EXCHANGE_API_KEY": value}))["ARN"]
    boto3.client("s3").create_bucket(Bucket="counter-state", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    monkeypatch.syspath_prepend(str(BOTS / "counter"))
    monkeypatch.setattr(secrets, "_resolved", None)
    monkeypatch.setattr(entry, "_loaded", {})
    for key, val in {"BOTSHIP_ENTRY": "app:handler", "BOTSHIP_STATE_URL": "s3://counter-state",
                     "BOTSHIP_STATE_DIR": str(tmp_path / "state"), "BOTSHIP_SECRET_ARN": arn,
                     "BOTSHIP_TIMEOUT_S": "30"}.items():
        monkeypatch.setenv(key, val)
    monkeypatch.delenv("EXCHANGE_API_KEY", raising=False)

    calls: list[str] = []
    original = boto3.client

    def counting_client(name, *args, **kwargs):
        client = original(name, *args, **kwargs)
        client.meta.events.register(f"before-call.{client.meta.service_model.service_name}",
                                    lambda model, **kw: calls.append(model.name))
        return client

    monkeypatch.setattr(boto3, "client", counting_client)
    first = runtime_invoke.invoke({}, None, 30)
    second = runtime_invoke.invoke({}, None, 30)

    assert json.loads(first["body"])["result"]["has_secret"] is True
    assert json.loads(second["body"])["result"]["runs"] == 2
    assert calls.count("GetSecretValue") == 1  # cached for the warm container

    # A new value arrives as a new version in the configuration: fetched once more, then cached again.
    version = boto3.client("secretsmanager").put_secret_value(
        SecretId=arn, SecretString=json.dumps({"EXCHANGE_API_KEY": "rotated-value-888"}))["VersionId"]
    monkeypatch.setenv("BOTSHIP_SECRET_VERSION", version)
    runtime_invoke.invoke({}, None, 30)
    runtime_invoke.invoke({}, None, 30)
    assert calls.count("GetSecretValue") == 2
    assert os.environ["EXCHANGE_API_KEY"] == "rotated-value-888"
    out = capsys.readouterr().out
    assert "EXCHANGE_API_KEY" in out and value not in out and "rotated-value-888" not in out
    assert value not in first["body"]


CRASH_HARNESS = r"""
import os, sys
import boto3
puts = 0
real_client = boto3.client

def client(*args, **kwargs):
    c = real_client(*args, **kwargs)
    def after(http_response, parsed, model, **kw):
        global puts
        puts += 1
        if puts == int(os.environ["CRASH_AT_PUT"]):
            os._exit(137)  # the process dies between two uploads: no manifest, no unlock
    c.meta.events.register("after-call.s3.PutObject", after)
    return c

boto3.client = client
from botship.runtime.state import StateSync
from botship.runtime.stores import open_store
sync = StateSync(open_store(sys.argv[1], "paper"), sys.argv[2])
sync.load()
for i in range(100):  # 70 KB each: too large to be packed, so each is its own upload
    with open(os.path.join(sys.argv[2], f"f{i}.txt"), "w") as fh:
        fh.write(f"second version {i}" * 5000)
sync.save("crashing-run")
"""


def test_a_process_killed_mid_save_leaves_the_previous_state_intact(aws, tmp_path):
    boto3.client("s3").create_bucket(Bucket="crash", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    url = "s3://crash"
    first = tmp_path / "first"
    sync = StateSync(open_store(url, "paper"), str(first))
    sync.load()
    for i in range(100):
        (first / f"f{i}.txt").write_text(f"first version {i}" * 5000)
    sync.save("good-run")

    crashed = subprocess.run([sys.executable, "-c", CRASH_HARNESS, url, str(tmp_path / "crashing")],
                             env={**__import__("os").environ, "CRASH_AT_PUT": "4"}, capture_output=True, text=True)
    assert crashed.returncode == 137, crashed.stderr
    bucket = boto3.client("s3").list_objects_v2(Bucket="crash", Prefix="paper/objects/")
    # The good objects and some new ones: the crash came after the 4th upload, with 8 in flight at most.
    assert 100 < bucket["KeyCount"] < 120

    folder = cold_tree(url, tmp_path)
    assert {p.name: p.read_text() for p in folder.iterdir()} == {
        f"f{i}.txt": f"first version {i}" * 5000 for i in range(100)}


@pytest.mark.parametrize("state_url", ["folder", "s3"], indirect=True)
def test_a_crashed_runs_lock_expires_and_is_taken_over(store):
    assert store.try_lock("crashed-run", 0.5)
    assert not store.try_lock("next-run", 60)
    threading.Event().wait(1.0)
    assert store.try_lock("next-run", 60)
    store.unlock("next-run")
    assert store.try_lock("third-run", 60)


@pytest.mark.parametrize("state_url", ["azure"], indirect=True)
def test_an_azure_lock_is_a_lease_held_until_released(store, state_url):
    # A crashed run's lease lapses by itself within 60 s (the lease length); that wait is Azure's own rule.
    other = open_store(state_url, "paper")
    assert store.try_lock("first-run", 60)
    assert not other.try_lock("second-run", 60)
    store.unlock("first-run")
    assert other.try_lock("second-run", 60)
    other.unlock("second-run")


def test_an_app_runs_one_iteration_with_its_resources_in_the_state_folder(aws, tmp_path, monkeypatch,
                                                                        dependency_cache):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "appstyle"
    shutil.copytree(BOTS / "appstyle", project)
    spec = build_spec({"platform": "sandbox", "bot_name": "app-bot", "entry": "app:app",
                       "python": f"{sys.version_info.major}.{sys.version_info.minor}"}, project)
    artifact = build_artifact(spec, project, Report())
    boto3.client("s3").create_bucket(Bucket="app-state", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    results = [run_local(spec, artifact, project=project, profile="p", secrets=SecretValues(),
                         state_url="s3://app-state", event={}, on_line=lambda line: None) for _ in range(2)]

    body = results[-1].body
    assert body["status"] == "ok"
    assert body["result"]["iterations"] == 1
    assert body["result"]["resource_directory"] == str(project / ".botship" / "local-run" / "p" / "state")
    assert body["result"]["bucket"] == "app-state"  # what framework bots read to find their bucket
    db = cold_tree("s3://app-state", tmp_path) / "databases" / "prod-database.sqlite3"
    assert db.read_text() == "iteration\niteration\n"


def test_an_unreachable_state_store_is_a_clear_500_not_a_crash(counter, aws):
    result = invoke(counter, "s3://no-such-bucket-here")
    assert result.status_code == 500
    assert result.body["error"]["message"].startswith("state store:")
    assert "NoSuchBucket" in result.body["error"]["message"]


def test_a_misconfigured_function_names_the_missing_variable(restored_environ, monkeypatch):
    from botship.runtime import invoke as runtime_invoke

    monkeypatch.delenv("BOTSHIP_ENTRY", raising=False)
    monkeypatch.setenv("BOTSHIP_STATE_URL", "file:///tmp/x")
    response = runtime_invoke.invoke({}, None, 10)
    assert response["statusCode"] == 500
    assert json.loads(response["body"])["error"]["message"] == "environment variable BOTSHIP_ENTRY is not set"


def test_a_bot_may_opt_in_to_keeping_a_failed_runs_state(tmp_path, monkeypatch, dependency_cache):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", project)
    spec = build_spec({"platform": "sandbox", "bot_name": "keeper", "entry": "keeps_state:handler",
                       "python": f"{sys.version_info.major}.{sys.version_info.minor}"}, project)
    url = f"file://{tmp_path / 'remote'}"
    result = run_local(spec, build_artifact(spec, project, Report()), project=project, profile="k",
                       secrets=SecretValues(), state_url=url, event={}, on_line=lambda line: None)
    assert result.status_code == 500 and result.body["files"]["state_saved"] is True
    assert (cold_tree(url, tmp_path) / "attempted.txt").read_text() == "tried"
