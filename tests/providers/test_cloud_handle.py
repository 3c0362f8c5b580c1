"""A cloud (a sign-in and a location, no spec) lists the bots it holds and opens a handle on one by name;
what a cloud can do is declared, and the sandbox is the AWS code with another target. Against moto's server
(AWS, two regions) and the sandbox's own emulator."""

from __future__ import annotations

import inspect
import subprocess
import sys
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import boto3
import pytest
from aws_flow import spec_for
from botship.errors import BotshipError
from botship.masking import Masker
from botship.providers import available, cloud_class, provider_class
from botship.providers.aws.cloud import AwsCloud, AwsHandle, bot_state
from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.providers.base import (
    CAPABILITIES,
    EPHEMERAL,
    IMAGE,
    INVOKE,
    PERMISSIONS_POLICY,
    STATE,
    DeployContext,
)
from botship.providers.engine import start_run
from botship.providers.results import BotStatus, InvokeResult
from botship.providers.sandbox.provider import SandboxCloud, SandboxProvider
from botship.providers.sandbox.target import SandboxEmulator

from botship.secret_values import SecretValue, SecretValues
from botship.spec import build_spec

SECRET = "key-cloud-4321"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def deploy_in(project: Path, region: str, bot: str, **changes) -> AwsProvider:
    """A whole deploy of the counter bot as `bot` in `region`; its plans carry the masker of their secrets."""
    spec = spec_for(project, bot_name=bot, aws={"region": region}, **changes)
    provider = AwsProvider(spec, AwsSession(region))
    context = DeployContext(project, "prod", SecretValues([SecretValue("EXCHANGE_API_KEY", SECRET, "environment")]))
    plan = provider.plan(context)
    assert plan.masker.mask(f"storing {SECRET}") == "storing ***"
    result = start_run(plan, lambda event: None).wait(120)
    assert result.ok, result.failure
    return provider


def pause(region: str, bot: str) -> None:
    """What `pause` will do (the bots browser's issue): the schedule disabled, everything else as it was."""
    client = boto3.client("scheduler", region_name=region)
    current = client.get_schedule(Name=f"botship-{bot}")
    client.update_schedule(Name=f"botship-{bot}", State="DISABLED", **{
        k: current[k] for k in ("ScheduleExpression", "ScheduleExpressionTimezone", "FlexibleTimeWindow", "Target")})


def test_a_cloud_lists_its_bots_across_the_regions_asked_for_with_their_states(aws, project):
    deploy_in(project, "eu-west-1", "alpha")
    deploy_in(project, "eu-central-1", "beta", schedule="rate(1 hour)")
    deploy_in(project, "eu-central-1", "gamma", schedule=None)
    pause("eu-central-1", "beta")

    cloud = cloud_class("aws")({"region": "eu-west-1"})  # settings only: no spec
    listed = cloud.list_bots(["eu-west-1", "eu-central-1"])
    assert [(b.bot_name, b.where, b.state, b.schedule, b.mode, b.profile) for b in listed] == [
        ("alpha", "eu-west-1", "active", "rate(15 minutes)", "paper", "prod"),
        ("beta", "eu-central-1", "paused", "rate(1 hour)", "paper", "prod"),
        ("gamma", "eu-central-1", "active", None, "paper", "prod"),
    ]
    assert [b.bot_name for b in cloud.list_bots()] == ["alpha"]  # by default, the cloud's own region
    assert cloud.list_bots(["us-west-2"]) == []
    # A destroy plan handles no secret values: its masker masks nothing.
    destroy = AwsProvider(spec_for(project, bot_name="alpha"), AwsSession("eu-west-1")).plan_destroy()
    assert isinstance(destroy.masker, Masker) and destroy.masker.mask(SECRET) == SECRET


