"""The sandbox's target: AWS as the emulator inside botship (or at BOTSHIP_SANDBOX_URL), for the AWS provider,
cloud and handle to use unchanged.

The emulator's two documented limits:
- no TLS-only bucket policy: moto applies a bucket policy's Deny without reading its conditions, so the
  policy would refuse every request (and it serves plain HTTP on loopback anyway);
- every package goes through the state bucket, where invoking finds the exact bytes that were deployed.
Beyond those, it is no account of the user's (nothing to check, bill or print as a policy), it keeps
container images as folders on this machine, and a run of a function is made here (the emulator stores
functions but does not run them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from typing import Any

from botship.errors import BotshipError

from ..aws.names import AwsNames
from ..aws.session import AwsSession
from ..aws.target import AwsTarget, SessionSource
from ..base import Check, NotDeployed
from ..results import InvokeResult
from .emulator import SANDBOX_REGION, Emulator, emulator, running, stop


class SandboxEmulator(AwsTarget):
    tls_only_state = False
    direct_upload_limit = 0
    images_in_bucket = True
    account = False

    def __init__(self, found: Emulator | None = None) -> None:
        self.region = SANDBOX_REGION
        self._found = found

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SandboxEmulator:
        return cls()  # no settings: the emulator is this process's (or BOTSHIP_SANDBOX_URL's)

    @classmethod
    def holder(cls) -> dict[str, Any]:
        """A sandbox deploy lives in the emulator that holds it: the local record keeps which one."""
        current = running()
        return current.holder() if current else {}

    @classmethod
    def closing_notes(cls) -> list[str]:
        current = running()
        return current.closing_notes() if current else []

    @classmethod
    def holds_bots_here(cls) -> bool:
        current = running()
        return current is not None and current.embedded

    @classmethod
    def local_scheduler(cls, on_fired, *, at_launch: bool = False):
        """The emulator never fires a schedule: botship's local scheduler does, while botship runs. At launch only
        for a separately run emulator (BOTSHIP_SANDBOX_URL), whose bots outlive a botship process."""
        from . import bots_waiting
        from .scheduler import LocalScheduler

        if at_launch and not bots_waiting():
            return None
        current = emulator() if at_launch else running()
        if current is None:
            return None
        scheduler = LocalScheduler(current, on_fired=on_fired)
        scheduler.start()
        return scheduler

    @classmethod
    def shut_down(cls) -> None:
        stop()

    @cached_property
    def emulator(self) -> Emulator:
        """The emulator, started on first use (a malformed BOTSHIP_SANDBOX_URL says so itself)."""
        return self._found or emulator()

    def session(self, region: str | None = None) -> AwsSession:
        return self.emulator.session()

    def regions(self, asked: list[str] | None) -> list[str]:
        return [self.region] if not asked or self.region in asked else []

    def reachable(self, session: SessionSource) -> AwsSession:
        found = session()
        try:
            found.identity()
        except BotshipError as exc:
            raise BotshipError(f"the sandbox emulator at {self.emulator.url} does not answer",
                               exc.why or exc.what, self.emulator.restart_fix()) from None
        return found

    def check_credentials(self, session: SessionSource, actions: list[str]) -> list[Check]:
        try:
            self.reachable(session)
        except BotshipError as exc:
            return [Check("sandbox", False, exc.what, exc.fix)]
        return [Check("sandbox", True, self.emulator.describe())]

    def notes(self) -> list[tuple[str, str]]:
        return [("note", self.emulator.describe())]

    def not_deployed(self, bot: str, names: AwsNames) -> BotshipError:
        return self.emulator.not_deployed(bot)

    def no_state(self, profile: str, bot: str, names: AwsNames) -> NotDeployed:
        missing = self.emulator.not_deployed(bot)
        return NotDeployed(f"profile '{profile}' has no deployed state: {missing.what}", missing.why, missing.fix)

    def client_env(self) -> dict[str, str | None]:
        """The emulator's endpoint and keys, over whatever AWS settings of the user's a local run inherits:
        the runtime's S3 client reaches the emulator and nothing else (None: the variable is not passed on,
        so a profile named by the user's shell, missing or not, plays no part)."""
        url = self.emulator.url
        return {**self.emulator.client_env(), "AWS_ENDPOINT_URL_S3": url,
                "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false", "AWS_SESSION_TOKEN": "", "AWS_SECURITY_TOKEN": "",
                "AWS_PROFILE": None, "AWS_DEFAULT_PROFILE": None, "AWS_CONFIG_FILE": None,
                "AWS_SHARED_CREDENTIALS_FILE": None}

    def invoke(self, session: AwsSession, names: AwsNames, event: dict[str, Any],
               on_line: Callable[[str], None] | None = None) -> InvokeResult:
        """The deployed package, run here with the function's configuration (the emulator runs no code)."""
        from .invoke import invoke_deployed

        return invoke_deployed(session, self.emulator, names, event, on_line)

    def image_steps(self, pool: ThreadPoolExecutor, session: AwsSession, names: AwsNames, spec: Any,
                    tags: dict[str, str], artifact: Any) -> list[Future]:
        from .image import LocalImage

        return [pool.submit(LocalImage(session, names, artifact).step)]
