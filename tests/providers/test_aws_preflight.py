"""Pre-flight checks: `botship doctor` against moto, and the permission simulator as a strict fake.

moto's server does not implement iam:SimulatePrincipalPolicy, so the answers of that one API come
from botocore's Stubber, which checks every request against the IAM service model.
"""

from __future__ import annotations

import json
import shutil

import pytest
from pathlib import Path

from botocore.stub import Stubber

from botship.providers.aws.preflight import REQUIRED_ACTIONS, check_permissions, simulated_requests
from botship.providers.aws.session import AwsSession, Identity
from helpers import run_botship, write_aws_profile

BOTS = Path(__file__).resolve().parents[1] / "bots"
ROLE = Identity("123456789012", "arn:aws:sts::123456789012:assumed-role/Deployer/me",
                "arn:aws:iam::123456789012:role/Deployer", "role")


def simulated(decisions: dict[str, str]) -> tuple[AwsSession, Stubber]:
    """A session whose IAM simulator answers each request botship makes (one per grant) with `decisions`."""
    session = AwsSession("eu-west-1")
    stubber = Stubber(session.client("iam"))
    for request in simulated_requests(ROLE.account, "eu-west-1", REQUIRED_ACTIONS):
        results = [{"EvalActionName": a, "EvalResourceName": r, "EvalDecision": decisions.get(a, "allowed")}
                   for a in request["ActionNames"] for r in request.get("ResourceArns", ["*"])]
        stubber.add_response("simulate_principal_policy", {"EvaluationResults": results, "IsTruncated": False},
                             {"PolicySourceArn": ROLE.principal, **request})
    return session, stubber


def test_missing_permissions_are_named_with_the_statement_that_grants_them(aws):
    session, stubber = simulated({"iam:PassRole": "implicitDeny", "lambda:PutFunctionConcurrency": "explicitDeny"})
    with stubber:
        check = check_permissions(session, ROLE)
    assert check.ok is False
    assert check.detail == "2 missing: iam:PassRole, lambda:PutFunctionConcurrency"
    assert check.fix.startswith("attach this policy to arn:aws:iam::123456789012:role/Deployer: ")
    policy = json.loads(check.fix.split(": ", 1)[1])
    statements = {st["Sid"]: st for st in policy["Statement"]}
    assert statements["BotshipLambda"] == {"Sid": "BotshipLambda", "Effect": "Allow",
                                           "Action": ["lambda:PutFunctionConcurrency"],
                                           "Resource": ["arn:aws:lambda:*:123456789012:function:botship-*"]}
    assert statements["PassBotshipRoles"]["Condition"]["StringEquals"]["iam:PassedToService"] == [
        "lambda.amazonaws.com", "scheduler.amazonaws.com"]


def test_all_permissions_allowed(aws):
    session, stubber = simulated({})
    with stubber:
        assert check_permissions(session, ROLE).ok is True
        stubber.assert_no_pending_responses()


def test_an_identity_that_may_not_simulate_is_told_so_and_goes_on(aws):
    session = AwsSession("eu-west-1")
    stubber = Stubber(session.client("iam"))
    stubber.add_client_error("simulate_principal_policy", "AccessDenied", "not allowed")
    with stubber:
        check = check_permissions(session, ROLE)
    assert check.ok is None and "may not call iam:SimulatePrincipalPolicy" in check.detail


def test_doctor_runs_every_check_against_moto(aws, tmp_path, dependency_cache):
    project = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", project)
    write_aws_profile(project, "doc-bot", 'secrets = ["EXCHANGE_API_KEY"]')
    ready = run_botship("doctor", project=project, cache=dependency_cache, EXCHANGE_API_KEY="doctor-secret-1")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    lines = ready.stdout
    assert "✓ profile: 'prod' is valid (PAPER, AWS Lambda (eu-west-1))" in lines
    assert "✓ secret values: EXCHANGE_API_KEY (environment)" in lines
    assert "✓ identity: arn:aws:sts::123456789012:user/moto" in lines
    assert "! permissions: not checked" in lines and "! quotas: not checked" in lines
    assert "✓ bucket name: botship-doc-bot-" in lines and "✓ package:" in lines
    assert "Ready to deploy." in lines and "doctor-secret-1" not in lines

    policy = json.loads(run_botship("doctor", "--policy", project=project, cache=dependency_cache).stdout)
    assert policy["Statement"][0]["Sid"] == "ReadAccountWide"
    assert "arn:aws:iam::123456789012:role/botship-*" in json.dumps(policy)

    missing = run_botship("doctor", project=project, cache=dependency_cache)
    assert missing.returncode == 1
    assert "✗ secret values: no value for secret EXCHANGE_API_KEY" in missing.stdout


