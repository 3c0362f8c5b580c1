"""One deploy of a bot at a time, against moto's server: the lock in the state bucket, waiting, --no-wait, unlock."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import threading
import time

import boto3
from aws_flow import deploy, spec_for
from botship.providers.artifact import build_artifact
from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.providers.base import DeployContext, SilentReport
from botship.providers.engine import start_run
from botship.providers.plan import Action
from helpers import run_botship, write_aws_profile

from botship.secret_values import SecretValue, SecretValues

LOCK_KEY = "_botship/deploy.lock"


def provider_for(spec) -> AwsProvider:
    return AwsProvider(spec, AwsSession("eu-west-1"))


def context_for(project) -> DeployContext:
    return DeployContext(project, "prod", SecretValues([SecretValue("EXCHANGE_API_KEY", "key-1234", "environment")]))


def variant(project, tmp_path, name: str, marker: str):
    """A copy of the counter bot with its own code (a marker line) and its own MARKET variable."""
    folder = tmp_path / name
    shutil.copytree(project, folder)
    (folder / "app.py").write_text((folder / "app.py").read_text() + f"\nMARKER = {marker!r}\n")
    return folder, spec_for(folder, env={"MARKET": marker})


def plant_lock(bucket: str, **fields) -> None:
    body = {"owner": "someone-else", "user": "ann", "host": "ci-runner-7", "profile": "prod",
            "started": time.time() - 60, "expires": time.time() + 600, **fields}
    boto3.client("s3").put_object(Bucket=bucket, Key=LOCK_KEY, Body=json.dumps(body).encode())


def lock_exists(bucket: str) -> bool:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="_botship/")
    return any(o["Key"] == LOCK_KEY for o in listed.get("Contents", []))


def test_two_deploys_at_once_end_with_one_folder_deployed_whole(aws, project, tmp_path):
    deploy(project, spec_for(project))
    folders = [variant(project, tmp_path, "left", "left"), variant(project, tmp_path, "right", "right")]
    # Both plan before either runs, as two CI jobs would: each plan sees the first deploy only.
    plans = [provider_for(spec).plan(context_for(folder)) for folder, spec in folders]
    assert all(p.changes for p in plans)
    go, results, events = threading.Barrier(2), [None, None], [[], []]

    def run(i: int) -> None:
        go.wait()
        results[i] = start_run(plans[i], events[i].append, context_for(folders[i][0]).masker).wait(120)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert all(r is not None and r.ok for r in results), results

    lam = boto3.client("lambda")
    config = lam.get_function_configuration(FunctionName="botship-sma-bot")
    tags = lam.list_tags(Resource=config["FunctionArn"])["Tags"]
    winner = config["Environment"]["Variables"]["MARKET"]
    assert winner in ("left", "right")
    folder, spec = dict(zip(("left", "right"), folders))[winner]
    artifact = build_artifact(spec, folder, SilentReport())
    # Code, variables and the tag that claims the code: all from the same folder.
    assert tags["botship:code"] == artifact.content_hash[:16]
    assert config["CodeSha256"] == base64.b64encode(hashlib.sha256(artifact.path.read_bytes()).digest()).decode()
    # The deploy that waited said whom it waited for, and planned again once it held the lock.
    waited = [e for run_events in events for e in run_events
              if e.kind == "log" and e.step == "lock" and e.message.startswith("waiting for the deploy by")]
    assert waited and "started at" in waited[0].message and "expires at" in waited[0].message
    assert not lock_exists(provider_for(spec).names.bucket)

    loser_folder, loser_spec = folders[1] if winner == "left" else folders[0]
    again = provider_for(loser_spec).plan(context_for(loser_folder))
    assert [(s.id, s.detail) for s in again.changes] == [("function", "update: code, config")]


def test_no_wait_fails_at_once_naming_the_holder(aws, project, dependency_cache):
    write_aws_profile(project, "cli-bot", 'env = { MARKET = "bitvavo" }')
    assert run_botship("deploy", "--yes", project=project, cache=dependency_cache).returncode == 0
    spec = spec_for(project, bot_name="cli-bot", secrets=[])
    bucket = provider_for(spec).names.bucket
    plant_lock(bucket)
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# changed\n")
    refused = run_botship("deploy", "--yes", "--no-wait", project=project, cache=dependency_cache)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    out = refused.stdout + refused.stderr
    assert "another deploy of cli-bot is running: the deploy by ann on host ci-runner-7 (profile prod)" in out
    assert "botship unlock" in out
    assert lock_exists(bucket)  # someone else's lock is left alone
    # Nothing was changed: the code tag still names the first deploy's code.
    lam = boto3.client("lambda")
    arn = lam.get_function(FunctionName="botship-cli-bot")["Configuration"]["FunctionArn"]
    assert lam.list_tags(Resource=arn)["Tags"]["botship:code"] != build_artifact(
        spec, project, SilentReport()).content_hash[:16]


def test_a_deploy_waits_for_the_holder_then_plans_again(aws, project):
    deploy(project, spec_for(project))
    bucket = provider_for(spec_for(project)).names.bucket
    plant_lock(bucket)
    plan = provider_for(spec_for(project, memory_mb=512)).plan(context_for(project))
    logs: list[str] = []
    handle = start_run(plan, lambda e: logs.append(e.message) if e.kind == "log" else None)
    time.sleep(1.5)
    assert handle.wait(0) is None  # still waiting
    assert any(m.startswith("waiting for the deploy by ann on host ci-runner-7") for m in logs)
    boto3.client("s3").delete_object(Bucket=bucket, Key=LOCK_KEY)  # the other deploy ends
    result = handle.wait(60)
    assert result.ok
    assert boto3.client("lambda").get_function_configuration(FunctionName="botship-sma-bot")["MemorySize"] == 512
    assert not lock_exists(bucket)


def test_an_expired_lock_is_taken_over(aws, project):
    deploy(project, spec_for(project))
    bucket = provider_for(spec_for(project)).names.bucket
    plant_lock(bucket, expires=time.time() - 5)
    logs: list[str] = []
    plan = provider_for(spec_for(project, memory_mb=512)).plan(context_for(project))
    result = start_run(plan, lambda e: logs.append(e.message) if e.kind == "log" else None).wait(60)
    assert result.ok
    assert any(m.startswith("took over an expired lock: the deploy by ann on host ci-runner-7") for m in logs)
    assert not lock_exists(bucket)


def test_a_failed_deploy_releases_its_lock(aws, project):
    deploy(project, spec_for(project))
    bucket = provider_for(spec_for(project)).names.bucket
    plan = provider_for(spec_for(project, memory_mb=512)).plan(context_for(project))
    held: list[bool] = []

    def broken(ctx):
        held.append(lock_exists(bucket))
        raise RuntimeError("boom")
    plan.replan = None  # run exactly these steps
    function = next(s for s in plan.steps if s.id == "function")
    assert function.action is Action.UPDATE
    function.run = broken
    result = start_run(plan, lambda e: None).wait(60)
    assert result.status == "failed" and result.failure.step == "function"
    assert held == [True]  # held while the steps ran, gone after
    assert not lock_exists(bucket)


def test_the_plan_shows_the_lock_and_an_unchanged_rerun_takes_none(aws, project):
    plan, _, _ = deploy(project, spec_for(project))
    assert any(key == "lock" and "one deploy at a time" in value for key, value in plan.summary)
    again, result, mutating = deploy(project, spec_for(project))
    assert again.is_noop and mutating == []


def test_unlock_shows_the_holder_and_removes_it_once_confirmed(aws, project, dependency_cache):
    write_aws_profile(project, "cli-bot")
    assert run_botship("deploy", "--yes", project=project, cache=dependency_cache).returncode == 0
    bucket = provider_for(spec_for(project, bot_name="cli-bot", secrets=[])).names.bucket
    assert "No deploy of cli-bot holds the lock" in run_botship("unlock", project=project).stdout
    plant_lock(bucket)
    unconfirmed = run_botship("unlock", project=project)
    assert unconfirmed.returncode == 2 and "pass --yes" in unconfirmed.stderr
    assert "held by the deploy by ann on host ci-runner-7 (profile prod) started at" in unconfirmed.stdout
    assert lock_exists(bucket)
    done = run_botship("unlock", "--yes", "--profile", "prod", project=project)
    assert done.returncode == 0 and "Lock removed" in done.stdout, done.stdout + done.stderr
    assert not lock_exists(bucket)
