"""Azure SDK clients for one sign-in, cloud and subscription, each made once and only when first used."""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from .credential import credential
from .endpoints import Endpoints, endpoints


class AzureClients:
    """The management clients (for `subscription_id`) and data-plane clients of one sign-in on one cloud."""

    def __init__(self, where: Endpoints | None = None, subscription_id: str = "", *, tenant_id: str | None = None,
                 token_credential: Any = None) -> None:
        self.endpoints = where or endpoints()
        self.subscription_id = subscription_id
        self.tenant_id = tenant_id
        self._credential = token_credential
        self._lock = threading.Lock()

    @property
    def credential(self) -> Any:
        with self._lock:
            if self._credential is None:
                self._credential = credential(self.endpoints, self.tenant_id)
            return self._credential

    def _mgmt(self, cls: type, *, subscription: bool = True) -> Any:
        args = (self.credential, self.subscription_id) if subscription else (self.credential,)
        return _asking_first(cls(*args, **self.endpoints.client_options()))

    def token(self, scope: str | None = None) -> str:
        """A bearer token for `scope` (default Resource Manager's), for the few REST calls no SDK client makes."""
        return self.credential.get_token(scope or self.endpoints.arm_scope).token

    @cached_property
    def subscriptions(self) -> Any:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return self._mgmt(SubscriptionClient, subscription=False)

    @cached_property
    def resources(self) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return self._mgmt(ResourceManagementClient)

    @cached_property
    def storage(self) -> Any:
        from azure.mgmt.storage import StorageManagementClient

        return self._mgmt(StorageManagementClient)

    @cached_property
    def keyvault(self) -> Any:
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return self._mgmt(KeyVaultManagementClient)

    @cached_property
    def web(self) -> Any:
        from azure.mgmt.web import WebSiteManagementClient

        return self._mgmt(WebSiteManagementClient)

    @cached_property
    def authorization(self) -> Any:
        from azure.mgmt.authorization import AuthorizationManagementClient

        return self._mgmt(AuthorizationManagementClient)

    @cached_property
    def insights(self) -> Any:
        from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient

        return self._mgmt(ApplicationInsightsManagementClient)

    @cached_property
    def loganalytics(self) -> Any:
        from azure.mgmt.loganalytics import LogAnalyticsManagementClient

        return self._mgmt(LogAnalyticsManagementClient)

    def blob_service(self, account_url: str) -> Any:
        """The Blob service of a storage account, signed in with this identity (no account key)."""
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(account_url, credential=self.credential, **self.endpoints.transport_options())

    def secrets(self, vault_url: str) -> Any:
        """A vault's secrets, signed in with this identity. A custom cloud's vault host need not end in the
        domain its sign-in challenge names (Key Vault's client checks that by default), so the check is kept for
        Azure's own clouds only."""
        from azure.keyvault.secrets import SecretClient

        return SecretClient(vault_url, self.credential, verify_challenge_resource=not self.endpoints.custom,
                            **self.endpoints.transport_options())

    def http(self) -> Any:
        """Plain REST calls (a function app's SCM site and host, which no SDK client covers), with this cloud's CAs."""
        return _Http(self)


class _Http:
    """REST calls outside Resource Manager (a function app's SCM site and host), with this cloud's CAs."""

    def __init__(self, clients: AzureClients) -> None:
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import RetryPolicy

        self._client = PipelineClient(base_url="https://localhost", policies=[RetryPolicy(total=4)],
                                      **clients.endpoints.transport_options())

    def send(self, method: str, url: str, *, headers: dict[str, str] | None = None, content: bytes | None = None,
             params: dict[str, str] | None = None, timeout: float = 60) -> Any:
        from azure.core.rest import HttpRequest

        request = HttpRequest(method, url, headers=headers, content=content, params=params)
        return self._client.send_request(request, connection_timeout=10, read_timeout=timeout)


def _asking_first(client: Any) -> Any:
    """The client without the SDK's silent resource-provider registration: a call into a namespace the
    subscription has not registered fails (MissingSubscriptionRegistration), and botship offers to register it
    with the user's consent (the checks' remedy) instead of registering it unasked."""
    from azure.mgmt.core.policies import ARMAutoResourceProviderRegistrationPolicy

    pipeline = getattr(getattr(client, "_client", None), "_pipeline", None)
    for policy in getattr(pipeline, "_impl_policies", []):
        if isinstance(policy, ARMAutoResourceProviderRegistrationPolicy):
            policy.send = lambda request, _policy=policy: _policy.next.send(request)
    return client
