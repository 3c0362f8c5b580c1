"""Every AWS resource name of a bot, derived from its bot name (and account/region where names are global)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# The deploy lock: one object in the state bucket, outside every mode's state prefix.
DEPLOY_LOCK_KEY = "_botship/deploy.lock"


class InfoTag(str):
    """A tag value kept as information only: written with the other tags, never a reason to change a resource.

    It compares equal to any value (and to a missing one), so every "do the stored tags match?" check —
    `stored.get(k) == v`, `stored.get(k) != v`, or comparing whole dicts — ignores it, whichever
    resource's code does the comparing. Used for `botship:version`: upgrading botship alone must
    not make every resource of every bot drift.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = str.__hash__


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
