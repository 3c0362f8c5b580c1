"""IAM and bucket policy documents for one bot: each grant scoped to that bot's own resources."""

from __future__ import annotations

from typing import Any

from .names import AwsNames


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trust(service: str, account: str | None = None) -> dict[str, Any]:
    """Trust for a service; with `account`, only on behalf of that account (no confused deputy)."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
    return _doc(statement)


def arn(names: AwsNames, service: str, resource: str, partition: str = "aws") -> str:
    region = "" if service in ("iam", "s3") else names.region
    account = "" if service == "s3" else names.account
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def secret_arn_pattern(names: AwsNames) -> str:
    # Secrets Manager appends six random characters to a secret's ARN; `??????` matches exactly those.
    return arn(names, "secretsmanager", f"secret:{names.secret}-??????")


def function_arn(names: AwsNames) -> str:
    return arn(names, "lambda", f"function:{names.function}")


def execution_policy(names: AwsNames, with_secret: bool, mode: str = "paper") -> dict[str, Any]:
    """What the function may do: write its own logs, use its own mode's part of its bucket, read its own secret.

    A paper bot's role reaches only `<bucket>/paper/*` and a live bot's only `live/*`, so paper code can never
    touch live state; a listing names that prefix (the `s3:prefix` condition). The condition is IfExists: S3 asks
    for ListBucket also when a GetObject finds no object (to answer 404 rather than 403), and that check carries
    no prefix — a plain StringLike would turn a bot's first run (no manifest, no run records yet) into a 403.
    """
    log_group = arn(names, "logs", f"log-group:{names.log_group}")
    bucket = arn(names, "s3", names.bucket)
    prefix = f"{mode}/"
    statements: list[dict[str, Any]] = [
        {"Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{log_group}:*"]},
        {"Sid": "OwnStateListing", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
         "Resource": [bucket], "Condition": {"StringLikeIfExists": {"s3:prefix": [f"{prefix}*"]}}},
        {"Sid": "OwnStateObjects", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"],
         "Resource": [f"{bucket}/{prefix}*"]},
    ]
    if with_secret:
        statements.append({"Sid": "OwnSecret", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                           "Resource": [secret_arn_pattern(names)]})
    return _doc(*statements)


def scheduler_policy(names: AwsNames) -> dict[str, Any]:
    """The scheduler may invoke this one function and nothing else."""
    function = function_arn(names)
    return _doc({"Sid": "InvokeOwnFunction", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
                 "Resource": [function, f"{function}:*"]})


BOUNDARY_NAME = "botship-bot-boundary"


def boundary_arn(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:policy/{BOUNDARY_NAME}"


def boundary_policy(account: str, partition: str = "aws") -> dict[str, Any]:
    """The permissions boundary of every role botship creates: the most any bot role can ever be allowed.

    A role's effective permissions are its inline policy *and* this, so a deployer who may create
    `botship-*` roles still cannot make one that does more than a bot needs: write botship log groups,
    use botship state buckets (in this account), read botship secrets, invoke botship functions (the
    scheduler role). Its content is fixed by botship, the same for every bot of the account.
    """
    return _doc(
        {"Sid": "BotLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"arn:{partition}:logs:*:{account}:log-group:/aws/lambda/botship-*:*"]},
        {"Sid": "BotStateListing", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
         "Resource": [f"arn:{partition}:s3:::botship-*"],
         "Condition": {"StringEquals": {"aws:ResourceAccount": account}}},
        {"Sid": "BotStateObjects", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"],
         "Resource": [f"arn:{partition}:s3:::botship-*/*"],
         "Condition": {"StringEquals": {"aws:ResourceAccount": account}}},
        {"Sid": "BotSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
         "Resource": [f"arn:{partition}:secretsmanager:*:{account}:secret:botship/*"]},
        {"Sid": "InvokeBots", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
         "Resource": [f"arn:{partition}:lambda:*:{account}:function:botship-*",
                      f"arn:{partition}:lambda:*:{account}:function:botship-*:*"]},
    )


def bucket_policy(bucket: str) -> dict[str, Any]:
    """Refuse any request to the state bucket that is not over TLS."""
    resource = f"arn:aws:s3:::{bucket}"
    return _doc({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": [resource, f"{resource}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
