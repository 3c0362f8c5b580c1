"""Azure's checks before any write, against the strict fake with the real SDK clients: each ✓ and each ✗ with what
to do (provider not registered, no role-assignment right, name taken, expired credential, subscription not found,
location without Flex), no mutating call, and the deploy role `doctor --policy` prints."""

from __future__ import annotations

import time
import uuid

import pytest

from botship.providers.azure import signin
from botship.providers.azure.checks import (
    REGISTER_PROVIDERS,
    ROLE_ASSIGNMENT_MISSING,
    action_allowed,
    apply_remedy,
    check_credentials,
    missing_providers,
    preflight_checks,
)
from botship.providers.azure.cloud import AzureCloud
from botship.providers.azure.errors import ROLE_ASSIGNMENT_FIX, SIGN_IN_FIX
from botship.providers.azure.policy import ACTIONS, ROLE_ASSIGNMENT_ACTION, deploy_role, required_actions


def cloud_of(fake, **settings) -> AzureCloud:
    return AzureCloud({"subscription_id": fake.subscription_id, "resource_group": "bots", "location": "westeurope",
                       "plan": "flex", **settings})


def make_group(cloud: AzureCloud, name: str = "bots", location: str = "westeurope") -> None:
    cloud.clients.resources.resource_groups.create_or_update(name, {"location": location})


def by_name(checks) -> dict:
    return {check.name: check for check in checks}


def test_every_check_passes_for_an_owner_and_changes_nothing(azure_cloud):
    cloud = cloud_of(azure_cloud)
    make_group(cloud)
    azure_cloud.reset_mutations()
    started = time.monotonic()
    checks = by_name(check_credentials(cloud))
    assert time.monotonic() - started < 10
    assert list(checks) == ["signed in", "subscription", "location", "resource providers", "resource group",
                            "permissions", "role assignments"]
    assert all(check.ok is True for check in checks.values()), checks
    assert azure_cloud.client_id in checks["signed in"].detail and azure_cloud.tenant_id in checks["signed in"].detail
    assert "botship test subscription" in checks["subscription"].detail
    assert checks["location"].detail == "westeurope offers Flex Consumption"
    assert "bots exists (westeurope)" == checks["resource group"].detail
    names = by_name(preflight_checks(cloud, None, cloud.names("mybot")))
    assert [c.ok for c in names.values()] == [True, True, True], names
    assert azure_cloud.mutations == []


def test_a_new_group_is_checked_at_the_subscription(azure_cloud):
    checks = by_name(check_credentials(cloud_of(azure_cloud, resource_group="brand-new")))
    assert checks["resource group"].ok is True
    assert checks["resource group"].detail == "brand-new does not exist yet: the deploy creates it in westeurope"
    assert checks["permissions"].ok is True and "subscription" in checks["permissions"].detail
    assert checks["role assignments"].ok is True
    assert azure_cloud.mutations == []


def test_contributor_lacks_role_assignments_and_is_told_exactly(azure_cloud):
    cloud = cloud_of(azure_cloud)
    make_group(cloud)
    azure_cloud.deny_role_assignments()
    checks = by_name(check_credentials(cloud))
    assert checks["permissions"].ok is True
    role = checks["role assignments"]
    assert role.ok is False
    assert role.detail == ("deploying needs Microsoft.Authorization/roleAssignments/write — Owner or User Access "
                           "Administrator") == ROLE_ASSIGNMENT_MISSING
    assert role.fix == ROLE_ASSIGNMENT_FIX


def test_contributor_on_a_group_not_yet_made_is_told_too(azure_cloud):
    azure_cloud.deny_role_assignments()
    checks = by_name(check_credentials(cloud_of(azure_cloud, resource_group="brand-new")))
    assert checks["role assignments"].ok is False and checks["role assignments"].detail == ROLE_ASSIGNMENT_MISSING


