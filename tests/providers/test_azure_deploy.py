"""A whole deploy of the counter bot to the strict Azure fake (real SDK clients over HTTPS, Azurite behind the
storage account): every resource and setting read back, no secret value where it must not be, an unchanged re-run
is a no-op with zero mutating calls, an interrupted deploy converges, and each user error says what to do."""

from __future__ import annotations

import json
import sys

import pytest
from azure_fake.clients import vault_secrets

from botship.errors import BotshipError
from botship.providers.azure.clients import AzureClients
from botship.providers.azure.endpoints import endpoints
from botship.providers.azure.group import ROLES
from botship.providers.azure.provider import AzureProvider
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.providers.plan import Action
from botship.secret_values import SecretValue, SecretValues
from botship.spec import build_spec

SECRET = "key-1234-abcd-5678"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
STEPS = ["group", "storage", "vault", "secrets", "workspace", "insights", "plan", "app", "roles", "publish"]


def spec_for(fake, project, **changes):
    azure = {"subscription_id": fake.subscription_id, "resource_group": "bots", "location": "westeurope",
             **changes.pop("azure", {})}
    data = {"platform": "azure", "bot_name": "counter-bot", "entry": "app:handler", "python": PYTHON,
            "schedule": "cron(0 9 * * ? *)", "timezone": "Europe/Amsterdam", "env": {"MARKET": "bitvavo"},
            "secrets": ["EXCHANGE_API_KEY"], "azure": azure, "tags": {"team": "quant"}, **changes}
    if azure.get("plan", "flex") == "flex":
        data.setdefault("memory_mb", 512)
    return build_spec(data, project)


@pytest.fixture(scope="session")
def shared_project(tmp_path_factory):
    """One copy of the counter bot for the Azure tests: its package is built once (the tests that change code copy
    their own)."""
    import shutil

    from helpers import BOTS

    folder = tmp_path_factory.mktemp("azure-bot") / "counter"
    shutil.copytree(BOTS / "counter", folder)
    return folder


@pytest.fixture
def project(shared_project, dependency_cache, monkeypatch):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    return shared_project


@pytest.fixture
def own_project(tmp_path, dependency_cache, monkeypatch):
    from helpers import bot_copy

    return bot_copy("counter", tmp_path / "counter", monkeypatch, dependency_cache)


def context(project, secret=SECRET):
    return DeployContext(project, "prod", SecretValues([SecretValue("EXCHANGE_API_KEY", secret, "environment")]))


def deploy(fake, project, spec, secret=SECRET, on_event=None):
    """Plan (checking that planning writes nothing) and run; returns (plan, result, mutating calls, events)."""
    fake.reset_mutations()
    plan = AzureProvider(spec).plan(context(project, secret))
    assert fake.mutations == [], f"planning only reads: {fake.mutations}"
    events: list = []

    def sink(event):
        events.append(event)
        if on_event:
            on_event(event)
    result = start_run(plan, sink).wait(180)
    return plan, result, list(fake.mutations), events


def clients(fake) -> AzureClients:
    return AzureClients(endpoints(), fake.subscription_id)


def provider_names(fake, project, **changes):
    return AzureProvider(spec_for(fake, project, **changes)).names


@pytest.fixture
def deployed(azure_cloud, project):
    plan, result, mutating, events = deploy(azure_cloud, project, spec_for(azure_cloud, project))
    assert result.ok, result.failure
    return plan, result, mutating, events


