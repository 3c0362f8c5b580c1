"""Pre-flight checks for AWS: identity, every permission a deploy needs, quotas, the bucket name — changing nothing."""

from __future__ import annotations

import json

from ..base import Check
from .names import AwsNames
from .session import AwsSession, Identity, error_code

# Every action a deploy, a status or a destroy calls, iam:PassRole included.
REQUIRED_ACTIONS = sorted({
    "sts:GetCallerIdentity", "iam:GetRole", "iam:CreateRole", "iam:UpdateAssumeRolePolicy", "iam:GetRolePolicy",
    "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole", "iam:PassRole", "iam:TagRole",
    "s3:CreateBucket", "s3:ListBucket", "s3:GetBucketVersioning", "s3:PutBucketVersioning",
    "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:GetBucketTagging",
    "s3:PutBucketTagging", "s3:PutObject", "s3:GetObject", "s3:DeleteObject",
    "secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret", "secretsmanager:TagResource",
    "lambda:CreateFunction", "lambda:GetFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    "lambda:PutFunctionConcurrency", "lambda:GetFunctionConcurrency", "lambda:DeleteFunction", "lambda:TagResource",
    "lambda:GetAccountSettings", "lambda:InvokeFunction", "lambda:ListTags",
    "s3:ListBucketVersions", "s3:DeleteObjectVersion", "s3:DeleteBucket",
    "logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:TagResource",
    "logs:FilterLogEvents",
    "scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule",
    "scheduler:ListSchedules", "tag:GetResources",
})
# What an image deploy adds: its repository, and pushing (Lambda sets the repository policy it pulls with).
IMAGE_ACTIONS = sorted({
    "ecr:GetAuthorizationToken", "ecr:CreateRepository", "ecr:DescribeRepositories", "ecr:DeleteRepository",
    "ecr:PutImageScanningConfiguration", "ecr:TagResource", "ecr:ListTagsForResource", "ecr:PutLifecyclePolicy",
    "ecr:GetLifecyclePolicy", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
    "ecr:SetRepositoryPolicy", "ecr:GetRepositoryPolicy",
})


def required_actions(packaging: str = "zip") -> list[str]:
    return sorted({*REQUIRED_ACTIONS, *IMAGE_ACTIONS}) if packaging == "image" else REQUIRED_ACTIONS


# Where each service's actions may act: botship names everything botship-* (secrets botship/*).
_SCOPES = {
    "iam": ["arn:aws:iam::{account}:role/botship-*"],
    "s3": ["arn:aws:s3:::botship-*", "arn:aws:s3:::botship-*/*"],
    "secretsmanager": ["arn:aws:secretsmanager:*:{account}:secret:botship/*"],
    "lambda": ["arn:aws:lambda:*:{account}:function:botship-*"],
    "logs": ["arn:aws:logs:*:{account}:log-group:/aws/lambda/botship-*"],
    "scheduler": ["arn:aws:scheduler:*:{account}:schedule/default/botship-*"],
    "ecr": ["arn:aws:ecr:*:{account}:repository/botship/*"],
}
# Actions AWS does not scope to a resource.
_UNSCOPED = {"sts:GetCallerIdentity", "tag:GetResources", "lambda:GetAccountSettings", "logs:DescribeLogGroups",
             "scheduler:ListSchedules", "ecr:GetAuthorizationToken"}


def deploy_policy(account: str, actions: list[str] = REQUIRED_ACTIONS) -> dict:
    """A least-privilege policy granting `actions` on botship's own resources only.

    iam:PassRole gets its own statement: only botship's roles, only to Lambda and EventBridge Scheduler.
    """
    statements: list[dict] = []
    unscoped = sorted(a for a in actions if a in _UNSCOPED)
    if unscoped:
        statements.append({"Sid": "ReadAccountWide", "Effect": "Allow", "Action": unscoped, "Resource": "*"})
    for service, resources in _SCOPES.items():
        granted = sorted(a for a in actions if a.startswith(f"{service}:") and a not in _UNSCOPED and a != "iam:PassRole")
        if granted:
            statements.append({"Sid": f"Botship{service.capitalize()}", "Effect": "Allow", "Action": granted,
                               "Resource": [r.format(account=account) for r in resources]})
    if "iam:PassRole" in actions:
        statements.append({"Sid": "PassBotshipRoles", "Effect": "Allow", "Action": "iam:PassRole",
                           "Resource": f"arn:aws:iam::{account}:role/botship-*",
                           "Condition": {"StringEquals": {"iam:PassedToService": [
                               "lambda.amazonaws.com", "scheduler.amazonaws.com"]}}})
    return {"Version": "2012-10-17", "Statement": statements}


