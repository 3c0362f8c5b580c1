"""The bot's state bucket: versioned, encrypted, private, TLS-only, tagged — read first, then made so."""

from __future__ import annotations

import json
from typing import Any

from botship.errors import BotshipError

from ..plan import Action, Step
from .names import INFO_TAGS, AwsNames
from .policies import bucket_policy
from .session import AwsSession, error_code, translate

PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                       "RestrictPublicBuckets": True}
# Noncurrent versions are the state's history (what `state restore` can go back to): kept for the retention
# window, then expired; a multipart upload a killed run left half-done is aborted after a day.
LIFECYCLE_RULE_ID = "botship-state-history"
ABORT_MULTIPART_DAYS = 1
DEFAULT_RETENTION_DAYS = 30
ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]}


class StateBucket:
    """Reads and converges the bucket's settings; each setting is compared and written on its own."""

    def __init__(self, session: AwsSession, names: AwsNames, tags: dict[str, str], *, tls_only: bool = True,
                 retention_days: int = DEFAULT_RETENTION_DAYS) -> None:
        """`tls_only=False` leaves out the TLS-only policy: only for an emulator that ignores policy
        conditions (moto applies the Deny to every request) and serves plain HTTP.
        `retention_days`: how long a replaced or deleted state file's old version is kept."""
        self.s3 = session.client("s3")
        self.names = names
        self.tags = tags
        self.tls_only = tls_only
        self.retention_days = retention_days

    def lifecycle_rules(self) -> list[dict[str, Any]]:
        return [{"ID": LIFECYCLE_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
                 "NoncurrentVersionExpiration": {"NoncurrentDays": self.retention_days},
                 "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS},
                 # A delete marker left with no versions behind it is removed too.
                 "Expiration": {"ExpiredObjectDeleteMarker": True}}]

    def desired(self) -> dict[str, Any]:
        want = {"versioning": "Enabled", "public_access_block": PUBLIC_ACCESS_BLOCK, "encryption": "AES256",
                "policy": bucket_policy(self.names.bucket), "tags": self.tags,
                "lifecycle": _comparable(self.lifecycle_rules())}
        if not self.tls_only:
            del want["policy"]
        return want

    def read(self) -> dict[str, Any] | None:
        """The bucket's current settings, or None when it does not exist (in any account we can see)."""
        bucket = self.names.bucket
        try:
            self.s3.head_bucket(Bucket=bucket)
        except Exception as exc:  # noqa: BLE001 - sorted by code below
            code = error_code(exc)
            if code in ("404", "NoSuchBucket", "NotFound"):
                return None
            if code in ("403", "AccessDenied"):
                raise BotshipError(
                    f"the bucket name {bucket} is taken by another AWS account (or you may not read it)",
                    "S3 bucket names are global; botship derives this one from the bot name, account and region",
                    "choose another bot_name, or check that your credentials may call s3:ListBucket") from None
            raise translate(exc, f"reading bucket {bucket}") from None
        current: dict[str, Any] = {"versioning": self.s3.get_bucket_versioning(Bucket=bucket).get("Status")}
        current["public_access_block"] = self._optional(
            lambda: self.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"])
        rules = self._optional(lambda: self.s3.get_bucket_encryption(Bucket=bucket)[
            "ServerSideEncryptionConfiguration"]["Rules"]) or []
        current["encryption"] = next((r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules), None)
        policy = self._optional(lambda: self.s3.get_bucket_policy(Bucket=bucket)["Policy"])
        current["policy"] = json.loads(policy) if policy else None
        tag_set = self._optional(lambda: self.s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) or []
        current["tags"] = {t["Key"]: t["Value"] for t in tag_set}
        # Only botship's own rule (by its ID) is compared: rules someone else added to the bucket are theirs.
        rules = [r for r in self._lifecycle() if r.get("ID") == LIFECYCLE_RULE_ID]
        current["lifecycle"] = _comparable(rules) if rules else None
        return current

    def _lifecycle(self) -> list[dict[str, Any]]:
        """Every lifecycle rule of the bucket, as S3 returns them."""
        bucket = self.names.bucket
        return self._optional(lambda: self.s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]) or []

    def _optional(self, call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - "not configured" answers differ per setting; all mean absent
            if error_code(exc) in ("NoSuchPublicAccessBlockConfiguration", "ServerSideEncryptionConfigurationNotFoundError",
                                   "NoSuchBucketPolicy", "NoSuchTagSet", "NoSuchTagSetError",
                                   "NoSuchLifecycleConfiguration"):
                return None
            raise translate(exc, f"reading bucket {self.names.bucket}") from None

    def differences(self, current: dict[str, Any] | None) -> list[str]:
        want = self.desired()
        if current is None:
            return list(want)
        return [key for key, value in want.items()
                if not (_same_tags(current.get(key) or {}, value) if key == "tags" else current.get(key) == value)]

    def step(self) -> Step:
        missing = self.differences(self.read())
        action = (Action.CREATE if missing == list(self.desired()) and "versioning" in missing
                  else Action.UPDATE if missing else Action.NO_CHANGE)
        detail = "" if action is not Action.UPDATE else "fix: " + ", ".join(
            f"state history kept {self.retention_days} days" if m == "lifecycle" else m.replace("_", " ")
            for m in missing)
        return Step("bucket", "State bucket", self.names.bucket, action, self.apply, detail=detail,
                    outputs={"bucket": self.names.bucket})

    def apply(self, ctx) -> dict[str, Any]:
        bucket = self.names.bucket
        current = self.read()
        try:
            if current is None:
                config = {} if self.names.region == "us-east-1" else {
                    "CreateBucketConfiguration": {"LocationConstraint": self.names.region}}
                self.s3.create_bucket(Bucket=bucket, **config)
                ctx.log(f"created bucket {bucket}")
            for setting in self.differences(current):
                ctx.check_cancelled()
                self._put(setting)
                ctx.log(f"set {setting.replace('_', ' ')}")
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) == "BucketAlreadyExists":
                raise BotshipError(f"the bucket name {bucket} was just taken by another AWS account",
                                   fix="choose another bot_name") from None
            raise translate(exc, f"setting up bucket {bucket}") from None
        return {"bucket": bucket}

    def _put(self, setting: str) -> None:
        bucket = self.names.bucket
        if setting == "versioning":
            self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        elif setting == "public_access_block":
            self.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
        elif setting == "encryption":
            self.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ENCRYPTION)
        elif setting == "policy":
            self.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(bucket_policy(bucket)))
        elif setting == "lifecycle":
            # The call replaces the bucket's whole configuration: keep every rule that is not botship's.
            others = [r for r in self._lifecycle() if r.get("ID") != LIFECYCLE_RULE_ID]
            self.s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                                       LifecycleConfiguration={"Rules": others + self.lifecycle_rules()})
        elif setting == "tags":
            self.s3.put_bucket_tagging(Bucket=bucket, Tagging={
                "TagSet": [{"Key": k, "Value": v} for k, v in sorted(self.tags.items())]})


