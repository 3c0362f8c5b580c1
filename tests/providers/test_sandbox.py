"""The sandbox against its own embedded emulator: deploy, invoke, state, logs, schedules, export."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botship.providers import provider_class
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.providers.sandbox.provider import SandboxProvider
from botship.providers.sandbox.scheduler import LocalScheduler

from botship.errors import BadInput, BotshipError
from botship.secret_values import SecretValue, SecretValues
from botship.spec import build_spec

BOTS = Path(__file__).resolve().parents[1] / "bots"
SECRET = "sk-sandbox-4242"


@pytest.fixture
def counter(tmp_path: Path) -> Path:
    project = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", project)
    return project


def spec_for(project: Path, **changes):
    data = {"platform": "sandbox", "bot_name": "counter", "entry": "app:handler",
            "python": f"{sys.version_info.major}.{sys.version_info.minor}", "secrets": ["EXCHANGE_API_KEY"],
            "env": {"MARKET": "demo"}, **changes}
    return build_spec(data, project)


def deploy(project: Path, spec) -> tuple[SandboxProvider, object, object]:
    provider = provider_class("sandbox")(spec)
    context = DeployContext(project, "sandbox", SecretValues([SecretValue("EXCHANGE_API_KEY", SECRET, "environment")]))
    plan = provider.plan(context)
    result = start_run(plan, lambda event: None).wait(120)
    assert result.ok, result.failure
    return provider, plan, context


def test_deploy_invoke_three_times_and_read_the_state(sandbox, counter, dependency_cache, monkeypatch):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    provider, plan, context = deploy(counter, spec_for(counter))
    assert isinstance(provider, SandboxProvider)
    assert provider.session.endpoint_url == sandbox
    assert dict(plan.summary)["note"].startswith("AWS emulator inside botship")

    bot = provider.handle()
    answers = [bot.invoke({"n": n}) for n in range(3)]
    bodies = [a.body for a in answers]
    assert [b["status"] for b in bodies] == ["ok"] * 3
    # State came back from the emulator's S3 before each run: the count goes on.
    assert [b["result"]["runs"] for b in bodies] == [1, 2, 3]
    # The secret reached the bot from the emulator's Secrets Manager, not from this process.
    assert all(b["result"]["has_secret"] for b in bodies)
    assert any('"message": "run finished"' in line for line in answers[0].logs)

    listing = bot.state_files()
    assert set(listing.files) == {"runs.txt", "databases/bot.sqlite3"} and listing.generation == 3

    exported = bot.export_state(counter / "export")
    assert exported.files == listing.files
    assert sorted(p.name for p in counter.iterdir() if p.name.startswith(("export", ".botship-export"))) == ["export"]
    with pytest.raises(BadInput, match="not empty"):
        bot.export_state(counter / "export")
    assert (counter / "export" / "runs.txt").read_text() == "3"
    with sqlite3.connect(counter / "export" / "databases" / "bot.sqlite3") as db:
        assert [n for (n,) in db.execute("select n from runs order by n")] == [1, 2, 3]

    # Each run's lines are in the function's log group, framed as Lambda frames them.
    logs = provider.session.client("logs")
    streams = logs.describe_log_streams(logGroupName=provider.names.log_group)["logStreams"]
    assert len(streams) == 3
    messages = [e["message"] for e in logs.get_log_events(logGroupName=provider.names.log_group,
                                                         logStreamName=answers[0].extra["log_stream"])["events"]]
    assert messages[0].startswith("START RequestId:") and messages[-1].startswith("REPORT RequestId:")
    assert not any(SECRET in m for m in messages)


def test_unchanged_redeploy_changes_nothing_and_a_code_change_reaches_the_next_run(sandbox, counter,
                                                                                  dependency_cache, monkeypatch):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    provider, _, context = deploy(counter, spec_for(counter))
    again = provider_class("sandbox")(spec_for(counter)).plan(context)
    assert {step.action.value for step in again.steps} == {"no change"}

    app = counter / "app.py"
    app.write_text(app.read_text().replace('"before": before,', '"before": before, "version": 2,'))
    provider, plan, _ = deploy(counter, spec_for(counter))
    assert [s.id for s in plan.steps if s.action.value != "no change"] == ["function"]
    assert provider.handle().invoke({}).body["result"]["version"] == 2


def test_the_bucket_keeps_every_setting_but_the_tls_only_policy(sandbox, counter, dependency_cache, monkeypatch):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    provider, _, _ = deploy(counter, spec_for(counter))
    s3 = provider.session.client("s3")
    bucket = provider.names.bucket
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
    with pytest.raises(Exception, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=bucket)


def test_the_local_scheduler_fires_enabled_schedules_when_due(sandbox, counter, dependency_cache, monkeypatch):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    provider, _, _ = deploy(counter, spec_for(counter, schedule="rate(5 minutes)", timezone="Europe/Amsterdam"))
    # A rate counts its periods from when the schedule was set, as the bot's status says.
    anchor = provider.session.client("scheduler").get_schedule(Name=provider.names.schedule)["LastModificationDate"]
    now = [anchor + timedelta(minutes=1)]
    from botship.providers.sandbox.emulator import running

    scheduler = LocalScheduler(running(), clock=lambda: now[0])
    assert scheduler.tick() == []  # first sight: timed, not fired
    ((bot, due),) = scheduler.upcoming()
    assert bot == "counter" and due == anchor + timedelta(minutes=5) == provider.handle().status().next_run
    now[0] += timedelta(minutes=3)
    assert scheduler.tick() == []
    now[0] += timedelta(minutes=1)
    assert scheduler.tick() == ["counter"]
    deadline = time.monotonic() + 60
    while not scheduler.history and time.monotonic() < deadline:
        time.sleep(0.1)
    (fired,) = scheduler.history
    assert fired.error is None and fired.result.body["status"] == "ok"
    assert provider.handle().state_files().files["runs.txt"] == 1

    # A paused schedule is not fired.
    client = provider.session.client("scheduler")
    current = client.get_schedule(Name=provider.names.schedule)
    client.update_schedule(Name=provider.names.schedule, State="DISABLED", **{
        k: current[k] for k in ("ScheduleExpression", "FlexibleTimeWindow", "Target")})
    now[0] += timedelta(minutes=10)
    assert scheduler.tick() == [] and scheduler.upcoming() == []


def test_stopping_the_scheduler_stops_its_runs_and_a_vanished_emulator_is_not_polled_in_a_loop(
        sandbox, counter, dependency_cache, monkeypatch):
    from botship.providers.sandbox import emulator, scheduler

    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    provider, _, _ = deploy(counter, spec_for(counter, schedule="rate(1 minute)", timeout_s=120))
    client = provider.session.client("scheduler")
    current = client.get_schedule(Name=provider.names.schedule)
    target = {**current["Target"], "Input": json.dumps({"sleep": 100})}
    client.update_schedule(Name=provider.names.schedule, Target=target, State="ENABLED", **{
        k: current[k] for k in ("ScheduleExpression", "ScheduleExpressionTimezone", "FlexibleTimeWindow")})
    now = [client.get_schedule(Name=provider.names.schedule)["LastModificationDate"]]  # where its minutes count from
    local = LocalScheduler(emulator.running(), clock=lambda: now[0])
    local.tick()
    now[0] += timedelta(minutes=1)
    assert local.tick() == ["counter"]
    deadline = time.monotonic() + 30
    while not any(processes for _, processes in local._runs.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    ((thread, (process,)),) = local._runs.values()
    started = time.monotonic()
    local.stop()
    assert time.monotonic() - started < 10 and not thread.is_alive() and process.poll() is not None
    (fired,) = local.history
    assert fired.error and "without a result" in fired.error

    # The emulator goes away under a running scheduler: it forgets its times and reads again only every few seconds.
    monkeypatch.setattr(scheduler, "READ_EVERY_S", 0.5)
    calls = []
    watcher = LocalScheduler(emulator.running(), clock=lambda: now[0])
    watcher.session.session.events.register("before-call", lambda **kw: calls.append(1))
    watcher.tick()
    assert watcher.upcoming()
    emulator.stop()
    watcher.start()
    time.sleep(2.2)
    watcher.stop()
    assert watcher.upcoming() == [] and len(calls) <= 1 + 2 * 6  # ~4 reads of at most 2 attempts each


def test_invoking_a_bot_the_sandbox_does_not_hold_says_so(sandbox, counter):
    with pytest.raises(BotshipError, match="counter is not deployed on the sandbox emulator this command started"):
        provider_class("sandbox")(spec_for(counter)).handle().invoke({})


def test_the_sandbox_needs_no_account(sandbox, counter):
    provider = provider_class("sandbox")(spec_for(counter))
    (check,) = provider.check_credentials()
    assert check.ok and sandbox in check.detail and "vanish" in check.detail


def test_an_image_bot_runs_from_its_layers_kept_on_this_machine(sandbox, counter, dependency_cache, monkeypatch):
    """No registry and no Docker: the function gets an ImageUri by digest, the layers stay in the build folder."""
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # proves Docker is not needed
    provider, plan, context = deploy(counter, spec_for(counter, packaging="image"))
    assert [s.id for s in plan.steps if s.id == "image"] == ["image"]
    function = provider.session.client("lambda").get_function(FunctionName=provider.names.function)
    assert function["Configuration"]["PackageType"] == "Image"
    assert "@sha256:" in function["Code"]["ImageUri"]
    assert [provider.handle().invoke({}).body["result"]["runs"] for _ in range(2)] == [1, 2]
    again = provider_class("sandbox")(spec_for(counter, packaging="image")).plan(context)
    assert {step.action.value for step in again.steps} == {"no change"}
    # A build that is planned but not deployed (it rewrites the build folder) changes nothing that runs.
    app = counter / "app.py"
    app.write_text(app.read_text().replace('"before": before,', '"before": before, "version": 2,'))
    planned = provider_class("sandbox")(spec_for(counter, packaging="image")).plan(context)
    assert [s.id for s in planned.steps if s.action.value != "no change"] == ["image", "function"]
    assert "version" not in provider.handle().invoke({}).body["result"]
    provider, _, _ = deploy(counter, spec_for(counter, packaging="image"))
    assert provider.handle().invoke({}).body["result"]["version"] == 2


def test_the_sandbox_ignores_the_users_aws_settings(sandbox, tmp_path, dependency_cache, monkeypatch):
    """Real credentials and endpoints in the environment never reach the sandbox or the bot it runs."""
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_PROFILE", "work")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    project = tmp_path / "env-bot"
    project.mkdir()
    (project / "app.py").write_text("import os\n\ndef handler(event, context):\n"
                                    "    return {k: v for k, v in os.environ.items() if k.startswith('AWS_')}\n")
    provider, _, _ = deploy(project, spec_for(project, secrets=[]))
    seen = provider.handle().invoke({}).body["result"]
    assert seen["AWS_ACCESS_KEY_ID"] == "sandbox" and seen["AWS_ENDPOINT_URL"] == sandbox
    assert "AWS_PROFILE" not in seen and "real-secret" not in json.dumps(seen)


def test_a_bot_that_prints_its_secret_shows_it_masked_everywhere(sandbox, counter, dependency_cache, monkeypatch):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    provider, _, _ = deploy(counter, spec_for(counter))
    shown: list[str] = []
    answer = provider.handle().invoke({"leak": True}, on_line=shown.append)
    assert any("using key ***" in line for line in answer.logs) and shown == list(answer.logs)
    assert "exchange rejected key ***" in answer.body["error"]["message"]
    assert SECRET not in json.dumps(answer.as_dict())
    logs = provider.session.client("logs")
    events = logs.get_log_events(logGroupName=provider.names.log_group,
                                 logStreamName=answer.extra["log_stream"])["events"]
    assert any("using key ***" in e["message"] for e in events)
    assert not any(SECRET in e["message"] for e in events)


def test_a_run_past_its_timeout_is_stopped_and_answered_as_lambda_does(sandbox, counter, dependency_cache,
                                                                       monkeypatch):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    provider, _, _ = deploy(counter, spec_for(counter, timeout_s=2))
    answer = provider.handle().invoke({"sleep": 60})
    assert answer.error == "Unhandled" and answer.result["errorType"] == "Sandbox.Timedout" and not answer.ok
    assert answer.logs[-1] == "Task timed out after 2 seconds"
    assert any('"bot": "saw"' in line for line in answer.logs)  # what it printed before is kept
    events = provider.session.client("logs").get_log_events(logGroupName=provider.names.log_group,
                                                            logStreamName=answer.extra["log_stream"])["events"]
    assert "Task timed out after 2 seconds" in [e["message"] for e in events]


def test_the_cli_deploys_and_invokes_against_a_sandbox_kept_running(aws, counter, dependency_cache):
    """BOTSHIP_SANDBOX_URL: an emulator running on its own, so bots outlive each botship process."""
    from helpers import run_botship

    (counter / "botship.toml").write_text(
        f'[profiles.sandbox]\nplatform = "sandbox"\nbot_name = "counter"\nentry = "app:handler"\n'
        f'python = "{sys.version_info.major}.{sys.version_info.minor}"\n')
    deployed = run_botship("deploy", "--profile", "sandbox", "--yes", project=counter, cache=dependency_cache,
                           BOTSHIP_SANDBOX_URL=aws)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "bots live as long as it runs" in deployed.stdout
    runs = []
    for _ in range(3):
        invoked = run_botship("invoke", "--profile", "sandbox", "--json", project=counter, BOTSHIP_SANDBOX_URL=aws)
        assert invoked.returncode == 0, invoked.stdout + invoked.stderr
        records = [json.loads(line) for line in invoked.stdout.splitlines()]
        (result,) = [r for r in records if r["type"] == "result"]
        runs.append(result["body"]["result"]["runs"])
        assert any(r["type"] == "function_log" for r in records)
    assert runs == [1, 2, 3]
    bad = run_botship("invoke", "--profile", "sandbox", "--cold", project=counter, BOTSHIP_SANDBOX_URL=aws)
    assert bad.returncode == 2 and "--cold applies to --local runs only" in bad.stderr


def test_a_bot_made_by_init_deploys_to_the_sandbox_and_keeps_its_state_over_three_runs(sandbox, tmp_path,
                                                                                          dependency_cache,
                                                                                          monkeypatch):
    """The issue's promise end to end: `botship init`, deploy to the sandbox, invoke three times, read the state."""
    from botship.cli import main
    from botship.profiles import ProfileStore

    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "sma-demo"
    assert main(["init", str(project), "--template", "plain"]) == 0
    spec = ProfileStore(project).spec("sandbox")
    assert spec.platform == "sandbox" and spec.bot_name == "sma-demo"
    provider = provider_class("sandbox")(spec)
    context = DeployContext(project, "sandbox", SecretValues([]))
    result = start_run(provider.plan(context), lambda event: None).wait(120)
    assert result.ok, result.failure

    bot = provider.handle()
    bodies = [bot.invoke({"source": "test"}).body for _ in range(3)]
    assert [b["status"] for b in bodies] == ["ok"] * 3
    assert [b["result"]["tick"] for b in bodies] == [1, 2, 3]
    assert bot.state_files().files.keys() == {"state.db"}

    exported = tmp_path / "exported"
    bot.export_state(exported)
    with sqlite3.connect(exported / "state.db") as db:
        assert db.execute("select tick from account").fetchone() == (3,)
        trades = db.execute("select count(*) from trades").fetchone()[0]
    assert trades == bodies[-1]["result"]["trades"]


