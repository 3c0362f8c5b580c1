"""The state bucket step against moto: created with every protection, a drifted setting repaired, else no change."""

from __future__ import annotations

import json

import boto3

from botship.providers.aws.bucket import StateBucket
from botship.providers.aws.names import AwsNames
from botship.providers.aws.session import AwsSession
from botship.providers.plan import Action


class Ctx:
    def __init__(self):
        self.lines = []

    def log(self, message, level="info"):
        self.lines.append(message)

    def check_cancelled(self):
        pass


def bucket_step(region="eu-west-1"):
    session = AwsSession(region)
    return StateBucket(session, AwsNames("sma-bot", "123456789012", region), {"botship:bot": "sma-bot"})


def test_created_with_every_protection_then_no_change(aws):
    state = bucket_step()
    step = state.step()
    assert step.action is Action.CREATE
    step.run(Ctx())

    s3 = boto3.client("s3")
    name = state.names.bucket
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"].values())
    rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]} == {"botship:bot": "sma-bot"}
    assert bucket_step().step().action is Action.NO_CHANGE


def test_us_east_1_needs_no_location_constraint(aws):
    state = bucket_step("us-east-1")
    state.step().run(Ctx())
    assert boto3.client("s3", region_name="us-east-1").get_bucket_location(Bucket=state.names.bucket)[
        "LocationConstraint"] in (None, "")


def test_a_drifted_setting_is_repaired_alone(aws):
    state = bucket_step()
    state.step().run(Ctx())
    boto3.client("s3").delete_bucket_policy(Bucket=state.names.bucket)
    step = bucket_step().step()
    assert step.action is Action.UPDATE and step.detail == "fix: policy"
    ctx = Ctx()
    step.run(ctx)
    assert ctx.lines == ["set policy"]
    assert bucket_step().step().action is Action.NO_CHANGE