def test_an_unregistered_provider_is_named_and_registered_on_consent(azure_cloud):
    cloud = cloud_of(azure_cloud)
    make_group(cloud)
    azure_cloud.unregister("Microsoft.Web")
    azure_cloud.unregister("Microsoft.KeyVault")
    azure_cloud.reset_mutations()
    checks = by_name(check_credentials(cloud))
    names = by_name(preflight_checks(cloud, None, cloud.names("mybot")))
    location = [q for q in AzureCloud.settings() if q.key == "azure.location"][0]
    offered = location.options({"azure": {"subscription_id": azure_cloud.subscription_id, "plan": "flex"}})
    assert azure_cloud.mutations == []  # checking registers nothing (the SDK would, if asked into the namespace)
    assert names["function app name"].ok is None and "Microsoft.Web is not registered" in names["function app name"].detail
    assert names["vault name"].remedy == REGISTER_PROVIDERS and names["storage account name"].ok is True
    # The locations to pick from are the subscription's, marked unchecked, so the form can be filled.
    assert "westeurope" in [c.value for c in offered] and all("not yet checked" in c.title for c in offered)
    providers = checks["resource providers"]
    assert providers.ok is False
    assert providers.detail == "not registered for this subscription: Microsoft.Web, Microsoft.KeyVault"
    assert providers.remedy == REGISTER_PROVIDERS and "Register Microsoft.Web, Microsoft.KeyVault" in providers.remedy_title
    # Without Microsoft.Web there are no plan locations to check against: a warning, not a wrong ✗.
    assert checks["location"].ok is None and "Microsoft.Web is not registered" in checks["location"].detail
    assert missing_providers(cloud) == ["Microsoft.Web", "Microsoft.KeyVault"]
    azure_cloud.reset_mutations()
    lines: list[str] = []
    done = apply_remedy(cloud, REGISTER_PROVIDERS, on_line=lines.append)
    assert done == f"registered Microsoft.Web, Microsoft.KeyVault for subscription {azure_cloud.subscription_id}"
    assert [m for m in azure_cloud.mutations if m[0] == "POST"] == [
        ("POST", f"/subscriptions/{azure_cloud.subscription_id}/providers/Microsoft.Web/register"),
        ("POST", f"/subscriptions/{azure_cloud.subscription_id}/providers/Microsoft.KeyVault/register")]
    assert "Microsoft.Web registered" in lines
    signin.signed_in()
    again = by_name(check_credentials(cloud))
    assert again["resource providers"].ok is True and again["location"].ok is True


def test_a_name_taken_elsewhere_fails_and_says_what_to_do(azure_cloud):
    cloud = cloud_of(azure_cloud)
    names = cloud.names("mybot")
    azure_cloud.take_name("storage", names.storage_account)
    azure_cloud.take_name("vault", names.vault)
    checks = by_name(preflight_checks(cloud, None, names))
    for name in ("storage account name", "vault name"):
        assert checks[name].ok is False and "taken elsewhere in Azure" in checks[name].detail
        assert "bot_name" in checks[name].fix


