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


def test_a_region_typo_is_caught_before_any_call(aws):
    with pytest.raises(BadInput) as info:
        AwsSession("eu-wset-1")
    assert "'eu-wset-1' is not a region AWS Lambda runs in" in info.value.what
    assert "did you mean 'eu-west-1'?" in info.value.fix


def test_rejected_credentials_mention_regions_that_need_enabling(aws, monkeypatch):
    from botocore.stub import Stubber

    session = AwsSession("me-south-1")
    stubber = Stubber(session.client("sts"))
    stubber.add_client_error("get_caller_identity", "InvalidClientTokenId",
                             "The security token included in the request is invalid.", 403)
    with stubber, pytest.raises(Exception) as info:
        session.identity()
    assert info.value.what.startswith("AWS rejected your credentials")
    assert "me-south-1 may be an opt-in region" in info.value.fix


class Throttling:
    """An STS endpoint over HTTP that throttles the first `throttle` requests, then answers."""

    def __init__(self, throttle: int) -> None:
        import http.server
        import threading

        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests += 1
                if outer.requests <= throttle:
                    status, body = 400, (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                                         b"<Message>Rate exceeded</Message></Error><RequestId>1</RequestId>"
                                         b"</ErrorResponse>")
                else:
                    status, body = 200, (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/'
                                         b'2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:'
                                         b"user/alice</Arn><UserId>AIDA</UserId><Account>123456789012</Account>"
                                         b"</GetCallerIdentityResult><ResponseMetadata><RequestId>2</RequestId>"
                                         b"</ResponseMetadata></GetCallerIdentityResponse>")
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_throttling_is_retried_with_backoff_until_aws_answers(aws, monkeypatch):
    server = Throttling(throttle=2)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    try:
        session = AwsSession("eu-west-1")
        assert session.identity().arn == "arn:aws:iam::123456789012:user/alice"
    finally:
        server.close()
    assert server.requests == 3
    config = session.client("sts").meta.config
    assert config.retries["mode"] == "adaptive" and (config.connect_timeout, config.read_timeout) == (10, 60)
