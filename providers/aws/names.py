"""Every AWS resource name of a bot, derived from its bot name (and account/region where names are global)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class AwsNames:
    """Names for one bot in one account and region; the spec's bot_name rules keep each one valid."""

    bot: str
    account: str
    region: str

    @property
    def function(self) -> str:
        return f"botship-{self.bot}"

    @property
    def execution_role(self) -> str:
        return f"botship-{self.bot}-run"

    @property
    def scheduler_role(self) -> str:
        return f"botship-{self.bot}-schedule"

    @property
    def secret(self) -> str:
        return f"botship/{self.bot}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function}"

    @property
    def schedule(self) -> str:
        return f"botship-{self.bot}"

    @property
    def repository(self) -> str:
        return f"botship/{self.bot}"

    @property
    def bucket(self) -> str:
        # Bucket names are global: a short hash of account and region keeps ours unique and under 63 chars.
        suffix = hashlib.sha256(f"{self.account}:{self.region}".encode()).hexdigest()[:10]
        return f"botship-{self.bot}-{suffix}"
