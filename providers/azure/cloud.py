"""Azure as a cloud (a sign-in, a subscription, a resource group and a location: the bots there) and a handle on
one deployed bot. SKELETON by the lead — the cloud helper grows it (settings, list_bots, status, invoke...)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from ..base import INVOKE, PERMISSIONS_POLICY, STATE, BotHandle, Cloud
from ..results import BotStatus, BotSummary
from .clients import AzureClients
from .endpoints import Endpoints, endpoints
from .errors import translate
from .names import AzureNames


class AzureCloud(Cloud):
    """An Azure sign-in on one subscription, resource group and location."""

    name = "azure"
    title = "Azure Functions"
    table = "azure"
    capabilities = frozenset({INVOKE, STATE, PERMISSIONS_POLICY})

    def __init__(self, settings: Mapping[str, Any] | None = None, *, clients: AzureClients | None = None) -> None:
        super().__init__(settings)
        self._clients = clients
        self._lock = threading.Lock()

    @cached_property
    def endpoints(self) -> Endpoints:
        return endpoints(self.config.get("cloud"))

    @property
    def subscription_id(self) -> str:
        return str(self.config.get("subscription_id") or "")

    @property
    def resource_group(self) -> str:
        return str(self.config.get("resource_group") or "")

    @property
    def location(self) -> str:
        return str(self.config.get("location") or "")

    @property
    def plan(self) -> str:
        return str(self.config.get("plan") or "flex")

    @property
    def clients(self) -> AzureClients:
        with self._lock:
            if self._clients is None:
                self._clients = AzureClients(self.endpoints, self.subscription_id,
                                             tenant_id=self.config.get("tenant_id"))
            return self._clients

    def failure(self, exc: Exception, doing: str) -> Exception:
        return translate(exc, doing)

    def names(self, bot: str) -> AzureNames:
        return AzureNames(bot, self.subscription_id, self.resource_group, self.location)

    def bot(self, name: str, mode: str = "paper") -> AzureHandle:
        return AzureHandle(self, name, mode)

    def list_bots(self, locations: list[str] | None = None) -> list[BotSummary]:
        raise NotImplementedError  # the cloud helper writes it


class AzureHandle(BotHandle):
    cloud: AzureCloud

    @cached_property
    def names(self) -> AzureNames:
        return self.cloud.names(self.bot_name)

    def status(self) -> BotStatus:
        raise NotImplementedError  # the cloud helper writes it
