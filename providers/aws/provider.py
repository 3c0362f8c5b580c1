"""The AWS Lambda provider: plans a bot's resources from what exists, in dependency order.

It plans for one spec; its cloud (providers/aws/cloud.py) lists bots and opens a handle on one. Where the
calls go (real AWS, or the sandbox's emulator) is the cloud's target (providers/aws/target.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from importlib.metadata import version

from botship import paper
from botship.errors import BotshipError
from botship.masking import MIN_SECRET_LENGTH, Masker

from ..artifact import base_image_for, build_artifact
from ..base import Check, DeployContext, Provider
from ..plan import Plan
from .bucket import StateBucket, bucket_exists
from .cloud import AwsCloud, AwsHandle
from .destroy import destroy_steps, role_removal, secret_removal
from .function import BotFunction, BotSchedule, LogGroup
from .identity_steps import BotSecret, execution_role, scheduler_role
from .lock import DeployLock
from .names import AwsNames
from .preflight import deploy_policy, required_actions
from .session import AwsSession, translate
from .target import AwsTarget


class AwsProvider(Provider):
    """A spec's bot on AWS. A provider for another target (the sandbox's) sets only `name`, `title` and
    `cloud_class`: what differs there is the target's."""

    name = "aws"
    title = "AWS Lambda"
    cloud_class = AwsCloud

    def __init__(self, spec, session: AwsSession | None = None) -> None:
        """`session`, when given, is used instead of one the target makes (tests hand one in)."""
        super().__init__(spec)
        self._session = session
        self._cloud = self.open_cloud()  # a spec without the cloud's settings is said at once

    def open_cloud(self) -> AwsCloud:
        return self.cloud_class(self.cloud_class.settings_of(self.spec), session=self._session)

    def cloud(self) -> AwsCloud:
        return self._cloud

    def handle(self) -> AwsHandle:
        return self._cloud.bot(self.spec.bot_name, self.spec.mode)

    @property
    def target(self) -> AwsTarget:
        return self._cloud.target

    @classmethod
    def holder(cls) -> dict[str, object]:
        return cls.cloud_class.target_class.holder()

    @classmethod
    def closing_notes(cls) -> list[str]:
        return cls.cloud_class.target_class.closing_notes()

    @property
    def session(self) -> AwsSession:
        return self._cloud.session

    @cached_property
    def names(self) -> AwsNames:
        return AwsNames(self.spec.bot_name, self.session.identity().account, self.target.region)

    @cached_property
    def tls_only(self) -> bool:
        """Whether the state bucket refuses plain HTTP. Not when this session itself reaches S3 over plain
        HTTP (an emulator such as moto): the policy would refuse botship's own requests — the deploy lock's
        and the state's — and, with it, lock the deployer out of the bucket it made."""
        endpoint = self.session.client("s3").meta.endpoint_url or ""
        return self.target.tls_only_state and not endpoint.lower().startswith("http://")

    def tags(self, profile: str) -> dict[str, str]:
        """On every resource, so bots are found from any machine by tag; the version is information, not drift."""
        return {**self.spec.tags, "botship:bot": self.spec.bot_name, "botship:profile": profile,
                "botship:mode": self.spec.mode, "botship:version": version("botship")}

    def check_credentials(self) -> list[Check]:
        return self.target.check_credentials(lambda: self.session, required_actions(self.spec.packaging))

    def permissions_policy(self) -> dict | None:
        """The least-privilege IAM policy a deploying identity needs, for this account (None without one)."""
        if not self.target.account:
            return None
        return deploy_policy(self.session.identity().account, required_actions(self.spec.packaging))

    def preflight(self, context: DeployContext) -> list[Check]:
        checks = self.check_credentials()
        if self.target.account:
            checks += self.target.account_checks(self.session, self.names, self.spec.memory_mb,
                                                 self.spec.packaging == "image")
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
        self._cloud.ready()
        plan = self.read_plan(context)
        # The engine holds the deploy lock while the plan runs (and plans again once it holds it: `_plan`).
        plan.lock = self.deploy_lock(context.profile)
        return plan

    def deploy_lock(self, profile: str) -> DeployLock:
        return DeployLock(self.session, self.names, profile)

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
        function = BotFunction(session, names, spec, artifact, tags, with_secret, self.target.direct_upload_limit)
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
                planned += self.target.image_steps(pool, session, names, spec, tags, artifact)
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
        # An emulator's fixed account number is no account of the user's: the plan does not show it as one.
        account = [("account", names.account)] if self.target.account else []
        summary = spec.describe() + paper.summary(spec, context.project) + account + [
            ("package", f"{package}, {artifact.content_hash[:12]}"), ("history", self._history(spec)),
            ("lock", f"one deploy at a time: held in {names.bucket} while this runs")]
        if short := context.secrets.only(secrets).too_short_to_mask():
            summary.append(("warning", f"{', '.join(short)}: shorter than {MIN_SECRET_LENGTH} characters, so botship "
                                       "cannot mask it in the logs it shows; a real credential is longer"))
        plan = Plan(f"Deploy {spec.bot_name} to {spec.where}", spec.mode, summary + self.target.notes(), steps)
        plan.masker = context.secrets.masker()
        # Planned again under the lock, the cloud is read again; the package built (and shown) now is kept.
        plan.replan = lambda: self.read_plan(context, artifact)
        return plan

    def _history(self, spec) -> str:
        """How long earlier state is kept, and (where billed) what that history costs per MB a run rewrites."""
        kept = f"earlier state kept {spec.state_retention_days} days, for `botship state restore`"
        if not self.target.account or not spec.schedule:
            return kept
        from botship.cost import state_history_line
        from botship.schedule import parse_schedule, runs_per_month

        line = state_history_line(runs_per_month(parse_schedule(spec.schedule), spec.timezone),
                                  spec.state_retention_days)
        return f"{kept}; ~${line.usd:,.3f} a month per MB each run rewrites"

    def plan_destroy(self, *, purge_state: bool = False) -> Plan:
        self._cloud.ready()
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
        plan = Plan(f"Destroy {self.spec.bot_name} on {self.spec.where}", self.spec.mode,
                    summary + self.target.notes(), steps)
        plan.kept = kept
        plan.masker = Masker()  # a destroy handles no secret values
        return plan

    def _exists_after_destroy(self, names: AwsNames) -> tuple[bool, bool]:
        """Whether the bot's state bucket and log group exist (a destroy keeps both unless told otherwise)."""
        has_bucket = bucket_exists(self.session, names, "reading what is deployed")
        logs = self.session.client("logs")
        try:
            groups = logs.describe_log_groups(logGroupNamePrefix=names.log_group)["logGroups"]
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "reading what is deployed") from None
        return has_bucket, any(g["logGroupName"] == names.log_group for g in groups)