def test_a_first_deploy_makes_every_resource_keeps_secrets_out_and_a_rerun_changes_nothing(azure_cloud, project,
                                                                                         deployed):
    plan, result, _, events = deployed
    assert [s.id for s in plan.steps] == STEPS
    assert all(s.action is Action.CREATE for s in plan.steps)
    names = provider_names(azure_cloud, project)
    c = clients(azure_cloud)
    rg = "bots"

    group = c.resources.resource_groups.get(rg)
    assert group.tags == {"botship:created": "true"}  # shared by the group's bots: none of them is named

    account = c.storage.storage_accounts.get_properties(rg, names.storage_account)
    assert (account.sku.name, account.kind, account.enable_https_traffic_only, account.minimum_tls_version,
            account.allow_blob_public_access, account.allow_shared_key_access) == (
        "Standard_LRS", "StorageV2", True, "TLS1_2", False, False)
    assert account.tags["team"] == "quant" and account.tags["botship:mode"] == "paper"
    assert c.storage.blob_services.get_service_properties(rg, names.storage_account).is_versioning_enabled
    (rule,) = c.storage.management_policies.get(rg, names.storage_account, "default").policy.rules
    assert rule.definition.actions.version.delete.days_after_creation_greater_than == 30
    for container in ("state-paper", "packages"):
        assert (c.storage.blob_containers.get(rg, names.storage_account, container).public_access or "None") == "None"

    vault = c.keyvault.vaults.get(rg, names.vault)
    assert vault.properties.enable_rbac_authorization is True
    assert vault_secrets(azure_cloud, vault.properties.vault_uri).get_secret("EXCHANGE-API-KEY").value == SECRET

    workspace = c.loganalytics.workspaces.get(rg, names.workspace)
    assert workspace.retention_in_days == 30
    component = c.insights.components.get(rg, names.insights)
    assert component.workspace_resource_id.lower() == names.workspace_id.lower()

    farm = c.web.app_service_plans.get(rg, names.plan)
    assert (farm.sku.name, farm.sku.tier, farm.reserved) == ("FC1", "FlexConsumption", True)
    site = c.web.web_apps.get(rg, names.function_app)
    assert site.https_only is True and site.identity.type == "SystemAssigned"
    config = site.function_app_config
    assert (config.runtime.name, config.runtime.version) == ("python", PYTHON)
    assert (config.scale_and_concurrency.instance_memory_mb, config.scale_and_concurrency.maximum_instance_count) == (
        512, 1)
    assert config.deployment.storage.value == account.primary_endpoints.blob.rstrip("/") + "/packages"
    assert config.deployment.storage.authentication.type == "SystemAssignedIdentity"
    assert site.tags["botship:code"] and site.tags["botship:config"] and site.tags["team"] == "quant"

    settings = c.web.web_apps.list_application_settings(rg, names.function_app).properties
    assert settings["BOTSHIP_ENTRY"] == "app:handler" and settings["BOTSHIP_MODE"] == "paper"
    assert settings["BOTSHIP_BOT_NAME"] == "counter-bot" and settings["BOTSHIP_STATE_URL"] == "azure://state-paper"
    assert settings["MARKET"] == "bitvavo" and settings["BOTSHIP_SECRET_NAMES"] == "EXCHANGE_API_KEY"
    assert settings["EXCHANGE_API_KEY"] == (
        f"@Microsoft.KeyVault(SecretUri={vault.properties.vault_uri}secrets/EXCHANGE-API-KEY/)")
    assert settings["AzureWebJobsStorage__blobServiceUri"] == account.primary_endpoints.blob
    assert settings["APPLICATIONINSIGHTS_CONNECTION_STRING"] == component.connection_string
    assert settings["BOTSHIP_SCHEDULE"] and settings["BOTSHIP_TIMEZONE"] == "Europe/Amsterdam"
    assert not any(k.startswith(("FUNCTIONS_", "WEBSITE_")) for k in settings)
    assert not any("Disabled" in k for k in settings)

    principal = site.identity.principal_id
    given = {(a.scope,
              (a.role_definition_id or "").rsplit("/", 1)[-1])
             for a in c.authorization.role_assignments.list_for_scope(
                 f"/subscriptions/{azure_cloud.subscription_id}/resourceGroups/{rg}",
                 filter=f"principalId eq '{principal}'")}
    assert (names.storage_id, ROLES["Storage Blob Data Owner"]) in given
    assert (names.vault_id, ROLES["Key Vault Secrets User"]) in given
    functions = sorted(f.name.rsplit("/", 1)[-1] for f in c.web.web_apps.list_functions(rg, names.function_app))
    assert "run" in functions and "scheduled" in functions

    # No secret value in any app setting, event (the journal's lines), output or file botship wrote.
    assert SECRET not in json.dumps(dict(settings))
    assert SECRET not in json.dumps([e.__dict__ for e in events], default=str)
    assert SECRET not in json.dumps(result.outputs, default=str)
    for path in project.rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert SECRET.encode() not in path.read_bytes(), path

    # The deployed bot runs (through the cloud's handle, as `botship invoke` does): the state carries across runs,
    # the secret reaches it from the vault, and the deployer reads the state back.
    handle = AzureProvider(spec_for(azure_cloud, project)).handle()
    runs = [json.loads(handle.invoke({}).result["body"])["result"] for _ in range(2)]
    assert [(r["runs"], r["has_secret"]) for r in runs] == [(1, True), (2, True)]
    assert set(handle.state_files().files) == {"runs.txt", "databases/bot.sqlite3"}
    assert handle.status().schedule == "cron(0 9 * * ? *)"
    # A bot that prints its key: the run's record keeps the line, masked (the runtime knows the secrets' names).
    assert not handle.invoke({"leak": True}).ok
    leaked = handle.runs()[0]
    assert leaked.status == "error" and any("using key ***" in line for line in leaked.log_tail), leaked.log_tail
    assert SECRET not in json.dumps(leaked.__dict__, default=str)

    # An unchanged re-run plans no change and makes no mutating call.
    again, result, mutating, _ = deploy(azure_cloud, project, spec_for(azure_cloud, project))
    assert result.ok, result.failure
    assert {s.id: s.action for s in again.steps} == {s.id: Action.NO_CHANGE for s in again.steps}
    assert again.is_noop and mutating == []


