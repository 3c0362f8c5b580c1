"""`botship state versions|restore` as a user runs them (a fresh process), against moto's server: a damaged
manifest stops runs with the way back, the listed generation is restored, and the next run continues."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from botship.providers.artifact import build_artifact
from botship.providers.aws.names import AwsNames
from botship.providers.local import local_state_url, run_local
from botship.secret_values import SecretValues
from botship.spec import build_spec
from helpers import RecordingReport as Report

BOTS = Path(__file__).resolve().parents[1] / "bots"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
PROFILES = f"""\
[profiles.prod]
platform = "aws"
bot_name = "counter"
entry = "app:handler"
python = "{PYTHON}"
timeout_s = 8
aws = {{ region = "eu-west-1" }}

[profiles.other]
platform = "sandbox"
bot_name = "other-bot"
entry = "app:handler"
python = "{PYTHON}"
"""


@pytest.fixture
def project(tmp_path, monkeypatch, dependency_cache):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    folder = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", folder)
    (folder / "botship.toml").write_text(PROFILES)
    return folder


def botship(project: Path, *args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "BOTSHIP_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "botship", *args, "--project", str(project)],
                          capture_output=True, text=True, timeout=300, env=env)


def test_a_damaged_manifest_is_restored_from_the_listed_generation(aws, project, dependency_cache):
    spec = build_spec({"platform": "aws", "bot_name": "counter", "entry": "app:handler", "timeout_s": 8,
                       "python": PYTHON, "aws": {"region": "eu-west-1"}}, project)
    artifact = build_artifact(spec, project, Report())
    bucket = AwsNames("counter", "123456789012", "eu-west-1").bucket  # moto's account: the bucket a deploy makes
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    def run(cold=False):
        lines: list[str] = []
        result = run_local(spec, artifact, project=project, profile="prod", secrets=SecretValues(),
                           state_url=f"s3://{bucket}", event={}, on_line=lines.append, cold=cold)
        return result.status_code, result.body

    for expected in (1, 2, 3):
        assert run()[1]["result"]["runs"] == expected
    for damaged in (b"null", b"{}", b'{"format": 1, "generation": 4, "fi'):
        s3.put_object(Bucket=bucket, Key="paper/manifest.json", Body=damaged)
        status, body = run()
        assert status == 500 and "`botship state restore counter --generation 3`" in body["error"]["message"]

    listed = botship(project, "state", "versions", "counter", cache=dependency_cache)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "DAMAGED" in listed.stdout and "current" in listed.stdout
    # A bucket made by hand, without botship's lifecycle rule: nothing expires its earlier generations.
    assert "kept in" in listed.stdout and "until deleted" in listed.stdout
    as_json = botship(project, "state", "versions", "counter", "--json", cache=dependency_cache)
    generations = [json.loads(line) for line in as_json.stdout.splitlines()]
    generations = [g for g in generations if g["type"] == "generation"]
    assert [g["generation"] for g in generations if g["valid"]] == [3, 2, 1]
    assert sum(not g["valid"] for g in generations) == 3 and generations[0]["current"]
    assert generations[-1]["files"] == 2 and generations[-1]["bytes"] > 0

    unconfirmed = botship(project, "state", "restore", "counter", "--generation", "3", cache=dependency_cache)
    assert unconfirmed.returncode == 2 and "pass --yes" in unconfirmed.stdout + unconfirmed.stderr
    missing = botship(project, "state", "restore", "counter", "--generation", "9", "--yes", cache=dependency_cache)
    assert missing.returncode == 2 and "no valid generation 9" in missing.stdout + missing.stderr

    restored = botship(project, "state", "restore", "--profile", "prod", "--generation", "3", "--yes", "--json",
                       cache=dependency_cache)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    record = next(json.loads(line) for line in restored.stdout.splitlines() if '"restored"' in line)
    assert record["restored"] == 3 and record["generation"] == 4

    status, body = run(cold=True)
    assert status == 200 and body["result"]["before"] == 3 and body["result"]["runs"] == 4


def test_state_commands_name_an_unknown_bot_and_restore_local_state(project, dependency_cache):
    unknown = botship(project, "state", "versions", "nope", cache=dependency_cache)
    # No profile names it, and the clouds could not be asked (no AWS sign-in here): both said, a failure (exit 1).
    assert unknown.returncode == 1 and "no profile" in unknown.stdout + unknown.stderr
    assert "counter" in unknown.stdout + unknown.stderr and "could not be looked in" in unknown.stderr

    spec = build_spec({"platform": "sandbox", "bot_name": "other-bot", "entry": "app:handler", "python": PYTHON},
                      project)
    artifact = build_artifact(spec, project, Report())
    url = local_state_url(project, "other")

    def run():
        lines: list[str] = []
        result = run_local(spec, artifact, project=project, profile="other", secrets=SecretValues(), state_url=url,
                           event={}, on_line=lines.append)
        return result.status_code, result.body

    run(), run()
    manifest = project / ".botship" / "local-state" / "other" / "paper" / "manifest.json"
    manifest.write_text("null")
    status, body = run()
    assert status == 500 and "botship state restore other-bot --local --generation 2" in body["error"]["message"]

    done = botship(project, "state", "restore", "other-bot", "--local", "--generation", "2", "--yes",
                   cache=dependency_cache)
    assert done.returncode == 0, done.stdout + done.stderr
    assert run()[1]["result"]["before"] == 2
