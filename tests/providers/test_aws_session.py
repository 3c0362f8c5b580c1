"""AWS sessions against moto's server: who we are (users, assumed roles with paths) and errors in plain words."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from botship.errors import BadInput
from botship.providers.aws.names import AwsNames
from botship.providers.aws.session import AwsSession, translate

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})


def test_a_user_identity(aws):
    identity = AwsSession("eu-west-1").identity()
    assert identity.account == "123456789012"
    assert identity.kind == "user" and identity.principal == identity.arn


def test_an_assumed_role_resolves_to_its_role_with_its_path(aws, monkeypatch):
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="AWSReservedSSO_Admin_abc", Path="/aws-reserved/sso.amazonaws.com/",
                           AssumeRolePolicyDocument=TRUST)["Role"]
    creds = boto3.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="dev@example.com")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])

    identity = AwsSession("eu-west-1").identity()
    assert ":assumed-role/AWSReservedSSO_Admin_abc/" in identity.arn
    assert identity.kind == "role"
    assert identity.principal == "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc"


def test_an_unknown_aws_profile_is_bad_input(aws, tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text("[profile trading]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with pytest.raises(BadInput) as info:
        AwsSession("eu-west-1", "tradng")
    assert "trading" in info.value.why


def test_missing_credentials_say_how_to_sign_in(aws, tmp_path, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(Exception) as info:
        AwsSession("eu-west-1").identity()
    assert info.value.what == "no AWS credentials found while checking your AWS credentials"
    assert "aws sso login" in info.value.fix


@pytest.mark.parametrize("code, words", [
    ("ExpiredToken", "have expired"), ("InvalidClientTokenId", "rejected your credentials"),
    ("AccessDenied", "not allowed"), ("ThrottlingException", "throttling"),
])
def test_client_errors_become_actionable(code, words):
    error = ClientError({"Error": {"Code": code, "Message": "details"}}, "CreateFunction")
    translated = translate(error, "creating the function")
    assert words in translated.what and translated.fix


def test_derived_names_fit_every_aws_rule():
    names = AwsNames("a" * 32, "123456789012", "ap-southeast-3")
    assert len(names.bucket) <= 63 and names.bucket == names.bucket.lower()
    assert len(names.function) <= 64 and len(names.execution_role) <= 64 and len(names.scheduler_role) <= 64
    assert AwsNames("bot", "1", "eu-west-1").bucket != AwsNames("bot", "1", "us-east-1").bucket