def test_an_emulator_that_does_not_answer_is_named_with_the_way_out(counter, monkeypatch):
    from botship.providers.sandbox import emulator

    monkeypatch.setenv(emulator.URL_VARIABLE, "http://127.0.0.1:9")  # nothing listens there
    emulator.stop()
    try:
        (check,) = provider_class("sandbox")(spec_for(counter)).check_credentials()
    finally:
        emulator.stop()
    assert check.ok is False and "127.0.0.1:9 does not answer" in check.detail
    assert f"unset {emulator.URL_VARIABLE}" in check.fix


def test_a_sandbox_url_that_is_no_url_or_does_not_answer_is_said_before_any_step(counter, monkeypatch):
    from botship.errors import BotshipError
    from botship.providers.sandbox import emulator

    monkeypatch.setenv(emulator.URL_VARIABLE, "127.0.0.1:5077")
    emulator.stop()
    (check,) = provider_class("sandbox")(spec_for(counter)).check_credentials()
    assert not check.ok and "127.0.0.1:5077 is not a URL" in check.detail and "http://127.0.0.1:5000" in check.fix
    monkeypatch.setenv(emulator.URL_VARIABLE, "http://127.0.0.1:9")
    try:
        with pytest.raises(BotshipError, match="emulator at http://127.0.0.1:9 does not answer") as raised:
            provider_class("sandbox")(spec_for(counter)).plan(DeployContext(counter, "sandbox", SecretValues([])))
        assert "unset BOTSHIP_SANDBOX_URL" in raised.value.fix
        assert "127.0.0.1" in os.environ["NO_PROXY"].split(",")
    finally:
        emulator.stop()
