"""`botship invoke --local --state local|deployed` as a user runs it (a fresh process each time): a local run
continues the deployed bot's own state (sandbox and AWS, against moto's server), or keeps a count of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.spec import build_spec
from helpers import HOST_PYTHON, counter_project, run_botship

SANDBOX_PROFILE = f"""\
[profiles.sandbox]
platform = "sandbox"
bot_name = "counter"
entry = "app:handler"
python = "{HOST_PYTHON}"
timeout_s = 12
"""


def records(result: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def local_run(project: Path, *args: str, cache: Path, **env: str) -> dict:
    """`botship invoke --local ARGS --json`: its records by type (the last of each), after checking it succeeded."""
    result = run_botship("invoke", "--local", *args, "--json", project=project, cache=cache, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    return {r["type"]: r for r in records(result)}


def runs_of(result_record: dict) -> int:
    return result_record["body"]["result"]["runs"]


@pytest.fixture
def sandbox_project(tmp_path: Path) -> Path:
    project = counter_project(tmp_path / "counter")
    (project / "botship.toml").write_text(SANDBOX_PROFILE)
    return project


def deployed_invoke(project: Path, url: str) -> dict:
    """`botship invoke` (the deployed function) on the sandbox emulator at `url`: its result record."""
    result = run_botship("invoke", "--profile", "sandbox", "--json", project=project, BOTSHIP_SANDBOX_URL=url)
    assert result.returncode == 0, result.stdout + result.stderr
    (answer,) = [r for r in records(result) if r["type"] == "result"]
    return answer


def test_a_local_run_continues_the_sandbox_bots_own_count_and_the_local_state_keeps_its_own(
        aws, sandbox_project, dependency_cache):
    project, cache = sandbox_project, dependency_cache
    sandbox = {"BOTSHIP_SANDBOX_URL": aws}

    # Before any deploy there is no deployed state: said at once, naming the profile and the ways on.
    early = run_botship("invoke", "--local", "--state", "deployed", project=project, cache=cache, **sandbox)
    assert early.returncode == 2, early.stdout + early.stderr
    assert "profile 'sandbox' has no deployed state" in early.stderr
    assert "botship deploy --profile NAME" in early.stderr and "--state local" in early.stderr
    assert "Invoking" not in early.stdout  # nothing was built or run

    deployed = run_botship("deploy", "--profile", "sandbox", "--yes", project=project, cache=cache, **sandbox)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert runs_of(deployed_invoke(project, aws)) == 1

    # The deployed bot's state, reached here; the user's own AWS settings do not lead the run astray.
    hostile = {"AWS_ACCESS_KEY_ID": "AKIAREALKEY", "AWS_SECRET_ACCESS_KEY": "real-secret",
               "AWS_SESSION_TOKEN": "real-token", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
               "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
               "AWS_PROFILE": "not-in-any-config", "AWS_DEFAULT_PROFILE": "not-in-any-config"}
    seen = local_run(project, "--state", "deployed", cache=cache, **sandbox, **hostile)
    assert runs_of(seen["result"]) == 2 and seen["result"]["body"]["status"] == "ok"
    where = seen["local_run"]["state"]
    assert where["choice"] == "deployed"
    assert where["location"].startswith("s3://botship-") and where["location"].endswith("/paper/")
    assert seen["result"]["state"] == where

    text = run_botship("invoke", "--local", "--state", "deployed", project=project, cache=cache, **sandbox)
    assert text.returncode == 0, text.stdout + text.stderr
    assert (f"state: deployed — {where['location']} (the bot's own state; this run's changes are saved there)"
            in text.stdout)
    assert '"runs": 3' in text.stdout

    # The deployed function continues from what the local runs saved.
    assert runs_of(deployed_invoke(project, aws)) == 4

    # The local state (the default, or named) is the project's own, separate count.
    mine = local_run(project, cache=cache, **sandbox)
    assert runs_of(mine["result"]) == 1
    folder = project / ".botship" / "local-state" / "sandbox"
    assert mine["local_run"]["state"] == {"choice": "local", "location": str(folder)}
    named = run_botship("invoke", "--local", "--state", "local", project=project, cache=cache, **sandbox)
    assert named.returncode == 0, named.stdout + named.stderr
    assert f"state: local — {folder} (separate from the deployed bot's)" in named.stdout
    assert '"runs": 2' in named.stdout

    assert runs_of(local_run(project, "--state", "deployed", "--cold", cache=cache, **sandbox)["result"]) == 5

    wrong = run_botship("invoke", "--state", "deployed", project=project, cache=cache, **sandbox)
    assert wrong.returncode == 2 and "--state applies to --local runs only" in wrong.stderr


def test_the_sandbox_inside_a_command_holds_no_deployed_state_and_says_how_to_keep_one(
        sandbox_project, dependency_cache, monkeypatch):
    monkeypatch.delenv("BOTSHIP_SANDBOX_URL", raising=False)
    result = run_botship("invoke", "--local", "--state", "deployed", project=sandbox_project, cache=dependency_cache)
    assert result.returncode == 2, result.stdout + result.stderr
    assert ("profile 'sandbox' has no deployed state: counter is not deployed on the sandbox emulator this command "
            "started") in result.stderr
    assert "BOTSHIP_SANDBOX_URL=" in result.stderr and "--state local --profile sandbox" in result.stderr


def test_a_local_run_and_the_deployed_function_take_turns_under_the_bots_lock(
        aws, sandbox_project, dependency_cache, monkeypatch):
    from botship.providers import provider_class
    from botship.providers.sandbox import emulator

    project, cache = sandbox_project, dependency_cache
    deployed = run_botship("deploy", "--profile", "sandbox", "--yes", project=project, cache=cache,
                           BOTSHIP_SANDBOX_URL=aws)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    monkeypatch.setenv(emulator.URL_VARIABLE, aws)
    emulator.stop()  # whatever emulator an earlier test left: this process now reaches the one at `aws`
    try:
        spec = build_spec({"platform": "sandbox", "bot_name": "counter", "entry": "app:handler",
                           "python": HOST_PYTHON, "timeout_s": 12}, project)
        store = provider_class("sandbox")(spec).handle().state_store()

        # Someone else holds the lock: the local run is skipped, and nothing of the state changes.
        assert store.try_lock("someone-else", 60)
        skipped = local_run(project, "--state", "deployed", cache=cache, BOTSHIP_SANDBOX_URL=aws)["result"]
        assert skipped["body"]["status"] == "skipped"
        assert "held by" in skipped["body"]["message"]
        store.unlock("someone-else")
        assert store.read_manifest()[0] is None  # no run saved anything

        # A local run holds the lock: the deployed function, invoked meanwhile, is skipped, not raced.
        slow = subprocess.Popen(
            [sys.executable, "-m", "botship", "invoke", "--local", "--state", "deployed", "--json",
             "--event", '{"sleep": 10}', "--project", str(project)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "NO_COLOR": "1", "BOTSHIP_CACHE_DIR": str(cache),
                 "BOTSHIP_SANDBOX_URL": aws})
        try:
            deadline = time.monotonic() + 60
            while store.lock_holder() is None:
                assert slow.poll() is None, slow.communicate()
                assert time.monotonic() < deadline, "the local run never took the lock"
                time.sleep(0.1)
            meanwhile = deployed_invoke(project, aws)
            out, err = slow.communicate(timeout=120)
        finally:
            if slow.poll() is None:
                slow.kill()
                slow.wait()
        body = meanwhile["body"]
        assert body["status"] == "skipped" and body["reason"] == "previous run still active"
        assert slow.returncode == 0, out + err
        (result,) = [json.loads(line) for line in out.splitlines() if json.loads(line)["type"] == "result"]
        assert runs_of(result) == 1
        assert runs_of(deployed_invoke(project, aws)) == 2  # and the lock was released
    finally:
        emulator.stop()


def test_a_local_run_continues_the_aws_bots_state_in_its_bucket(aws, tmp_path, dependency_cache):
    project, cache = counter_project(tmp_path / "counter", "timeout_s = 12"), dependency_cache

    early = run_botship("invoke", "--local", "--state", "deployed", project=project, cache=cache)
    assert early.returncode == 2, early.stdout + early.stderr
    assert "profile 'prod' has no deployed state: counter has no state bucket" in early.stderr
    assert "botship deploy --profile prod" in early.stderr and "--state local --profile prod" in early.stderr

    deployed = run_botship("deploy", "--yes", project=project, cache=cache)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    for expected in (1, 2):
        seen = local_run(project, "--state", "deployed", cache=cache)
        assert runs_of(seen["result"]) == expected
    assert seen["local_run"]["state"]["location"].endswith("/paper/")

    # What the runs saved is the deployed bot's state, as botship reads it from the bucket.
    spec = build_spec({"platform": "aws", "bot_name": "counter", "entry": "app:handler", "python": HOST_PYTHON,
                       "aws": {"region": "eu-west-1"}}, project)
    provider = AwsProvider(spec, AwsSession("eu-west-1"))
    listing = provider.handle().state_files()
    assert set(listing.files) == {"runs.txt", "databases/bot.sqlite3"} and listing.generation == 2
    assert seen["local_run"]["state"]["location"] == f"s3://{provider.names.bucket}/paper/"

    assert runs_of(local_run(project, "--state", "local", cache=cache)["result"]) == 1


def test_a_live_profile_still_needs_confirming_and_its_state_is_the_live_one(aws, tmp_path, dependency_cache):
    project, cache = counter_project(tmp_path / "counter", 'mode = "live"', "timeout_s = 12"), dependency_cache
    deployed = run_botship("deploy", "--yes", "--confirm-live", project=project, cache=cache)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    refused = run_botship("invoke", "--local", "--state", "deployed", project=project, cache=cache)
    assert refused.returncode == 2 and "--confirm-live" in refused.stderr
    seen = local_run(project, "--state", "deployed", "--confirm-live", cache=cache)
    assert runs_of(seen["result"]) == 1 and seen["result"]["body"]["mode"] == "live"
    assert seen["local_run"]["state"]["location"].endswith("/live/")


def test_a_named_aws_profile_is_what_the_local_run_reaches_the_bucket_with(aws, tmp_path, dependency_cache):
    """With aws.profile, keys in the environment yield to that profile in the run, as they do for botship."""
    config, credentials = tmp_path / "aws-config", tmp_path / "aws-credentials"
    config.write_text("[profile trading]\nregion = eu-west-1\n")
    credentials.write_text("[trading]\naws_access_key_id = trading-key\naws_secret_access_key = trading-secret\n")
    files = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    project, cache = counter_project(tmp_path / "counter", "timeout_s = 12"), dependency_cache
    (project / "botship.toml").write_text((project / "botship.toml").read_text() + 'profile = "trading"\n')

    deployed = run_botship("deploy", "--yes", project=project, cache=cache, **files)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    seen = local_run(project, "--state", "deployed", cache=cache, **files)
    assert runs_of(seen["result"]) == 1 and seen["result"]["body"]["status"] == "ok"

    spec = build_spec({"platform": "aws", "bot_name": "counter", "entry": "app:handler", "python": HOST_PYTHON,
                       "aws": {"region": "eu-west-1", "profile": "trading"}}, project)
    env = AwsProvider(spec, AwsSession("eu-west-1")).handle().deployed_state("prod").env
    assert env["AWS_PROFILE"] == "trading" and env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == env["AWS_SESSION_TOKEN"] == ""
    assert boto3.client("s3").list_objects_v2(Bucket=AwsProvider(spec, AwsSession("eu-west-1")).names.bucket,
                                              Prefix="paper/manifest")["KeyCount"] == 1
