"""The secret and role steps against moto: created scoped, unchanged re-runs write nothing, drift repaired."""

from __future__ import annotations

import json

import boto3
import pytest

from botship.providers.aws.identity_steps import BotSecret, execution_role, scheduler_role
from botship.providers.aws.names import AwsNames
from botship.providers.aws.session import AwsSession
from botship.providers.plan import Action
from botship.secret_values import SecretValue, SecretValues

NAMES = AwsNames("sma-bot", "123456789012", "eu-west-1")
TAGS = {"botship:bot": "sma-bot"}


class Ctx:
    def __init__(self):
        self.lines = []
        self.outputs = {}

    def log(self, message, level="info"):
        self.lines.append(message)

    def check_cancelled(self):
        pass


def values(**pairs):
    return SecretValues([SecretValue(k, v, "environment") for k, v in pairs.items()])


def test_secret_is_written_once_and_again_only_when_a_value_changes(aws):
    session = AwsSession("eu-west-1")
    step = BotSecret(session, NAMES, values(API_KEY="k-1234", API_SECRET="s-5678"), TAGS).step()
    assert step.action is Action.CREATE
    ctx = Ctx()
    arn = step.run(ctx)["secret_arn"]
    assert "k-1234" not in " ".join(ctx.lines)
    stored = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    assert json.loads(stored) == {"API_KEY": "k-1234", "API_SECRET": "s-5678"}

    assert BotSecret(session, NAMES, values(API_KEY="k-1234", API_SECRET="s-5678"), TAGS).step().action is Action.NO_CHANGE
    changed = BotSecret(session, NAMES, values(API_KEY="k-9999", API_SECRET="s-5678"), TAGS).step()
    assert changed.action is Action.UPDATE
    ctx = Ctx()
    changed.run(ctx)
    assert ctx.lines == ["updated value(s): API_KEY"]
    assert BotSecret(session, NAMES, SecretValues(), TAGS).step() is None


