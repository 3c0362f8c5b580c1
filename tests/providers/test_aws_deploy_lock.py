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
        results[i] = start_run(plans[i], events[i].append).wait(120)

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
    # Expiry is S3's clock: written (LastModified) more than its time-to-live ago.
    plant_lock(bucket, expires=time.time() - 5, ttl_s=1)
    time.sleep(2.5)
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


# ---- beyond the first cases: clocks, kills, unlock mid-run, cancel, destroy, purge, events -------------------

def mutating(session_calls: list[str]) -> list[str]:
    return [c for c in session_calls if not c.startswith(("Get", "List", "Describe", "Head"))]


def test_a_holder_with_a_slow_clock_keeps_its_lock(aws, project):
    """The holder's machine is 20 minutes slow: the expiry it wrote is already past by our clock. S3's clock
    (LastModified + time-to-live) decides, so its lock is not taken over in the middle of its deploy."""
    deploy(project, spec_for(project))
    bucket = provider_for(spec_for(project)).names.bucket
    plant_lock(bucket, started=time.time() - 20 * 60, expires=time.time() - 5 * 60)
    plan = provider_for(spec_for(project, memory_mb=512)).plan(context_for(project))
    plan.lock.no_wait = True
    events: list = []
    result = start_run(plan, events.append).wait(60)
    assert result.status == "failed" and result.failure.step == "lock"
    assert "another deploy of sma-bot is running" in result.failure.what
    assert json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=LOCK_KEY)["Body"].read())["owner"] == \
        "someone-else"
    assert boto3.client("lambda").get_function_configuration(FunctionName="botship-sma-bot")["MemorySize"] == 256


def test_a_holder_with_a_fast_clock_does_not_block_past_its_time_to_live(aws, project):
    """The holder's clock is hours fast (its expiry reads far in the future); it died long ago by S3's clock."""
    deploy(project, spec_for(project))
    bucket = provider_for(spec_for(project)).names.bucket
    plant_lock(bucket, started=time.time() + 3 * 3600, expires=time.time() + 4 * 3600, ttl_s=1)
    time.sleep(2.5)
    logs: list[str] = []
    plan = provider_for(spec_for(project, memory_mb=512)).plan(context_for(project))
    plan.lock.no_wait = True
    result = start_run(plan, lambda e: logs.append(e.message) if e.kind == "log" else None).wait(60)
    assert result.ok, result.failure
    assert any(m.startswith("took over an expired lock") for m in logs)


def test_a_lock_removed_by_unlock_mid_run_stops_the_deploy_before_its_next_write(aws, project):
    deploy(project, spec_for(project))
    bucket = provider_for(spec_for(project)).names.bucket
    spec = spec_for(project, memory_mb=512, env={"MARKET": "kraken"}, tags={"team": "ops"})
    plan = provider_for(spec).plan(context_for(project))
    plan.replan = None
    changing = [s for s in plan.changes]
    assert len(changing) >= 2 and changing[-1].id == "function", [s.id for s in changing]
    first = changing[0]
    original = first.run

    def then_unlocked(ctx):
        produced = original(ctx)
        # Someone runs `botship unlock --yes` (believing this deploy dead) while it runs.
        provider = provider_for(spec)
        lock = provider.deploy_lock("prod")
        assert lock.break_lock(lock.holder())
        return produced
    first.run = then_unlocked
    events: list = []
    result = start_run(plan, events.append).wait(60)
    assert result.status == "failed" and result.failure.step == changing[1].id
    assert "taken away while this deploy ran" in result.failure.what
    assert "stopped before its next write" in result.failure.why
    assert [e.step for e in events if e.kind == "step_failed"] == [changing[1].id]
    config = boto3.client("lambda").get_function_configuration(FunctionName="botship-sma-bot")
    assert config["MemorySize"] == 256 and config["Environment"]["Variables"]["MARKET"] == "bitvavo"
    assert not lock_exists(bucket)


def test_ctrl_c_while_waiting_writes_nothing_and_leaves_the_holder_alone(aws, project):
    deploy(project, spec_for(project))
    bucket = provider_for(spec_for(project)).names.bucket
    plant_lock(bucket)
    session = AwsSession("eu-west-1")
    calls: list[str] = []
    session.session.events.register("before-call", lambda model, **kw: calls.append(model.name))
    plan = AwsProvider(spec_for(project, memory_mb=512), session).plan(context_for(project))
    calls.clear()
    events: list = []
    handle = start_run(plan, events.append)
    time.sleep(1.0)
    handle.cancel()
    result = handle.wait(30)
    assert result.status == "cancelled"
    assert [e.kind for e in events if getattr(e, "step", None) == "lock"][-1] == "step_cancelled"
    assert set(mutating(calls)) <= {"PutObject"}  # only the refused conditional write of the lock
    assert json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=LOCK_KEY)["Body"].read())["owner"] == \
        "someone-else"
    assert boto3.client("lambda").get_function_configuration(FunctionName="botship-sma-bot")["MemorySize"] == 256