def test_a_name_already_ours_is_fine(azure_cloud):
    cloud = cloud_of(azure_cloud)
    make_group(cloud)
    names = cloud.names("mybot")
    cloud.clients.storage.storage_accounts.begin_create(names.resource_group, names.storage_account, {
        "location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()
    checks = by_name(preflight_checks(cloud, None, names))
    assert checks["storage account name"].ok is True
    assert checks["storage account name"].detail == f"{names.storage_account} exists and is the bot's own"


def test_an_expired_sign_in_is_one_clear_failure(azure_cloud):
    cloud = cloud_of(azure_cloud)
    assert check_credentials(cloud)[0].ok is True  # a token is cached now
    azure_cloud.expire_tokens()
    checks = check_credentials(cloud)
    assert len(checks) == 1
    (check,) = checks
    assert check.name == "signed in" and check.ok is False
    assert "expired" in check.detail and check.fix == SIGN_IN_FIX


def test_no_sign_in_at_all_is_one_clear_failure(azure_cloud, monkeypatch):
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    checks = check_credentials(cloud_of(azure_cloud))
    assert [(c.name, c.ok, c.fix) for c in checks] == [("signed in", False, SIGN_IN_FIX)]
    assert "Traceback" not in checks[0].detail


def test_an_unknown_subscription_is_not_found(azure_cloud):
    checks = check_credentials(cloud_of(azure_cloud, subscription_id=str(uuid.uuid4())))
    assert [c.name for c in checks] == ["signed in", "subscription"]
    assert checks[1].ok is False and "is not found" in checks[1].detail
    assert "choose a subscription your sign-in can see" in checks[1].fix


def test_a_location_without_flex_fails_naming_those_that_have_it(azure_cloud):
    azure_cloud.flex_locations = ["eastus", "swedencentral"]
    checks = by_name(check_credentials(cloud_of(azure_cloud)))
    assert checks["location"].ok is False
    assert checks["location"].detail == "westeurope does not offer Flex Consumption"
    assert "eastus" in checks["location"].fix and "swedencentral" in checks["location"].fix


def test_permission_rules_follow_azure():
    class P:
        def __init__(self, actions, not_actions=()):
            self.actions, self.not_actions = list(actions), list(not_actions)

    contributor = P(["*"], ["Microsoft.Authorization/*/Write", "Microsoft.Authorization/*/Delete"])
    assert action_allowed("Microsoft.Web/sites/write", [contributor])
    assert not action_allowed(ROLE_ASSIGNMENT_ACTION, [contributor])
    assert action_allowed(ROLE_ASSIGNMENT_ACTION, [contributor, P(["Microsoft.Authorization/*"])])
    assert action_allowed("microsoft.web/SITES/read", [P(["*/read"])])
    assert not action_allowed("Microsoft.Web/sites/write", [P(["*/read"])])


def test_the_deploy_role_holds_exactly_botships_actions(azure_cloud):
    cloud = cloud_of(azure_cloud)
    role = deploy_role(cloud)
    assert role["AssignableScopes"] == [f"/subscriptions/{azure_cloud.subscription_id}/resourceGroups/bots"]
    assert ROLE_ASSIGNMENT_ACTION in role["Actions"]
    assert sorted(role["Actions"], key=str.lower) == sorted(ACTIONS, key=str.lower) == required_actions(True)
    assert "Microsoft.Resources/subscriptions/resourceGroups/write" in required_actions(False)
    assert role["IsCustom"] is True and role["NotActions"] == []
    assert all(action.startswith("Microsoft.") for action in role["Actions"] + role["DataActions"])


# ---- the deploy role covers every Resource Manager call botship makes -------------------------------------------

def arm_action(method: str, path: str) -> str | None:
    """The Azure RBAC action a Resource Manager request needs (None: not a Resource Manager call)."""
    path = path.split("?", 1)[0].rstrip("/")
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0].lower() not in ("subscriptions", "providers", "tenants"):
        return None
    verb = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(method)
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        # Microsoft.Resources: the subscription, its groups, resources, locations.
        kinds = [parts[i] for i in range(0, len(parts), 2)]
        kind = "/".join(kinds).replace("resourcegroups", "resourceGroups")
        if len(parts) % 2 == 1 and method == "POST":
            return f"Microsoft.Resources/{'/'.join(kinds[:-1])}/{parts[-1]}/action"
        return f"Microsoft.Resources/{kind}/{verb}"
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[at + 1:]
    if len(rest) == 1:  # /subscriptions/{s}/providers/{NS}: the provider's registration
        return "Microsoft.Resources/subscriptions/providers/read"
    namespace, segments = rest[0], rest[1:]
    if len(segments) == 1 and segments[0].lower() == "register":
        return f"{namespace}/register/action"
    if segments and segments[-1].lower() == "checknameavailability":
        return f"{namespace}/checknameavailability/read"
    kinds = [segments[i] for i in range(0, len(segments), 2)]
    if len(segments) % 2 == 1 and method == "POST":
        return f"{namespace}/{'/'.join(kinds[:-1] + [segments[-1]])}/action".replace("//", "/")
    return f"{namespace}/{'/'.join(kinds)}/{verb or 'action'}"


def deploy_counter(fake, project, **changes):
    import sys

    from botship.providers.azure.provider import AzureProvider
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.secret_values import SecretValue, SecretValues
    from botship.spec import build_spec

    data = {"platform": "azure", "bot_name": "counter-bot", "entry": "app:handler",
            "python": f"{sys.version_info.major}.{sys.version_info.minor}", "schedule": "cron(0 9 * * ? *)",
            "timezone": "Europe/Amsterdam", "secrets": ["EXCHANGE_API_KEY"],
            "azure": {"subscription_id": fake.subscription_id, "resource_group": "role-test", "location": "westeurope",
                      **changes.pop("azure", {})}, **changes}
    if data["azure"].get("plan", "flex") == "flex":
        data["memory_mb"] = 512
    spec = build_spec(data, project)
    provider = AzureProvider(spec)
    context = DeployContext(project, "prod", SecretValues([SecretValue("EXCHANGE_API_KEY", "v4lue-1", "environment")]))
    result = start_run(provider.plan(context), lambda event: None).wait(180)
    assert result.ok, result.failure
    return provider, context


@pytest.mark.parametrize("plan", ["flex", "consumption"])
def test_every_call_of_a_bots_life_is_in_the_deploy_role(azure_cloud, project, plan, tmp_path):
    from botship.providers.engine import start_run

    seen: list[tuple[str, str]] = []
    dispatch = azure_cloud.dispatch

    def recording(method, raw_path, headers, body):
        seen.append((method, raw_path))
        return dispatch(method, raw_path, headers, body)

    azure_cloud.dispatch = recording
    provider, context = deploy_counter(azure_cloud, project, azure={"plan": plan})
    start_run(provider.plan(context), lambda event: None).wait(180)  # an unchanged re-run
    cloud = AzureCloud(provider.cloud().config)
    handle = cloud.bot("counter-bot")
    handle.status()
    handle.invoke({})
    handle.pause()
    handle.resume()
    handle.state_files()
    cloud.list_bots()
    check_credentials(cloud)
    preflight_checks(cloud, None, handle.names)
    result = start_run(provider.plan_destroy(purge_state=True), lambda event: None).wait(180)
    assert result.ok, result.failure

    role = deploy_role(cloud)
    granted = [type("P", (), {"actions": role["Actions"] + ["Microsoft.Resources/subscriptions/resourceGroups/write",
                                                            "Microsoft.Resources/subscriptions/resources/read"],
                              "not_actions": []})()]
    needed = sorted({action for method, path in seen if (action := arm_action(method, path))})
    # Reads every signed-in identity may make (the subscription, its tenants and providers) need no grant.
    free = {"Microsoft.Resources/tenants/read", "Microsoft.Resources/subscriptions/read",
            "Microsoft.Resources/subscriptions/providers/read", "Microsoft.Resources/subscriptions/locations/read"}
    missing = [a for a in needed if a not in free and not action_allowed(a, granted)]
    assert missing == [], f"the deploy role lacks {missing}"
    # And nothing beyond: each action is used by this life, or by a path it did not take (named here).
    other_paths = {"Microsoft.KeyVault/locations/deletedVaults/purge/action", "Microsoft.KeyVault/locations/deletedVaults/read",
                   "Microsoft.KeyVault/locations/operationResults/read", "Microsoft.Web/sites/hostruntime/*/read",
                   "Microsoft.Web/sites/publish/action", "Microsoft.Web/sites/syncfunctiontriggers/action",
                   "Microsoft.Storage/storageAccounts/listkeys/action", "Microsoft.Web/geoRegions/read",
                   "Microsoft.Web/sites/host/listkeys/action",
                   # `botship logs` (the query API's, not a Resource Manager call) and a rollback's code tag.
                   "Microsoft.OperationalInsights/workspaces/query/AppTraces/read", "Microsoft.Resources/tags/write"}
    unused = [a for a in role["Actions"] if a not in other_paths and not any(
        action_allowed(n, [type("P", (), {"actions": [a], "not_actions": []})()]) for n in needed)]
    assert unused == []


def test_a_call_into_an_unregistered_namespace_fails_and_registers_nothing_unasked(azure_cloud):
    """The SDK's clients would register a missing namespace themselves on first use; botship's do not (the user
    is offered the registration instead)."""
    from azure.core.exceptions import HttpResponseError

    from botship.providers.azure.errors import translate

    cloud = cloud_of(azure_cloud)
    make_group(cloud)
    azure_cloud.unregister("Microsoft.KeyVault")
    azure_cloud.reset_mutations()
    with pytest.raises(HttpResponseError) as raised:
        cloud.clients.keyvault.vaults.check_name_availability({"name": "bs-some-vault", "type":
                                                               "Microsoft.KeyVault/vaults"})
    assert not [m for m in azure_cloud.mutations if m[1].endswith("/register")], azure_cloud.mutations
    error = translate(raised.value, "creating the workspace")
    assert "not registered" in error.what and "doctor" in error.fix


def test_an_api_version_the_cloud_does_not_offer_is_said_so_not_as_an_unregistered_namespace(azure_cloud):
    from azure.core.exceptions import HttpResponseError

    from botship.providers.azure.errors import translate

    cloud = cloud_of(azure_cloud)
    url = (f"{azure_cloud.url}/subscriptions/{cloud.subscription_id}/resourceGroups/g/providers/Microsoft.Web/"
           "sites/app?api-version=2099-01-01")
    request = cloud.clients.http()
    response = request.send("GET", url, headers={"Authorization": f"Bearer {cloud.clients.token()}"})
    assert response.status_code == 400 and "NoRegisteredProviderFound" in response.text()
    error = HttpResponseError(response=response.raw if hasattr(response, "raw") else None, message=response.text())
    error.error = type("E", (), {"code": "NoRegisteredProviderFound"})()
    translated = translate(error, "reading the app")
    assert "does not offer the API version" in translated.what and "not registered" not in translated.what
