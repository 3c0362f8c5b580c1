"""What an operator does to a deployed bot on AWS besides deploying it: pause and resume its schedule, read its
logs, and roll it back to an earlier version's exact artifact.

- Pausing disables the EventBridge Scheduler schedule (UpdateSchedule takes the whole definition: it is read
  and written back with only its state changed); a deploy keeps a paused bot paused.
- Logs are the function's CloudWatch Logs group, read with FilterLogEvents (following polls it every two
  seconds, each event once).
- Every zip a deploy ships is kept in the state bucket by its content hash (`deploy/<sha256>.zip`) and every
  image by its digest in the bot's repository: a rollback points the function at one of them again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from botship.errors import BadInput

from ..results import DeployEntry, LogLine
from .function import code_key
from .names import AwsNames
from .session import AwsSession, error_code, translate

FOLLOW_EVERY_S = 2.0
DEFAULT_SINCE = timedelta(hours=1)
SCHEDULE_FIELDS = ("ScheduleExpression", "ScheduleExpressionTimezone", "FlexibleTimeWindow", "Target",
                   "Description", "StartDate", "EndDate", "GroupName", "KmsKeyArn", "ActionAfterCompletion")


def set_schedule_state(session: AwsSession, names: AwsNames, enabled: bool) -> bool:
    """Enable or disable the bot's schedule; returns whether it changed (False: it already was)."""
    client = session.client("scheduler")
    try:
        current = client.get_schedule(Name=names.schedule)
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) == "ResourceNotFoundException":
            raise BadInput(f"{names.bot} has no schedule to {'resume' if enabled else 'pause'}",
                           fix="give its profile a schedule and deploy, or run it now with `botship invoke`") from None
        raise translate(exc, f"reading schedule {names.schedule}") from None
    state = "ENABLED" if enabled else "DISABLED"
    if current.get("State") == state:
        return False
    kept = {key: current[key] for key in SCHEDULE_FIELDS if current.get(key) is not None}
    try:
        client.update_schedule(Name=names.schedule, State=state, **kept)
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, f"{'enabling' if enabled else 'disabling'} schedule {names.schedule}") from None
    return True


def read_logs(session: AwsSession, names: AwsNames, since: datetime | None, follow: bool,
              wait: Any = time.sleep) -> Iterator[LogLine]:
    """The function's log lines since `since`, oldest first; with `follow`, new ones as they arrive."""
    client = session.client("logs")
    start = int(((since or datetime.now(UTC) - DEFAULT_SINCE).timestamp()) * 1000)
    seen: set[str] = set()
    while True:
        newest = start
        try:
            pages = client.get_paginator("filter_log_events").paginate(logGroupName=names.log_group, startTime=start)
            for page in pages:
                for event in page.get("events", []):
                    if event.get("eventId") in seen:
                        continue
                    seen.add(event.get("eventId"))
                    stamp = int(event.get("timestamp", start))
                    newest = max(newest, stamp)
                    yield LogLine(datetime.fromtimestamp(stamp / 1000, UTC), str(event.get("message", "")).rstrip("\n"),
                                  str(event.get("logStreamName", "")))
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) == "ResourceNotFoundException":
                if not follow:
                    return  # no log group yet: the bot has not run
            else:
                raise translate(exc, f"reading the logs of {names.function}") from None
        if not follow:
            return
        start = newest  # events at the same millisecond come again: `seen` drops them
        wait(FOLLOW_EVERY_S)


def kept_versions(session: AwsSession, names: AwsNames, current: str, image: bool,
                  images_in_bucket: bool = False) -> list[DeployEntry]:
    """What a rollback can ship again, newest first: the zips kept in the state bucket, or the images kept in the
    bot's repository (the sandbox keeps a record of each image in the bucket too); the current one marked."""
    found: list[DeployEntry] = []
    suffix = ".image" if image else ".zip"
    try:
        if image and not images_in_bucket:
            client = session.client("ecr")
            for page in client.get_paginator("describe_images").paginate(repositoryName=names.repository):
                for item in page.get("imageDetails", []):
                    found.append(DeployEntry(item.get("imagePushedAt"), "deploy", item["imageDigest"]))
        else:
            client = session.client("s3")
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=names.bucket, Prefix="deploy/"):
                for item in page.get("Contents", []):
                    if item["Key"].endswith(suffix):
                        digest = item["Key"].removeprefix("deploy/").removesuffix(suffix)
                        found.append(DeployEntry(item.get("LastModified"), "deploy", digest))
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) in ("NoSuchBucket", "RepositoryNotFoundException"):
            return []
        raise translate(exc, f"listing the versions kept of {names.bot}") from None
    found.sort(key=lambda entry: entry.at.timestamp() if entry.at else 0, reverse=True)
    return [DeployEntry(e.at, e.action, e.version, detail="current" if _same(e.version, current) else "")
            for e in found]


def _same(version: str, current: str) -> bool:
    from ..versions import same_version

    return same_version(version, current)


def ship_version(session: AwsSession, names: AwsNames, version: str, image: bool, repository_uri: str = "") -> str:
    """Point the function at a kept artifact again and wait until Lambda has it; returns the code tag it now has."""
    client = session.client("lambda")
    code = ({"ImageUri": f"{repository_uri}@sha256:{version.removeprefix('sha256:')}"} if image
            else {"S3Bucket": names.bucket, "S3Key": code_key(version)})
    try:
        client.update_function_code(FunctionName=names.function, **code)
        client.get_waiter("function_updated_v2").wait(FunctionName=names.function,
                                                       WaiterConfig={"Delay": 1, "MaxAttempts": 300})
        arn = client.get_function(FunctionName=names.function)["Configuration"]["FunctionArn"]
        tag = version.removeprefix("sha256:")[:16]
        client.tag_resource(Resource=arn, Tags={"botship:code": tag})
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, f"shipping version {version[:16]} of {names.function}") from None
    return tag