def test_a_changed_setting_and_secret_update_only_the_app_and_a_paused_bot_stays_paused(azure_cloud, project,
                                                                                        deployed):
    names = provider_names(azure_cloud, project)
    c = clients(azure_cloud)
    paused = dict(c.web.web_apps.list_application_settings("bots", names.function_app).properties)
    paused["AzureWebJobs.scheduled.Disabled"] = "true"  # as `botship pause` leaves it
    c.web.web_apps.update_application_settings("bots", names.function_app, {"properties": paused})

    changed = spec_for(azure_cloud, project, env={"MARKET": "kraken"})
    plan, result, mutating, _ = deploy(azure_cloud, project, changed, secret="key-9999-wxyz-0000")
    assert result.ok, result.failure
    assert {s.id: s.detail for s in plan.changes} == {"secrets": "EXCHANGE_API_KEY",
                                                      "app": "update: settings: MARKET, secret"}
    settings = c.web.web_apps.list_application_settings("bots", names.function_app).properties
    assert settings["MARKET"] == "kraken" and settings["AzureWebJobs.scheduled.Disabled"] == "true"
    assert settings["BOTSHIP_SECRETS_VERSION"] != paused["BOTSHIP_SECRETS_VERSION"]  # the app restarts: new value
    vault = c.keyvault.vaults.get("bots", names.vault)
    stored = vault_secrets(azure_cloud, vault.properties.vault_uri).get_secret("EXCHANGE-API-KEY")
    assert stored.value == "key-9999-wxyz-0000"
    again = deploy(azure_cloud, project, changed, secret="key-9999-wxyz-0000")
    assert again[0].is_noop and again[2] == []


def test_dropping_the_schedule_and_the_secrets_removes_what_they_needed(azure_cloud, project, deployed):
    spec = spec_for(azure_cloud, project, schedule=None, secrets=[])
    fake_context = DeployContext(project, "prod", SecretValues([]))
    azure_cloud.reset_mutations()
    plan = AzureProvider(spec).plan(fake_context)
    assert {s.id: s.detail for s in plan.changes}["secrets"] == "remove EXCHANGE-API-KEY"
    assert {"app", "publish"} <= {s.id for s in plan.changes}
    assert start_run(plan, lambda event: None).wait(180).ok
    names = provider_names(azure_cloud, project)
    c = clients(azure_cloud)
    settings = c.web.web_apps.list_application_settings("bots", names.function_app).properties
    assert not {"EXCHANGE_API_KEY", "BOTSHIP_SECRETS_VERSION", "BOTSHIP_SCHEDULE", "BOTSHIP_TIMEZONE"} & set(settings)
    site = c.web.web_apps.get("bots", names.function_app)
    assert "botship:schedule" not in site.tags
    functions = {f.name.rsplit("/", 1)[-1] for f in c.web.web_apps.list_functions("bots", names.function_app)}
    assert "scheduled" not in functions and "run" in functions
    vault = c.keyvault.vaults.get("bots", names.vault)
    assert [p.name for p in vault_secrets(azure_cloud, vault.properties.vault_uri).list_properties_of_secrets()] == []
    azure_cloud.reset_mutations()
    again = AzureProvider(spec).plan(fake_context)
    assert again.is_noop, [(s.id, s.detail) for s in again.changes]

    # Named again within the vault's retention, the soft-deleted secret is recovered and given the new value.
    plan, result, _, events = deploy(azure_cloud, project, spec_for(azure_cloud, project), secret="key-new-0987654321")
    assert result.ok, result.failure
    secret = vault_secrets(azure_cloud, vault.properties.vault_uri).get_secret("EXCHANGE-API-KEY")
    assert secret.value == "key-new-0987654321"
    logged = " ".join(str(getattr(event, "message", "")) for event in events)
    assert "recovered EXCHANGE_API_KEY" in logged and "key-new-0987654321" not in logged


