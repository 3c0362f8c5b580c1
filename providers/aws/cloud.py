"""AWS as a cloud (a sign-in and a region: the bots it holds) and a handle on one deployed bot.

Where the calls go is the cloud's target (providers/aws/target.py): real AWS, or the sandbox's emulator.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar

from botship.errors import BotshipError

from ..base import (
    CONTROL,
    DEPLOY_LOCK,
    DEPLOYED_STATE,
    IMAGE,
    INVOKE,
    LOGS,
    PAUSE,
    PERMISSIONS_POLICY,
    ROLLBACK,
    STATE,
    STATE_HISTORY,
    BotHandle,
    Cloud,
)
from ..results import BotStatus, BotSummary, DeployedState, DeployEntry, InvokeResult
from .bucket import bucket_exists, history_days
from .names import AwsNames
from .session import AwsSession, error_code, translate
from .target import AwsTarget, RealAws


class AwsCloud(Cloud):
    """An AWS sign-in (profile) and region: lists the bots there, opens a handle on one by name."""

    name = "aws"
    title = "AWS Lambda"
    table = "aws"
    capabilities = frozenset({IMAGE, INVOKE, STATE, STATE_HISTORY, DEPLOYED_STATE, DEPLOY_LOCK, PERMISSIONS_POLICY,
                              LOGS, PAUSE, CONTROL, ROLLBACK})
    target_class: ClassVar[type[AwsTarget]] = RealAws
    streams_listing = True

    def __init__(self, settings: Mapping[str, Any] | None = None, *, session: AwsSession | None = None) -> None:
        """`session`, when given, is used instead of one the target makes (tests hand one in)."""
        super().__init__(settings)
        self.target = self.target_class.from_settings(self.config)
        self._session = session
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def settings(cls):
        return cls.target_class.settings()

    @classmethod
    def sign_in_options(cls) -> list[str]:
        return cls.target_class.sign_in_options()

    @classmethod
    def holds_bots_here(cls) -> bool:
        return cls.target_class.holds_bots_here()

    @classmethod
    def local_scheduler(cls, on_fired, *, at_launch: bool = False):
        return cls.target_class.local_scheduler(on_fired, at_launch=at_launch)

    @classmethod
    def shut_down(cls) -> None:
        cls.target_class.shut_down()

    @cached_property
    def session(self) -> AwsSession:
        return self._session or self.target.session()

    @property
    def region(self) -> str:
        return self.target.region

    def ready(self) -> AwsSession:
        """The session, once the target answers (asked once per cloud)."""
        with self._lock:
            if not self._ready:
                self.target.reachable(lambda: self.session)
                self._ready = True
        return self.session

    def failure(self, exc: Exception, doing: str) -> Exception:
        return translate(exc, doing)

    def who(self) -> str:
        try:
            return self.ready().identity().arn
        except Exception:  # noqa: BLE001 - the history's "by" is a courtesy
            return ""

    def names(self, bot: str) -> AwsNames:
        return AwsNames(bot, self.ready().identity().account, self.region)

    def bot(self, name: str, mode: str = "paper") -> AwsHandle:
        return AwsHandle(self, name, mode)

    def list_bots(self, locations: list[str] | None = None,
                  on_found: Callable[[list[BotSummary]], None] | None = None) -> list[BotSummary]:
        regions = self.target.regions(locations)
        self.ready()
        found: list[BotSummary] = []
        lock = threading.Lock()

        def more(bots: list[BotSummary]) -> None:
            with lock:
                found.extend(bots)
                if on_found is not None:
                    on_found(sorted(found, key=lambda bot: (bot.bot_name, bot.where)))

        with ThreadPoolExecutor(max_workers=max(1, min(8, len(regions))), thread_name_prefix="botship-list") as pool:
            list(pool.map(lambda region: self._bots_in(region, more), regions))
        return sorted(found, key=lambda bot: (bot.bot_name, bot.where))

    def _session_in(self, region: str) -> AwsSession:
        return self.session if region == self.session.region else self.target.session(region)

    def _bots_in(self, region: str, more: Callable[[list[BotSummary]], None]) -> None:
        """The bots found by their tag in one region, each with its state as the function and schedule say, handed
        to `more` in batches as they are read."""
        session = self._session_in(region)
        try:
            pages = session.client("resourcegroupstaggingapi").get_paginator("get_resources").paginate(
                TagFilters=[{"Key": "botship:bot"}], ResourceTypeFilters=["lambda:function"])
            found = [item for page in pages for item in page["ResourceTagMappingList"]]
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"looking for bots in {region}") from None

        def one(item: dict[str, Any]) -> BotSummary | None:
            tags = {t["Key"]: t["Value"] for t in item["Tags"]}
            account = item["ResourceARN"].split(":")[4]
            names = AwsNames(tags["botship:bot"], account, region)
            # One request each: ListFunctions leaves out State and LastUpdateStatus, which say failed or updating.
            function = read_function(session, names)
            if function is None:  # removed since it was listed
                return None
            schedule = read_schedule(session, names)
            state = bot_state(function["Configuration"], schedule)
            return BotSummary(names.bot, self.name, region, tags.get("botship:mode", "paper"), state,
                              schedule=schedule["ScheduleExpression"] if schedule else None,
                              profile=tags.get("botship:profile"), extra={"arn": item["ResourceARN"]},
                              timezone=(schedule or {}).get("ScheduleExpressionTimezone") or ("UTC" if schedule else None),
                              next_run=next_run(schedule) if state == "active" else None,
                              version=shipped_version(function), paused=schedule_paused(schedule))

        batch: list[BotSummary] = []
        last = time.monotonic()
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="botship-list") as pool:
            for bot in pool.map(one, found):
                if bot is not None:
                    batch.append(bot)
                if batch and time.monotonic() - last >= BATCH_EVERY_S:
                    more(batch)
                    batch, last = [], time.monotonic()
        more(batch)


class AwsHandle(BotHandle):
    """One deployed bot on AWS (or the emulator), by name."""

    cloud: AwsCloud

    @cached_property
    def names(self) -> AwsNames:
        return self.cloud.names(self.bot_name)

    @property
    def session(self) -> AwsSession:
        return self.cloud.ready()

    def status(self) -> BotStatus:
        session, names = self.session, self.names
        function = read_function(session, names)
        if function is None:
            raise self.cloud.target.not_deployed(self.bot_name, names)
        tags = function.get("Tags", {})
        schedule = read_schedule(session, names)
        state = bot_state(function["Configuration"], schedule)
        zone = (schedule or {}).get("ScheduleExpressionTimezone") or ("UTC" if schedule else None)
        configuration = function["Configuration"]
        environment = (configuration.get("Environment") or {}).get("Variables", {})
        variables = sorted(name for name in environment if not name.startswith("BOTSHIP_"))
        resources = {"function": configuration.get("FunctionArn", ""), "state bucket": f"s3://{names.bucket}",
                     "logs": names.log_group}
        if schedule:
            resources["schedule"] = schedule.get("Arn", names.schedule)
        secret = environment.get("BOTSHIP_SECRET_ARN")
        if secret:
            resources["secrets"] = secret
        if function.get("Code", {}).get("ImageUri"):
            resources["image"] = function["Code"]["ImageUri"]
        return BotStatus(self.bot_name, self.cloud.name, names.region, tags.get("botship:mode", "paper"), state,
                         schedule=schedule["ScheduleExpression"] if schedule else None,
                         profile=tags.get("botship:profile"), extra={"arn": configuration.get("FunctionArn")},
                         timezone=zone, next_run=next_run(schedule) if state == "active" else None,
                         version=shipped_version(function), paused=schedule_paused(schedule),
                         shipped={"code": tags.get("botship:code", ""), "config": tags.get("botship:config", ""),
                                  **({"image": function["Code"]["ImageUri"].rpartition("@")[2]}
                                     if function.get("Code", {}).get("ImageUri") else {})},
                         resources=resources, variables=tuple(variables),
                         secrets=tuple(name for name in environment.get("BOTSHIP_SECRET_NAMES", "").split(",") if name))

    # ---- controls -----------------------------------------------------------------------------------

    def pause(self) -> None:
        from .controls import set_schedule_state

        self._function()
        if set_schedule_state(self.session, self.names, enabled=False):
            self.note("pause", "schedule disabled")

    def resume(self) -> None:
        from .controls import set_schedule_state

        self._function()
        if set_schedule_state(self.session, self.names, enabled=True):
            self.note("resume", "schedule enabled")

    def logs(self, since: datetime | None = None, follow: bool = False):
        from .controls import read_logs

        return read_logs(self.session, self.names, since, follow)

    def logs_note(self) -> str:
        return f"CloudWatch Logs, {self.names.log_group}"

    def _function(self) -> dict[str, Any]:
        function = read_function(self.session, self.names)
        if function is None:
            raise self.cloud.target.not_deployed(self.bot_name, self.names)
        return function

    def versions(self) -> list[DeployEntry]:
        from .controls import kept_versions

        function = self._function()
        image = bool(function.get("Code", {}).get("ImageUri"))
        return kept_versions(self.session, self.names, shipped_version(function), image,
                             self.cloud.target.images_in_bucket)

    def rollback(self, to: str | None = None) -> DeployEntry:
        """Ship a kept version again, under the bot's deploy lock (refused while a deploy holds it)."""
        from ..versions import pick_version
        from .controls import ship_version
        from .lock import DeployLock

        function = self._function()
        image_uri = function.get("Code", {}).get("ImageUri", "")
        try:
            shipped = self.history()
        except BotshipError:  # no history to read: the newest kept before the current one
            shipped = []
        chosen = pick_version(self.versions(), to, self.bot_name, shipped)
        lock = DeployLock(self.session, self.names, "rollback", create_bucket=False)
        holder = lock.try_acquire()
        for _ in range(3):  # {}: released just now, try again at once
            if holder != {}:
                break
            holder = lock.try_acquire()
        if holder is not None:
            raise BotshipError(f"another deploy of {self.bot_name} is running; a rollback does not run beside it",
                               DeployLock.explain(holder) if holder else "nothing was shipped",
                               "roll back once that deploy is done, or remove a stale lock with `botship unlock`")
        try:
            ship_version(self.session, self.names, chosen.version, bool(image_uri), image_uri.partition("@")[0])
        finally:
            lock.release()
        return self.note("rollback", f"shipped {chosen.version.removeprefix('sha256:')[:16]} again", chosen.version)

        function = self._function()
        image_uri = function.get("Code", {}).get("ImageUri", "")
        chosen = pick_version(self.versions(), to, self.bot_name)
        ship_version(self.session, self.names, chosen.version, bool(image_uri), image_uri.partition("@")[0])
        return self.note("rollback", f"shipped {chosen.version[:16]} again", chosen.version)

    def invoke(self, event: dict[str, Any], on_line: Callable[[str], None] | None = None) -> InvokeResult:
        return self.cloud.target.invoke(self.session, self.names, event, on_line)

    # ---- state ------------------------------------------------------------------------------------

    def state_store(self, mode: str | None = None):
        from botship.runtime.stores import S3Store

        return S3Store(self.names.bucket, f"{mode or self.mode}/", client=self.session.client("s3"))

    def state_history_note(self) -> str:
        days = history_days(self.session, self.names)
        if days is None:  # a bucket botship did not set up (or not yet): nothing expires them
            return (f"replaced generations are kept in {self.names.bucket} until deleted (it has no botship lifecycle "
                    f"rule: a deploy sets one from state_retention_days)")
        return (f"replaced generations are kept {days} days (state_retention_days) in {self.names.bucket}; "
                f"a restore can go back that far")

    def deployed_state(self, profile: str, mode: str | None = None) -> DeployedState:
        names = self.names
        if not bucket_exists(self.session, names, f"finding the state of {self.bot_name}"):
            raise self.cloud.target.no_state(profile, self.bot_name, names)
        # The URL BotFunction.configuration gives the function; the runtime adds the mode's prefix.
        return DeployedState(names.state_url, self.state_store(mode).describe, self.cloud.target.client_env())


