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


USER_RULES = [
    {"ID": "exports-expire", "Status": "Enabled", "Filter": {"Prefix": "exports/"}, "Expiration": {"Days": 90}},
    {"ID": "reports-tagged", "Status": "Enabled",
     "Filter": {"And": {"Prefix": "reports/", "Tags": [{"Key": "kind", "Value": "report"}]}},
     "Expiration": {"Days": 7}},
]


def rules_by_id(bucket: str) -> dict[str, dict]:
    rules = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    return {rule["ID"]: rule for rule in rules}


def test_lifecycle_rules_someone_else_added_are_kept_and_not_drift(aws):
    """PutBucketLifecycleConfiguration replaces every rule: botship owns only its own rule (by ID), keeps the
    others when it writes, and does not count them as a difference."""
    state = bucket_step()
    state.step().run(Ctx())
    name = state.names.bucket
    s3 = boto3.client("s3")
    ours = rules_by_id(name)["botship-state-history"]
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [ours, *USER_RULES]})

    assert bucket_step().step().action is Action.NO_CHANGE  # someone else's rules are not botship's drift

    # A retention change rewrites botship's rule alone.
    session = AwsSession("eu-west-1")
    longer = StateBucket(session, AwsNames("sma-bot", "123456789012", "eu-west-1"), {"botship:bot": "sma-bot"},
                         retention_days=90)
    step = longer.step()
    assert step.action is Action.UPDATE and "state history kept 90 days" in step.detail
    step.run(Ctx())
    after = rules_by_id(name)
    assert set(after) == {"botship-state-history", "exports-expire", "reports-tagged"}
    assert after["botship-state-history"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    assert after["exports-expire"]["Expiration"] == {"Days": 90}
    assert after["reports-tagged"]["Filter"]["And"]["Prefix"] == "reports/"
    assert longer.step().action is Action.NO_CHANGE


def test_botship_rule_removed_by_hand_is_put_back_beside_the_others(aws):
    state = bucket_step()
    state.step().run(Ctx())
    name = state.names.bucket
    boto3.client("s3").put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": USER_RULES})
    step = bucket_step().step()
    assert step.action is Action.UPDATE and "state history kept 30 days" in step.detail
    step.run(Ctx())
    assert set(rules_by_id(name)) == {"botship-state-history", "exports-expire", "reports-tagged"}
    assert bucket_step().step().action is Action.NO_CHANGE