def test_a_code_change_publishes_again(azure_cloud, own_project):
    project = own_project
    assert deploy(azure_cloud, project, spec_for(azure_cloud, project))[1].ok
    code = clients(azure_cloud).web.web_apps.get("bots", provider_names(azure_cloud, project).function_app).tags
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# tuned\n")
    plan, result, mutating, _ = deploy(azure_cloud, project, spec_for(azure_cloud, project))
    assert result.ok, result.failure
    assert [s.id for s in plan.changes] == ["publish"]
    after = clients(azure_cloud).web.web_apps.get("bots", provider_names(azure_cloud, project).function_app).tags
    assert after["botship:code"] != code["botship:code"]

    # A package the host loads no function from ("0 functions found") fails the deploy with the host's reason,
    # and records nothing: the next deploy publishes again.
    def broken(site, data):
        key = site["id"].lower()
        azure_cloud.functions[key] = []
        azure_cloud.host_errors[key] = "ModuleNotFoundError: No module named 'numpy'"
    azure_cloud.install_package = broken
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# tuned again\n")
    plan, result, _, _ = deploy(azure_cloud, project, spec_for(azure_cloud, project))
    assert result.failure.step == "publish" and result.failure.what.startswith("0 functions found")
    assert "No module named 'numpy'" in result.failure.why
    assert clients(azure_cloud).web.web_apps.get("bots", provider_names(azure_cloud, project).function_app).tags[
        "botship:code"] == after["botship:code"]


def _count(fake, kind: str) -> int:
    return sum(1 for r in fake.resources.values() if r.get("type", "").lower() == kind.lower())


def _assert_converged(fake, project, spec):
    final, result, mutating, _ = deploy(fake, project, spec)
    assert result.ok, result.failure
    assert final.is_noop and mutating == [], [(s.id, s.detail) for s in final.changes]
    for kind in ("Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults", "Microsoft.Web/sites",
                 "Microsoft.Web/serverfarms", "Microsoft.Insights/components",
                 "Microsoft.OperationalInsights/workspaces"):
        assert _count(fake, kind) == 1, kind
    keys = [(a["properties"]["scope"].lower(), a["properties"]["principalId"],
             a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1].lower()) for a in fake.role_assignments.values()]
    assert len(keys) == len(set(keys)), "no role assignment is made twice"


def _run_until(fake, project, spec, stop_after: str, deploy_context=None) -> list[str]:
    """Run a deploy and cancel it once step `stop_after` finished; the steps that finished (ran or not)."""
    plan = AzureProvider(spec).plan(deploy_context or context(project))
    finished: list[str] = []
    handle = None

    def sink(event):
        if event.kind == "step_finished" and event.step != "lock":
            finished.append(event.step)
            if event.step == stop_after:
                handle.cancel()
    handle = start_run(plan, sink)
    result = handle.wait(180)
    assert result.status in ("cancelled", "ok"), result.failure
    return finished


def test_a_deploy_interrupted_after_each_step_in_turn_converges(azure_cloud, project):
    """Cancelled after the first step, re-run and cancelled after the second, and so on: every re-run picks up
    what the last one left, and the last converges with nothing made twice."""
    spec = spec_for(azure_cloud, project)
    for step in STEPS[:-1]:
        finished = _run_until(azure_cloud, project, spec, step)
        assert finished[-1] == step
    rerun, result, _, _ = deploy(azure_cloud, project, spec)
    assert result.ok, result.failure
    assert [s.id for s in rerun.changes] == ["publish"]
    _assert_converged(azure_cloud, project, spec)


@pytest.mark.parametrize("stop_after", ["app"])
def test_a_deploy_interrupted_then_rerun_converges(azure_cloud, project, stop_after):
    spec = spec_for(azure_cloud, project)
    finished = _run_until(azure_cloud, project, spec, stop_after)
    # The app's new identity is not yet known where role assignments are checked (Entra ID's replication).
    azure_cloud.principal_type_skips_replication = False
    for principal in azure_cloud.principals.values():
        if principal["pending"]:
            principal["pending"] = 2
    rerun, result, _, events = deploy(azure_cloud, project, spec)
    assert result.ok, result.failure
    waits = [e.message for e in events if e.kind == "log" and "propagation" in e.message]
    assert len(waits) == 2 and "Storage Blob Data Owner" in waits[0]
    unchanged = [s.id for s in rerun.steps if s.action is Action.NO_CHANGE]
    assert set(unchanged) <= set(finished)
    _assert_converged(azure_cloud, project, spec)


