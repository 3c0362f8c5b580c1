"""What an operator does to a deployed bot, against moto's server and the sandbox's own emulator: pause and resume
flip the schedule in the emulator (and a paused bot's scheduled run does not happen), logs come from CloudWatch,
a rollback ships the earlier artifact again (the next run proves it), and each change lands in the bot's history."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from aws_flow import spec_for
from botship.errors import BotshipError
from botship.providers import cloud_class, provider_class
from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.record import record_deploy
from botship.secret_values import SecretValue, SecretValues
from botship.spec import build_spec

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def deploy_aws(project: Path, region: str, bot: str, **changes) -> AwsProvider:
    spec = spec_for(project, bot_name=bot, aws={"region": region}, **changes)
    provider = AwsProvider(spec, AwsSession(region))
    secrets = SecretValues([SecretValue("EXCHANGE_API_KEY", "key-4321", "environment")])
    result = start_run(provider.plan(DeployContext(project, "prod", secrets)), lambda event: None).wait(120)
    assert result.ok, result.failure
    record_deploy(project, "prod", spec, result, "journal")
    return provider


def schedule_state(region: str, bot: str) -> str:
    return boto3.client("scheduler", region_name=region).get_schedule(Name=f"botship-{bot}")["State"]


def test_pause_and_resume_flip_the_schedule_in_the_emulator_and_keep_the_rest(aws, project):
    deploy_aws(project, "eu-central-1", "beta", schedule="rate(1 hour)")
    before = boto3.client("scheduler", region_name="eu-central-1").get_schedule(Name="botship-beta")
    bot = cloud_class("aws")({"region": "eu-central-1"}).bot("beta")

    bot.pause()
    assert schedule_state("eu-central-1", "beta") == "DISABLED"
    assert bot.status().state == "paused" and bot.status().next_run is None
    bot.pause()  # idempotent: nothing to change, nothing recorded
    after = boto3.client("scheduler", region_name="eu-central-1").get_schedule(Name="botship-beta")
    for key in ("ScheduleExpression", "ScheduleExpressionTimezone", "Target", "FlexibleTimeWindow"):
        assert after[key] == before[key], key

    bot.resume()
    assert schedule_state("eu-central-1", "beta") == "ENABLED" and bot.status().state == "active"
    # A re-deploy keeps the schedule's state as the operator left it.
    bot.pause()
    deploy_aws(project, "eu-central-1", "beta", schedule="rate(2 hours)")
    assert schedule_state("eu-central-1", "beta") == "DISABLED"

    actions = [entry.action for entry in bot.history()]
    assert actions[:4] == ["deploy", "pause", "resume", "pause"] and actions[-1] == "deploy"
    assert all(entry.by.startswith("arn:aws:") for entry in bot.history())


def test_a_bot_without_a_schedule_cannot_be_paused_and_says_why(aws, project):
    deploy_aws(project, "eu-west-1", "gamma", schedule=None)
    with pytest.raises(BotshipError, match="gamma has no schedule to pause"):
        cloud_class("aws")({"region": "eu-west-1"}).bot("gamma").pause()


def test_status_names_the_resources_and_only_the_names_of_variables(aws, project):
    deploy_aws(project, "eu-west-1", "alpha", env={"SYMBOL": "BTC/EUR"})
    status = cloud_class("aws")({"region": "eu-west-1"}).bot("alpha").status()
    assert status.resources["function"].endswith(":function:botship-alpha")
    assert status.resources["state bucket"].startswith("s3://") and status.resources["logs"] == "/aws/lambda/botship-alpha"
    assert status.variables == ("SYMBOL",) and status.version == status.shipped["code"] != ""
    assert status.secrets == ("EXCHANGE_API_KEY",) and status.resources["secrets"].startswith("arn:aws:secretsmanager:")


def sandbox_bot(project: Path, **extra):
    spec = build_spec({"platform": "sandbox", "bot_name": "counter", "entry": "app:handler", "python": PYTHON,
                       "schedule": "rate(5 minutes)", **extra}, project)
    result = start_run(provider_class("sandbox")(spec).plan(DeployContext(project, "sandbox", SecretValues([]))),
                       lambda event: None).wait(120)
    assert result.ok, result.failure
    record_deploy(project, "sandbox", spec, result, "journal")
    return cloud_class("sandbox")().bot("counter")


def test_the_sandbox_reads_its_logs_and_a_paused_bot_is_not_fired_by_the_local_scheduler(
        sandbox, tmp_path, dependency_cache, monkeypatch):
    from botship.providers.sandbox.emulator import emulator
    from botship.providers.sandbox.scheduler import LocalScheduler
    from helpers import bot_copy

    project = bot_copy("counter", tmp_path / "counter", monkeypatch, dependency_cache)
    bot = sandbox_bot(project)
    started = datetime.now(UTC) - timedelta(seconds=5)
    ran = bot.invoke({"source": "test"})
    assert ran.ok
    lines = list(bot.logs(since=started))
    assert any('"bot": "saw"' in line.text for line in lines) and all(line.at >= started for line in lines)
    assert "CloudWatch" in bot.logs_note()

    # The local scheduler fires what is due; a paused bot's schedule is not.
    now = [datetime.now(UTC)]
    scheduler = LocalScheduler(emulator(), clock=lambda: now[0])
    bot.pause()
    scheduler.tick()
    now[0] += timedelta(minutes=11)
    assert scheduler.tick() == []
    bot.resume()
    scheduler.tick()
    now[0] += timedelta(minutes=11)
    assert scheduler.tick() == ["counter"]
    scheduler.stop()


def test_rollback_ships_the_earlier_code_again_and_the_next_run_proves_it(sandbox, tmp_path, dependency_cache,
                                                                        monkeypatch):
    from helpers import bot_copy

    project = bot_copy("counter", tmp_path / "counter", monkeypatch, dependency_cache)
    bot = sandbox_bot(project)
    first = bot.status().version
    assert bot.invoke({}).body["result"]["runs"] == 1
    app = project / "app.py"
    app.write_text(app.read_text().replace('"runs": before + 1,', '"runs": before + 1, "version": 2,'))
    sandbox_bot(project)
    assert bot.invoke({}).body["result"]["version"] == 2
    second = bot.status().version
    assert second != first

    versions = bot.versions()
    assert [v.detail for v in versions] == ["current", ""]
    assert versions[1].version.startswith(first)
    with pytest.raises(BotshipError, match="no version of counter matches 'ffff'"):
        bot.rollback("ffff")
    entry = bot.rollback()
    assert entry.action == "rollback" and entry.version.startswith(first)
    result = bot.invoke({}).body["result"]
    assert "version" not in result and result["runs"] == 3  # the earlier code, with the state it left
    assert bot.status().version == first and bot.versions()[1].detail == "current"
    assert [e.action for e in bot.history()][:2] == ["rollback", "deploy"]
    # Never beside a deploy: the deploy lock decides.
    from botship.providers.aws.lock import DeployLock

    held = DeployLock(bot.session, bot.names, "other")
    assert held.try_acquire() is None
    with pytest.raises(BotshipError, match="another deploy of counter is running"):
        bot.rollback()
    held.release()
    # Rolling back again goes back to what ran before (the history says: the second version), not to an older one.
    again = bot.rollback()
    assert again.version.startswith(second) and bot.invoke({}).body["result"]["version"] == 2


def test_a_run_in_progress_and_one_that_died_holding_the_lock_are_listed_first(sandbox, tmp_path, dependency_cache,
                                                                              monkeypatch):
    """A run killed by its timeout or memory writes no record: its lock, left behind, says it (runs() reads it)."""
    import time

    from helpers import bot_copy

    project = bot_copy("counter", tmp_path / "counter", monkeypatch, dependency_cache)
    bot = sandbox_bot(project)
    assert bot.invoke({}).ok
    (done,) = bot.runs()
    assert done.status == "ok" and done.trigger == "invoke"
    store = bot.state_store()
    assert store.try_lock("run-now", 60)
    running, previous = bot.runs()
    assert (running.run_id, running.status, previous.run_id) == ("run-now", "running", done.run_id)
    assert [r.run_id for r in bot.runs(1, in_progress=False)] == [done.run_id]  # the bots screen's one request
    store.unlock("run-now")
    assert store.try_lock("run-killed", 0.5)
    time.sleep(1.0)
    killed = bot.runs()[0]
    assert killed.status == "timed out" and not killed.ok and "state was not saved" in killed.error


def test_a_new_package_leaves_the_newest_ten_kept(sandbox, tmp_path, dependency_cache, monkeypatch):
    from botship.providers.aws.function import KEPT_VERSIONS
    from helpers import bot_copy

    project = bot_copy("counter", tmp_path / "counter", monkeypatch, dependency_cache)
    bot = sandbox_bot(project)
    s3 = bot.session.client("s3")
    for n in range(12):
        s3.put_object(Bucket=bot.names.bucket, Key=f"deploy/{n:064x}.zip", Body=b"older")
    app = project / "app.py"
    app.write_text(app.read_text() + "\n# changed\n")
    sandbox_bot(project)
    kept = [item["Key"] for item in s3.list_objects_v2(Bucket=bot.names.bucket, Prefix="deploy/")["Contents"]
            if item["Key"].endswith(".zip")]
    assert len(kept) == KEPT_VERSIONS and any(key.startswith(f"deploy/{bot.status().version}") for key in kept)