def test_execution_role_is_scoped_to_the_bots_own_resources(aws):
    session = AwsSession("eu-west-1")
    step = execution_role(session, NAMES, TAGS, with_secret=True).step()
    assert step.action is Action.CREATE
    arn = step.run(Ctx())["role_arn"]
    iam = boto3.client("iam")
    role = iam.get_role(RoleName=NAMES.execution_role)["Role"]
    assert role["Arn"] == arn
    trust_doc = role["AssumeRolePolicyDocument"]
    assert trust_doc["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    policy = iam.get_role_policy(RoleName=NAMES.execution_role, PolicyName="botship")["PolicyDocument"]
    resources = [r for statement in policy["Statement"] for r in statement["Resource"]]
    assert "*" not in resources
    assert resources == [
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/botship-sma-bot:*",
        f"arn:aws:s3:::{NAMES.bucket}", f"arn:aws:s3:::{NAMES.bucket}/paper/*",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:botship/sma-bot-??????"]
    assert execution_role(session, NAMES, TAGS, with_secret=True).step().action is Action.NO_CHANGE

    without_secret = execution_role(session, NAMES, TAGS, with_secret=False).step()
    assert without_secret.action is Action.UPDATE
    without_secret.run(Ctx())
    policy = iam.get_role_policy(RoleName=NAMES.execution_role, PolicyName="botship")["PolicyDocument"]
    assert "OwnSecret" not in [s["Sid"] for s in policy["Statement"]]


def test_scheduler_role_may_only_invoke_the_function(aws):
    session = AwsSession("eu-west-1")
    scheduler_role(session, NAMES, TAGS).step().run(Ctx())
    iam = boto3.client("iam")
    policy = iam.get_role_policy(RoleName=NAMES.scheduler_role, PolicyName="botship")["PolicyDocument"]
    (statement,) = policy["Statement"]
    assert statement["Action"] == ["lambda:InvokeFunction"]
    trust_doc = iam.get_role(RoleName=NAMES.scheduler_role)["Role"]["AssumeRolePolicyDocument"]
    assert trust_doc["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert statement["Resource"][0] == "arn:aws:lambda:eu-west-1:123456789012:function:botship-sma-bot"

    iam.update_assume_role_policy(RoleName=NAMES.scheduler_role, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))
    drifted = scheduler_role(session, NAMES, TAGS).step()
    assert drifted.action is Action.UPDATE
    ctx = Ctx()
    drifted.run(ctx)
    assert ctx.lines == ["trust policy repaired"]


BOUNDARY = "arn:aws:iam::123456789012:policy/botship-bot-boundary"


def deploy_roles(session, mode="paper"):
    """The boundary and both roles, planned and run in the plan's order; their planned actions."""
    role = execution_role(session, NAMES, TAGS, with_secret=True, mode=mode)
    steps = [role.boundary.step(), role.step(), scheduler_role(session, NAMES, TAGS).step()]
    for step in steps:
        step.run(Ctx())
    return {step.id: step.action for step in steps}


def test_every_role_botship_makes_carries_the_boundary_which_allows_only_what_bots_need(aws):
    from botship.providers.aws.policies import boundary_policy

    session = AwsSession("eu-west-1")
    assert deploy_roles(session) == {"role-boundary": Action.CREATE, "execution-role": Action.CREATE,
                                     "scheduler-role": Action.CREATE}
    iam = boto3.client("iam")
    for role in (NAMES.execution_role, NAMES.scheduler_role):
        assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    policy = iam.get_policy(PolicyArn=BOUNDARY)["Policy"]
    assert {"Key": "botship:shared", "Value": "role-boundary"} in policy["Tags"]
    document = iam.get_policy_version(PolicyArn=BOUNDARY, VersionId=policy["DefaultVersionId"])["PolicyVersion"][
        "Document"]
    assert document == boundary_policy("123456789012")
    actions = sorted(a for statement in document["Statement"] for a in statement["Action"])
    assert actions == ["lambda:InvokeFunction", "logs:CreateLogStream", "logs:PutLogEvents", "s3:DeleteObject",
                       "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions",
                       "s3:PutObject", "secretsmanager:GetSecretValue"]
    assert all("botship" in r for statement in document["Statement"] for r in statement["Resource"])

    # An unchanged re-deploy plans no change and writes nothing.
    writes = []
    session.client("iam").meta.events.register(
        "before-call.iam", lambda model, **kw: writes.append(model.name) if not model.name.startswith(("Get", "List"))
        else None)
    assert deploy_roles(session) == {"role-boundary": Action.NO_CHANGE, "execution-role": Action.NO_CHANGE,
                                     "scheduler-role": Action.NO_CHANGE}
    assert writes == []


def test_a_role_made_without_the_boundary_gets_it_on_the_next_deploy(aws):
    session = AwsSession("eu-west-1")
    deploy_roles(session)
    iam = boto3.client("iam")
    iam.delete_role_permissions_boundary(RoleName=NAMES.execution_role)
    role = execution_role(session, NAMES, TAGS, with_secret=True)
    step = role.step()
    assert (step.action, step.detail) == (Action.UPDATE, "add permissions boundary")
    ctx = Ctx()
    step.run(ctx)
    assert ctx.lines == ["permissions boundary set: botship-bot-boundary"]
    assert iam.get_role(RoleName=NAMES.execution_role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    assert role.step().action is Action.NO_CHANGE


def _deployed_with_a_wide_boundary():
    """Roles deployed, then the shared boundary widened to allow everything (as an admin or attacker might)."""
    session = AwsSession("eu-west-1")
    deploy_roles(session)
    iam = boto3.client("iam")
    wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.create_policy_version(PolicyArn=BOUNDARY, PolicyDocument=json.dumps(wide), SetAsDefault=True)
    return session, iam


def test_a_boundary_that_differs_is_set_back_by_whoever_may(aws):
    from botship.providers.aws.identity_steps import RoleBoundary

    session, iam = _deployed_with_a_wide_boundary()
    step = RoleBoundary(session, NAMES).step()
    assert step.action is Action.UPDATE and "an administrator" in step.detail
    step.run(Ctx())
    assert RoleBoundary(session, NAMES).step().action is Action.NO_CHANGE


def test_a_boundary_the_deployer_may_not_change_stops_the_deploy_with_who_can(aws):
    from botocore.stub import Stubber

    from botship.errors import BotshipError
    from botship.providers.aws.identity_steps import RoleBoundary

    session, iam = _deployed_with_a_wide_boundary()
    step = RoleBoundary(session, NAMES).step()
    versions = iam.list_policy_versions(PolicyArn=BOUNDARY)
    for listed in versions["Versions"]:
        listed.pop("Document", None)
    stubber = Stubber(session.client("iam"))
    current = iam.get_policy(PolicyArn=BOUNDARY)
    stubber.add_response("get_policy", current, {"PolicyArn": BOUNDARY})
    version = iam.get_policy_version(PolicyArn=BOUNDARY, VersionId=current["Policy"]["DefaultVersionId"])
    version["PolicyVersion"]["Document"] = json.dumps(version["PolicyVersion"]["Document"])
    stubber.add_response("get_policy_version", version)
    stubber.add_response("list_policy_versions", versions, {"PolicyArn": BOUNDARY})
    stubber.add_client_error("create_policy_version", "AccessDenied", "explicit deny in an identity-based policy")
    with stubber, pytest.raises(BotshipError) as info:
        step.run(Ctx())
    assert "differs from what this botship version sets" in info.value.what
    assert "administrator" in info.value.fix


def test_the_execution_role_reaches_only_its_own_modes_state(aws):
    session = AwsSession("eu-west-1")
    deploy_roles(session, mode="paper")
    iam = boto3.client("iam")

    def objects_and_listing():
        policy = iam.get_role_policy(RoleName=NAMES.execution_role, PolicyName="botship")["PolicyDocument"]
        by_sid = {s["Sid"]: s for s in policy["Statement"]}
        return by_sid["OwnStateObjects"]["Resource"], by_sid["OwnStateListing"]["Condition"]

    assert objects_and_listing() == ([f"arn:aws:s3:::{NAMES.bucket}/paper/*"],
                                     {"StringLikeIfExists": {"s3:prefix": ["paper/*"]}})
    switched = execution_role(session, NAMES, TAGS, with_secret=True, mode="live").step()
    assert switched.action is Action.UPDATE
    switched.run(Ctx())
    assert objects_and_listing() == ([f"arn:aws:s3:::{NAMES.bucket}/live/*"],
                                     {"StringLikeIfExists": {"s3:prefix": ["live/*"]}})
    # Without a mode given, the role takes the one in the bot's tags.
    tagged_live = execution_role(session, NAMES, {**TAGS, "botship:mode": "live"}, with_secret=True)
    assert tagged_live.policy == execution_role(session, NAMES, TAGS, with_secret=True, mode="live").policy