def test_a_deploy_killed_outright_is_taken_over_at_once_on_the_same_machine(aws, project, dependency_cache):
    """SIGKILL mid-deploy, then a re-run with --no-wait on the same machine: the dead process's lock is taken
    over (its process is gone from this boot and namespace), and the re-run converges."""
    import os
    import signal
    import subprocess
    import sys

    write_aws_profile(project, "cli-bot", 'env = { MARKET = "bitvavo" }')
    spec = spec_for(project, bot_name="cli-bot", secrets=[])
    bucket = provider_for(spec).names.bucket
    environment = {**os.environ, "NO_COLOR": "1", "BOTSHIP_CACHE_DIR": str(dependency_cache)}
    process = subprocess.Popen([sys.executable, "-m", "botship", "deploy", "--yes", "--project", str(project)],
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if lock_exists(bucket):
                break
        except Exception:  # noqa: BLE001 - the bucket is not there yet
            pass
        time.sleep(0.05)
    assert process.poll() is None, "the deploy ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert lock_exists(bucket)  # the killed deploy's lock stays behind
    again = run_botship("deploy", "--yes", "--no-wait", project=project, cache=dependency_cache)
    out = again.stdout + again.stderr
    assert again.returncode == 0, out
    assert "took over the lock of a deploy on this machine that is no longer running" in out
    assert not lock_exists(bucket)
    assert "Everything is up to date" in run_botship("deploy", "--yes", project=project,
                                                     cache=dependency_cache).stdout


def test_a_lock_from_another_machine_is_not_taken_over_for_a_missing_process(aws, project):
    deploy(project, spec_for(project))
    bucket = provider_for(spec_for(project)).names.bucket
    plant_lock(bucket, host="another-host", pid=2 ** 22 + 12345, boot="x", pidns="y")
    plan = provider_for(spec_for(project, memory_mb=512)).plan(context_for(project))
    plan.lock.no_wait = True
    result = start_run(plan, lambda e: None).wait(60)
    assert result.status == "failed" and result.failure.step == "lock"


def test_destroy_that_waited_for_a_deploy_removes_what_that_deploy_made(aws, project):
    """destroy planned, then a deploy (holding the lock first) adds a schedule: the destroy plans again under
    the lock and deletes the schedule and its role too, instead of leaving them behind."""
    deploy(project, spec_for(project, schedule=None))
    provider = provider_for(spec_for(project, schedule=None))
    destroy_plan = provider.plan_destroy()
    assert "schedule" not in [s.id for s in destroy_plan.steps]
    deploy(project, spec_for(project))  # the other deploy, done by the time the destroy holds the lock
    events: list = []
    result = start_run(destroy_plan, events.append).wait(60)
    assert result.ok, result.failure
    assert any(e.kind == "plan_changed" for e in events)
    scheduler = boto3.client("scheduler")
    assert not scheduler.list_schedules()["Schedules"]
    assert "botship-sma-bot-schedule" not in [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]]


def test_purge_deletes_the_lock_it_holds_last_then_the_bucket(aws, project):
    deploy(project, spec_for(project))
    session = AwsSession("eu-west-1")
    batches: list[list[str]] = []
    session.session.events.register(
        "before-parameter-build.s3.DeleteObjects",
        lambda params, **kw: batches.append([o["Key"] for o in params["Delete"]["Objects"]]))
    # State files too, so the purge has more than the lock to delete.
    bucket = provider_for(spec_for(project)).names.bucket
    boto3.client("s3").put_object(Bucket=bucket, Key="paper/manifest.json", Body=b"{}")
    plan = AwsProvider(spec_for(project), session).plan_destroy(purge_state=True)
    result = start_run(plan, lambda e: None).wait(60)
    assert result.ok, result.failure
    keys = [k for batch in batches for k in batch]
    # The state's versions first; the lock's (held by this destroy) in a batch of their own, last.
    assert "paper/manifest.json" in keys and LOCK_KEY in keys
    assert set(batches[-1]) == {LOCK_KEY} and LOCK_KEY not in [k for batch in batches[:-1] for k in batch]
    assert bucket not in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


def test_the_run_reports_the_lock_step_and_the_steps_planned_again(aws, project):
    deploy(project, spec_for(project))
    plan = provider_for(spec_for(project, memory_mb=512)).plan(context_for(project))
    deploy(project, spec_for(project, memory_mb=512))  # another deploy did it meanwhile
    events: list = []
    result = start_run(plan, events.append).wait(60)
    assert result.ok
    started = next(e for e in events if e.kind == "run_started")
    assert started.steps[0]["id"] == "lock" and started.steps[0]["action"] == "take"
    changed = [e for e in events if e.kind == "plan_changed"]
    assert len(changed) == 1 and changed[0].steps[0]["id"] == "lock"
    assert all(s["action"] == "no change" for s in changed[0].steps[1:]) and "nothing left" in changed[0].changes
    # Every step an event names is one the run listed (first or after planning again).
    listed = {s["id"] for s in started.steps} | {s["id"] for s in changed[0].steps}
    assert {e.step for e in events if hasattr(e, "step")} <= listed


def test_two_first_deploys_race_on_creating_the_bucket(aws, project, monkeypatch):
    from botship.providers.aws.lock import DeployLock
    from botship.providers.aws.names import AwsNames

    for region in ("us-east-1", "eu-west-1"):
        names = AwsNames(f"race-{region}", "123456789012", region)
        locks = [DeployLock(AwsSession(region), names, "prod") for _ in range(2)]
        go, answers = threading.Barrier(2), [None, None]

        def take(i: int) -> None:
            go.wait()
            answers[i] = locks[i].try_acquire()
        threads = [threading.Thread(target=take, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        held = [lock._etag is not None for lock in locks]
        assert sorted(held) == [False, True], (region, answers)
        assert [a for a in answers if a is not None][0].get("owner") == next(
            lock.owner for lock in locks if lock._etag)
        next(lock for lock in locks if lock._etag).release()
