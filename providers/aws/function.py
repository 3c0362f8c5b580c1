"""The bot's log group, Lambda function (code, configuration, reserved concurrency, tags) and schedule."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from botship import paper
from botship.errors import BotshipError
from botship.spec import DeploySpec

from ..artifact import Artifact
from ..plan import Action, Step
from .names import AwsNames, tags_match
from .policies import arn
from .session import AwsSession, error_code, translate

HANDLER = "botship_runtime.aws_handler.handler"
LOG_RETENTION_DAYS = 30
# Zips up to this size could go straight to Lambda; every zip goes through the state bucket instead, kept there
# by its content hash, so a rollback can ship that exact artifact again (`botship rollback`).
DIRECT_UPLOAD_LIMIT = 0
KEPT_VERSIONS = 10  # packages kept in the state bucket for `botship rollback`
ROLE_PROPAGATION_S = 150


def _wait(client, waiter: str, name: str, ctx) -> None:
    """A waiter that checks for cancellation between polls."""
    deadline = time.monotonic() + 300
    while True:
        ctx.check_cancelled()
        try:
            client.get_waiter(waiter).wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
            return
        except Exception as exc:  # noqa: BLE001 - a waiter timeout just means "not yet"
            if "Max attempts exceeded" not in str(exc) or time.monotonic() > deadline:
                raise translate(exc, f"waiting for function {name}") from None


class LogGroup:
    def __init__(self, session: AwsSession, names: AwsNames, tags: dict[str, str]) -> None:
        self.logs = session.client("logs")
        self.names, self.tags = names, tags

    def _current(self) -> dict[str, Any] | None:
        groups = self.logs.describe_log_groups(logGroupNamePrefix=self.names.log_group)["logGroups"]
        return next((g for g in groups if g["logGroupName"] == self.names.log_group), None)

    def _tags_match(self) -> bool:
        current = self.logs.list_tags_log_group(logGroupName=self.names.log_group).get("tags", {})
        return tags_match(current, self.tags)

    def step(self) -> Step:
        group = self._current()
        action = (Action.CREATE if group is None
                  else Action.NO_CHANGE if group.get("retentionInDays") == LOG_RETENTION_DAYS and self._tags_match()
                  else Action.UPDATE)
        return Step("log-group", "Log group", self.names.log_group, action, self.apply,
                    detail=f"kept {LOG_RETENTION_DAYS} days")

    def apply(self, ctx) -> dict[str, Any]:
        try:
            group = self._current()
            if group is None:
                self.logs.create_log_group(logGroupName=self.names.log_group, tags=self.tags)
            elif not self._tags_match():
                self.logs.tag_log_group(logGroupName=self.names.log_group, tags=self.tags)
            if (group or {}).get("retentionInDays") != LOG_RETENTION_DAYS:
                self.logs.put_retention_policy(logGroupName=self.names.log_group, retentionInDays=LOG_RETENTION_DAYS)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"setting up log group {self.names.log_group}") from None
        return {"log_group": self.names.log_group}


def code_key(content_hash: str) -> str:
    """Where a package uploaded through the state bucket lies: by its content hash."""
    return f"deploy/{content_hash}.zip"


class BotFunction:
    """The function: created or updated so its code, configuration, concurrency and tags match the spec."""

    def __init__(self, session: AwsSession, names: AwsNames, spec: DeploySpec, artifact: Artifact,
                 tags: dict[str, str], with_secret: bool, direct_upload_limit: int = DIRECT_UPLOAD_LIMIT) -> None:
        self.client = session.client("lambda")
        self.direct_upload_limit = direct_upload_limit
        self.s3 = session.client("s3")
        self.names, self.spec, self.artifact, self.tags, self.with_secret = names, spec, artifact, tags, with_secret
        self.image = spec.packaging == "image"
        self.package_type = "Image" if self.image else "Zip"

    def configuration(self, secret: dict[str, Any]) -> dict[str, Any]:
        """The function's configuration; `secret` is the secret step's outputs (ARN and version), if any."""
        spec, names = self.spec, self.names
        variables = {**spec.env, "BOTSHIP_ENTRY": spec.entry, "BOTSHIP_MODE": spec.mode,
                     "BOTSHIP_BOT_NAME": spec.bot_name, "BOTSHIP_STATE_URL": names.state_url}
        variables.update(paper.runtime_env(spec))
        if secret.get("secret_arn"):
            # The version changes with every new value: a changed value means a configuration update,
            # so no warm container keeps serving the old one from its cache.
            variables["BOTSHIP_SECRET_ARN"] = secret["secret_arn"]
            variables["BOTSHIP_SECRET_VERSION"] = secret["secret_version"]
            variables["BOTSHIP_SECRET_NAMES"] = ",".join(sorted(spec.secrets))  # names only (status, masking)
        config = {"MemorySize": spec.memory_mb, "Timeout": spec.timeout_s,
                  "EphemeralStorage": {"Size": spec.ephemeral_mb},
                  "Role": arn(names, "iam", f"role/{names.execution_role}"), "Environment": {"Variables": variables}}
        # An image carries its runtime and handler (the Dockerfile's CMD).
        return config if self.image else {"Runtime": f"python{spec.python}", "Handler": HANDLER, **config}

    @staticmethod
    def fingerprint(config: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]

    def _current(self) -> dict[str, Any] | None:
        try:
            found = self.client.get_function(FunctionName=self.names.function)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise translate(exc, f"reading function {self.names.function}") from None
        function_arn = found["Configuration"]["FunctionArn"]
        try:
            # GetFunction includes tags only for callers allowed lambda:ListTags; ask for them directly.
            tags = self.client.list_tags(Resource=function_arn).get("Tags", {})
            concurrency = self.client.get_function_concurrency(FunctionName=self.names.function)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"reading function {self.names.function} (needs lambda:ListTags)") from None
        return {"tags": tags, "arn": function_arn, "concurrency": concurrency.get("ReservedConcurrentExecutions"),
                "package_type": found["Configuration"].get("PackageType", "Zip")}

    def _wanted_tags(self, config: dict[str, Any]) -> dict[str, str]:
        return {**self.tags, "botship:code": self.artifact.content_hash[:16], "botship:config": self.fingerprint(config)}

    def step(self, secret: dict[str, Any]) -> Step:
        """`secret`: the secret step's plan-time outputs — empty when the secret is about to change."""
        current = self._current()
        if current is None:
            action, detail = Action.CREATE, ""
        elif current["package_type"] != self.package_type:
            # Lambda cannot change a function's package type: it is deleted and created again.
            action, detail = Action.UPDATE, f"replace: {current['package_type'].lower()} → {self.package_type.lower()}"
        else:
            # A secret about to change brings a new version, and so a new configuration: say "secret".
            secret_changes = self.with_secret and not secret
            wanted = self._wanted_tags(self.configuration(secret))
            stale = ["secret"] if secret_changes else []
            stale += [key.split(":")[1] for key in ("botship:code", "botship:config")
                      if current["tags"].get(key) != wanted[key] and not (secret_changes and key == "botship:config")]
            if current["concurrency"] != 1:
                stale.append("concurrency")
            if not tags_match(current["tags"], self.tags):
                stale.append("tags")
            action = Action.UPDATE if stale else Action.NO_CHANGE
            detail = ("update: " + ", ".join(stale)) if stale else ""
        outputs = {"function_arn": current["arn"]} if current else {}
        return Step("function", "Function", self.names.function, action, self.apply, detail=detail, outputs=outputs)

    def apply(self, ctx) -> dict[str, Any]:
        config = self.configuration(ctx.outputs.get("secret", {}))
        tags = self._wanted_tags(config)
        name = self.names.function
        current = self._current()
        try:
            if current is not None and current["package_type"] != self.package_type:
                self._delete_for_replace(ctx)
                current = None
            if current is None:
                function_arn = self._create(ctx, config, tags)
            else:
                function_arn = current["arn"]
                _wait(self.client, "function_updated_v2", name, ctx)  # an earlier, interrupted update may still run
                if current["tags"].get("botship:code") != tags["botship:code"]:
                    self.client.update_function_code(FunctionName=name, **self._code(ctx))
                    _wait(self.client, "function_updated_v2", name, ctx)
                    ctx.log(f"code updated ({self.artifact.content_hash[:12]})")
                if current["tags"].get("botship:config") != tags["botship:config"]:
                    self.client.update_function_configuration(FunctionName=name, **config)
                    _wait(self.client, "function_updated_v2", name, ctx)
                    ctx.log("configuration updated")
                self.client.tag_resource(Resource=function_arn, Tags=tags)
            if (current or {}).get("concurrency") != 1:
                # One run at a time: two runs of a bot never race on its state.
                self.client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001
            if "UnreservedConcurrentExecution" in str(exc):
                raise BotshipError("the account has too little Lambda concurrency to reserve 1 for the bot",
                                   str(exc), "ask AWS for a higher Lambda concurrency quota (new accounts start at 10); "
                                   "re-run once it is granted") from None
            if error_code(exc) == "InvalidParameterValueException" and "MemorySize" in str(exc):
                raise BotshipError(f"memory_mb = {self.spec.memory_mb} is above what this account allows",
                                   str(exc), "lower memory_mb, or ask AWS for a higher Lambda memory quota") from None
            raise translate(exc, f"deploying function {name}") from None
        return {"function_arn": function_arn, "code": tags["botship:code"]}

    def _delete_for_replace(self, ctx) -> None:
        name = self.names.function
        ctx.log(f"packaging changed to {self.package_type.lower()}: replacing function {name}")
        self.client.delete_function(FunctionName=name)
        for _ in range(60):
            ctx.check_cancelled()
            if self._current() is None:
                return
            ctx.wait(1)
        raise BotshipError(f"function {name} is still being deleted", "Lambda did not finish within a minute",
                           "re-run in a minute; it is safe")

    def _code(self, ctx) -> dict[str, Any]:
        if self.image:
            return {"ImageUri": ctx.outputs["image"]["image_uri"]}
        path = self.artifact.path
        size = path.stat().st_size
        if size <= self.direct_upload_limit:
            return {"ZipFile": path.read_bytes()}
        key = code_key(self.artifact.content_hash)
        if self._kept(key):
            ctx.log(f"package {self.artifact.content_hash[:12]} is already kept in the state bucket")
        else:
            ctx.log(f"package is {size / 1e6:.1f} MB zipped: uploading it to the state bucket, where every version "
                    "is kept by its hash (for `botship rollback`)")
            self.s3.upload_file(str(path), self.names.bucket, key)
            self._prune(ctx, key)
        return {"S3Bucket": self.names.bucket, "S3Key": key}

    def _prune(self, ctx, shipped: str) -> None:
        """Keep the newest KEPT_VERSIONS packages (a rollback's choice); older ones are deleted with a new one."""
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.names.bucket, Prefix="deploy/")
            kept = sorted((item for page in pages for item in page.get("Contents", [])
                           if item["Key"].endswith(".zip") and item["Key"] != shipped),
                          key=lambda item: item["LastModified"], reverse=True)
            old = [{"Key": item["Key"]} for item in kept[KEPT_VERSIONS - 1:]]
            if old:
                self.s3.delete_objects(Bucket=self.names.bucket, Delete={"Objects": old, "Quiet": True})
                ctx.log(f"{len(old)} older package(s) removed; the newest {KEPT_VERSIONS} are kept for rollbacks")
        except Exception as exc:  # noqa: BLE001 - the deploy stands; only the tidying is left for the next one
            ctx.log(f"older packages were not removed ({translate(exc, 'listing kept packages').what})", "warning")

    def _kept(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.names.bucket, Key=key)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise translate(exc, f"reading {key} in {self.names.bucket}") from None
        return True

    def _create(self, ctx, config: dict[str, Any], tags: dict[str, str]) -> str:
        """Create the function, retrying while IAM has not yet let Lambda assume a new role."""
        deadline = time.monotonic() + ROLE_PROPAGATION_S
        code = self._code(ctx)
        while True:
            try:
                created = self.client.create_function(FunctionName=self.names.function, Code=code, Tags=tags,
                                                      PackageType=self.package_type, Architectures=["x86_64"],
                                                      Description=f"botship bot {self.spec.bot_name}", **config)
                break
            except Exception as exc:  # noqa: BLE001
                waiting = error_code(exc) == "InvalidParameterValueException" and "cannot be assumed" in str(exc)
                if not waiting or time.monotonic() > deadline:
                    raise
                left = int(deadline - time.monotonic())
                ctx.log(f"the new role cannot be assumed yet — retrying for up to {left} s more")
                ctx.wait(5)
        _wait(self.client, "function_active_v2", self.names.function, ctx)
        ctx.log(f"created function {self.names.function}")
        return created["FunctionArn"]