def test_a_handle_opened_by_name_reads_status_and_state_without_a_spec(aws, project, tmp_path):
    from botship.runtime.state import StateSync

    deploy_in(project, "eu-central-1", "beta", schedule="rate(1 hour)")
    cloud = cloud_class("aws")({"region": "eu-central-1"})
    bot = cloud.bot("beta")
    status = bot.status()
    assert isinstance(status, BotStatus)
    assert (status.state, status.schedule, status.timezone, status.mode, status.where) == (
        "active", "rate(1 hour)", "Europe/Amsterdam", "paper", "eu-central-1")
    assert status.next_run is not None and status.next_run > datetime.now(UTC) and status.shipped["code"]
    pause("eu-central-1", "beta")
    paused = cloud.bot("beta").status()
    assert paused.state == "paused" and paused.next_run is None

    # What a run saves (small files are packed together), as the handle reads it back.
    folder = tmp_path / "run-state"
    (folder / "notes").mkdir(parents=True)
    (folder / "runs.txt").write_text("3")
    for n in range(20):
        (folder / "notes" / f"{n}.txt").write_text(f"note {n}")
    StateSync(bot.state_store(), str(folder)).save("run-1")
    listing = bot.state_files()
    assert listing.generation == 1 and listing.files["runs.txt"] == 1 and len(listing.files) == 21
    assert bot.read_state_file("runs.txt") == b"3" and bot.read_state_file("notes/7.txt") == b"note 7"
    with pytest.raises(BotshipError, match="has no file nothing.txt"):
        bot.read_state_file("nothing.txt")
    assert bot.state_files(mode="live").files == {}  # each mode keeps its own state
    exported = bot.export_state(tmp_path / "exported")
    assert exported == listing and (tmp_path / "exported" / "notes" / "19.txt").read_text() == "note 19"
    assert "kept 30 days" in bot.state_history_note()
    assert [v["generation"] for v in bot.state_versions()] == [1]


def test_a_handle_on_a_bot_that_is_not_there_says_so(aws):
    bot = cloud_class("aws")({"region": "eu-west-1"}).bot("nobody")
    for call in (bot.status, lambda: bot.invoke({}), bot.pause, bot.resume, bot.rollback, bot.versions):
        with pytest.raises(BotshipError, match="nobody is not deployed in eu-west-1"):
            call()
    assert list(bot.logs()) == []  # no log group: it never ran


def test_the_sandbox_lists_and_opens_its_bots_by_name(sandbox, tmp_path, dependency_cache, monkeypatch):
    from helpers import bot_copy

    project = bot_copy("counter", tmp_path / "counter", monkeypatch, dependency_cache)
    spec = build_spec({"platform": "sandbox", "bot_name": "counter", "entry": "app:handler", "python": PYTHON,
                       "schedule": "rate(5 minutes)"}, project)
    plan = provider_class("sandbox")(spec).plan(DeployContext(project, "sandbox", SecretValues([])))
    assert start_run(plan, lambda event: None).wait(120).ok

    cloud = cloud_class("sandbox")()
    (listed,) = cloud.list_bots()
    assert (listed.bot_name, listed.state, listed.schedule) == ("counter", "active", "rate(5 minutes)")
    assert cloud.list_bots(["eu-west-1"]) == []  # the emulator holds bots in its one region only
    bot = cloud.bot("counter")
    shown: list[str] = []
    ran = bot.invoke({"source": "test"}, on_line=shown.append)
    assert isinstance(ran, InvokeResult) and ran.ok and ran.status_code == 200 and ran.duration_ms is not None
    assert ran.body["result"]["runs"] == 1 and shown == list(ran.logs)
    assert bot.status().state == "active"
    assert bot.state_files().files["runs.txt"] == 1 and bot.read_state_file("runs.txt") == b"1"
    assert bot.export_state(tmp_path / "exported").generation == 1
    assert (tmp_path / "exported" / "runs.txt").read_text() == "1"


