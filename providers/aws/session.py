"""AWS clients for one profile and region — retries and timeouts set so nothing hangs — and errors in plain words."""

from __future__ import annotations

import difflib
import os
import re
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from botship.errors import DISK_ERRNOS, BadInput, BotshipError, file_error

CREDENTIALS_FIX = ("sign in again: `aws sso login` (SSO) or `aws configure` (access keys), "
                   "or choose another AWS profile in the botship profile's [aws] table")


@dataclass(frozen=True)
class EmulatorWords:
    """How errors name an emulator a session talks to (the sandbox's), instead of AWS and its credentials."""

    name: str  # e.g. "the sandbox emulator at http://127.0.0.1:5000"
    restart_fix: str  # what to do when it does not answer


@dataclass(frozen=True)
class Identity:
    """Who the credentials belong to; `principal` is what IAM policy simulation needs."""

    account: str
    arn: str
    principal: str
    kind: str  # "user" | "role" | "root" | "other"


class AwsSession:
    """One boto3 session (profile + region) handing out configured clients, each made once."""

    def __init__(self, region: str, profile: str | None = None, *, endpoint_url: str | None = None,
                 keys: tuple[str, str] | None = None, max_attempts: int = 10,
                 emulator: EmulatorWords | None = None) -> None:
        """`endpoint_url` and `keys` (access key id, secret) point the session at an emulator, whatever
        the environment says (the sandbox); otherwise boto3 finds credentials and endpoints as usual.
        With `emulator`, every error its clients raise is translated in the emulator's words."""
        import boto3
        from botocore.exceptions import ProfileNotFound

        self.region = region
        self.endpoint_url = endpoint_url
        self.max_attempts = max_attempts
        self.emulator = emulator
        try:
            if keys:
                self.session = boto3.Session(botocore_session=_isolated_core(), aws_access_key_id=keys[0],
                                             aws_secret_access_key=keys[1], region_name=region)
            else:
                self.session = boto3.Session(profile_name=profile, region_name=region)
        except ProfileNotFound:
            available = ", ".join(boto3.Session().available_profiles) or "none"
            raise BadInput(f"AWS profile '{profile}' is not in your AWS config",
                           f"profiles there: {available}",
                           "set aws.profile to one of them, or leave it out to use the default credentials") from None
        self._clients: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._identity: Identity | None = None
        self._check_region()

    def _check_region(self) -> None:
        """A region Lambda does not run in (usually a typo) is caught before any call would hang on DNS."""
        known = self.session.get_available_regions("lambda")
        if not known or self.region in known:
            return
        close = difflib.get_close_matches(self.region, known, n=1)
        raise BadInput(f"'{self.region}' is not a region AWS Lambda runs in",
                       f"regions this boto3 knows: {', '.join(known)}",
                       (f"did you mean '{close[0]}'? " if close else "") +
                       "set aws.region to one of them (for a region newer than your boto3, upgrade boto3)")

    @cached_property
    def config(self):
        from botocore.config import Config

        return Config(retries={"mode": "adaptive", "max_attempts": self.max_attempts}, connect_timeout=10, read_timeout=60,
                      user_agent_extra="botship")

    def client(self, service: str):
        # Clients are thread-safe once made; making them is not (planning reads in parallel).
        with self._lock:
            if service not in self._clients:
                client = self.session.client(service, config=self.config, endpoint_url=self.endpoint_url)
                if self.emulator:
                    _mark_errors(client, self.emulator)
                self._clients[service] = client
            return self._clients[service]

    def identity(self) -> Identity:
        """Who we are (asked once per session); an assumed role resolves to its role's ARN, with its path."""
        if self._identity is None:
            self._identity = self._ask_identity()
        return self._identity

    def _ask_identity(self) -> Identity:
        try:
            caller = self.client("sts").get_caller_identity()
        except Exception as exc:  # noqa: BLE001 - translated into what the user can do
            error = translate(exc, "checking that it answers" if self.emulator else "checking your AWS credentials")
            if error.what.startswith("AWS rejected your credentials"):
                error.fix += (f"; if they work in other regions, {self.region} may be an opt-in region not yet "
                              "enabled for your account (AWS console → Account → AWS Regions)")
            raise error from None
        arn, account = caller["Arn"], caller["Account"]
        if arn.endswith(":root"):
            return Identity(account, arn, arn, "root")
        assumed = re.match(r"^arn:(aws[\w-]*):sts::(\d+):assumed-role/([^/]+)/", arn)
        if assumed:
            partition, _, role = assumed.groups()
            principal = f"arn:{partition}:iam::{account}:role/{role}"
            try:
                principal = self.client("iam").get_role(RoleName=role)["Role"]["Arn"]
            except Exception:  # noqa: BLE001 - without iam:GetRole the path-less ARN is the best we have
                pass
            return Identity(account, arn, principal, "role")
        return Identity(account, arn, arn, "user" if ":user/" in arn else "other")


