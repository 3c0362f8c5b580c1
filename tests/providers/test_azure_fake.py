"""The strict Azure fake, driven by the real pinned SDK clients: identity, Resource Manager, authorization, storage
(with Azurite over HTTPS + OAuth) and Key Vault. Web and the function host: test_azure_fake_web.py."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from azure_fake.clients import arm, blob_service, credential, vault_secrets


def test_service_principal_gets_a_token_and_a_wrong_secret_is_refused(azure_cloud):
    token = credential(azure_cloud).get_token(azure_cloud.url + "/.default")
    assert token.token.count(".") == 2 and token.expires_on > 0
    wrong = credential(azure_cloud, secret="not-the-secret")
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        wrong.get_token(azure_cloud.url + "/.default")


def test_every_arm_call_needs_a_live_token(azure_cloud):
    import urllib.request
    import ssl
    context = ssl.create_default_context(cafile=azure_cloud.ca_bundle)
    url = f"{azure_cloud.url}/subscriptions/{azure_cloud.subscription_id}/resourcegroups?api-version=2025-04-01"
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(url, context=context)
    assert raised.value.code == 401 and b"AuthenticationFailed" in raised.value.read()
    resources = arm(azure_cloud, "resources")
    resources.resource_groups.create_or_update("rg", {"location": "westeurope"})
    azure_cloud.expire_tokens()
    with pytest.raises(ClientAuthenticationError) as expired:
        resources.resource_groups.get("rg")
    assert expired.value.error.code == "ExpiredAuthenticationToken"


def test_unknown_api_version_and_missing_location_are_refused(azure_cloud):
    future = arm(azure_cloud, "resources", api_version="2099-01-01")
    with pytest.raises(HttpResponseError) as bad:
        future.resource_groups.create_or_update("rg", {"location": "westeurope"})
    assert bad.value.error.code == "InvalidApiVersionParameter"
    resources = arm(azure_cloud, "resources")
    with pytest.raises(HttpResponseError) as missing:
        resources.resource_groups.create_or_update("rg", {"tags": {}})
    assert missing.value.error.code == "LocationRequired"
    assert azure_cloud.mutations == [("PUT", f"/subscriptions/{azure_cloud.subscription_id}/resourcegroups/rg")] * 2


def test_subscriptions_providers_groups_and_tags(azure_cloud):
    subs = arm(azure_cloud, "subscriptions")
    assert [s.subscription_id for s in subs.subscriptions.list()] == [azure_cloud.subscription_id]
    assert [t.tenant_id for t in subs.tenants.list()] == [azure_cloud.tenant_id]
    assert "westeurope" in {loc.name for loc in subs.subscriptions.list_locations(azure_cloud.subscription_id)}
    resources = arm(azure_cloud, "resources")
    azure_cloud.unregister("Microsoft.Web")
    assert resources.providers.get("Microsoft.Web").registration_state == "NotRegistered"
    web = arm(azure_cloud, "web")
    resources.resource_groups.create_or_update("rg", {"location": "westeurope", "tags": {"botship:bot": "b"}})
    with pytest.raises(HttpResponseError) as unregistered:
        web.app_service_plans.get("rg", "plan")
    assert unregistered.value.error.code == "MissingSubscriptionRegistration"
    assert resources.providers.register("Microsoft.Web").registration_state == "Registering"
    assert resources.providers.get("Microsoft.Web").registration_state == "Registered"
    assert resources.resource_groups.check_existence("rg") and not resources.resource_groups.check_existence("no")
    tagged = list(resources.resource_groups.list(filter="tagName eq 'botship:bot' and tagValue eq 'b'"))
    assert [g.name for g in tagged] == ["rg"]
    with pytest.raises(ResourceNotFoundError) as absent:
        resources.resource_groups.get("no")
    assert absent.value.error.code == "ResourceGroupNotFound"
    resources.resource_groups.begin_delete("rg").result()
    assert not resources.resource_groups.check_existence("rg")


def test_subscription_not_found(azure_cloud):
    resources = arm(azure_cloud, "resources", subscription="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ResourceNotFoundError) as raised:
        list(resources.resource_groups.list())
    assert raised.value.error.code == "SubscriptionNotFound"
