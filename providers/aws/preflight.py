"""Pre-flight checks for AWS: identity, every permission a deploy needs, quotas, the bucket name — changing nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..base import Check
from .names import AwsNames
from .policies import BOUNDARY_NAME
from .session import AwsSession, Identity, error_code

@dataclass(frozen=True)
class Grant:
    """One statement of the deploy policy: actions on resources (`{account}` filled in), maybe conditioned.

    The one source of truth: `botship doctor --policy` prints these, the permission check simulates
    exactly these actions on these resources with these conditions' values, and a test records every
    call each command makes and checks it against them.
    """

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: dict | None = None


_ROLES = "arn:aws:iam::{account}:role/botship-*"
_BOUNDARY = "arn:aws:iam::{account}:policy/" + BOUNDARY_NAME
_BUCKETS = "arn:aws:s3:::botship-*"
# Pushing an image talks to the registry, not the ECR API: these are what `docker push` needs.
PUSH_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")

GRANTS: tuple[Grant, ...] = (
    # Account-wide reads AWS does not scope to a resource. (sts:GetCallerIdentity needs no permission.)
    Grant("ReadAccountWide", ("ecr:GetAuthorizationToken", "lambda:GetAccountSettings", "logs:DescribeLogGroups",
                              "tag:GetResources"), ("*",)),
    # `botship doctor` asks IAM's simulator what the deploying identity may do (only principals of this account).
    Grant("SimulateOwnAccount", ("iam:SimulatePrincipalPolicy",),
          ("arn:aws:iam::{account}:user/*", "arn:aws:iam::{account}:role/*")),
    Grant("BotshipIam", ("iam:DeleteRole", "iam:DeleteRolePolicy", "iam:GetRole", "iam:GetRolePolicy", "iam:TagRole",
                         "iam:UpdateAssumeRolePolicy"), (_ROLES,)),
    # Writing what a role may do only on roles that carry botship's boundary, and setting no other boundary.
    Grant("BotshipRoleWrites", ("iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"), (_ROLES,),
          {"StringEquals": {"iam:PermissionsBoundary": _BOUNDARY}}),
    Grant("PassBotshipRoles", ("iam:PassRole",), (_ROLES,),
          {"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com", "scheduler.amazonaws.com"]}}),
    # The boundary is created once (when absent) and read; changing or deleting it is denied below.
    Grant("BotshipBoundary", ("iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:TagPolicy"),
          (_BOUNDARY,)),
    Grant("BotshipBuckets", ("s3:CreateBucket", "s3:DeleteBucket", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock",
                             "s3:GetBucketTagging", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration",
                             "s3:GetLifecycleConfiguration", "s3:ListBucket", "s3:ListBucketVersions",
                             "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging",
                             "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration",
                             "s3:PutLifecycleConfiguration"), (_BUCKETS,)),
    Grant("BotshipStateObjects", ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:GetObjectVersion",
                                  "s3:PutObject"), (_BUCKETS + "/*",)),
    Grant("BotshipSecretsmanager", ("secretsmanager:CreateSecret", "secretsmanager:DeleteSecret",
                                    "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                                    "secretsmanager:PutSecretValue", "secretsmanager:RestoreSecret",
                                    "secretsmanager:TagResource"),
          ("arn:aws:secretsmanager:*:{account}:secret:botship/*",)),
    Grant("BotshipLambda", ("lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction",
                            "lambda:GetFunctionConcurrency", "lambda:InvokeFunction", "lambda:ListTags",
                            "lambda:PutFunctionConcurrency", "lambda:TagResource", "lambda:UpdateFunctionCode",
                            "lambda:UpdateFunctionConfiguration"),
          ("arn:aws:lambda:*:{account}:function:botship-*",)),
    Grant("BotshipLogs", ("logs:CreateLogGroup", "logs:FilterLogEvents", "logs:ListTagsLogGroup",
                          "logs:PutRetentionPolicy", "logs:TagLogGroup", "logs:TagResource"),
          ("arn:aws:logs:*:{account}:log-group:/aws/lambda/botship-*",)),
    Grant("BotshipScheduler", ("scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule",
                               "scheduler:UpdateSchedule"),
          ("arn:aws:scheduler:*:{account}:schedule/default/botship-*",)),
    Grant("BotshipEcr", ("ecr:CreateRepository", "ecr:DeleteRepository", "ecr:DescribeImages", "ecr:DescribeRepositories",
                         "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource",
                         "ecr:PutImageScanningConfiguration", "ecr:PutLifecyclePolicy", "ecr:SetRepositoryPolicy",
                         "ecr:TagResource", *PUSH_ACTIONS),
          ("arn:aws:ecr:*:{account}:repository/botship/*",)),
)

# Never allowed, whatever else the deployer holds: taking a boundary off a role, or changing the boundary.
# The cost: a botship release that changes the boundary needs an administrator to deploy once.
DENIED: tuple[Grant, ...] = (
    Grant("KeepRoleBoundaries", ("iam:DeleteRolePermissionsBoundary",), (_ROLES,)),
    Grant("KeepTheBoundaryAsBotshipMadeIt", ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                                             "iam:SetDefaultPolicyVersion"), (_BOUNDARY,)),
)


def required_actions(packaging: str = "zip") -> list[str]:
    """Every action a deploy, an update, a destroy, a status, invoke, state and doctor call, iam:PassRole included."""
    # Only an image bot uses ECR (its repository and the registry sign-in).
    return sorted({a for g in GRANTS for a in g.actions if packaging == "image" or not a.startswith("ecr:")})


REQUIRED_ACTIONS = required_actions("zip")
IMAGE_ACTIONS = sorted(set(required_actions("image")) - set(REQUIRED_ACTIONS))


def _statement(grant: Grant, account: str, effect: str, actions: list[str]) -> dict:
    resources = [r.format(account=account) for r in grant.resources]
    statement = {"Sid": grant.sid, "Effect": effect, "Action": actions,
                 "Resource": "*" if resources == ["*"] else resources}
    if grant.condition:
        statement["Condition"] = json.loads(json.dumps(grant.condition).replace("{account}", account))
    return statement


def deploy_policy(account: str, actions: list[str] = REQUIRED_ACTIONS) -> dict:
    """A least-privilege policy granting `actions` on botship's own resources only, and denying the
    changes that would let a deployer widen what botship's roles may do."""
    wanted = set(actions)
    statements = []
    for grant in GRANTS:
        granted = sorted(wanted & set(grant.actions))
        if granted:
            statements.append(_statement(grant, account, "Allow", granted))
    statements += [_statement(grant, account, "Deny", sorted(grant.actions)) for grant in DENIED]
    return {"Version": "2012-10-17", "Statement": statements}


