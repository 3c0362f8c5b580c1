"""Where AWS is for a provider, its cloud and its bot handles: real AWS (a profile and a region), or an emulator.

The AWS provider, cloud and handle are one code; a target says where their calls go and what that place
cannot do. Real AWS is `RealAws` below; the sandbox's emulator is `providers/sandbox/target.py`, with the
emulator's two documented limits (no TLS-only bucket policy, every package through the bucket).
"""

from __future__ import annotations

import base64
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ClassVar

from botship.errors import BadInput, BotshipError
from botship.questions import Choice, Question, get_answer

from ..base import Check, NotDeployed
from ..results import InvokeResult
from .config import COMMON_REGIONS, aws_profiles, profile_region
from .function import DIRECT_UPLOAD_LIMIT
from .names import AwsNames
from .session import AwsSession, error_code, translate

SessionSource = Callable[[], AwsSession]


class AwsTarget(ABC):
    """Where AWS's calls go. Class attributes say what the place can do; methods are what differs there."""

    # The TLS-only bucket policy (an emulator may apply its Deny without reading the condition).
    tls_only_state: ClassVar[bool] = True
    # Packages up to this size go to Lambda in the request; 0 sends every package through the state bucket.
    direct_upload_limit: ClassVar[int] = DIRECT_UPLOAD_LIMIT
    # Where the images a rollback can ship again are listed: the bot's repository, or (the sandbox) the bucket.
    images_in_bucket: ClassVar[bool] = False
    # An account of the user's: plans name it, its permissions are checked (and printed as a policy), its quotas
    # and global bucket names read, its storage billed.
    account: ClassVar[bool] = True

    region: str

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> AwsTarget:
        """The target for a cloud's settings (for real AWS: profile and region)."""

    @classmethod
    def settings(cls) -> list[Question]:
        return []

    @classmethod
    def sign_in_options(cls) -> list[str]:
        return []

    @classmethod
    def holder(cls) -> dict[str, Any]:
        """What a local record of a deploy made now keeps of where it lives."""
        return {}

    @classmethod
    def closing_notes(cls) -> list[str]:
        return []

    # What runs inside botship for this target (an emulator): see Cloud.holds_bots_here and the two after it.
    @classmethod
    def holds_bots_here(cls) -> bool:
        return False

    @classmethod
    def local_scheduler(cls, on_fired: Callable[[Any], None], *, at_launch: bool = False) -> Any | None:
        return None

    @classmethod
    def shut_down(cls) -> None:
        pass

    @abstractmethod
    def session(self, region: str | None = None) -> AwsSession:
        """A session in `region` (default: the target's)."""

    def regions(self, asked: list[str] | None) -> list[str]:
        """The regions a listing looks in, of those asked (default: the target's own)."""
        return list(dict.fromkeys(asked)) if asked else [self.region]

    def reachable(self, session: SessionSource) -> AwsSession:
        """The session, once the place answers (or a message naming it and what to do)."""
        return session()

    @abstractmethod
    def check_credentials(self, session: SessionSource, actions: list[str]) -> list[Check]:
        """Who we are there, and whether `actions` are allowed; changes nothing."""

    def account_checks(self, session: AwsSession, names: AwsNames, memory_mb: int, image: bool) -> list[Check]:
        """The checks of an account's limits `botship doctor` adds (none where there is no account)."""
        return []

    def notes(self) -> list[tuple[str, str]]:
        """Lines a plan's summary adds for this place."""
        return []

    def not_deployed(self, bot: str, names: AwsNames) -> BotshipError:
        """The bot has no function here: why, and how to deploy it."""
        return BotshipError(f"{bot} is not deployed in {names.region}",
                            f"there is no function {names.function} there",
                            "deploy it first (`botship deploy`), or look in another region")

    def no_state(self, profile: str, bot: str, names: AwsNames) -> NotDeployed:
        return NotDeployed(f"profile '{profile}' has no deployed state: {bot} has no state bucket "
                           f"({names.bucket}) in {names.region}",
                           "it was never deployed there, or it was destroyed with --purge-state",
                           f"deploy it first: `botship deploy --profile {profile}`")

    @abstractmethod
    def client_env(self) -> dict[str, str | None]:
        """What the runtime's S3 client in a process here needs to reach the state as botship does
        (None: the variable is not passed on)."""

    def invoke(self, session: AwsSession, names: AwsNames, event: dict[str, Any],
               on_line: Callable[[str], None] | None = None) -> InvokeResult:
        """Run the bot's function once now, where it lives."""
        return lambda_invoke(session, names, event, on_line, missing=lambda: self.not_deployed(names.bot, names))

    def image_steps(self, pool: ThreadPoolExecutor, session: AwsSession, names: AwsNames, spec: Any,
                    tags: dict[str, str], artifact: Any) -> list[Future]:
        """Planned steps (futures) that put the container image where the function's ImageUri points."""
        from .image import BotImage, Registry, Repository

        repository = pool.submit(Repository(session, names, tags).step)
        bot_image = BotImage(session, names, spec, artifact, Registry(session))
        return [repository, pool.submit(lambda: bot_image.step(repository.result().outputs.get("repository_uri")))]


