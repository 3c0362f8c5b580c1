"""A whole deploy of a small bot (zip) against moto's server: resources read back, re-runs change nothing."""

from __future__ import annotations

import sys

import boto3
import pytest
from aws_flow import deploy, spec_for
from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.providers.plan import Action
from helpers import run_botship, write_aws_profile

from botship.secret_values import SecretValue, SecretValues


def test_first_deploy_creates_every_resource_with_the_right_settings(aws, project):
    plan, result, _ = deploy(project, spec_for(project))
    assert result.ok, result.failure
    assert [s.id for s in plan.steps] == ["bucket", "secret", "role-boundary", "execution-role", "scheduler-role",
                                          "log-group", "function", "schedule"]
    assert all(s.action is Action.CREATE for s in plan.steps)

    fn = boto3.client("lambda").get_function(FunctionName="botship-sma-bot")
    config = fn["Configuration"]
    assert (config["Runtime"], config["Handler"], config["MemorySize"]) == (
        f"python{sys.version_info.major}.{sys.version_info.minor}", "botship_runtime.aws_handler.handler", 256)
    assert config["Role"].endswith(":role/botship-sma-bot-run")
    variables = config["Environment"]["Variables"]
    assert variables["MARKET"] == "bitvavo" and variables["BOTSHIP_MODE"] == "paper"
    assert variables["BOTSHIP_SECRET_ARN"].startswith("arn:aws:secretsmanager:")
    assert "key-1234" not in str(variables)
    assert fn["Tags"]["botship:bot"] == "sma-bot" and fn["Tags"]["team"] == "quant"
    assert boto3.client("lambda").get_function_concurrency(FunctionName="botship-sma-bot")[
        "ReservedConcurrentExecutions"] == 1
    schedule = boto3.client("scheduler").get_schedule(Name="botship-sma-bot")
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "rate(15 minutes)", "Europe/Amsterdam")
    assert schedule["Target"]["Arn"] == config["FunctionArn"]
    assert schedule["Target"]["RoleArn"].endswith(":role/botship-sma-bot-schedule")
    group = boto3.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/botship-sma-bot")["logGroups"][0]
    assert group["retentionInDays"] == 30


def test_an_unchanged_redeploy_plans_no_change_and_makes_no_mutating_call(aws, project):
    deploy(project, spec_for(project))
    plan, result, mutating = deploy(project, spec_for(project))
    assert result.ok
    assert {s.id: s.action for s in plan.steps} == {s.id: Action.NO_CHANGE for s in plan.steps}
    assert mutating == []


@pytest.mark.parametrize("change, expected", [
    ({"env": {"MARKET": "kraken"}}, {"function": "update: config"}),
    ({"memory_mb": 512}, {"function": "update: config"}),
    ({"schedule": "rate(1 hour)"}, {"schedule": "rate(1 hour) (Europe/Amsterdam)"}),
])
def test_one_change_runs_exactly_the_affected_steps(aws, project, change, expected):
    deploy(project, spec_for(project))
    plan, result, mutating = deploy(project, spec_for(project, **change))
    assert result.ok and mutating
    assert {s.id: s.detail for s in plan.steps if s.action is not Action.NO_CHANGE} == expected


def test_a_code_change_updates_only_the_function_code(aws, project):
    deploy(project, spec_for(project))
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# tuned\n")
    plan, result, mutating = deploy(project, spec_for(project))
    assert [(s.id, s.detail) for s in plan.changes] == [("function", "update: code")]
    assert "UpdateFunctionCode" in mutating and "UpdateFunctionConfiguration" not in mutating