def test_consumption_plan_sets_what_linux_consumption_needs(azure_cloud, project):
    spec = spec_for(azure_cloud, project, azure={"plan": "consumption"})
    plan, result, _, _ = deploy(azure_cloud, project, spec)
    assert result.ok, result.failure
    assert "2028-09-30" in dict(plan.summary)["hosting"]
    names = AzureProvider(spec).names
    c = clients(azure_cloud)
    farm = c.web.app_service_plans.get("bots", names.plan)
    assert (farm.sku.name, farm.sku.tier) == ("Y1", "Dynamic")
    account = c.storage.storage_accounts.get_properties("bots", names.storage_account)
    assert account.allow_shared_key_access is True
    settings = c.web.web_apps.list_application_settings("bots", names.function_app).properties
    assert settings["FUNCTIONS_WORKER_RUNTIME"] == "python" and settings["FUNCTIONS_EXTENSION_VERSION"] == "~4"
    assert settings["AzureWebJobsStorage"].startswith("DefaultEndpointsProtocol=https;")
    assert settings["WEBSITE_CONTENTSHARE"] and settings["WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"]
    assert "sp=r" in settings["WEBSITE_RUN_FROM_PACKAGE"] and "/packages/" in settings["WEBSITE_RUN_FROM_PACKAGE"]
    again = deploy(azure_cloud, project, spec)
    assert again[0].is_noop and again[2] == []
    # Azure cannot move a function app between the plans: said before anything changes.
    with pytest.raises(BotshipError) as caught:
        AzureProvider(spec_for(azure_cloud, project)).plan(context(project))
    assert "consumption plan" in caught.value.what and "botship destroy" in caught.value.fix


# ---- user errors --------------------------------------------------------------------------------------------------

def _plan_error(fake, project, spec) -> BotshipError:
    with pytest.raises(BotshipError) as caught:
        plan = AzureProvider(spec).plan(context(project))
        result = start_run(plan, lambda e: None).wait(180)
        failure = result.failure
        raise BotshipError(failure.what, failure.why, failure.fix)
    return caught.value


def test_an_unknown_subscription_is_named(azure_cloud, project):
    spec = spec_for(azure_cloud, project, azure={"subscription_id": "11111111-2222-3333-4444-555555555555"})
    error = _plan_error(azure_cloud, project, spec)
    assert "subscription" in error.what and "not found" in error.what


def test_an_unregistered_resource_provider_is_named_and_nothing_is_registered_unasked(azure_cloud, project):
    azure_cloud.unregister("Microsoft.Web")
    azure_cloud.reset_mutations()
    error = _plan_error(azure_cloud, project, spec_for(azure_cloud, project))
    assert "not registered" in error.what and "register" in error.fix
    assert azure_cloud.registration["microsoft.web"] == "NotRegistered" and azure_cloud.mutations == []


def test_a_taken_storage_name_is_named(azure_cloud, project):
    names = provider_names(azure_cloud, project)
    azure_cloud.take_name("storage", names.storage_account)
    error = _plan_error(azure_cloud, project, spec_for(azure_cloud, project))
    assert names.storage_account in error.what and "taken" in error.what and "bot_name" in error.fix


def test_no_right_to_assign_roles_says_which_role_is_needed_and_a_rerun_once_granted_converges(azure_cloud,
                                                                                                project):
    azure_cloud.deny_role_assignments()
    error = _plan_error(azure_cloud, project, spec_for(azure_cloud, project))
    assert "Owner" in error.fix and "User Access Administrator" in error.fix
    # Failed half-way (the vault made, its role refused): granted the right, a re-run finishes the job.
    from azure_fake.authz import BUILT_IN

    owner = azure_cloud._definition_id(BUILT_IN["Owner"][0])
    azure_cloud.role_assignments[azure_cloud.deployer_assignment]["properties"]["roleDefinitionId"] = owner
    plan, result, _, _ = deploy(azure_cloud, project, spec_for(azure_cloud, project))
    assert result.ok, result.failure
    assert [s.id for s in plan.steps if s.action is Action.NO_CHANGE] == ["group", "storage"]
    _assert_converged(azure_cloud, project, spec_for(azure_cloud, project))


