"""Removing a bot from AWS: each step reads first and deletes only what is there; state stays unless purged."""

from __future__ import annotations

from typing import Any

from botship.errors import BotshipError

from ..plan import Action, Step
from .identity_steps import POLICY_NAME
from .names import DEPLOY_LOCK_KEY, AwsNames
from .session import AwsSession, error_code, translate

# A dropped secret is scheduled for deletion, not deleted: Secrets Manager keeps it this long, restorable.
SECRET_RECOVERY_DAYS = 30
GONE = ("ResourceNotFoundException", "NoSuchEntity", "NoSuchBucket", "404", "RepositoryNotFoundException")


def _exists(call) -> bool:
    try:
        call()
        return True
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) in GONE:
            return False
        raise translate(exc, "reading what is deployed") from None


def _ignoring_gone(call, doing: str) -> None:
    try:
        call()
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) not in GONE:
            raise translate(exc, doing) from None


def _delete(call, doing: str):
    def run(ctx) -> dict[str, Any]:
        _ignoring_gone(call, doing)
        return {}
    return run


def destroy_steps(session: AwsSession, names: AwsNames, purge_state: bool, image: bool = False, *,
                  has_bucket: bool) -> list[Step]:
    """What is there to delete, in reverse order of creation; `has_bucket`: the state bucket exists (read once
    by the caller, whose summary says whether it is kept)."""
    lam, scheduler, s3 = session.client("lambda"), session.client("scheduler"), session.client("s3")
    steps: list[Step] = []

    if _exists(lambda: scheduler.get_schedule(Name=names.schedule)):
        steps.append(Step("schedule", "Schedule", names.schedule, Action.DELETE, _delete(
            lambda: scheduler.delete_schedule(Name=names.schedule), "removing the schedule")))
    if _exists(lambda: lam.get_function(FunctionName=names.function)):
        steps.append(Step("function", "Function", names.function, Action.DELETE, _delete(
            lambda: lam.delete_function(FunctionName=names.function), "removing the function")))
    if step := repository_removal(session, names, image):
        steps.append(step)
    for role, step_id, title in ((names.scheduler_role, "scheduler-role", "Scheduler role"),
                                 (names.execution_role, "execution-role", "Execution role")):
        if step := role_removal(session, role, step_id, title):
            steps.append(step)
    # The secret goes with the state: kept restorable for a while unless the state is purged too.
    if step := secret_removal(session, names, force=purge_state):
        steps.append(step)
    if purge_state and has_bucket:
        steps.append(Step("bucket", "State bucket (purge)", names.bucket, Action.DELETE,
                          lambda ctx: _purge_bucket(s3, names.bucket, ctx), detail="every version of every state file"))
    return steps


def role_removal(session: AwsSession, role: str, step_id: str, title: str, detail: str = "") -> Step | None:
    """A step deleting `role` (inline policy first), or None when there is no such role."""
    iam = session.client("iam")
    if not _exists(lambda: iam.get_role(RoleName=role)):
        return None
    return Step(step_id, title, role, Action.DELETE, lambda ctx: _delete_role(iam, role), detail=detail)


def repository_removal(session: AwsSession, names: AwsNames, image: bool) -> Step | None:
    """A step deleting the bot's image repository with its images, or None when there is none.

    A zip bot's deployer may hold no ECR permissions at all: for it, an unreadable ECR means none to delete.
    """
    ecr = session.client("ecr")
    try:
        if not _exists(lambda: ecr.describe_repositories(repositoryNames=[names.repository])):
            return None
    except BotshipError:
        if image:
            raise
        return None
    return Step("repository", "Image repository", names.repository, Action.DELETE, _delete(
        lambda: ecr.delete_repository(repositoryName=names.repository, force=True), "removing the repository"),
        detail="with every image in it")


def secret_deletion_date(client, names: AwsNames) -> Any:
    """When the bot's secret is scheduled to be deleted; None when it is not (or there is no secret)."""
    try:
        return client.describe_secret(SecretId=names.secret).get("DeletedDate")
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) in GONE:
            return None
        raise translate(exc, f"reading secret {names.secret}") from None