def _isolated_core():
    """A botocore session that reads no AWS profile or config file (AWS_PROFILE included): an emulator's."""
    import botocore.session
    from botocore.configprovider import ConstantProvider

    core = botocore.session.Session()
    store = core.get_component("config_store")
    for name, value in (("profile", None), ("config_file", os.devnull), ("credentials_file", os.devnull)):
        store.set_config_provider(name, ConstantProvider(value))
    return core


def _mark_errors(client, words: EmulatorWords) -> None:
    """Make every error of `client` carry the emulator it came from, so `translate` speaks of it."""
    def on_response(parsed=None, **_) -> None:
        # A ClientError is raised with this very dict as its `response`.
        if isinstance(parsed, dict) and "Error" in parsed:
            parsed.setdefault("ResponseMetadata", {})["BotshipEmulator"] = words

    def on_failure(exception=None, **_) -> None:
        if exception is not None:
            exception.botship_emulator = words

    client.meta.events.register("after-call", on_response)
    client.meta.events.register("after-call-error", on_failure)


def _emulator_of(exc: BaseException) -> EmulatorWords | None:
    words = getattr(exc, "botship_emulator", None)
    if words is None:
        words = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("BotshipEmulator")
    return words if isinstance(words, EmulatorWords) else None


def error_code(exc: BaseException) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def translate(exc: BaseException, doing: str) -> BotshipError:
    """An AWS SDK error as a message that says what to do."""
    from botocore.exceptions import (
        ClientError,
        CredentialRetrievalError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        SSOError,
        TokenRetrievalError,
    )

    if isinstance(exc, BotshipError):
        return exc
    if isinstance(exc, OSError) and (exc.filename is not None or exc.errno in DISK_ERRNOS):
        return file_error(exc)  # a file or folder on this machine (the cache, a build), not the cloud
    if (words := _emulator_of(exc)) is not None:
        return _emulator_error(exc, doing, words)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return BotshipError(f"no AWS credentials found while {doing}", "", CREDENTIALS_FIX)
    if isinstance(exc, TokenRetrievalError | SSOError):
        return BotshipError(f"your AWS sign-in has expired or was never made ({doing})", str(exc), CREDENTIALS_FIX)
    if isinstance(exc, CredentialRetrievalError):
        return BotshipError(f"your AWS credentials could not be loaded ({doing})", str(exc), CREDENTIALS_FIX)
    if isinstance(exc, NoRegionError):
        return BadInput(f"no AWS region set ({doing})", fix="set aws.region in the profile, e.g. \"eu-west-1\"")
    if isinstance(exc, EndpointConnectionError):
        return BotshipError(f"cannot reach AWS while {doing}", str(exc),
                            "check the region name and your network connection")
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "")
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            return BotshipError(f"your AWS credentials have expired ({doing})", message, CREDENTIALS_FIX)
        if code in ("InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch",
                    "InvalidSignatureException", "AuthFailure"):
            return BotshipError(f"AWS rejected your credentials ({doing})", message, CREDENTIALS_FIX)
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return BotshipError(f"not allowed while {doing}", message,
                                "run `botship doctor` to list the missing permissions and the policy that grants them")
        if code in ("Throttling", "ThrottlingException", "TooManyRequestsException"):
            return BotshipError(f"AWS kept throttling while {doing}", message, "wait a minute and re-run; it is safe")
        return BotshipError(f"AWS refused while {doing}: {code}", message,
                            "re-running is safe; if it keeps failing, the message above says why")
    return BotshipError(f"{doing} failed: {type(exc).__name__}", str(exc), "re-running is safe")


def _emulator_error(exc: BaseException, doing: str, words: EmulatorWords) -> BotshipError:
    """An error from an emulator (the sandbox's): it has no accounts, credentials, regions or quotas to blame."""
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):  # no answer: refused, reset, timed out
        return BotshipError(f"cannot reach {words.name} while {doing}", str(exc), words.restart_fix)
    code = error_code(exc)
    message = exc.response.get("Error", {}).get("Message", "")
    return BotshipError(f"{words.name} refused while {doing}: {code}", message,
                        "re-running is safe; if it keeps refusing, the message above says why "
                        "(an emulator may not support every call a deploy makes)")
