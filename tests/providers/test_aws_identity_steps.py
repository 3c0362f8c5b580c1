"""The secret and role steps against moto: created scoped, unchanged re-runs write nothing, drift repaired."""

from __future__ import annotations

import json

import boto3

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
        f"arn:aws:s3:::{NAMES.bucket}", f"arn:aws:s3:::{NAMES.bucket}/*",
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