def test_an_expired_sign_in_says_to_sign_in_again(azure_cloud, project):
    shared = clients(azure_cloud)
    assert shared.resources.resource_groups.check_existence("bots") is False  # a token is fetched and kept
    azure_cloud.expire_tokens()
    with pytest.raises(BotshipError) as caught:
        AzureProvider(spec_for(azure_cloud, project), clients=shared).plan(context(project))
    assert "expired" in caught.value.what and "sign in" in caught.value.fix


def test_a_location_without_flex_is_refused_before_anything_is_made(azure_cloud, project):
    azure_cloud.flex_locations = ["eastus"]
    azure_cloud.reset_mutations()
    error = _plan_error(azure_cloud, project, spec_for(azure_cloud, project))
    assert "westeurope" in error.what and "eastus" in error.why and "consumption" in error.fix
    assert azure_cloud.mutations == []


# ---- pieces that need no server -------------------------------------------------------------------------------------

def _token(claims: dict) -> str:
    import base64

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


@pytest.mark.parametrize("claims, kind", [
    ({"oid": "o", "tid": "t", "scp": "user_impersonation"}, "User"),
    ({"oid": "o", "tid": "t", "idtyp": "app"}, "ServicePrincipal"),
    ({"oid": "o", "tid": "t"}, "ServicePrincipal"),  # a managed identity's token: no delegated scopes
])
def test_the_deployer_is_read_from_its_token(claims, kind):
    from botship.providers.azure.group import Deployer

    class Clients:
        tenant_id = None

        def token(self):
            return _token(claims)
    assert Deployer.of(Clients()) == Deployer("o", "t", kind)


def test_role_assignment_names_are_derived_so_none_is_made_twice():
    from botship.providers.azure.group import assignment_name

    one = assignment_name("/subscriptions/s/resourceGroups/g", "Key Vault Secrets User", "p")
    assert one == assignment_name("/subscriptions/S/resourcegroups/G", "Key Vault Secrets User", "P")
    assert one != assignment_name("/subscriptions/s/resourceGroups/g", "Storage Blob Data Owner", "p")


def test_a_settings_change_is_named_never_shown():
    from botship.providers.azure.app import FunctionApp

    changed = FunctionApp.settings_drift({"A": "old-value", "B": "same"}, {"A": "new-value", "B": "same", "C": "x"})
    assert changed == ["A", "C"]


def test_a_shared_resource_group_is_tagged_alike_by_every_bot():
    """Several bots deploy into one group: no bot's deploy may retag it (each re-run of the others would drift)."""
    from types import SimpleNamespace

    from botship.providers.azure.group import ResourceGroup
    from botship.providers.azure.names import AzureNames

    names = AzureNames("a", "s", "bots", "westeurope")
    made = SimpleNamespace(tags={"botship:created": "true"})
    theirs = SimpleNamespace(tags={"owner": "finance"})
    a = ResourceGroup(None, names, {"botship:bot": "a", "team": "x"})
    b = ResourceGroup(None, names, {"botship:bot": "b", "team": "y"})
    assert a.wanted_tags(made) == b.wanted_tags(made) == a.wanted_tags(None) == {"botship:created": "true"}
    assert a.wanted_tags(theirs) == {}


def test_a_role_on_the_group_only_still_deploys(azure_cloud, project):
    """Global-name availability, deleted vaults and where Flex is offered are looked up at the subscription; a
    deployer whose role is on the resource group only may not read them. The deploy goes on without those
    look-ups (Azure's own create refuses a taken name in plain words)."""
    from azure_fake.server import ArmError

    def refuse(request, *args, **kwargs):
        raise ArmError(403, "AuthorizationFailed", "The client does not have authorization to perform this action "
                       "over scope '/subscriptions/…'.")
    refused = 0
    for route in azure_cloud.routes:
        text = str(getattr(route, "pattern", "") or getattr(route, "regex", "") or route)
        if any(part in text for part in ("checkNameAvailability", "checknameavailability", "geoRegions",
                                          "deletedVaults/")):
            route.handler = refuse
            refused += 1
    assert refused >= 4
    plan, result, _, _ = deploy(azure_cloud, project, spec_for(azure_cloud, project))
    assert result.ok, result.failure