def account_settings(total: int, unreserved: int, code_used: int = 0) -> tuple[AwsSession, Stubber]:
    session = AwsSession("eu-west-1")
    stubber = Stubber(session.client("lambda"))
    stubber.add_response("get_account_settings", {
        "AccountLimit": {"ConcurrentExecutions": total, "UnreservedConcurrentExecutions": unreserved,
                         "TotalCodeSize": 80_530_636_800},
        "AccountUsage": {"TotalCodeSize": code_used, "FunctionCount": 3}}, {})
    return session, stubber


def test_memory_above_what_new_accounts_get_is_flagged_with_a_way_out(aws):
    from botship.providers.aws.preflight import check_quota

    session, stubber = account_settings(1000, 1000)
    with stubber:
        check = check_quota(session, 4096)
    assert check.ok is True and "3008 MB" in check.detail and "lower memory_mb to 3008" in check.fix
    session, stubber = account_settings(1000, 1000)
    with stubber:
        assert "3008" not in check_quota(session, 1024).detail


def test_full_code_storage_is_caught_before_deploying(aws):
    from botship.providers.aws.preflight import check_quota

    session, stubber = account_settings(1000, 1000, code_used=80_000_000_000)
    with stubber:
        check = check_quota(session, 512)
    assert check.ok is False and "code storage is 99% full" in check.detail
    assert "delete old function versions" in check.fix


def test_memory_the_account_refuses_fails_the_function_step_with_what_to_do(aws, project):
    from aws_flow import spec_for

    from botship.providers.aws.provider import AwsProvider
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.secret_values import SecretValues

    session = AwsSession("eu-west-1")
    spec = spec_for(project, memory_mb=4096, schedule=None, secrets=[])
    context = DeployContext(project, "prod", SecretValues([]))
    plan = AwsProvider(spec, session).plan(context)
    stubber = Stubber(session.client("lambda"))
    # Read twice: the run plans again once it holds the deploy lock, then the step reads before it writes.
    stubber.add_client_error("get_function", "ResourceNotFoundException", "no function", 404)
    stubber.add_client_error("get_function", "ResourceNotFoundException", "no function", 404)
    stubber.add_client_error("create_function", "InvalidParameterValueException",
                             "'MemorySize' value failed to satisfy constraint: Member must have value less than "
                             "or equal to 3008")
    with stubber:
        result = start_run(plan, lambda event: None).wait(60)
    assert not result.ok and result.failure.step == "function"
    assert "memory_mb = 4096 is above what this account allows" in result.failure.what
    assert "lower memory_mb" in result.failure.fix


def test_a_new_accounts_concurrency_quota_is_caught_before_deploying(aws):
    from botship.providers.aws.preflight import check_quota

    session, stubber = account_settings(10, 10)
    with stubber:
        check = check_quota(session, 512)
    assert check.ok is False and "higher Lambda concurrency quota" in check.fix
    session, stubber = account_settings(1000, 1000)
    with stubber:
        assert check_quota(session, 512).ok is True


def test_a_denied_read_while_planning_is_a_message_not_a_crash(aws, project):
    from botship.errors import BotshipError
    from botship.providers.aws.provider import AwsProvider
    from botship.providers.base import DeployContext
    from botship.spec import build_spec
    from helpers import HOST_PYTHON

    session = AwsSession("eu-west-1")
    stubber = Stubber(session.client("logs"))
    stubber.add_client_error("describe_log_groups", "AccessDeniedException", "no logs for you")
    spec = build_spec({"platform": "aws", "bot_name": "denied-bot", "entry": "app:handler", "python": HOST_PYTHON,
                       "aws": {"region": "eu-west-1"}}, project)
    with stubber, pytest.raises(BotshipError) as info:
        AwsProvider(spec, session).plan(DeployContext(project, "prod"))
    assert info.value.what == "not allowed while reading what is deployed"
    assert "botship doctor" in info.value.fix