def test_a_changed_secret_value_reaches_the_function_as_a_new_version(aws, project):
    deploy(project, spec_for(project))
    before = boto3.client("lambda").get_function_configuration(FunctionName="botship-sma-bot")
    plan, result, mutating = deploy(project, spec_for(project), secret="key-9999")
    assert [(s.id, s.detail) for s in plan.changes] == [("secret", "EXCHANGE_API_KEY"), ("function", "update: secret")]
    assert mutating == ["PutObject", "PutSecretValue", "UpdateFunctionConfiguration", "TagResource", "DeleteObject"]
    after = boto3.client("lambda").get_function_configuration(FunctionName="botship-sma-bot")
    old, new = (c["Environment"]["Variables"]["BOTSHIP_SECRET_VERSION"] for c in (before, after))
    assert old != new
    value = boto3.client("secretsmanager").get_secret_value(SecretId="botship/sma-bot", VersionId=new)["SecretString"]
    assert "key-9999" in value
    assert deploy(project, spec_for(project), secret="key-9999")[0].is_noop


def test_a_secret_too_short_to_mask_is_warned_about_in_the_plan(aws, project):
    plan, result, _ = deploy(project, spec_for(project), secret="k9")
    assert result.ok
    warning = dict(plan.summary)["warning"]
    assert "EXCHANGE_API_KEY" in warning and "cannot mask" in warning and "k9" not in warning
    assert "warning" not in dict(deploy(project, spec_for(project), secret="key-9999")[0].summary)


def test_removing_the_schedule_deletes_it_and_its_role(aws, project):
    deploy(project, spec_for(project))
    plan, result, _ = deploy(project, spec_for(project, schedule=None))
    assert result.ok
    assert [(s.id, s.action) for s in plan.changes] == [("schedule", Action.DELETE), ("scheduler-role", Action.DELETE)]
    assert boto3.client("scheduler").list_schedules()["Schedules"] == []
    assert [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]] == ["botship-sma-bot-run"]
    assert deploy(project, spec_for(project, schedule=None))[0].is_noop


def test_removing_every_secret_deletes_the_secret(aws, project):
    deploy(project, spec_for(project))
    plan, result, _ = deploy(project, spec_for(project, secrets=[]))
    assert result.ok
    assert [(s.id, s.action) for s in plan.changes] == [
        ("execution-role", Action.UPDATE), ("function", Action.UPDATE), ("secret", Action.DELETE)]
    assert boto3.client("secretsmanager").list_secrets()["SecretList"] == []  # scheduled for deletion
    variables = boto3.client("lambda").get_function_configuration(FunctionName="botship-sma-bot")[
        "Environment"]["Variables"]
    assert "BOTSHIP_SECRET_ARN" not in variables


def test_bots_are_found_by_tag(aws, project):
    deploy(project, spec_for(project))
    provider = AwsProvider(spec_for(project), AwsSession("eu-west-1"))
    (bot,) = provider.cloud().list_bots()
    assert (bot.bot_name, bot.profile, bot.mode, bot.state) == ("sma-bot", "prod", "paper", "active")
    status = provider.handle().status()
    assert status.schedule == "rate(15 minutes)" and status.state == "active" and status.shipped["code"]
    assert status.timezone == "Europe/Amsterdam" and status.next_run is not None