def _comparable(rules: list[dict[str, Any]]) -> list[tuple]:
    """Lifecycle rules reduced to what botship sets, in a form S3's answer and our request compare as equal."""
    def one(rule: dict[str, Any]) -> tuple:
        rule_filter = rule.get("Filter") or {}
        return (rule.get("ID"), rule.get("Status"), rule_filter.get("Prefix", rule.get("Prefix", "")) or "",
                sorted(k for k in rule_filter if k != "Prefix"),
                (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
                (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
                bool((rule.get("Expiration") or {}).get("ExpiredObjectDeleteMarker")),
                sorted(k for k in rule.get("Expiration") or {} if k != "ExpiredObjectDeleteMarker"),
                sorted(k for k in rule if k in ("Transitions", "NoncurrentVersionTransitions")))
    return sorted(one(rule) for rule in rules)


def _same_tags(stored: dict[str, str], wanted: dict[str, str]) -> bool:
    """The bucket's whole tag set is replaced when written, so it is compared whole, information-only tags aside."""
    def meaningful(tags: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in tags.items() if k not in INFO_TAGS}
    return meaningful(stored) == meaningful(wanted)


def bucket_exists(session: AwsSession, names: AwsNames, doing: str) -> bool:
    """Whether the bot's state bucket exists (`doing` names the read in the error of any other failure)."""
    try:
        session.client("s3").head_bucket(Bucket=names.bucket)
        return True
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise translate(exc, doing) from None
        return False


def history_days(session: AwsSession, names: AwsNames) -> int | None:
    """How many days the bucket keeps replaced state (botship's lifecycle rule), or None when it has no such rule."""
    bucket = StateBucket(session, names, {})
    rule = next((r for r in bucket._lifecycle() if r.get("ID") == LIFECYCLE_RULE_ID), None)
    days = (rule or {}).get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
    return int(days) if days is not None else None
