"""Every Azure resource name of a bot, derived deterministically from its bot name and where it lives.

Storage account, key vault and function app names are global across Azure, so each carries a short hash of
(subscription, resource group, bot): the same bot in the same place always gets the same names, and two
bots (or two subscriptions) never collide.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..aws.names import INFO_TAGS, tags_match  # noqa: F401 - one rule for information-only tags on every cloud

BOT_TAG = "botship:bot"
# The timer function's name in function_app.py; pausing disables it (app setting AzureWebJobs.<name>.Disabled).
TIMER_FUNCTION = "scheduled"
RUN_FUNCTION = "run"


def secret_name(variable: str) -> str:
    """A Key Vault secret name for a variable (vault names allow letters, digits and hyphens only)."""
    return variable.replace("_", "-")


@dataclass(frozen=True)
class AzureNames:
    bot: str
    subscription_id: str
    resource_group: str
    location: str

    def _hash(self, n: int) -> str:
        key = f"{self.subscription_id.lower()}/{self.resource_group.lower()}/{self.bot}"
        return hashlib.sha256(key.encode()).hexdigest()[:n]

    @property
    def _alnum(self) -> str:
        return re.sub(r"[^a-z0-9]", "", self.bot.lower())

    @property
    def function_app(self) -> str:
        # 2–60 characters of letters, digits and hyphens; kept ≤ 32 so the host id stays unique (CLOUD_FACTS).
        return f"{self.bot[:25].rstrip('-')}-{self._hash(6)}"

    @property
    def plan(self) -> str:
        return f"{self.function_app}-plan"

    @property
    def storage_account(self) -> str:
        return f"bs{self._alnum[:14]}{self._hash(8)}"

    @property
    def vault(self) -> str:
        stem = re.sub(r"-+", "-", self.bot[:12]).strip("-")
        return f"bs-{stem}-{self._hash(6)}"

    @property
    def workspace(self) -> str:
        return f"{self.function_app}-logs"

    @property
    def insights(self) -> str:
        return f"{self.function_app}-insights"

    @staticmethod
    def state_container(mode: str) -> str:
        return f"state-{mode}"

    packages_container = "packages"

    def state_url(self, mode: str) -> str:
        """Where the bot's state lives, as the runtime reads it (BOTSHIP_STATE_URL): the mode's own container
        (the runtime adds the mode's prefix inside it, as on AWS)."""
        return f"azure://{self.state_container(mode)}"

    def scope(self, subscription_id: str | None = None) -> str:
        return f"/subscriptions/{subscription_id or self.subscription_id}/resourceGroups/{self.resource_group}"

    def resource_id(self, provider: str, kind: str, name: str) -> str:
        return f"{self.scope()}/providers/{provider}/{kind}/{name}"

    @property
    def storage_id(self) -> str:
        return self.resource_id("Microsoft.Storage", "storageAccounts", self.storage_account)

    @property
    def vault_id(self) -> str:
        return self.resource_id("Microsoft.KeyVault", "vaults", self.vault)

    @property
    def site_id(self) -> str:
        return self.resource_id("Microsoft.Web", "sites", self.function_app)

    @property
    def plan_id(self) -> str:
        return self.resource_id("Microsoft.Web", "serverfarms", self.plan)

    @property
    def workspace_id(self) -> str:
        return self.resource_id("Microsoft.OperationalInsights", "workspaces", self.workspace)