def restore_hint(names: AwsNames) -> str:
    return (f"`aws secretsmanager restore-secret --secret-id {names.secret} --region {names.region}`, "
            "or deploy again with the secret in the profile")


def secret_removal(session: AwsSession, names: AwsNames, detail: str = "", *, force: bool = False) -> Step | None:
    """A step removing the bot's secret, or None when there is none to remove.

    Deletion is scheduled with a recovery window of SECRET_RECOVERY_DAYS, during which the secret can be
    restored; `force` (destroy --purge-state) deletes it at once, also one already scheduled for deletion.
    """
    secrets = session.client("secretsmanager")
    try:  # one read: whether it exists, and whether its deletion is already scheduled
        scheduled = secrets.describe_secret(SecretId=names.secret).get("DeletedDate")
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) in GONE:
            return None
        raise translate(exc, "reading what is deployed") from None
    if scheduled is not None and not force:
        return None  # already on its way out, still restorable
    if force:
        return Step("secret", "Secret values", names.secret, Action.DELETE, _delete(
            lambda: secrets.delete_secret(SecretId=names.secret, ForceDeleteWithoutRecovery=True),
            "removing the secret"), detail=", ".join(x for x in (detail, "deleted at once (--purge-state)") if x))

    def schedule(ctx) -> dict[str, Any]:
        if secret_deletion_date(secrets, names) is None:
            _ignoring_gone(lambda: secrets.delete_secret(SecretId=names.secret,
                                                         RecoveryWindowInDays=SECRET_RECOVERY_DAYS),
                           "scheduling the secret's deletion")
            ctx.log(f"deletion scheduled in {SECRET_RECOVERY_DAYS} days; until then restore it with "
                    + restore_hint(names))
        return {}
    recovery = (f"deleted after a {SECRET_RECOVERY_DAYS}-day recovery window; restore with {restore_hint(names)}")
    return Step("secret", "Secret values", names.secret, Action.DELETE, schedule,
                detail="; ".join(x for x in (detail, recovery) if x))


def _delete_versions(s3, bucket: str, versions: list[dict[str, str]]) -> int:
    for start in range(0, len(versions), 1000):
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": versions[start:start + 1000], "Quiet": True})
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise BotshipError(f"{len(answer['Errors'])} state file version(s) could not be deleted",
                               f"e.g. {first['Key']}: {first.get('Code')} {first.get('Message', '')}",
                               "check s3:DeleteObjectVersion on the bucket (and any object lock), then re-run")
    return len(versions)


def _delete_role(iam, role: str) -> dict[str, Any]:
    _ignoring_gone(lambda: iam.delete_role_policy(RoleName=role, PolicyName=POLICY_NAME), f"removing role {role}")
    _ignoring_gone(lambda: iam.delete_role(RoleName=role), f"removing role {role}")
    return {}


def _purge_bucket(s3, bucket: str, ctx) -> dict[str, Any]:
    """Every object version and delete marker (the bucket is versioned), then the bucket itself.

    The deploy lock this destroy holds goes last, just before the bucket: deleted first (its key sorts
    before the state's), it would let a waiting deploy start while the purge still deletes its bucket.
    """
    removed = 0
    lock_versions: list[dict[str, str]] = []
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            ctx.check_cancelled()
            versions = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                        for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            lock_versions += [v for v in versions if v["Key"] == DEPLOY_LOCK_KEY]
            removed += _delete_versions(s3, bucket, [v for v in versions if v["Key"] != DEPLOY_LOCK_KEY])
            ctx.progress(removed, None, "versions deleted")
        ctx.check_cancelled()
        removed += _delete_versions(s3, bucket, lock_versions)
        s3.delete_bucket(Bucket=bucket)
    except BotshipError:
        raise
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) == "BucketNotEmpty":
            raise BotshipError(f"bucket {bucket} was written to while it was being emptied",
                               "another deploy of this bot started as the purge ended",
                               "let that deploy finish, then run `botship destroy --purge-state` again") from None
        if error_code(exc) not in GONE:
            raise translate(exc, f"emptying bucket {bucket}") from None
    ctx.log(f"deleted {removed} object version(s) and the bucket")
    return {}
