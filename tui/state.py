"""What the wizard has been told so far: the spec's answers, and secret values held in memory only."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from botship import paper
from botship.answers import spec_data
from botship.envfile import ENV_FILE, read_env_file
from botship.secret_values import SecretValue, SecretValues, keyring_get
from botship.spec import DeploySpec, build_spec, looks_secret

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class EnvRow:
    """One variable in the environment table; a secret's value never leaves memory (or the keyring)."""

    name: str
    value: str
    secret: bool
    remember: bool = False


@dataclass
class WizardState:
    project: Path
    answers: dict[str, Any] = field(default_factory=dict)
    env: list[EnvRow] = field(default_factory=list)
    profile: str | None = None  # the profile being re-run, if any
    credentials_ok: bool = False

    @classmethod
    def new(cls, project: Path, platform: str | None = None) -> WizardState:
        """A fresh deployment: variables from .env, secrets proposed by their names; `platform` preselected."""
        values = read_env_file(project / ENV_FILE).values
        answers: dict[str, Any] = {"mode": "paper"}
        if platform:
            answers.update(platform=platform, packaging="zip")
        return cls(project, answers,
                   [EnvRow(name, value, looks_secret(name)) for name, value in values.items()])

    @classmethod
    def from_profile(cls, project: Path, name: str, raw: dict[str, Any]) -> WizardState:
        """A saved profile to re-run: its answers, its secrets' values looked up where deploys find them."""
        dotenv = read_env_file(project / ENV_FILE).values
        rows = [EnvRow(k, str(v), False) for k, v in (raw.get("env") or {}).items()]
        for secret in raw.get("secrets") or []:
            # Where a headless deploy looks too: the environment, then .env, then the keyring.
            value = os.environ.get(secret) or dotenv.get(secret) or keyring_get(str(raw.get("bot_name", "")), secret) or ""
            rows.append(EnvRow(secret, value, True))
        answers = {k: v for k, v in raw.items() if k not in ("env", "secrets")}
        return cls(project, answers, rows, profile=name)

    @property
    def mode(self) -> str:
        return self.answers.get("mode", "paper")

    def spec_data(self) -> dict[str, Any]:
        return spec_data(self.answers, self.env)

    def spec(self) -> DeploySpec:
        return build_spec(self.spec_data(), self.project, source="the wizard's answers")

    def missing_secrets(self) -> list[str]:
        """Secrets without a value that the bot will be given (a paper framework app is given none)."""
        asked = self.answers.get("paper") or {}
        if paper.withholds_secrets(self.project, mode=self.mode, entry=self.answers.get("entry"),
                                   send_secrets=asked.get("send_secrets") is True):
            return []
        return [row.name for row in self.env if row.secret and not row.value]

    def secret_values(self) -> SecretValues:
        return SecretValues([SecretValue(row.name, row.value, "wizard") for row in self.env if row.secret and row.value])
