"""Every AWS resource name of a bot, derived from its bot name (and account/region where names are global)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# The deploy lock: one object in the state bucket, outside every mode's state prefix.
DEPLOY_LOCK_KEY = "_botship/deploy.lock"


# Tags kept as information only: written with the others, never a reason to change a resource
# (upgrading botship alone must not make every resource of every bot drift).
INFO_TAGS = frozenset({"botship:version"})


def tags_match(stored: dict[str, str], wanted: dict[str, str]) -> bool:
    """Whether a resource's stored tags carry every wanted tag, information-only tags aside."""
    return all(stored.get(key) == value for key, value in wanted.items() if key not in INFO_TAGS)


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

    @property
    def state_url(self) -> str:
        """Where the bot's state lives, as the runtime reads it (BOTSHIP_STATE_URL; the mode's prefix is added)."""
        return f"s3://{self.bucket}"