def test_sso_sign_in_problems_say_how_to_sign_in():
    from botocore.exceptions import SSOTokenLoadError

    from botship.providers.aws.session import translate

    error = translate(SSOTokenLoadError(error_msg="token expired"), "checking your AWS credentials")
    assert "sign-in has expired or was never made" in error.what and "aws sso login" in error.fix


def test_the_full_deploy_policy_grants_every_action_and_scopes_all_it_can():
    from botship.providers.aws.preflight import deploy_policy

    policy = deploy_policy("123456789012")
    granted = []
    for statement in policy["Statement"]:
        if statement["Effect"] == "Allow":
            granted += statement["Action"]
        if statement["Resource"] == "*":
            assert statement["Sid"] == "ReadAccountWide"
    assert sorted(granted) == REQUIRED_ACTIONS
    assert "sts:GetCallerIdentity" not in granted  # needs no permission


BOUNDARY = "arn:aws:iam::123456789012:policy/botship-bot-boundary"
ROLE_ARN = "arn:aws:iam::123456789012:role/botship-sma-bot-run"


@pytest.mark.parametrize("action", ["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"])
def test_role_writes_are_allowed_only_with_botships_boundary(action):
    from botship.providers.aws.preflight import deploy_policy
    from test_aws_policy_complete import decide

    policy = deploy_policy("123456789012")
    assert decide(policy, action, ROLE_ARN, {"iam:PermissionsBoundary": BOUNDARY}) == "allowed"
    assert decide(policy, action, ROLE_ARN, {}) == "implicitDeny"
    other = "arn:aws:iam::123456789012:policy/AdministratorAccess"
    assert decide(policy, action, ROLE_ARN, {"iam:PermissionsBoundary": other}) == "implicitDeny"
    # Only botship's own roles, whatever the boundary.
    assert decide(policy, action, "arn:aws:iam::123456789012:role/admin",
                  {"iam:PermissionsBoundary": BOUNDARY}) == "implicitDeny"
    assert "iam:AttachRolePolicy" not in REQUIRED_ACTIONS  # botship attaches no managed policy


def test_no_deployer_can_loosen_or_rewrite_the_boundary():
    from botship.providers.aws.preflight import deploy_policy, required_actions
    from test_aws_policy_complete import decide

    for packaging in ("zip", "image"):
        policy = deploy_policy("123456789012", required_actions(packaging))
        assert decide(policy, "iam:DeleteRolePermissionsBoundary", ROLE_ARN, {}) == "explicitDeny"
        for action in ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                       "iam:SetDefaultPolicyVersion"):
            assert decide(policy, action, BOUNDARY, {}) == "explicitDeny", action
        # Created once when absent (the trade-off: whoever deploys first in an account could create it wider;
        # an administrator who creates it first closes that), read always, and nothing else.
        assert decide(policy, "iam:CreatePolicy", BOUNDARY, {}) == "allowed"
        assert decide(policy, "iam:CreatePolicy", "arn:aws:iam::123456789012:policy/other", {}) == "implicitDeny"
        assert decide(policy, "iam:PassRole", ROLE_ARN, {"iam:PassedToService": "ec2.amazonaws.com"}) == "implicitDeny"


def test_the_permission_check_simulates_each_grant_on_its_resources_with_the_condition_values():
    requests = simulated_requests("123456789012", "eu-west-1", REQUIRED_ACTIONS)
    asked = sorted(a for r in requests for a in r["ActionNames"])
    assert asked == REQUIRED_ACTIONS
    writes = next(r for r in requests if "iam:CreateRole" in r["ActionNames"])
    assert writes["ResourceArns"] == ["arn:aws:iam::123456789012:role/botship-*"]
    context = {e["ContextKeyName"]: e["ContextKeyValues"] for e in writes["ContextEntries"]}
    assert context["iam:PermissionsBoundary"] == [BOUNDARY]
    functions = next(r for r in requests if "lambda:CreateFunction" in r["ActionNames"])
    assert functions["ResourceArns"] == ["arn:aws:lambda:eu-west-1:123456789012:function:botship-*"]
