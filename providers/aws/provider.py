"""The AWS Lambda provider: plans a bot's resources from what exists, in dependency order."""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

from botship import paper
from botship.errors import BadInput, BotshipError
from botship.masking import MIN_SECRET_LENGTH

from ..artifact import base_image_for, build_artifact
from ..base import BotStatus, BotSummary, Check, DeployContext, DeployedState, NotDeployed, Provider, StateListing
from ..plan import Plan
from .bucket import StateBucket
from .config import COMMON_REGIONS, aws_profiles, profile_region
from .destroy import destroy_steps, role_removal, secret_removal
from .function import DIRECT_UPLOAD_LIMIT, BotFunction, BotSchedule, LogGroup
from .identity_steps import BotSecret, execution_role, scheduler_role
from .image import BotImage, Registry, Repository, docker_client
from .lock import DeployLock
from .names import AwsNames
from .preflight import (
    check_bucket_name,
    check_permissions,
    check_quota,
    deploy_policy,
    required_actions,
)
from .session import AwsSession, error_code, translate


class AwsProvider(Provider):
    name = "aws"
    title = "AWS Lambda"
    # The sandbox (same code, pointed at an emulator) changes these two; see providers/sandbox.
    tls_only_state = True
    # Whether the state bucket is billed (the sandbox's is not), so the plan says what its history costs.
    billed_storage = True
    direct_upload_limit = DIRECT_UPLOAD_LIMIT

    def __init__(self, spec, session: AwsSession | None = None) -> None:
        super().__init__(spec)
        if spec.aws is None:
            raise BadInput("the profile has no [aws] table", fix="add aws.region to the profile")
        self._session = session

    @classmethod
    def sign_in_options(cls) -> list[str]:
        return aws_profiles()

    @classmethod
    def location_suggestions(cls) -> list[str]:
        return list(COMMON_REGIONS)

    @classmethod
    def default_location(cls, sign_in: str | None) -> str | None:
        return profile_region(sign_in)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """Invoke the function once, synchronously; its JSON result, or the error it raised."""
        client = self.session.client("lambda")
        try:
            answer = client.invoke(FunctionName=self.names.function, Payload=json.dumps(event).encode(),
                                   LogType="Tail")
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"invoking {self.names.function}") from None
        payload = answer["Payload"].read().decode(errors="replace")
        try:
            result = json.loads(payload) if payload else None
        except ValueError:
            result = payload
        # Lambda returns the last 4 KB of the run's log with it.
        tail = base64.b64decode(answer.get("LogResult") or b"").decode(errors="replace")
        return {"status": answer.get("StatusCode"), "error": answer.get("FunctionError"), "result": result,
                "logs": tail.splitlines()}

    @cached_property
    def session(self) -> AwsSession:
        return self._session or AwsSession(self.spec.aws.region, self.spec.aws.profile)

    @cached_property
    def names(self) -> AwsNames:
        return AwsNames(self.spec.bot_name, self.session.identity().account, self.spec.aws.region)

    @cached_property
    def tls_only(self) -> bool:
        """Whether the state bucket refuses plain HTTP. Not when this session itself reaches S3 over plain
        HTTP (an emulator such as moto): the policy would refuse botship's own requests — the deploy lock's
        and the state's — and, with it, lock the deployer out of the bucket it made."""
        endpoint = self.session.client("s3").meta.endpoint_url or ""
        return self.tls_only_state and not endpoint.lower().startswith("http://")

    def tags(self, profile: str) -> dict[str, str]:
        """On every resource, so bots are found from any machine by tag; the version is information, not drift."""
        return {**self.spec.tags, "botship:bot": self.spec.bot_name, "botship:profile": profile,
                "botship:mode": self.spec.mode, "botship:version": version("botship")}

    def check_credentials(self) -> list[Check]:
        identity = self.session.identity()
        return [Check("identity", True, f"{identity.arn} (account {identity.account})"),
                check_permissions(self.session, identity, required_actions(self.spec.packaging))]

    def permissions_policy(self) -> dict:
        """The least-privilege IAM policy a deploying identity needs, for this account."""
        return deploy_policy(self.session.identity().account, required_actions(self.spec.packaging))

    def preflight(self, context: DeployContext) -> list[Check]:
        checks = self.check_credentials()
        checks += [check_quota(self.session, self.spec.memory_mb), check_bucket_name(self.session, self.names)]
        image = self.spec.packaging == "image"
        if image:
            try:
                version = docker_client().version().get("Version", "?")
                checks.append(Check("docker", True, f"Docker {version} is running"))
            except BotshipError as exc:
                checks.append(Check("docker", False, exc.what, exc.fix))
        return checks + [self._package_check(context)]

    def _package_check(self, context: DeployContext) -> Check:
        try:
            artifact = build_artifact(self.spec, context.project, context.report)
        except BotshipError as exc:
            return Check("package", False, exc.what, exc.fix)
        size = artifact.unzipped_size / 1e6
        return Check("package", True, f"image content {size:.1f} MB (Lambda allows 10 GB)"
                     if self.spec.packaging == "image" else f"{size:.1f} MB unzipped (Lambda allows 262 MB)")

    def plan(self, context: DeployContext) -> Plan:
        plan = self._read_plan(context)
        # The engine holds the deploy lock while the plan runs (and plans again once it holds it: `_plan`).
        plan.lock = self.deploy_lock(context.profile)
        return plan

    def deploy_lock(self, profile: str) -> DeployLock:
        return DeployLock(self.session, self.names, profile)

    def _read_plan(self, context: DeployContext, artifact=None) -> Plan:
        try:
            return self._plan(context, artifact)
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001 - any SDK error while reading becomes a message with a fix
            raise translate(exc, "reading what is deployed") from None

    def _plan(self, context: DeployContext, artifact=None) -> Plan:
        """The deploy's steps; `artifact`, when given, is the one an earlier plan of this deploy built."""
        spec, session = self.spec, self.session
        names = self.names
        tags = self.tags(context.profile)
        artifact = artifact or build_artifact(spec, context.project, context.report)
        # A paper framework app is given no secret: none is stored, referenced or readable by its role.
        secrets = paper.sent_secrets(spec, context.project)
        with_secret, image = bool(secrets), spec.packaging == "image"
        secret = BotSecret(session, names, context.secrets.only(secrets), tags)
        function = BotFunction(session, names, spec, artifact, tags, with_secret, self.direct_upload_limit)
        # Each step reads what exists; the reads are independent (but for the two that need an earlier
        # step's plan-time outputs), so they run side by side: on real AWS that is most of a re-run's time.
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="botship-plan") as pool:
            secret_step = pool.submit(secret.step)
            bucket = StateBucket(session, names, tags, tls_only=self.tls_only,
                                 retention_days=spec.state_retention_days)
            role = execution_role(session, names, tags, with_secret, spec.mode)
            planned = [pool.submit(bucket.step), secret_step, pool.submit(role.boundary.step), pool.submit(role.step)]
            if spec.schedule:
                planned.append(pool.submit(scheduler_role(session, names, tags).step))
            planned.append(pool.submit(LogGroup(session, names, tags).step))
            if image:
                planned += self._image_steps(pool, names, tags, artifact)
            planned.append(pool.submit(lambda: function.step(secret_step.result().outputs
                                                             if secret_step.result() else {})))
            planned.append(pool.submit(BotSchedule(session, names, spec).step))
            # What the spec no longer needs goes, after the function stopped using it.
            if not spec.schedule:
                planned.append(pool.submit(role_removal, session, names.scheduler_role, "scheduler-role",
                                           "Scheduler role", "the profile has no schedule"))
            if not secrets:
                planned.append(pool.submit(secret_removal, session, names, "the profile has no secrets" if not
                                           spec.secrets else "a paper framework app is given no secrets"))
            steps = [step for future in planned if (step := future.result()) is not None]
        package = (f"container image, {artifact.unzipped_size / 1e6:.1f} MB on {base_image_for(spec)}"
                   if spec.packaging == "image" else f"{artifact.unzipped_size / 1e6:.1f} MB unzipped")
        summary = spec.describe() + paper.summary(spec, context.project) + [("account", names.account),
                                     ("package", f"{package}, {artifact.content_hash[:12]}"),
                                     ("history", self._history(spec)),
                                     ("lock", f"one deploy at a time: held in {names.bucket} while this runs")]
        if short := context.secrets.only(secrets).too_short_to_mask():
            summary.append(("warning", f"{', '.join(short)}: shorter than {MIN_SECRET_LENGTH} characters, so botship "
                                       "cannot mask it in the logs it shows; a real credential is longer"))
        plan = Plan(f"Deploy {spec.bot_name} to {spec.where}", spec.mode, summary + self.plan_notes(), steps)
        # Planned again under the lock, the cloud is read again; the package built (and shown) now is kept.
        plan.replan = lambda: self._read_plan(context, artifact)
        return plan

    def _history(self, spec) -> str:
        """How long earlier state is kept, and (where billed) what that history costs per MB a run rewrites."""
        kept = f"earlier state kept {spec.state_retention_days} days, for `botship state restore`"
        if not self.billed_storage or not spec.schedule:
            return kept
        from botship.cost import state_history_line
        from botship.schedule import parse_schedule, runs_per_month

        line = state_history_line(runs_per_month(parse_schedule(spec.schedule), spec.timezone),
                                  spec.state_retention_days)
        return f"{kept}; ~${line.usd:,.3f} a month per MB each run rewrites"

    def _image_steps(self, pool: ThreadPoolExecutor, names: AwsNames, tags: dict[str, str], artifact) -> list:
        """Planned steps (futures) that put the container image where the function's ImageUri points."""
        repository = pool.submit(Repository(self.session, names, tags).step)
        bot_image = BotImage(self.session, names, self.spec, artifact, Registry(self.session))
        return [repository, pool.submit(lambda: bot_image.step(repository.result().outputs.get("repository_uri")))]

    def plan_notes(self) -> list[tuple[str, str]]:
        """Lines a plan's summary adds for this provider."""
        return []

    def plan_destroy(self, *, purge_state: bool = False) -> Plan:
        plan = self._plan_destroy(purge_state)
        # Not while a deploy of the bot runs (a destroy makes no bucket just to lock it); once it holds the lock
        # it plans again, so what a deploy it waited for created is deleted too, not left behind.
        plan.lock = DeployLock(self.session, self.names, "destroy", create_bucket=False)
        plan.replan = lambda: self._plan_destroy(purge_state)
        return plan

    def _plan_destroy(self, purge_state: bool) -> Plan:
        names = self.names
        # The summary says what is there: a state bucket or log group that does not exist is not "kept".
        has_bucket, has_logs = self._exists_after_destroy(names)
        steps = destroy_steps(self.session, names, purge_state, self.spec.packaging == "image", has_bucket=has_bucket)
        kept: list[str] = []
        if has_bucket and not purge_state:
            state = f"kept: {names.bucket} (add --purge-state to delete it)"
            kept.append(f"the state bucket {names.bucket} with the bot's state "
                        "(`botship destroy --purge-state` deletes it)")
        else:
            state = "deleted too (--purge-state)" if has_bucket else "none (no state bucket)"
        if has_logs:
            kept.append(f"the log group {names.log_group} (until its retention ends)")
        logs = f"{names.log_group} kept until its retention ends" if has_logs else "none (no log group)"
        summary = [("mode", self.spec.mode.upper()), ("bot", self.spec.bot_name), ("platform", self.spec.where),
                   ("state", state), ("logs", logs)]
        plan = Plan(f"Destroy {self.spec.bot_name} on {self.spec.where}", self.spec.mode, summary, steps)
        plan.kept = kept
        return plan

    def _exists_after_destroy(self, names: AwsNames) -> tuple[bool, bool]:
        """Whether the bot's state bucket and log group exist (a destroy keeps both unless told otherwise)."""
        has_bucket = self._bucket_exists(names, "reading what is deployed")
        logs = self.session.client("logs")
        try:
            groups = logs.describe_log_groups(logGroupNamePrefix=names.log_group)["logGroups"]
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "reading what is deployed") from None
        return has_bucket, any(g["logGroupName"] == names.log_group for g in groups)

    def _bucket_exists(self, names: AwsNames, doing: str) -> bool:
        """Whether the bot's state bucket exists (`doing` names the read in the error of any other failure)."""
        try:
            self.session.client("s3").head_bucket(Bucket=names.bucket)
            return True
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise translate(exc, doing) from None
            return False

    def list_bots(self) -> list[BotSummary]:
        tagging = self.session.client("resourcegroupstaggingapi")
        try:
            pages = tagging.get_paginator("get_resources").paginate(
                TagFilters=[{"Key": "botship:bot"}], ResourceTypeFilters=["lambda:function"])
            found = [item for page in pages for item in page["ResourceTagMappingList"]]
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "looking for bots") from None
        bots = []
        for item in found:
            tags = {t["Key"]: t["Value"] for t in item["Tags"]}
            bots.append(BotSummary(tags["botship:bot"], self.name, self.session.region, tags.get("botship:mode", "paper"),
                                   "active", profile=tags.get("botship:profile"), extra={"arn": item["ResourceARN"]}))
        return sorted(bots, key=lambda b: b.bot_name)

    def bot_status(self) -> BotStatus:
        names = self.names
        client = self.session.client("lambda")
        try:
            function = client.get_function(FunctionName=names.function)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"reading {names.function}") from None
        tags = function.get("Tags", {})
        schedule = BotSchedule(self.session, names, self.spec)._current()
        state = "paused" if schedule and schedule["State"] == "DISABLED" else "active"
        return BotStatus(self.spec.bot_name, self.name, names.region, tags.get("botship:mode", "paper"), state,
                         schedule=schedule["ScheduleExpression"] if schedule else None,
                         profile=tags.get("botship:profile"),
                         shipped={"code": tags.get("botship:code", ""), "config": tags.get("botship:config", "")})

    # ---- state ------------------------------------------------------------------------------------

    def _state_store(self):
        from botship.runtime.stores import S3Store

        return S3Store(self.names.bucket, f"{self.spec.mode}/", client=self.session.client("s3"))

    def state_files(self) -> StateListing:
        from botship.runtime.state import Manifest, ManifestInvalid

        try:
            data, token = self._state_store().read_manifest()
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"reading the state of {self.spec.bot_name}") from None
        try:
            manifest = Manifest.parse(data, token, self._state_store().manifest_name())
        except ManifestInvalid as exc:
            raise BotshipError(str(exc), "a run will not start from it",
                               f"list the generations with `botship state versions {self.spec.bot_name}` and "
                               f"restore a good one with `botship state restore {self.spec.bot_name} --generation N`"
                               ) from None
        return StateListing.from_manifest(manifest, data)

    def state_store(self):
        return self._state_store()

    def deployed_state(self, profile: str) -> DeployedState:
        names = self.names
        if not self._bucket_exists(names, f"finding the state of {self.spec.bot_name}"):
            raise self._not_deployed(profile, names)
        # The URL BotFunction.configuration gives the function; the runtime adds the mode's prefix.
        return DeployedState(names.state_url, self._state_store().describe, self._state_client_env())

    def _state_client_env(self) -> dict[str, str]:
        """What the runtime's S3 client in a process here needs to reach the bucket as botship does: the
        profile's region, and its AWS profile when it names one (keys in the environment then yield to
        that profile, as they do for botship's own session); otherwise the usual credential chain."""
        region = self.spec.aws.region
        env = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region}
        if self.spec.aws.profile:
            env.update({"AWS_PROFILE": self.spec.aws.profile, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                        "AWS_SESSION_TOKEN": "", "AWS_SECURITY_TOKEN": ""})
        return env

    def _not_deployed(self, profile: str, names: AwsNames) -> NotDeployed:
        return NotDeployed(f"profile '{profile}' has no deployed state: {self.spec.bot_name} has no state bucket "
                           f"({names.bucket}) in {names.region}",
                           "it was never deployed there, or it was destroyed with --purge-state",
                           f"deploy it first: `botship deploy --profile {profile}`")

    def state_history_note(self) -> str:
        days = getattr(self.spec, "state_retention_days", 30)
        return (f"replaced generations are kept {days} days (state_retention_days) in {self.names.bucket}; "
                f"a restore can go back that far")

    def state_versions(self) -> list[dict[str, Any]]:
        try:
            return super().state_versions()
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"listing the state generations of {self.spec.bot_name}") from None

    def restore_state(self, generation: int) -> dict[str, Any]:
        try:
            return super().restore_state(generation)
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"restoring generation {generation} of {self.spec.bot_name}'s state") from None

    def export_state(self, into: Path) -> StateListing:
        from botship.runtime.state import StateSync

        if into.exists() and (not into.is_dir() or any(into.iterdir())):
            raise BadInput(f"{into} is {'not empty' if into.is_dir() else 'a file'}",
                           fix="export into a new folder; nothing was written")
        listing = self.state_files()
        into.parent.mkdir(parents=True, exist_ok=True)
        # The runtime keeps a sync index beside the folder it fills: fill one in a scratch folder, move it over.
        with tempfile.TemporaryDirectory(prefix=".botship-export-", dir=into.parent) as scratch:
            try:
                StateSync(self._state_store(), os.path.join(scratch, "state")).load()
            except Exception as exc:  # noqa: BLE001
                raise translate(exc, f"downloading the state of {self.spec.bot_name}") from None
            if into.exists():
                into.rmdir()
            shutil.move(os.path.join(scratch, "state"), into)
        return listing
