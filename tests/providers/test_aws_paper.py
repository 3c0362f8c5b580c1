"""A paper framework app on AWS (moto's server): never given its secret, told its paper settings, and given the
secret again the moment it goes live. A plain bot keeps its secret in paper mode."""

from __future__ import annotations

import json

import boto3
from aws_flow import deploy, spec_for

# Read statically as a framework app (it imports the framework), while the import itself never runs here.
FRAMEWORK_MARK = "\n\ndef _framework_app():\n    from investing_algorithm_framework import create_app\n    return create_app()\n"


def _function() -> tuple[dict, str]:
    config = boto3.client("lambda").get_function_configuration(FunctionName="botship-sma-bot")
    iam = boto3.client("iam")
    documents = [iam.get_role_policy(RoleName="botship-sma-bot-run", PolicyName=name)["PolicyDocument"]
                 for name in iam.list_role_policies(RoleName="botship-sma-bot-run")["PolicyNames"]]
    return config["Environment"]["Variables"], json.dumps(documents)


def test_a_paper_framework_app_never_holds_its_secret_until_it_goes_live(aws, project):
    (project / "app.py").write_text((project / "app.py").read_text() + FRAMEWORK_MARK)
    plan, result, _ = deploy(project, spec_for(project, paper={"balance": 500, "fee_pct": 0.1}))
    assert result.ok, result.failure
    summary = dict(plan.summary)
    assert summary["paper secrets"].startswith("kept back")
    assert "paper exchange" in summary["paper"]
    variables, policies = _function()
    assert "BOTSHIP_SECRET_ARN" not in variables and "secretsmanager:GetSecretValue" not in policies
    assert (variables["BOTSHIP_PAPER_BALANCE"], variables["BOTSHIP_PAPER_FEE_PCT"]) == ("500", "0.1")
    # Not even stored: the keys stay on this machine until the bot goes live.
    assert "secret" not in {step.id for step in plan.steps}
    assert boto3.client("secretsmanager").list_secrets()["SecretList"] == []

    plan, result, _ = deploy(project, spec_for(project, paper={"balance": 500}, mode="live"))
    assert result.ok, result.failure
    variables, policies = _function()
    assert variables["BOTSHIP_SECRET_ARN"].startswith("arn:aws:secretsmanager:")
    assert "secretsmanager:GetSecretValue" in policies
    assert not any(name.startswith("BOTSHIP_PAPER_") for name in variables)

    # Back to paper, the stored keys go (recoverable for the secret store's recovery window).
    plan, result, _ = deploy(project, spec_for(project, paper={"balance": 500}))
    assert result.ok, result.failure
    (removal,) = [s for s in plan.changes if s.id == "secret"]
    assert removal.detail.startswith("a paper framework app is given no secrets; deleted after a 30-day recovery")
    variables, policies = _function()
    assert "BOTSHIP_SECRET_ARN" not in variables and "secretsmanager:GetSecretValue" not in policies


def test_a_paper_framework_app_that_asks_for_its_secrets_gets_them(aws, project):
    (project / "app.py").write_text((project / "app.py").read_text() + FRAMEWORK_MARK)
    plan, result, _ = deploy(project, spec_for(project, paper={"send_secrets": True}))
    assert result.ok, result.failure
    assert dict(plan.summary)["paper secrets"].startswith("sent to the paper app (EXCHANGE_API_KEY)")
    variables, policies = _function()
    assert "BOTSHIP_SECRET_ARN" in variables and "secretsmanager:GetSecretValue" in policies


def test_a_plain_bot_keeps_its_secret_in_paper_mode_and_is_told_the_truth(aws, project):
    plan, result, _ = deploy(project, spec_for(project))
    assert result.ok, result.failure
    assert dict(plan.summary)["paper"].startswith("plain bot: botship tells the bot BOTSHIP_MODE=paper; app.py reads it")
    variables, _ = _function()
    assert "BOTSHIP_SECRET_ARN" in variables


def test_a_headless_paper_deploy_of_a_framework_app_needs_no_secret_values_and_a_live_one_does(
        aws, project, dependency_cache, monkeypatch):
    from helpers import run_botship, write_aws_profile

    monkeypatch.delenv("EXCHANGE_API_KEY", raising=False)
    (project / "app.py").write_text((project / "app.py").read_text() + FRAMEWORK_MARK)
    write_aws_profile(project, "paper-bot", 'secrets = ["EXCHANGE_API_KEY"]')
    paper = run_botship("deploy", "--profile", "prod", "--yes", project=project, cache=dependency_cache)
    assert paper.returncode == 0, paper.stdout + paper.stderr
    assert "kept back (EXCHANGE_API_KEY)" in paper.stdout

    write_aws_profile(project, "paper-bot", 'secrets = ["EXCHANGE_API_KEY"]', 'mode = "live"')
    live = run_botship("deploy", "--profile", "prod", "--yes", "--confirm-live", project=project,
                       cache=dependency_cache)
    assert live.returncode == 2 and "no value for secret" in live.stdout + live.stderr