class RealAws(AwsTarget):
    """AWS itself, signed in with a profile from the user's AWS config (or the default credentials)."""

    def __init__(self, region: str, profile: str | None = None) -> None:
        self.region, self.profile = region, profile

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RealAws:
        if not settings.get("region"):
            raise BadInput("the profile has no [aws] table", fix="add aws.region to the profile")
        return cls(str(settings["region"]), settings.get("profile") or None)

    @classmethod
    def settings(cls) -> list[Question]:
        from botship.spec import field_docs

        docs = {doc.key: doc.help for doc in field_docs()}
        return [
            Question("aws.profile", "AWS profile", docs.get("aws.profile", ""), kind="choice",
                     choices=lambda answers: [Choice(name, name) for name in aws_profiles()],
                     blank="default credentials (environment, SSO, instance role)"),
            Question("aws.region", "Region", docs.get("aws.region", ""),
                     default=lambda answers: profile_region(get_answer(answers, "aws.profile")),
                     check=region_problem, suggestions=lambda answers: list(COMMON_REGIONS),
                     placeholder="eu-west-1", depends_on=("aws.profile",)),
        ]

    @classmethod
    def sign_in_options(cls) -> list[str]:
        return aws_profiles()

    def session(self, region: str | None = None) -> AwsSession:
        return AwsSession(region or self.region, self.profile)

    def check_credentials(self, session: SessionSource, actions: list[str]) -> list[Check]:
        from .preflight import check_permissions

        found = session()
        identity = found.identity()
        return [Check("identity", True, f"{identity.arn} (account {identity.account})"),
                check_permissions(found, identity, actions)]

    def account_checks(self, session: AwsSession, names: AwsNames, memory_mb: int, image: bool) -> list[Check]:
        from .image import docker_client
        from .preflight import check_bucket_name, check_quota

        checks = [check_quota(session, memory_mb), check_bucket_name(session, names)]
        if image:
            try:
                version = docker_client().version().get("Version", "?")
                checks.append(Check("docker", True, f"Docker {version} is running"))
            except BotshipError as exc:
                checks.append(Check("docker", False, exc.what, exc.fix))
        return checks

    def client_env(self) -> dict[str, str | None]:
        """The profile's region, and its AWS profile when it names one (keys in the environment then yield to
        that profile, as they do for botship's own session); otherwise the usual credential chain."""
        env: dict[str, str | None] = {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        if self.profile:
            env.update({"AWS_PROFILE": self.profile, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                        "AWS_SESSION_TOKEN": "", "AWS_SECURITY_TOKEN": ""})
        return env


def region_problem(value: Any, answers: dict[str, Any]) -> str | None:
    """The spec's own rule for aws.region, given the other answers."""
    from botship.spec import check_field

    table = {**(get_answer(answers, "aws") or {}), "region": value}
    problems = [p for p in check_field("aws", table, answers) if p.field in ("aws.region", "aws")]
    return problems[0].message if problems else None


_DURATION = re.compile(r"^REPORT RequestId:.*\tDuration: ([0-9.]+) ms")


def lambda_invoke(session: AwsSession, names: AwsNames, event: dict[str, Any],
                  on_line: Callable[[str], None] | None = None, *,
                  missing: Callable[[], BotshipError] | None = None) -> InvokeResult:
    """Invoke the function once, synchronously: its result (or the error it raised) and the tail of its log,
    handed to `on_line` once the run has ended (Lambda returns the last 4 KB with the answer). `missing` is
    the error for a function that does not exist."""
    client = session.client("lambda")
    try:
        answer = client.invoke(FunctionName=names.function, Payload=json.dumps(event).encode(), LogType="Tail")
    except Exception as exc:  # noqa: BLE001
        if missing is not None and error_code(exc) == "ResourceNotFoundException":
            raise missing() from None
        raise translate(exc, f"invoking {names.function}") from None
    payload = answer["Payload"].read().decode(errors="replace")
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        result = payload
    lines = base64.b64decode(answer.get("LogResult") or b"").decode(errors="replace").splitlines()
    for line in lines if on_line else ():
        on_line(line)
    duration = next((float(m.group(1)) for line in lines if (m := _DURATION.match(line))), None)
    return InvokeResult(answer.get("StatusCode"), answer.get("FunctionError"), result, tuple(lines),
                        round(duration) if duration is not None else None)