def check_permissions(session: AwsSession, identity: Identity, actions: list[str] = REQUIRED_ACTIONS) -> Check:
    if identity.kind == "root":
        return Check("permissions", True, "the account's root user may do everything",
                     "prefer an IAM user or role for deploying")
    iam = session.client("iam")
    denied: list[str] = []
    try:
        pages = iam.get_paginator("simulate_principal_policy").paginate(
            PolicySourceArn=identity.principal, ActionNames=actions)
        for page in pages:
            denied += [r["EvalActionName"] for r in page["EvaluationResults"] if r["EvalDecision"] != "allowed"]
    except Exception as exc:  # noqa: BLE001 - not being able to check is reported, and the deploy goes on
        code = error_code(exc)
        why = ("your identity may not call iam:SimulatePrincipalPolicy" if code in ("AccessDenied", "AccessDeniedException")
               else f"the permission simulator answered {code or type(exc).__name__}")
        return Check("permissions", None, f"not checked: {why}",
                     "a missing permission will show up as a failed step, with its name")
    if denied:
        return Check("permissions", False, f"{len(denied)} missing: {', '.join(denied)}",
                     f"attach this policy to {identity.principal}: "
                     f"{json.dumps(deploy_policy(identity.account, denied), separators=(',', ':'))}")
    return Check("permissions", True, f"all {len(actions)} actions a deploy uses are allowed")


NEW_ACCOUNT_MEMORY_MB = 3008


def check_quota(session: AwsSession, memory_mb: int) -> Check:
    try:
        settings = session.client("lambda").get_account_settings()
        limits = settings["AccountLimit"]
    except Exception as exc:  # noqa: BLE001
        return Check("quotas", None, f"not checked: Lambda answered {error_code(exc) or type(exc).__name__}")
    unreserved = limits.get("UnreservedConcurrentExecutions", 0)
    # Lambda keeps at least min(100, the account's limit) unreserved: reserving 1 must leave that much.
    floor = min(100, limits.get("ConcurrentExecutions", 100))
    if unreserved - 1 < floor:
        return Check("quotas", False, f"the account has {unreserved} unreserved concurrent executions",
                     f"Lambda keeps {floor} unreserved, so reserving 1 for the bot would fail: ask AWS for a "
                     "higher Lambda concurrency quota (new accounts start at 10)")
    usage = settings.get("AccountUsage", {}).get("TotalCodeSize", 0)
    storage = limits.get("TotalCodeSize")
    if storage and usage >= storage * 0.95:
        return Check("quotas", False, f"Lambda code storage is {usage / storage:.0%} full ({usage / 1e9:.1f} of "
                                      f"{storage / 1e9:.0f} GB)",
                     "delete old function versions or unused functions, or ask AWS for more code storage")
    if memory_mb > NEW_ACCOUNT_MEMORY_MB:
        # No API tells an account's memory ceiling; new accounts often start at 3008 MB.
        return Check("quotas", True, f"{unreserved} unreserved concurrent executions; memory_mb = {memory_mb} "
                                     f"is above the {NEW_ACCOUNT_MEMORY_MB} MB some new accounts are held to",
                     f"if the function step fails on MemorySize, lower memory_mb to {NEW_ACCOUNT_MEMORY_MB} or ask "
                     "AWS to raise the account's Lambda memory limit")
    return Check("quotas", True, f"{unreserved} unreserved concurrent executions")


def check_bucket_name(session: AwsSession, names: AwsNames) -> Check:
    try:
        session.client("s3").head_bucket(Bucket=names.bucket)
        return Check("bucket name", True, f"{names.bucket} exists and is yours")
    except Exception as exc:  # noqa: BLE001
        code = error_code(exc)
        if code in ("404", "NoSuchBucket", "NotFound"):
            return Check("bucket name", True, f"{names.bucket} is free")
        if code in ("403", "AccessDenied"):
            return Check("bucket name", False, f"{names.bucket} belongs to another account (or is not readable)",
                         "choose another bot_name")
        return Check("bucket name", None, f"not checked: {code or type(exc).__name__}")