BATCH_EVERY_S = 0.15  # how often the bots found so far are handed over while a region is read


def shipped_version(function: Mapping[str, Any]) -> str:
    """The version a function runs: its image's digest, else the hash of its code as botship tagged it."""
    uri = function.get("Code", {}).get("ImageUri") or ""
    if "@" in uri:
        return uri.rpartition("@")[2]
    return function.get("Tags", {}).get("botship:code", "")


def read_function(session: AwsSession, names: AwsNames) -> dict[str, Any] | None:
    """The bot's function as Lambda describes it (configuration and tags), or None when there is none."""
    try:
        return session.client("lambda").get_function(FunctionName=names.function)
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise translate(exc, f"reading {names.function}") from None


def read_schedule(session: AwsSession, names: AwsNames) -> dict[str, Any] | None:
    """The bot's schedule, or None when it has none."""
    try:
        return session.client("scheduler").get_schedule(Name=names.schedule)
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise translate(exc, f"reading schedule {names.schedule}") from None


def schedule_anchor(schedule: Mapping[str, Any]) -> datetime | None:
    """When a schedule's rate counts its periods from: its start date, else when it was last set (None: unknown)."""
    for key in ("StartDate", "LastModificationDate", "CreationDate"):
        value = schedule.get(key)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def schedule_paused(schedule: Mapping[str, Any] | None) -> bool:
    return bool(schedule) and schedule.get("State") == "DISABLED"


def bot_state(configuration: Mapping[str, Any], schedule: Mapping[str, Any] | None) -> str:
    """active / paused / failed / updating / unknown, from the function's state and its schedule's."""
    state, update = configuration.get("State"), configuration.get("LastUpdateStatus")
    if state == "Failed" or update == "Failed":
        return "failed"
    if state == "Pending" or update == "InProgress":
        return "updating"
    if state not in (None, "Active", "Inactive"):  # Inactive: idle a while; the next run wakes it
        return "unknown"
    return "paused" if schedule_paused(schedule) else "active"


def next_run(schedule: Mapping[str, Any] | None, now: datetime | None = None) -> datetime | None:
    """When the schedule fires next (None without one, or for an expression botship does not read)."""
    from botship.schedule import next_runs, parse_schedule

    if not schedule or schedule.get("State") == "DISABLED":
        return None
    try:
        following = next_runs(parse_schedule(schedule["ScheduleExpression"]),
                              schedule.get("ScheduleExpressionTimezone") or "UTC", 1, now or datetime.now(UTC),
                              schedule_anchor(schedule))
    except (ValueError, KeyError):
        return None
    return following[0] if following else None