class BotSchedule:
    """An EventBridge Scheduler schedule that invokes the function; removed when the spec has none."""

    def __init__(self, session: AwsSession, names: AwsNames, spec: DeploySpec) -> None:
        self.client = session.client("scheduler")
        self.names, self.spec = names, spec

    def _current(self) -> dict[str, Any] | None:
        try:
            return self.client.get_schedule(Name=self.names.schedule)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise translate(exc, f"reading schedule {self.names.schedule}") from None

    def desired(self) -> dict[str, Any]:
        names = self.names
        return {"ScheduleExpression": self.spec.schedule, "ScheduleExpressionTimezone": self.spec.timezone,
                "FlexibleTimeWindow": {"Mode": "OFF"}, "State": "ENABLED",
                "Target": {"Arn": arn(names, "lambda", f"function:{names.function}"),
                           "RoleArn": arn(names, "iam", f"role/{names.scheduler_role}"),
                           "Input": json.dumps({"source": "schedule"}),
                           "RetryPolicy": {"MaximumRetryAttempts": 0}},
                "Description": f"botship: runs {self.spec.bot_name}"}

    def _matches(self, current: dict[str, Any]) -> bool:
        want = self.desired()
        target = current.get("Target", {})
        return (current.get("ScheduleExpression") == want["ScheduleExpression"]
                and current.get("ScheduleExpressionTimezone") == want["ScheduleExpressionTimezone"]
                and target.get("Arn") == want["Target"]["Arn"] and target.get("RoleArn") == want["Target"]["RoleArn"])

    def step(self) -> Step | None:
        current = self._current()
        if self.spec.schedule is None:
            if current is None:
                return None
            return Step("schedule", "Schedule", self.names.schedule, Action.DELETE, self.delete,
                        detail="the profile has no schedule")
        action = Action.CREATE if current is None else Action.NO_CHANGE if self._matches(current) else Action.UPDATE
        return Step("schedule", "Schedule", self.names.schedule, action, self.apply,
                    detail=f"{self.spec.schedule} ({self.spec.timezone})")

    def apply(self, ctx) -> dict[str, Any]:
        deadline = time.monotonic() + ROLE_PROPAGATION_S
        while True:
            current = self._current()
            try:
                if current is None:
                    self.client.create_schedule(Name=self.names.schedule, **self.desired())
                else:
                    # A paused bot stays paused: a deploy never changes the schedule's state.
                    self.client.update_schedule(Name=self.names.schedule,
                                                **{**self.desired(), "State": current["State"]})
                return {"schedule": self.names.schedule}
            except Exception as exc:  # noqa: BLE001
                # A new scheduler role takes a while before EventBridge Scheduler may assume it.
                propagating = error_code(exc) == "ValidationException" and "assume" in str(exc)
                if not propagating or time.monotonic() > deadline:
                    raise translate(exc, f"setting schedule {self.names.schedule}") from None
                ctx.log(f"the scheduler role cannot be assumed yet — retrying for up to "
                        f"{int(deadline - time.monotonic())} s more")
                ctx.wait(5)

    def delete(self, ctx) -> dict[str, Any]:
        try:
            self.client.delete_schedule(Name=self.names.schedule)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) != "ResourceNotFoundException":
                raise translate(exc, f"removing schedule {self.names.schedule}") from None
        return {}
