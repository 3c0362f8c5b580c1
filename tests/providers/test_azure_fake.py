"""The strict Azure fake, driven by the real pinned SDK clients: identity, Resource Manager, authorization, storage
(with Azurite over HTTPS + OAuth) and Key Vault. Web and the function host: test_azure_fake_web.py."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from azure_fake.clients import arm, blob_service, credential, vault_secrets


def raw(fake, method: str, path: str, body: dict | None = None, token: bool = True) -> tuple[int, dict]:
    """One request as-is (no SDK policy in between)."""
    import json
    import ssl
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + credential(fake).get_token(fake.url + "/.default").token
    request = urllib.request.Request(fake.url + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=fake.ca_bundle)) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_service_principal_gets_a_token_and_a_wrong_secret_is_refused(azure_cloud):
    token = credential(azure_cloud).get_token(azure_cloud.url + "/.default")
    assert token.token.count(".") == 2 and token.expires_on > 0
    wrong = credential(azure_cloud, secret="not-the-secret")
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        wrong.get_token(azure_cloud.url + "/.default")


def test_every_arm_call_needs_a_live_token(azure_cloud):
    status, body = raw(azure_cloud, "GET", f"/subscriptions/{azure_cloud.subscription_id}/resourcegroups"
                       "?api-version=2025-04-01", token=False)
    assert (status, body["error"]["code"]) == (401, "AuthenticationFailed")
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
    resources.resource_groups.create_or_update("rg", {"location": "westeurope", "tags": {"botship:bot": "b"}})
    # (a management client would auto-register here: azure-mgmt-core's policy posts register, then sleeps 10 s)
    status, body = raw(azure_cloud, "GET", f"/subscriptions/{azure_cloud.subscription_id}/resourceGroups/rg/"
                       "providers/Microsoft.Web/serverfarms/plan?api-version=2025-05-01")
    assert (status, body["error"]["code"]) == (409, "MissingSubscriptionRegistration")
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


def _group(fake, name="rg"):
    arm(fake, "resources").resource_groups.create_or_update(name, {"location": "westeurope"})


def _account(fake, name="bsbotabc12345"):
    storage = arm(fake, "storage")
    return storage, storage.storage_accounts.begin_create("rg", name, {
        "location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
        "properties": {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False,
                       "supportsHttpsTrafficOnly": True}}).result()


def test_storage_account_lro_policy_containers_and_azurite(azure_cloud):
    _group(azure_cloud)
    azure_cloud.take_name("storage", "takenname")
    storage = arm(azure_cloud, "storage")
    assert storage.storage_accounts.check_name_availability({"name": "takenname", "type":
                                                             "Microsoft.Storage/storageAccounts"}).name_available is False
    with pytest.raises(HttpResponseError) as no_sku:
        storage.storage_accounts.begin_create("rg", "bsnosku", {"location": "westeurope", "kind": "StorageV2"})
    assert "sku" in no_sku.value.message
    storage, account = _account(azure_cloud)
    assert account.provisioning_state == "Succeeded"
    assert account.primary_endpoints.blob == azure_cloud.blob_url + "/"
    assert storage.storage_accounts.list_keys("rg", account.name)["keys"][0]["value"] == azure_cloud.blob_key
    storage.blob_services.set_service_properties("rg", account.name, {"properties": {
        "isVersioningEnabled": True, "deleteRetentionPolicy": {"enabled": True, "days": 7}}})
    assert storage.blob_services.get_service_properties("rg", account.name).is_versioning_enabled is True
    rule = {"enabled": True, "name": "oldversions", "type": "Lifecycle", "definition": {
        "actions": {"version": {"delete": {"daysAfterCreationGreaterThan": 30}}},
        "filters": {"blobTypes": ["blockBlob"]}}}
    storage.management_policies.create_or_update("rg", account.name, "default",
                                                 {"properties": {"policy": {"rules": [rule]}}})
    bad = {**rule, "definition": {"actions": {"version": {"delete": {"daysAfterModificationGreaterThan": 30}}},
                                  "filters": {"blobTypes": ["blockBlob"]}}}
    with pytest.raises(HttpResponseError):
        storage.management_policies.create_or_update("rg", account.name, "default",
                                                     {"properties": {"policy": {"rules": [bad]}}})
    with pytest.raises(HttpResponseError) as public:
        storage.blob_containers.create("rg", account.name, "open", {"properties": {"publicAccess": "Blob"}})
    assert public.value.error.code == "PublicAccessNotPermitted"
    storage.blob_containers.create("rg", account.name, "state-paper", {"properties": {"publicAccess": "None"}})
    assert [c.name for c in storage.blob_containers.list("rg", account.name)] == ["state-paper"]
    blobs = blob_service(azure_cloud).get_container_client("state-paper")   # OAuth token from the fake
    blobs.upload_blob("state.json", b"{}")
    assert [b.name for b in blobs.list_blobs()] == ["state.json"]


def test_key_vault_soft_delete_recover_purge_and_rbac(azure_cloud):
    _group(azure_cloud)
    kv = arm(azure_cloud, "keyvault")
    body = {"location": "westeurope", "properties": {"tenantId": azure_cloud.tenant_id, "enableRbacAuthorization": True,
                                                     "sku": {"family": "A", "name": "standard"}}}
    with pytest.raises(HttpResponseError):
        kv.vaults.begin_create_or_update("rg", "bs-bot-abc123", {"location": "westeurope", "properties": {
            "tenantId": azure_cloud.tenant_id}})
    vault = kv.vaults.begin_create_or_update("rg", "bs-bot-abc123", body).result()
    assert vault.properties.provisioning_state == "Succeeded"
    assert vault.properties.vault_uri.startswith("https://127.0.0.1:")   # a port of the vault's own
    secrets = vault_secrets(azure_cloud, vault.properties.vault_uri)
    with pytest.raises(HttpResponseError) as forbidden:     # as on Azure: Owner holds no data actions
        secrets.set_secret("API-KEY", "s3cret")
    assert forbidden.value.status_code == 403 and "ForbiddenByRbac" in str(forbidden.value)
    officer = f"/subscriptions/{azure_cloud.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/" \
              "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
    arm(azure_cloud, "authorization").role_assignments.create(vault.id, "1a2b3c4d-5b8a-4c1e-9d7a-0a0b0c0d0e0f", {
        "properties": {"roleDefinitionId": officer, "principalId": azure_cloud.sp_object_id,
                       "principalType": "ServicePrincipal"}})
    secrets.set_secret("API-KEY", "s3cret")
    assert secrets.get_secret("API-KEY").value == "s3cret"
    kv.vaults.delete("rg", "bs-bot-abc123")
    assert kv.vaults.get_deleted("bs-bot-abc123", "westeurope").properties.vault_id == vault.id
    with pytest.raises(HttpResponseError) as conflict:
        kv.vaults.begin_create_or_update("rg", "bs-bot-abc123", body).result()
    assert conflict.value.error.code == "ConflictError"
    recover = {**body, "properties": {**body["properties"], "createMode": "recover"}}
    kv.vaults.begin_create_or_update("rg", "bs-bot-abc123", recover).result()
    assert secrets.get_secret("API-KEY").value == "s3cret"
    kv.vaults.delete("rg", "bs-bot-abc123")
    kv.vaults.begin_purge_deleted("bs-bot-abc123", "westeurope").result()
    with pytest.raises(ResourceNotFoundError):
        kv.vaults.get_deleted("bs-bot-abc123", "westeurope")
    assert kv.vaults.check_name_availability({"name": "bs-bot-abc123", "type": "Microsoft.KeyVault/vaults"}
                                             ).name_available is True


FUNCTION_APP = '''\
import os
import azure.functions as func

app = func.FunctionApp()


@app.route(route="run", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def run(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(os.environ.get("API_KEY", "") + "|" + req.get_body().decode(), status_code=200)


@app.timer_trigger(schedule="0 0 * * * *", arg_name="timer", run_on_startup=False)
def tick(timer: func.TimerRequest) -> None:
    pass
'''


def _zip(source: str) -> bytes:
    import io
    import zipfile
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("function_app.py", source)
        archive.writestr("host.json", '{"version": "2.0"}')
        archive.writestr(".python_packages/lib/site-packages/.keep", "")
    return data.getvalue()


def _flex_site(fake, web, settings=None, config=None):
    container = f"{fake.blob_url}/packages"
    config = config if config is not None else {
        "deployment": {"storage": {"type": "blobContainer", "value": container,
                                   "authentication": {"type": "SystemAssignedIdentity"}}},
        "runtime": {"name": "python", "version": "3.11"},
        "scaleAndConcurrency": {"instanceMemoryMB": 2048, "maximumInstanceCount": 1}}
    return web.web_apps.begin_create_or_update("rg", "bot-abc123", {
        "location": "westeurope", "kind": "functionapp,linux", "identity": {"type": "SystemAssigned"},
        "properties": {"serverFarmId": f"/subscriptions/{fake.subscription_id}/resourceGroups/rg/providers/"
                                       "Microsoft.Web/serverfarms/bot-abc123-plan", "httpsOnly": True,
                       "functionAppConfig": config,
                       "siteConfig": {"appSettings": [{"name": k, "value": v} for k, v in (settings or {}).items()]}}})


def test_flex_plan_site_rules_identity_roles_publish_and_host(azure_cloud):
    import requests
    _group(azure_cloud)
    web = arm(azure_cloud, "web")
    assert "West Europe" in [g.name for g in web.list_geo_regions(sku="FlexConsumption")]
    azure_cloud.flex_locations = ["eastus"]
    plan = {"location": "westeurope", "kind": "functionapp", "sku": {"name": "FC1", "tier": "FlexConsumption"},
            "properties": {"reserved": True}}
    with pytest.raises(HttpResponseError, match="not supported in region"):
        web.app_service_plans.begin_create_or_update("rg", "bot-abc123-plan", plan).result()
    azure_cloud.flex_locations = ["westeurope"]
    web.app_service_plans.begin_create_or_update("rg", "bot-abc123-plan", plan).result()
    with pytest.raises(HttpResponseError, match="FUNCTIONS_WORKER_RUNTIME"):
        _flex_site(azure_cloud, web, {"FUNCTIONS_WORKER_RUNTIME": "python"})
    with pytest.raises(HttpResponseError, match="FunctionAppConfig is required"):
        _flex_site(azure_cloud, web, config={})
    site = _flex_site(azure_cloud, web, {"AzureWebJobsStorage__accountName": "bsbot"}).result()
    principal = site.identity.principal_id
    assert principal and site.default_host_name == f"127.0.0.1:{azure_cloud.port}/hosts/bot-abc123"
    # Key Vault with the secret; the app's identity reads it through a role assignment (PrincipalNotFound first).
    kv = arm(azure_cloud, "keyvault")
    vault = kv.vaults.begin_create_or_update("rg", "bs-bot-abc123", {"location": "westeurope", "properties": {
        "tenantId": azure_cloud.tenant_id, "enableRbacAuthorization": True,
        "sku": {"family": "A", "name": "standard"}}}).result()
    azure_cloud.owner_reads_secrets = True         # (the knob: Owner may use secrets without a data role)
    vault_secrets(azure_cloud, vault.properties.vault_uri).set_secret("API-KEY", "s3cret")
    authz = arm(azure_cloud, "authorization")
    role = next(iter(authz.role_definitions.list(vault.id, filter="roleName eq 'Key Vault Secrets User'")))
    assert role.name == "4633458b-17de-408a-b874-0445c86b69e6"
    assignment = {"properties": {"roleDefinitionId": role.id, "principalId": principal}}
    with pytest.raises(HttpResponseError) as replication:
        authz.role_assignments.create(vault.id, "6f1c6f8e-5b8a-4c1e-9d7a-0a0b0c0d0e0f", assignment)
    assert replication.value.error.code == "PrincipalNotFound"
    authz.role_assignments.create(vault.id, "6f1c6f8e-5b8a-4c1e-9d7a-0a0b0c0d0e0f", assignment)
    reference = f"@Microsoft.KeyVault(SecretUri={vault.properties.vault_uri}secrets/API-KEY/)"
    web.web_apps.update_application_settings("rg", "bot-abc123", {"properties": {
        "API_KEY": reference, "AzureWebJobsStorage__accountName": "bsbot"}})
    assert web.web_apps.list_application_settings("rg", "bot-abc123").properties["API_KEY"] == reference
    with pytest.raises(HttpResponseError, match="WEBSITE_RUN_FROM_PACKAGE"):
        web.web_apps.update_application_settings("rg", "bot-abc123", {"properties": {"WEBSITE_RUN_FROM_PACKAGE": "1"}})
    # Publish to the SCM site with an ARM token; the host lists what function_app.py registers.
    arm(azure_cloud, "storage")  # (the deployment container is optional for the fake)
    scm = next(s.name for s in site.host_name_ssl_states if s.host_type == "Repository")
    token = credential(azure_cloud).get_token(azure_cloud.url + "/.default").token
    answer = requests.post(f"https://{scm}/api/publish?RemoteBuild=false", data=_zip(FUNCTION_APP),
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip"},
                           verify=azure_cloud.ca_bundle)
    assert answer.status_code == 202
    status = requests.get(answer.headers["Location"], headers={"Authorization": f"Bearer {token}"},
                          verify=azure_cloud.ca_bundle)
    while status.status_code == 202:
        status = requests.get(answer.headers["Location"], headers={"Authorization": f"Bearer {token}"},
                              verify=azure_cloud.ca_bundle)
    assert status.json()["complete"] is True
    assert sorted(f.name for f in web.web_apps.list_functions("rg", "bot-abc123")) == ["bot-abc123/run",
                                                                                      "bot-abc123/tick"]
    key = web.web_apps.list_function_keys("rg", "bot-abc123", "run")["default"]
    url = f"https://{site.default_host_name}/api/run"
    assert requests.post(url, data=b"go", verify=azure_cloud.ca_bundle).status_code == 401
    ran = requests.post(url, data=b"go", headers={"x-functions-key": key}, verify=azure_cloud.ca_bundle)
    assert (ran.status_code, ran.text) == (200, "s3cret|go"), azure_cloud.invocations
    assert azure_cloud.invocations[-1]["function"] == "run"


def test_role_assignments_denied_and_broken_package_reports_why(azure_cloud):
    _group(azure_cloud)
    authz = arm(azure_cloud, "authorization")
    scope = f"/subscriptions/{azure_cloud.subscription_id}/resourceGroups/rg"
    assert list(authz.permissions.list_for_resource_group("rg"))[0].actions == ["*"]
    azure_cloud.deny_role_assignments()
    denied = list(authz.permissions.list_for_resource_group("rg"))[0]
    assert "Microsoft.Authorization/*/Write" in denied.not_actions
    owner = f"/subscriptions/{azure_cloud.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/" \
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    with pytest.raises(HttpResponseError) as refused:
        authz.role_assignments.create(scope, "0b0c0d0e-5b8a-4c1e-9d7a-0a0b0c0d0e0f", {"properties": {
            "roleDefinitionId": owner, "principalId": azure_cloud.sp_object_id}})
    assert refused.value.error.code == "AuthorizationFailed"
    web = arm(azure_cloud, "web")
    web.app_service_plans.begin_create_or_update("rg", "bot-abc123-plan", {
        "location": "westeurope", "sku": {"name": "FC1", "tier": "FlexConsumption"},
        "properties": {"reserved": True}}).result()
    site = _flex_site(azure_cloud, web).result()
    # requests is installed where the tests run, not in the package: the host must not find it.
    azure_cloud.install_package(azure_cloud.find(site.id), _zip("import requests\n"))
    assert list(web.web_apps.list_functions("rg", "bot-abc123")) == []
    assert "No module named 'requests'" in azure_cloud.host_errors[site.id.lower()]
    master = web.web_apps.list_host_keys("rg", "bot-abc123").master_key
    import requests
    status = requests.get(f"https://{site.default_host_name}/admin/host/status", verify=azure_cloud.ca_bundle,
                          headers={"x-functions-key": master}).json()
    assert status["state"] == "Error" and "ModuleNotFoundError" in status["errors"][0]


def test_consumption_run_from_package_timer_and_managed_identity(azure_cloud):
    import datetime

    import requests
    from azure.storage.blob import BlobSasPermissions, generate_blob_sas
    _group(azure_cloud)
    storage, account = _account(azure_cloud)
    storage.blob_containers.create("rg", account.name, "packages", {"properties": {"publicAccess": "None"}})
    blob_service(azure_cloud).get_blob_client("packages", "app.zip").upload_blob(_zip(FUNCTION_APP))
    sas = generate_blob_sas("devstoreaccount1", "packages", "app.zip", account_key=azure_cloud.blob_key,
                            permission=BlobSasPermissions(read=True),
                            expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
    web = arm(azure_cloud, "web")
    plan = web.app_service_plans.begin_create_or_update("rg", "bot-abc123-plan", {
        "location": "westeurope", "sku": {"name": "Y1", "tier": "Dynamic"}, "properties": {"reserved": True}}).result()
    settings = {"FUNCTIONS_WORKER_RUNTIME": "python", "FUNCTIONS_EXTENSION_VERSION": "~4",
                "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=eA==",
                "WEBSITE_RUN_FROM_PACKAGE": f"{azure_cloud.blob_url}/packages/app.zip?{sas}"}
    body = {"location": "westeurope", "kind": "functionapp,linux", "identity": {"type": "SystemAssigned"},
            "properties": {"serverFarmId": plan.id, "siteConfig": {
                "linuxFxVersion": "Python|3.11",
                "appSettings": [{"name": k, "value": v} for k, v in settings.items() if k != "AzureWebJobsStorage"]}}}
    with pytest.raises(HttpResponseError, match="AzureWebJobsStorage"):
        web.web_apps.begin_create_or_update("rg", "bot-abc123", body)
    body["properties"]["siteConfig"]["appSettings"] = [{"name": k, "value": v} for k, v in settings.items()]
    site = web.web_apps.begin_create_or_update("rg", "bot-abc123", body).result()
    web.web_apps.sync_function_triggers("rg", "bot-abc123")
    assert sorted(f.name for f in web.web_apps.list_functions("rg", "bot-abc123")) == ["bot-abc123/run",
                                                                                      "bot-abc123/tick"]
    master = web.web_apps.list_host_keys("rg", "bot-abc123").master_key
    tick = requests.post(f"https://{site.default_host_name}/admin/functions/tick", json={"input": ""},
                         headers={"x-functions-key": master}, verify=azure_cloud.ca_bundle)
    assert tick.status_code == 202, azure_cloud.invocations
    assert azure_cloud.invocations[-1] == {
        "site": "bot-abc123", "function": "tick", "status": 202, "error": None}
    msi = azure_cloud.msi_apps["bot-abc123"]
    token = requests.get(f"{azure_cloud.url}/msi/bot-abc123/token", verify=azure_cloud.ca_bundle,
                         params={"resource": "https://storage.azure.com", "api-version": "2019-08-01"},
                         headers={"X-IDENTITY-HEADER": msi["header"]}).json()
    assert token["resource"] == "https://storage.azure.com" and token["token_type"] == "Bearer"


def test_monitoring_tags_and_an_unchanged_rerun_mutates_nothing(azure_cloud):
    _group(azure_cloud)
    logs = arm(azure_cloud, "loganalytics")
    workspace = logs.workspaces.begin_create_or_update("rg", "bot-abc123-logs", {
        "location": "westeurope", "tags": {"botship:bot": "bot"},
        "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}}).result()
    assert workspace.provisioning_state == "Succeeded"
    insights = arm(azure_cloud, "insights")
    with pytest.raises(HttpResponseError, match="WorkspaceResourceId"):
        insights.components.create_or_update("rg", "bot-abc123-insights", {
            "location": "westeurope", "kind": "web", "application_type": "web"})
    component = insights.components.create_or_update("rg", "bot-abc123-insights", {
        "location": "westeurope", "kind": "web", "application_type": "web", "workspace_resource_id": workspace.id,
        "tags": {"botship:bot": "bot"}})
    assert component.connection_string.startswith(f"InstrumentationKey={component.instrumentation_key};")
    resources = arm(azure_cloud, "resources")
    tagged = {r.name for r in resources.resources.list(filter="tagName eq 'botship:bot' and tagValue eq 'bot'")}
    assert tagged == {"bot-abc123-logs", "bot-abc123-insights"}
    azure_cloud.reset_mutations()
    logs.workspaces.get("rg", "bot-abc123-logs")
    insights.components.get("rg", "bot-abc123-insights")
    list(resources.resources.list_by_resource_group("rg"))
    assert azure_cloud.mutations == []
    insights.components.delete("rg", "bot-abc123-insights")
    assert azure_cloud.mutations == [("DELETE", component.id.replace("microsoft.insights", "Microsoft.Insights"))]


def test_device_code_sign_in_is_approved_after_one_poll(azure_cloud):
    from azure.identity import DeviceCodeCredential
    prompts = []
    signin = DeviceCodeCredential(client_id="04b07795-8ddb-461a-bbee-02f9e1bf7b46", tenant_id=azure_cloud.tenant_id,
                                  authority=azure_cloud.url, disable_instance_discovery=True,
                                  connection_verify=azure_cloud.ca_bundle,
                                  prompt_callback=lambda uri, code, expires: prompts.append(uri))
    record = signin.authenticate(scopes=[azure_cloud.url + "/.default"])
    assert record.username == azure_cloud.user_name and prompts == [f"{azure_cloud.url}/devicelogin"]
    subs = arm(azure_cloud, "subscriptions", cred=signin)
    assert [s.subscription_id for s in subs.subscriptions.list()] == [azure_cloud.subscription_id]