def _context(account: str) -> list[dict]:
    """The condition values a deploy's requests carry, so the simulator evaluates the conditions as AWS will."""
    return [{"ContextKeyName": "iam:PermissionsBoundary", "ContextKeyType": "string",
             "ContextKeyValues": [_BOUNDARY.format(account=account)]},
            {"ContextKeyName": "iam:PassedToService", "ContextKeyType": "string",
             "ContextKeyValues": ["lambda.amazonaws.com"]}]


def simulated_requests(account: str, region: str, actions: list[str]) -> list[dict]:
    """What the permission check asks the simulator: each grant's actions on a resource of its own pattern."""
    requests = []
    for grant in GRANTS:
        granted = sorted(set(actions) & set(grant.actions))
        if not granted:
            continue
        request = {"ActionNames": granted, "ContextEntries": _context(account)}
        if grant.resources != ("*",):
            request["ResourceArns"] = [grant.resources[0].format(account=account).replace(":*:", f":{region}:", 1)]
        requests.append(request)
    return requests


def check_permissions(session: AwsSession, identity: Identity, actions: list[str] = REQUIRED_ACTIONS) -> Check:
    if identity.kind == "root":
        return Check("permissions", True, "the account's root user may do everything",
                     "prefer an IAM user or role for deploying")
    iam = session.client("iam")
    denied: list[str] = []
    try:
        for request in simulated_requests(identity.account, session.region, actions):
            pages = iam.get_paginator("simulate_principal_policy").paginate(PolicySourceArn=identity.principal,
                                                                            **request)
            for page in pages:
                denied += [r["EvalActionName"] for r in page["EvaluationResults"] if r["EvalDecision"] != "allowed"]
    except Exception as exc:  # noqa: BLE001 - not being able to check is reported, and the deploy goes on
        code = error_code(exc)
        why = ("your identity may not call iam:SimulatePrincipalPolicy" if code in ("AccessDenied", "AccessDeniedException")
               else f"the permission simulator answered {code or type(exc).__name__}")
        return Check("permissions", None, f"not checked: {why}",
                     "a missing permission will show up as a failed step, with its name")
    denied = sorted(set(denied))
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
