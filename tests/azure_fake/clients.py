"""The real pinned SDK clients pointed at a fake (what the tests of the fake drive; provider code makes its own)."""

from __future__ import annotations


def credential(fake, secret: str | None = None):
    from azure.identity import ClientSecretCredential
    return ClientSecretCredential(fake.tenant_id, fake.client_id, secret or fake.client_secret, authority=fake.url,
                                  disable_instance_discovery=True, connection_verify=fake.ca_bundle)


def arm(fake, service: str, subscription: str | None = None, cred=None, **extra):
    """A management client: service is resources, subscriptions, storage, keyvault, web, authorization, insights,
    loganalytics."""
    if service == "resources":
        from azure.mgmt.resource.resources import ResourceManagementClient as Client
    elif service == "subscriptions":
        from azure.mgmt.resource.subscriptions import SubscriptionClient as Client
    elif service == "storage":
        from azure.mgmt.storage import StorageManagementClient as Client
    elif service == "keyvault":
        from azure.mgmt.keyvault import KeyVaultManagementClient as Client
    elif service == "web":
        from azure.mgmt.web import WebSiteManagementClient as Client
    elif service == "authorization":
        from azure.mgmt.authorization import AuthorizationManagementClient as Client
    elif service == "insights":
        from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient as Client
    elif service == "loganalytics":
        from azure.mgmt.loganalytics import LogAnalyticsManagementClient as Client
    else:
        raise ValueError(service)
    kwargs = dict(base_url=fake.url, credential_scopes=[fake.url + "/.default"], connection_verify=fake.ca_bundle, **extra)
    if service == "subscriptions":
        return Client(cred or credential(fake), **kwargs)
    return Client(cred or credential(fake), subscription or fake.subscription_id, **kwargs)


def vault_secrets(fake, vault_uri: str, cred=None):
    """azure-keyvault-secrets against the fake's vault: the challenge names https://vault.azure.net, which is not a
    suffix of 127.0.0.1, so the client's resource-domain check must be off (verify_challenge_resource=False)."""
    from azure.keyvault.secrets import SecretClient
    return SecretClient(vault_uri, cred or credential(fake), verify_challenge_resource=False,
                        connection_verify=fake.ca_bundle)


def blob_service(fake, cred=None):
    from azure.storage.blob import BlobServiceClient
    return BlobServiceClient(fake.blob_url, credential=cred or credential(fake), connection_verify=fake.ca_bundle)
