"""The sandbox provider: AWS Lambda's provider, unchanged but for where it points and two emulator limits."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from botship.errors import BotshipError

from ..aws.names import AwsNames
from ..aws.provider import AwsProvider
from ..aws.session import AwsSession
from ..base import Check, DeployContext, DeployedState, NotDeployed, Provider
from .emulator import SANDBOX_REGION, Emulator, emulator
from .image import LocalImage
from .invoke import invoke_deployed


class SandboxProvider(AwsProvider):
    name = "sandbox"
    title = "Sandbox"
    needs_account = False
    supports_image = True  # kept as a folder on this machine: see providers/sandbox/image.py
    # moto applies a bucket policy's Deny without reading its conditions, so the TLS-only policy would
    # refuse every request; and it serves plain HTTP on loopback anyway.
    tls_only_state = False
    billed_storage = False
    # Every package goes through the state bucket, where invoking finds the exact bytes that were deployed.
    direct_upload_limit = 0

    def __init__(self, spec, session: AwsSession | None = None) -> None:
        Provider.__init__(self, spec)
        self._session = session

    # No sign-in and no locations: the base provider's answers, not AWS Lambda's.
    sign_in_options = vars(Provider)["sign_in_options"]
    location_suggestions = vars(Provider)["location_suggestions"]
    default_location = vars(Provider)["default_location"]

    @cached_property
    def emulator(self) -> Emulator:
        return emulator()

    @cached_property
    def session(self) -> AwsSession:
        return self._session or self.emulator.session()

    @cached_property
    def names(self) -> AwsNames:
        return AwsNames(self.spec.bot_name, self.session.identity().account, SANDBOX_REGION)

    def check_credentials(self) -> list[Check]:
        try:
            self._reachable()
        except BotshipError as exc:
            return [Check("sandbox", False, exc.what, exc.fix)]
        return [Check("sandbox", True, self.emulator.describe())]

    def _reachable(self) -> None:
        """The emulator answers (asked once per provider), or a message saying which one and what to do."""
        session = self.session  # a malformed BOTSHIP_SANDBOX_URL says so itself
        try:
            session.identity()
        except BotshipError as exc:
            raise BotshipError(f"the sandbox emulator at {self.emulator.url} does not answer",
                               exc.why or exc.what, self.emulator.restart_fix()) from None

    def plan(self, context: DeployContext):
        self._reachable()
        plan = super().plan(context)
        # The emulator's fixed account number is no account of the user's: the plan does not show it as one.
        plan.summary = [(key, value) for key, value in plan.summary if key != "account"]
        return plan

    def plan_destroy(self, *, purge_state: bool = False):
        self._reachable()
        plan = super().plan_destroy(purge_state=purge_state)
        plan.summary.append(("note", self.emulator.describe()))
        return plan

    @classmethod
    def holder(cls) -> dict[str, object]:
        """A sandbox deploy lives in the emulator that holds it: the local record keeps which one."""
        from .emulator import running

        current = running()
        return current.holder() if current else {}

    @classmethod
    def closing_notes(cls) -> list[str]:
        from .emulator import running

        current = running()
        return current.closing_notes() if current else []

    def state_files(self):
        self._reachable()
        return super().state_files()

    def deployed_state(self, profile: str) -> DeployedState:
        self._reachable()
        return super().deployed_state(profile)

    def _state_client_env(self) -> dict[str, str | None]:
        """The emulator's endpoint and keys, over whatever AWS settings of the user's a local run inherits:
        the runtime's S3 client reaches the emulator and nothing else (None: the variable is not passed on,
        so a profile named by the user's shell, missing or not, plays no part)."""
        url = self.emulator.url
        return {**self.emulator.client_env(), "AWS_ENDPOINT_URL_S3": url,
                "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false", "AWS_SESSION_TOKEN": "", "AWS_SECURITY_TOKEN": "",
                "AWS_PROFILE": None, "AWS_DEFAULT_PROFILE": None, "AWS_CONFIG_FILE": None,
                "AWS_SHARED_CREDENTIALS_FILE": None}

    def _not_deployed(self, profile: str, names: AwsNames) -> NotDeployed:
        missing = self.emulator.not_deployed(self.spec.bot_name)
        return NotDeployed(f"profile '{profile}' has no deployed state: {missing.what}", missing.why, missing.fix)

    def permissions_policy(self) -> dict | None:
        return None

    def preflight(self, context: DeployContext) -> list[Check]:
        return self.check_credentials() + [self._package_check(context)]

    def _image_steps(self, pool, names: AwsNames, tags: dict[str, str], artifact) -> list:
        return [pool.submit(LocalImage(self.session, names, artifact).step)]

    def plan_notes(self) -> list[tuple[str, str]]:
        return [("note", self.emulator.describe())]

    def invoke(self, event: dict[str, Any], on_line: Callable[[str], None] | None = None) -> dict[str, Any]:
        self._reachable()
        return invoke_deployed(self.session, self.emulator, self.names, event, on_line)