def test_the_cli_deploys_to_aws_and_a_second_run_is_up_to_date(aws, project, dependency_cache):
    write_aws_profile(project, "cli-bot", 'schedule = "rate(1 hour)"', 'secrets = ["EXCHANGE_API_KEY"]')

    def run(*args):
        return run_botship("deploy", *args, project=project, cache=dependency_cache,
                           EXCHANGE_API_KEY="cli-secret-4321")

    first = run("--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Deploy cli-bot to AWS Lambda (eu-west-1)" in first.stdout and first.stdout.count("✓") == 9
    assert "✓ Deploy lock" in first.stdout
    assert "cli-secret-4321" not in first.stdout + first.stderr
    second = run("--yes")
    assert second.returncode == 0 and "Everything is up to date" in second.stdout
    assert "Plan: 8 no change" in second.stdout


@pytest.mark.parametrize("purge", [False, True])
def test_destroy_leaves_only_the_state_bucket_unless_purged(aws, project, purge):
    plan, result, _ = deploy(project, spec_for(project))
    bucket = plan.steps[0].resource
    s3 = boto3.client("s3")
    # The bucket refuses plain HTTP, and moto is reached over HTTP: lift that rule to write test state.
    s3.delete_bucket_policy(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="paper/manifest.json", Body=b"{}")
    s3.put_object(Bucket=bucket, Key="paper/manifest.json", Body=b"{}")  # a second version

    provider = AwsProvider(spec_for(project), AwsSession("eu-west-1"))
    destroy = provider.plan_destroy(purge_state=purge)
    assert all(s.action is Action.DELETE for s in destroy.steps)
    assert start_run(destroy, lambda event: None).wait(60).ok

    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert boto3.client("scheduler").list_schedules()["Schedules"] == []
    assert [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"] if "botship" in r["RoleName"]] == []
    assert boto3.client("secretsmanager").list_secrets()["SecretList"] == []
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert buckets == ([] if purge else [bucket])
    again = AwsProvider(spec_for(project), AwsSession("eu-west-1")).plan_destroy(purge_state=purge)
    assert again.is_noop


@pytest.mark.parametrize("stop_after", range(8))
def test_a_deploy_interrupted_after_any_step_converges_on_rerun(aws, project, stop_after):
    spec = spec_for(project)
    session = AwsSession("eu-west-1")
    context = DeployContext(project, "prod", SecretValues([SecretValue("EXCHANGE_API_KEY", "key-1", "environment")]))
    plan = AwsProvider(spec, session).plan(context)
    finished: list[str] = []
    handle = None

    def sink(event):
        if event.kind == "step_finished" and event.step != "lock":
            finished.append(event.step)
            if len(finished) == stop_after + 1:
                handle.cancel()

    handle = start_run(plan, sink)
    assert handle.wait(60).status == "cancelled" or stop_after == len(plan.steps) - 1
    assert len(finished) == stop_after + 1

    rerun_plan, result, _ = deploy(project, spec, secret="key-1")
    assert result.ok
    assert [s.id for s in rerun_plan.steps if s.action is Action.NO_CHANGE] == finished
    final_plan, _, mutating = deploy(project, spec, secret="key-1")
    assert final_plan.is_noop and mutating == []
    assert len(boto3.client("lambda").list_functions()["Functions"]) == 1
    assert len(boto3.client("scheduler").list_schedules()["Schedules"]) == 1
    assert len(boto3.client("secretsmanager").list_secrets()["SecretList"]) == 1
    assert len([r for r in boto3.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("botship-")]) == 2


def test_the_cli_destroys_with_confirmation_rules(aws, project, dependency_cache):
    write_aws_profile(project, "gone-bot")

    def run(*args):
        return run_botship(*args, project=project, cache=dependency_cache)

    assert run("deploy", "--yes").returncode == 0
    unconfirmed = run("destroy")
    assert unconfirmed.returncode == 2 and "pass --yes" in unconfirmed.stderr
    dry = run("destroy", "--dry-run")
    assert dry.returncode == 0 and "- delete" in dry.stdout and "kept: botship-gone-bot-" in dry.stdout
    done = run("destroy", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert "- delete" not in done.stdout.split("Done in")[1]
    assert "gone-bot is no longer deployed on AWS Lambda" in done.stdout and "Kept: the state bucket" in done.stdout
    again = run("destroy", "--yes").stdout
    assert "gone-bot is not deployed on AWS Lambda" in again and "Kept: the state bucket botship-gone-bot-" in again


def test_changed_tags_reach_every_resource(aws, project):
    deploy(project, spec_for(project))
    plan, result, mutating = deploy(project, spec_for(project, tags={"team": "research"}))
    assert result.ok
    assert {s.id for s in plan.changes} == {"bucket", "secret", "execution-role", "scheduler-role", "log-group",
                                            "function"}
    assert "UpdateFunctionCode" not in mutating and "PutSecretValue" not in mutating
    fn = boto3.client("lambda").get_function(FunctionName="botship-sma-bot")
    assert fn["Tags"]["team"] == "research"
    role_tags = boto3.client("iam").list_role_tags(RoleName="botship-sma-bot-run")["Tags"]
    assert {"Key": "team", "Value": "research"} in role_tags
    assert deploy(project, spec_for(project, tags={"team": "research"}))[0].is_noop


def test_upgrading_botship_alone_changes_no_resource(aws, project, monkeypatch):
    import botship.providers.aws.provider as provider_module

    deploy(project, spec_for(project))
    monkeypatch.setattr(provider_module, "version", lambda package: "99.0.0")
    plan, result, mutating = deploy(project, spec_for(project))
    assert {s.id: s.action for s in plan.steps} == {s.id: Action.NO_CHANGE for s in plan.steps}
    assert mutating == []
    # The version is still information: written with the next real change.
    plan, result, _ = deploy(project, spec_for(project, memory_mb=512))
    fn = boto3.client("lambda").get_function(FunctionName="botship-sma-bot")
    assert fn["Tags"]["botship:version"] == "99.0.0"


def test_the_state_bucket_keeps_old_state_versions_for_the_retention_window(aws, project):
    plan, result, _ = deploy(project, spec_for(project))
    bucket = plan.steps[0].resource
    # rate(15 minutes): 96 runs a day, each MB they rewrite kept 30 days as ~2,839 earlier versions (~2.8 GB).
    history = dict(plan.summary)["history"]
    assert history == "earlier state kept 30 days, for `botship state restore`; ~$0.064 a month per MB each run rewrites"
    (rule,) = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Status"] == "Enabled" and rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    again, _, mutating = deploy(project, spec_for(project))
    assert again.is_noop and "PutBucketLifecycleConfiguration" not in mutating
    changed, result, mutating = deploy(project, spec_for(project, state_retention_days=90))
    assert result.ok
    assert [(s.id, s.detail) for s in changed.changes] == [("bucket", "fix: state history kept 90 days")]
    assert "PutBucketLifecycleConfiguration" in mutating
    (rule,) = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    assert deploy(project, spec_for(project, state_retention_days=90))[0].is_noop


def test_a_dropped_secret_is_scheduled_for_deletion_and_restored_when_needed_again(aws, project):
    deploy(project, spec_for(project))
    secrets = boto3.client("secretsmanager")
    plan, result, mutating = deploy(project, spec_for(project, secrets=[]))
    assert result.ok
    step = next(s for s in plan.changes if s.id == "secret")
    assert "30-day recovery window" in step.detail and "aws secretsmanager restore-secret --secret-id botship/sma-bot" in step.detail
    assert "DeleteSecret" in mutating
    assert secrets.describe_secret(SecretId="botship/sma-bot")["DeletedDate"]  # scheduled, still restorable
    assert deploy(project, spec_for(project, secrets=[]))[0].is_noop  # already on its way out
    back, result, mutating = deploy(project, spec_for(project), secret="key-5678")
    assert result.ok, result.failure
    assert next(s for s in back.changes if s.id == "secret").detail.startswith("restore")
    assert "RestoreSecret" in mutating and "CreateSecret" not in mutating
    assert "DeletedDate" not in secrets.describe_secret(SecretId="botship/sma-bot")
    assert "key-5678" in secrets.get_secret_value(SecretId="botship/sma-bot")["SecretString"]
    assert deploy(project, spec_for(project), secret="key-5678")[0].is_noop


@pytest.mark.parametrize("purge", [False, True])
def test_destroy_schedules_the_secrets_deletion_unless_purged(aws, project, purge):
    deploy(project, spec_for(project))
    destroy = AwsProvider(spec_for(project), AwsSession("eu-west-1")).plan_destroy(purge_state=purge)
    step = next(s for s in destroy.steps if s.id == "secret")
    assert ("deleted at once" in step.detail) is purge and ("recovery window" in step.detail) is not purge
    assert start_run(destroy, lambda event: None).wait(60).ok
    listed = boto3.client("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert [bool(s.get("DeletedDate")) for s in listed] == ([] if purge else [True])
