"""The Azure cloud against the strict fake with the real SDK clients: its settings' choices (tenants, subscriptions,
resource groups, the locations offering the plan), botship's own sign-in (device code), and a deployed bot's handle
(status, invoke through the run route, pause and resume, its state)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from botship.errors import BotshipError
from botship.providers.azure import signin
from botship.providers.azure.cloud import PAUSE_SETTING, AzureCloud, invoke_result
from botship.providers.azure.credential import load_record
from botship.providers.azure.endpoints import endpoints
from botship.providers.base import (CONTROL, DEPLOY_LOCK, INVOKE, LOGS, PAUSE, PERMISSIONS_POLICY, ROLLBACK, STATE,
                                   STATE_HISTORY)
from botship.questions import get_answer


def questions() -> dict:
    return {q.key: q for q in AzureCloud.settings()}


def answers_of(fake, **azure) -> dict:
    return {"platform": "azure", "azure": {"subscription_id": fake.subscription_id, **azure}}


def test_the_settings_as_a_profile_spells_them():
    asked = questions()
    assert list(asked) == ["azure.tenant_id", "azure.subscription_id", "azure.resource_group", "azure.plan",
                           "azure.location"]
    assert [asked[k].kind for k in asked] == ["choice", "choice", "text", "choice", "choice"]
    assert asked["azure.tenant_id"].blank == "the sign-in's home tenant"
    assert asked["azure.subscription_id"].depends_on == ("azure.tenant_id",)
    assert asked["azure.location"].depends_on == ("azure.subscription_id", "azure.plan")
    assert all(asked[k].slow for k in ("azure.tenant_id", "azure.subscription_id", "azure.resource_group",
                                       "azure.location"))
    plans = asked["azure.plan"].options({})
    assert [(c.value, c.title) for c in plans] == [("flex", "Flex Consumption"),
                                                   ("consumption", "Consumption (Linux), retires 2028-09-30")]
    assert asked["azure.plan"].default_for({}) == "flex"
    assert "creates it" in asked["azure.resource_group"].help
    assert AzureCloud.capabilities == {INVOKE, STATE, STATE_HISTORY, PERMISSIONS_POLICY, DEPLOY_LOCK, PAUSE, CONTROL,
                                       LOGS, ROLLBACK}
    assert AzureCloud.sign_in_methods() == ["browser", "device code"]


def test_tenants_and_subscriptions_the_sign_in_sees(azure_cloud):
    asked, answers = questions(), answers_of(azure_cloud)
    assert [(c.value, c.title) for c in asked["azure.tenant_id"].options(answers)] == [
        (azure_cloud.tenant_id, f"botship test tenant ({azure_cloud.tenant_id})")]
    subs = asked["azure.subscription_id"].options(answers)
    assert [(c.value, c.title, c.disabled) for c in subs] == [
        (azure_cloud.subscription_id, f"botship test subscription ({azure_cloud.subscription_id})", "")]
    assert asked["azure.subscription_id"].problem(azure_cloud.subscription_id, answers) is None
    assert asked["azure.tenant_id"].problem(azure_cloud.tenant_id, answers) is None
    other = str(uuid.uuid4())
    assert "does not see this subscription" in asked["azure.subscription_id"].problem(other, answers)
    assert "does not see this tenant" in asked["azure.tenant_id"].problem(other, answers)
    assert "GUID" in asked["azure.subscription_id"].problem("not-a-guid", answers)


def test_choices_are_asked_once_per_sign_in(azure_cloud):
    asked, answers = questions(), answers_of(azure_cloud)
    asked["azure.subscription_id"].options(answers)
    azure_cloud.reset_mutations()
    calls = len(azure_cloud.tokens)
    for _ in range(5):
        asked["azure.subscription_id"].options(answers)
        asked["azure.subscription_id"].problem(azure_cloud.subscription_id, answers)
    assert len(azure_cloud.tokens) == calls  # no new sign-in, and the listing is cached


def test_resource_groups_are_suggested_and_a_new_name_is_allowed(azure_cloud):
    cloud = AzureCloud({"subscription_id": azure_cloud.subscription_id, "resource_group": "x", "location": "westeurope"})
    cloud.clients.resources.resource_groups.create_or_update("trading-bots", {"location": "westeurope"})
    cloud.clients.resources.resource_groups.create_or_update("Another", {"location": "northeurope"})
    asked, answers = questions(), answers_of(azure_cloud)
    assert asked["azure.resource_group"].suggestions(answers) == ["Another", "trading-bots"]
    assert asked["azure.resource_group"].problem("a-new-group", answers) is None
    assert asked["azure.resource_group"].problem("bad name.", answers)


def test_locations_are_only_those_offering_the_plan(azure_cloud):
    azure_cloud.flex_locations = ["westeurope", "swedencentral"]
    asked = questions()
    flex = answers_of(azure_cloud, plan="flex")
    assert [c.value for c in asked["azure.location"].options(flex)] == ["swedencentral", "westeurope"]
    assert "does not offer Flex Consumption" in asked["azure.location"].problem("eastus", flex)
    assert asked["azure.location"].problem("westeurope", flex) is None
    consumption = answers_of(azure_cloud, plan="consumption")
    offered = [c.value for c in asked["azure.location"].options(consumption)]
    assert "eastus" in offered  # Linux Consumption is offered where Flex is not


def test_without_a_sign_in_choices_are_empty_and_the_check_says_sign_in(azure_cloud, monkeypatch):
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    asked, answers = questions(), answers_of(azure_cloud)
    started = time.monotonic()
    assert asked["azure.tenant_id"].options(answers) == []
    assert asked["azure.subscription_id"].options(answers) == []
    assert asked["azure.location"].options(answers) == []
    assert asked["azure.resource_group"].suggestions(answers) == []
    assert time.monotonic() - started < signin.LOOKUP_TIMEOUT_S
    problem = asked["azure.subscription_id"].problem(azure_cloud.subscription_id, answers)
    assert problem.startswith("sign in first")
    assert asked["azure.location"].problem("westeurope", answers).startswith("sign in first")


def sign_in_by_device_code(fake, monkeypatch) -> tuple[str, list[str]]:
    for variable in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
        monkeypatch.delenv(variable)
    messages: list[str] = []
    return AzureCloud.sign_in("device code", messages.append, {}), messages


def test_device_code_sign_in_says_what_to_do_and_keeps_who(azure_cloud, monkeypatch):
    who, messages = sign_in_by_device_code(azure_cloud, monkeypatch)
    assert who == f"{azure_cloud.user_name} (tenant {azure_cloud.tenant_id})"
    assert len(messages) == 1 and "enter the code" in messages[0] and "/devicelogin" in messages[0]
    record = load_record(endpoints())
    assert record is not None and record.username == azure_cloud.user_name


def test_the_kept_sign_in_is_used_silently_by_the_next_deploy(azure_cloud, monkeypatch):
    sign_in_by_device_code(azure_cloud, monkeypatch)
    signin.signed_in()  # as a new process: nothing of the sign-in in memory, only the record and the token cache
    cloud = AzureCloud({"subscription_id": azure_cloud.subscription_id, "resource_group": "bots",
                        "location": "westeurope"})
    token = cloud.clients.token()
    assert signin.token_identity(token).object_id == azure_cloud.user_object_id
    subs = questions()["azure.subscription_id"].options(answers_of(azure_cloud))
    assert [c.value for c in subs] == [azure_cloud.subscription_id]


def test_an_unknown_sign_in_method_is_refused(azure_cloud):
    with pytest.raises(BotshipError, match="not a way to sign in"):
        AzureCloud.sign_in("carrier pigeon", print, {})


def test_who_a_token_names():
    import base64

    def token(claims):
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"e30.{body}.c2ln"

    user = signin.token_identity(token({"upn": "ann@example.com", "oid": "o", "tid": "t"}))
    assert (user.kind, str(user)) == ("user", "ann@example.com (tenant t)")
    app = signin.token_identity(token({"appid": "a1", "idtyp": "app", "oid": "o", "tid": "t"}))
    assert (app.kind, str(app)) == ("application", "application a1 (tenant t)")
    assert signin.token_identity("not a token").kind == "unknown"


def test_the_run_routes_answer_as_an_invoke_result():
    body = json.dumps({"status": "ok", "result": {"n": 1}, "timings": {"lock": 0.01, "run": 0.2}})
    ok = invoke_result(200, body, 250)
    assert ok.ok and ok.error is None and ok.body["result"] == {"n": 1} and ok.duration_ms == 210
    assert ok.result == {"statusCode": 200, "body": body} and ok.extra == {"round_trip_ms": 250}
    failed = invoke_result(500, json.dumps({"status": "error", "error": {"type": "X"}}))
    assert failed.error is None and failed.bot_status == "error" and not failed.ok
    refused = invoke_result(401, "")
    assert refused.error == "HTTP 401: the function key was refused" and not refused.ok
    host = invoke_result(502, "<html>Bad gateway</html>")
    assert host.error.startswith("HTTP 502") and "Bad gateway" in host.error


def test_the_pause_setting_is_the_timer_functions():
    assert PAUSE_SETTING == "AzureWebJobs.scheduled.Disabled"
    assert get_answer({"azure": {"plan": "flex"}}, "azure.plan") == "flex"


# ---- the timer's next run without the spec's text -------------------------------------------------------------

@pytest.mark.parametrize("schedule,zone", [("cron(0 9 * * ? *)", "Europe/Amsterdam"),
                                           ("cron(30 8 ? * MON-FRI *)", "America/New_York"),
                                           ("cron(0 0 L * ? *)", "Pacific/Auckland"),
                                           ("cron(15 2 * * ? *)", "Europe/London"),
                                           ("cron(0 9-17/4 ? * 2-6 *)", "Asia/Kolkata")])
def test_the_timers_next_run_is_the_schedules(schedule, zone):
    from datetime import UTC, datetime, timedelta

    from botship.providers.azure.ncrontab import ncrontab_next
    from botship.providers.azure.ncrontab import translate
    from botship.schedule import next_runs, parse_schedule

    timer = translate(schedule, zone, datetime(2026, 1, 1, tzinfo=UTC))
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(40):  # across both DST changes of 2026
        expected = next_runs(parse_schedule(schedule), zone, 1, moment)[0]
        assert ncrontab_next(timer.expression, moment, timer.local_schedule, zone) == expected, moment
        moment += timedelta(days=9, hours=7, minutes=13)


def test_a_rates_next_run_is_on_the_clocks_boundary():
    from datetime import UTC, datetime

    from botship.providers.azure.ncrontab import ncrontab_next

    at = datetime(2026, 1, 10, 7, 13, tzinfo=UTC)
    assert ncrontab_next("0 */15 * * * *", at) == datetime(2026, 1, 10, 7, 15, tzinfo=UTC)
    assert ncrontab_next("0 0 */6 * * *", at) == datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert ncrontab_next("not ncrontab", at) is None and ncrontab_next("0 61 * * * *", at) is None


# ---- a deployed bot's handle ----------------------------------------------------------------------------------

SECRET = "s3cr3t-value-9876"


def deploy_counter(fake, project, **changes):
    import sys

    from botship.providers.azure.provider import AzureProvider
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.secret_values import SecretValue, SecretValues
    from botship.spec import build_spec

    data = {"platform": "azure", "bot_name": "counter-bot", "entry": "app:handler", "memory_mb": 512,
            "python": f"{sys.version_info.major}.{sys.version_info.minor}", "schedule": "cron(0 9 * * ? *)",
            "timezone": "Europe/Amsterdam", "secrets": ["EXCHANGE_API_KEY"],
            "azure": {"subscription_id": fake.subscription_id, "resource_group": "bots", "location": "westeurope"},
            **changes}
    spec = build_spec(data, project)
    plan = AzureProvider(spec).plan(DeployContext(project, "prod", SecretValues([
        SecretValue("EXCHANGE_API_KEY", SECRET, "environment")])))
    result = start_run(plan, lambda event: None).wait(180)
    assert result.ok, result.failure
    return AzureCloud({"subscription_id": fake.subscription_id, "resource_group": "bots", "location": "westeurope"})


def test_status_invoke_and_state_of_a_deployed_bot(azure_cloud, project, tmp_path):
    cloud = deploy_counter(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    status = handle.status()
    assert (status.bot_name, status.platform, status.where, status.mode, status.state, status.profile) == (
        "counter-bot", "azure", "westeurope", "paper", "active", "prod")
    assert status.timezone in ("Europe/Amsterdam", "UTC") and status.next_run is not None
    assert status.extra["function_app"] == handle.names.function_app and status.extra["plan"] == "flex"
    assert set(status.shipped) == {"code", "config", "version"}

    azure_cloud.reset_mutations()
    first = handle.invoke({"hello": 1})
    assert first.ok and first.status_code == 200 and first.body["result"]["runs"] == 1
    assert first.body["result"]["has_secret"] is True
    second = handle.invoke({})
    assert second.body["result"]["runs"] == 2  # the state carried across runs
    # The run key was fetched through Resource Manager (a read) and never shows in what invoke returns.
    assert all(method == "POST" and path.endswith(("/listkeys", "/api/run")) or method == "GET"
               for method, path in azure_cloud.mutations), azure_cloud.mutations
    keys = [key for key in azure_cloud.site_keys[handle.names.site_id.lower()].values() if isinstance(key, str)]
    assert keys and all(len(key) > 8 for key in keys)
    text = json.dumps([first.as_dict(), second.as_dict()], default=str)
    assert SECRET not in text and not any(key in text for key in keys)

    listing = handle.state_files()
    assert listing.generation == 2 and "runs.txt" in listing.files
    assert handle.read_state_file("runs.txt") == b"2"
    exported = handle.export_state(tmp_path / "exported")
    assert (tmp_path / "exported" / "runs.txt").read_text() == "2" and exported.files == listing.files
    assert "live" not in handle.state_store("paper").describe


def test_pause_and_resume_flip_the_timer_and_change_nothing_twice(azure_cloud, project):
    cloud = deploy_counter(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    names = handle.names
    settings = lambda: dict(cloud.clients.web.web_apps.list_application_settings(  # noqa: E731
        names.resource_group, names.function_app).properties)
    before = settings()
    azure_cloud.reset_mutations()
    handle.pause()
    assert settings()[PAUSE_SETTING] == "true"
    assert handle.status().state == "paused" and handle.status().next_run is None
    writes = len([m for m in azure_cloud.mutations if m[0] != "GET"])
    assert writes == 1
    handle.pause()  # already paused: read, nothing written
    assert len([m for m in azure_cloud.mutations if m[0] != "GET"]) == writes
    handle.resume()
    # Every other setting (Key Vault references included) kept as it was.
    assert settings() == {name: value for name, value in before.items() if value is not None}
    assert handle.status().state == "active"
    handle.resume()
    assert len([m for m in azure_cloud.mutations if m[0] != "GET"]) == writes + 1
    bots = cloud.list_bots()
    assert [(b.bot_name, b.where, b.state, b.profile) for b in bots] == [("counter-bot", "westeurope", "active", "prod")]
    assert cloud.list_bots(["eastus"]) == []
    assert [b.bot_name for b in cloud.list_bots(["westeurope"])] == ["counter-bot"]


def test_a_bot_never_deployed_says_so(azure_cloud):
    from botship.providers.results import NotDeployed

    cloud = AzureCloud({"subscription_id": azure_cloud.subscription_id, "resource_group": "bots",
                        "location": "westeurope"})
    cloud.clients.resources.resource_groups.create_or_update("bots", {"location": "westeurope"})
    handle = cloud.bot("ghost")
    with pytest.raises(BotshipError, match="ghost is not deployed in resource group bots") as raised:
        handle.status()
    assert "botship deploy" in raised.value.fix
    with pytest.raises(BotshipError, match="not deployed"):
        handle.invoke({})
    with pytest.raises(NotDeployed, match="no state storage account"):
        handle.state_files()
    assert cloud.list_bots() == []


def test_a_browser_sign_in_without_a_browser_points_to_the_device_code(azure_cloud, monkeypatch):
    monkeypatch.setenv("BROWSER", "/bin/false")
    monkeypatch.delenv("DISPLAY", raising=False)
    messages: list[str] = []
    with pytest.raises(BotshipError, match="no browser could be opened") as raised:
        signin.sign_in(endpoints(), "browser", messages.append, timeout=5)
    assert raised.value.fix == "choose the device-code sign-in instead"
    assert messages == ["A browser window opens for the Azure sign-in; finish it there"]
    assert load_record(endpoints()) is None


def test_a_sign_in_to_an_unknown_tenant_says_it_did_not_finish(azure_cloud, monkeypatch):
    with pytest.raises(BotshipError, match="did not finish") as raised:
        AzureCloud.sign_in("device code", lambda message: None, {"tenant_id": str(uuid.uuid4())})
    assert "tenant" in raised.value.why.lower() and "sign in" in raised.value.fix


# ---- the deploy lock: a lease in the bot's own storage account -------------------------------------------------

class Ctx:
    def __init__(self):
        self.lines: list[str] = []

    def log(self, message, level="info"):
        self.lines.append(message)

    def check_cancelled(self):
        pass

    def wait(self, seconds):
        time.sleep(min(seconds, 0.05))


def test_the_deploy_lock_keeps_two_deploys_apart(azure_cloud):
    from botship.providers.azure.lock import AzureDeployLock
    from botship.providers.plan import LockLost

    cloud = AzureCloud({"subscription_id": azure_cloud.subscription_id, "resource_group": "bots",
                        "location": "westeurope"})
    names = cloud.names("locked-bot")
    first = cloud.deploy_lock("locked-bot", "prod")
    assert isinstance(first, AzureDeployLock)
    ctx = Ctx()
    first.acquire(ctx)  # a first deploy: no storage account yet
    assert ctx.lines == ["first deploy of this bot: no storage account yet, so nothing to lock"]
    assert first.holder() is None
    first.refresh(), first.verify(), first.release()  # nothing held: nothing to do

    cloud.clients.resources.resource_groups.create_or_update("bots", {"location": "westeurope"})
    cloud.clients.storage.storage_accounts.begin_create("bots", names.storage_account, {
        "location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()
    cloud.clients.storage.blob_containers.create("bots", names.storage_account, names.packages_container,
                                                 {"properties": {"publicAccess": "None"}})
    first.acquire(ctx)
    assert ctx.lines[-1].startswith("lock taken (azure://")
    first.verify()
    first.refresh()
    second = AzureDeployLock(cloud, names, "staging")
    second.no_wait = True
    with pytest.raises(BotshipError, match="another deploy of locked-bot is running") as raised:
        second.acquire(Ctx())
    assert "profile prod" in raised.value.what
    holder = second.holder()
    assert holder["owner"] == first.owner and holder["profile"] == "prod"
    assert not second.expired(holder) and "frees it within a minute" in second.explain(holder)

    first.release()
    assert second.holder() is None
    second.no_wait = False
    second.acquire(ctx)
    # `botship unlock` breaks the lease it was shown; the deploy that held it stops before its next write.
    assert first.break_lock(second.holder()) is True
    with pytest.raises(LockLost):
        second.verify()
    assert first.break_lock({"owner": "someone else"}) is False


def test_an_identity_without_a_blob_role_yet_deploys_without_the_lock(azure_cloud):
    """An interrupted first deploy (its roles step never ran) or a second identity: the storage account is there
    but this sign-in may not write its blobs yet. The deploy goes on (its roles step gives the role), saying so."""
    from botship.providers.azure.clients import AzureClients
    from botship.providers.azure.lock import AzureDeployLock

    settings = {"subscription_id": azure_cloud.subscription_id, "resource_group": "bots", "location": "westeurope"}
    cloud = AzureCloud(settings)
    names = cloud.names("locked-bot")
    cloud.clients.resources.resource_groups.create_or_update("bots", {"location": "westeurope"})
    cloud.clients.storage.storage_accounts.begin_create("bots", names.storage_account, {
        "location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()
    cloud.clients.storage.blob_containers.create("bots", names.storage_account, names.packages_container,
                                                 {"properties": {"publicAccess": "None"}})

    class NoBlobRole:
        """Resource Manager accepts this sign-in; the storage service refuses its token (as with no data role)."""

        def __init__(self, real):
            self.real = real

        def get_token(self, *scopes, **kwargs):
            token = self.real.get_token(*scopes, **kwargs)
            if any("storage" in scope for scope in scopes):
                return type(token)("not-a-storage-token", token.expires_on)
            return token

    refused = AzureCloud(settings, clients=AzureClients(cloud.clients.endpoints, azure_cloud.subscription_id,
                                                        token_credential=NoBlobRole(cloud.clients.credential)))
    lock, ctx = AzureDeployLock(refused, names, "prod"), Ctx()
    lock.acquire(ctx)
    assert "going on without the deploy lock" in ctx.lines[-1]
    lock.refresh(), lock.verify(), lock.release()
    with pytest.raises(BotshipError, match="cannot be read with this sign-in"):
        lock.holder()


def test_a_bots_state_from_its_app_and_settings():
    from types import SimpleNamespace

    from botship.providers.azure.cloud import bot_state

    def site(state="Running", availability="Normal", operation=None):
        return SimpleNamespace(properties=SimpleNamespace(state=state, availability_state=availability,
                                                          in_progress_operation_id=operation))

    ready = {"BOTSHIP_ENTRY": "app:handler", "BOTSHIP_SCHEDULE": "0 0 9 * * *"}
    assert bot_state(site(), ready) == "active"
    assert bot_state(site(), {**ready, "AzureWebJobs.scheduled.Disabled": "true"}) == "paused"
    assert bot_state(site(), {**ready, "AzureWebJobs__scheduled__Disabled": "1"}) == "paused"
    assert bot_state(site(state="Stopped"), ready) == "paused"
    assert bot_state(site(availability="Limited"), ready) == "failed"
    assert bot_state(site(operation="op-1"), ready) == "updating"
    assert bot_state(site(), {}) == "updating"  # botship's settings not written yet: a deploy under way
    assert bot_state(site(state="Suspended"), ready) == "unknown"