def test_the_sandbox_is_the_aws_code_with_another_target():
    # Its provider and cloud only name themselves and pick the target: no method of their own.
    for cls in (SandboxProvider, SandboxCloud):
        own = [name for name, value in vars(cls).items()
               if isinstance(value, (classmethod, staticmethod, property, cached_property))
               or (callable(value) and not isinstance(value, type))]
        assert own == [], (cls, own)
    assert SandboxProvider.cloud_class is SandboxCloud and SandboxCloud.target_class is SandboxEmulator
    assert SandboxEmulator.tls_only_state is False and SandboxEmulator.direct_upload_limit == 0  # its two limits
    # One handle class for both, so one invoke signature, returning an InvokeResult.
    handle = SandboxCloud().bot("counter")
    assert type(handle) is AwsHandle and type(AwsCloud({"region": "eu-west-1"}).bot("counter")) is AwsHandle
    assert inspect.signature(handle.invoke).return_annotation in (InvokeResult, "InvokeResult")
    assert list(inspect.signature(handle.invoke).parameters) == ["event", "on_line"]
    # The target is no UI: importing it loads no textual.
    loaded = subprocess.run([sys.executable, "-c", "import sys, botship.providers.sandbox.target; "
                             "print('textual' in sys.modules)"], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"


def test_capabilities_are_declared_from_one_vocabulary_for_the_front_ends_to_read():
    for name in available():
        assert cloud_class(name).capabilities <= CAPABILITIES, name
    aws, sandbox = cloud_class("aws"), cloud_class("sandbox")
    assert aws.can(IMAGE) and aws.can(INVOKE) and aws.can(STATE) and aws.can(PERMISSIONS_POLICY)
    assert not aws.can(EPHEMERAL)
    assert sandbox.can(IMAGE) and sandbox.can(EPHEMERAL) and not sandbox.can(PERMISSIONS_POLICY)
    # The wizard's packaging choice reads the same declaration.
    from botship.session import DeploySession

    for platform in ("aws", "sandbox"):
        session = DeploySession.new(Path("."), platform)
        assert {c.value: c.disabled for c in session.question("packaging").options(session.answers)}["image"] == ""


def test_each_cloud_declares_its_settings_and_sign_in_options(tmp_path, monkeypatch):
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = eu-west-1\n\n[profile trading]\nregion = eu-central-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)

    profile, region = cloud_class("aws").settings()
    assert (profile.key, profile.kind, profile.blank) == (
        "aws.profile", "choice", "default credentials (environment, SSO, instance role)")
    assert [choice.value for choice in profile.options({})] == ["default", "trading"]
    assert cloud_class("aws").sign_in_options() == ["default", "trading"]
    assert region.key == "aws.region" and "eu-west-1" in region.suggestions({})
    assert region.default_for({"aws": {"profile": "trading"}}) == "eu-central-1"
    assert region.default_for({}) == "eu-west-1" and "aws.profile" in region.depends_on
    assert "did you mean 'eu-west-3'" in region.problem("eu-west-9", {})
    assert region.problem("eu-west-1", {"aws": {"profile": "trading"}}) is None
    assert cloud_class("sandbox").settings() == [] and cloud_class("sandbox").sign_in_options() == []


def test_a_function_failed_or_updating_is_said_so():
    assert bot_state({"State": "Active", "LastUpdateStatus": "Successful"}, None) == "active"
    assert bot_state({"State": "Active"}, {"State": "DISABLED"}) == "paused"
    assert bot_state({"State": "Failed"}, {"State": "ENABLED"}) == "failed"
    assert bot_state({"State": "Active", "LastUpdateStatus": "Failed"}, None) == "failed"
    assert bot_state({"State": "Pending"}, None) == "updating"
    assert bot_state({"State": "Active", "LastUpdateStatus": "InProgress"}, None) == "updating"
    assert bot_state({"State": "Inactive"}, None) == "active"  # idle: the next run wakes it
    assert bot_state({"State": "Something new"}, None) == "unknown"


def test_the_sandbox_has_no_policy_to_print_and_says_why(make_project):
    from helpers import run_botship

    project = make_project(f'[profiles.sandbox]\nplatform = "sandbox"\nbot_name = "bot"\nentry = "app:handler"\n'
                           f'python = "{PYTHON}"\n')
    printed = run_botship("doctor", "--policy", project=project)
    assert printed.returncode == 2, printed.stdout + printed.stderr
    assert "Sandbox has no permissions policy document" in printed.stderr and "needs no account" in printed.stderr
