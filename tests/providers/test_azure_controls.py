"""An Azure bot's controls against the strict fake (real SDK clients over HTTPS, Azurite behind the storage account,
the function host running the package for real): pause and resume flip the timer's disabled setting, the log lines
a run writes come back through the Log Analytics query API (following keeps each line once, late ones too), a
rollback ships an earlier package again and the next run proves it, and refusals are said in plain words."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from azure_fake.logquery import QUERY_ACTION, iso7, kql_time
from hypothesis import given
from hypothesis import strategies as st

from botship.errors import BadInput, BotshipError
from botship.providers.azure.cloud import PAUSE_SETTING, AzureCloud
from botship.providers.azure.endpoints import KNOWN, endpoints
from botship.providers.azure.logs import kql_datetime, logs_note, parse_time, query_text, read_logs
from botship.providers.base import LOGS, PAUSE, ROLLBACK

SECRET = "s3cr3t-value-9876"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
V2 = '''

_first = handler


def handler(event, context):
    result = _first(event, context)
    result["version"] = 2
    return result
'''


def deploy(fake, project, plan="flex"):
    from botship.providers.azure.provider import AzureProvider
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.secret_values import SecretValue, SecretValues
    from botship.spec import build_spec

    data = {"platform": "azure", "bot_name": "counter-bot", "entry": "app:handler", "python": PYTHON,
            "schedule": "cron(0 9 * * ? *)", "timezone": "Europe/Amsterdam", "secrets": ["EXCHANGE_API_KEY"],
            "azure": {"subscription_id": fake.subscription_id, "resource_group": "bots", "location": "westeurope",
                      "plan": plan}}
    if plan == "flex":
        data["memory_mb"] = 512
    spec = build_spec(data, project)
    context = DeployContext(project, "prod", SecretValues([SecretValue("EXCHANGE_API_KEY", SECRET, "environment")]))
    result = start_run(AzureProvider(spec).plan(context), lambda event: None).wait(180)
    assert result.ok, result.failure
    return AzureCloud({"subscription_id": fake.subscription_id, "resource_group": "bots", "location": "westeurope"})


def site_tags(cloud, handle) -> dict:
    return dict(cloud.clients.web.web_apps.get(handle.names.resource_group, handle.names.function_app).tags or {})


def test_azure_declares_logs_pause_and_rollback_and_the_role_allows_them():
    from botship.providers.azure.policy import deploy_role

    assert {LOGS, PAUSE, ROLLBACK} <= AzureCloud.capabilities
    role = deploy_role(AzureCloud({"subscription_id": "s", "resource_group": "bots"}))
    assert {QUERY_ACTION, "Microsoft.Resources/tags/write", "Microsoft.Web/sites/publish/action",
            "Microsoft.Storage/storageAccounts/listkeys/action"} <= set(role["Actions"])
    assert "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read" in role["DataActions"]


# ---- pause and resume -------------------------------------------------------------------------------------------

def test_pause_then_resume_flips_the_timers_disabled_setting(azure_cloud, project):
    cloud = deploy(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    site_id = handle.names.site_id.lower()

    def timer_disabled() -> bool:
        listed = cloud.clients.web.web_apps.list_functions(handle.names.resource_group, handle.names.function_app)
        return {f.name.rsplit("/", 1)[-1]: f.is_disabled for f in listed}["scheduled"]

    assert PAUSE_SETTING not in azure_cloud.app_settings[site_id] and not timer_disabled()
    handle.pause()
    assert azure_cloud.app_settings[site_id][PAUSE_SETTING] == "true" and timer_disabled()
    assert handle.status().state == "paused"
    handle.resume()
    assert PAUSE_SETTING not in azure_cloud.app_settings[site_id] and not timer_disabled()
    assert handle.status().state == "active"
    # A run now works while paused (only the schedule stops).
    handle.pause()
    assert handle.invoke({}).ok
    # A settings change restarts the app: while a run holds the bot's lock, resuming is refused, nothing changed.
    store = handle.state_store()
    assert store.try_lock("run-in-progress", 120)
    with pytest.raises(BotshipError, match="is running now; changing its settings to resume it would restart"):
        handle.resume()
    assert azure_cloud.app_settings[site_id][PAUSE_SETTING] == "true"
    store.unlock("run-in-progress")
    handle.resume()
    assert handle.status().state == "active"


def test_pause_resume_and_rollback_are_in_the_history(azure_cloud, project):
    cloud = deploy(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    first = site_tags(cloud, handle)["botship:code"]
    (project / "app.py").write_text((project / "app.py").read_text() + V2)
    deploy(azure_cloud, project)
    handle.pause()
    handle.resume()
    handle.resume()  # nothing changed: nothing recorded
    handle.rollback()
    history = [entry for entry in handle.history() if entry.action in ("pause", "resume", "rollback")]
    assert [(e.action, e.version) for e in history] == [("rollback", first), ("resume", ""), ("pause", "")]
    assert [e.detail for e in history[1:]] == ["timer enabled", "timer disabled"]
    assert all(e.by and e.at for e in history)  # who did it (the sign-in's identity), and when


# ---- logs ---------------------------------------------------------------------------------------------------------

def test_the_lines_a_run_writes_come_back_through_the_query_api(azure_cloud, project):
    cloud = deploy(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert handle.invoke({}).ok
    lines = list(handle.logs(since=before))
    texts = [line.text for line in lines]
    assert any(t.startswith("Executing 'Functions.run'") for t in texts)
    assert any(t.startswith("Executed 'Functions.run' (Succeeded") for t in texts)
    assert any('"bot": "saw"' in t for t in texts), texts  # the bot's own print
    assert any('"logger": "botship"' in t for t in texts)  # the runtime's JSON lines
    assert all(line.at is not None and line.at >= before for line in lines)
    assert [line.at for line in lines] == sorted(line.at for line in lines)
    assert {line.stream for line in lines} >= {"Function.run", "Host.Function.Console"}
    assert not any(SECRET in t for t in texts)
    # Only what was asked: nothing before `since`, and one query sent in the shape the fake evaluates.
    assert list(handle.logs(since=datetime.now(UTC) + timedelta(minutes=1))) == []
    assert azure_cloud.log_queries[0].startswith("AppTraces\n| where TimeGenerated >= datetime(")
    assert "2–5 minutes" in handle.logs_note() and handle.names.insights in handle.logs_note()


def test_following_yields_each_line_once_even_one_that_arrives_late(azure_cloud, project):
    cloud = deploy(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    since = datetime.now(UTC) - timedelta(seconds=1)
    assert handle.invoke({}).ok
    azure_cloud.ingestion_delay_s = 1.5  # the next run's lines are received well after they were written
    polls = []

    def wait(seconds):
        polls.append(seconds)
        if len(polls) == 1:
            assert handle.invoke({"second": True}).ok
        time.sleep(0.3)
        if len(polls) > 40:
            raise AssertionError("the second run's lines never came")

    followed = []
    for line in read_logs(handle.clients, handle.names, since, True, wait=wait):
        followed.append(line)
        if sum(t.text.startswith("Executed 'Functions.run'") for t in followed) == 2:
            break
    assert polls and all(seconds == 5.0 for seconds in polls)
    keys = [(line.at, line.text) for line in followed]
    assert len(keys) == len(set(keys)), "a line came twice"
    assert sum(t.text.startswith("Executing 'Functions.run'") for t in followed) == 2
    assert sum('"bot": "saw"' in t.text for t in followed) == 2
    # The late lines were asked for by when they were received, not only by when they were written.
    assert any("where Received > datetime(" in q for q in azure_cloud.log_queries)


def test_a_sign_in_without_the_query_role_is_told_which_role(azure_cloud, project, monkeypatch):
    cloud = deploy(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    allowed = azure_cloud.allowed
    monkeypatch.setattr(azure_cloud, "allowed", lambda principal, scope, action, data=False: (
        action != QUERY_ACTION and allowed(principal, scope, action, data)))
    with pytest.raises(BotshipError) as raised:
        list(handle.logs())
    assert raised.value.what == "not allowed to read the logs of counter-bot"
    assert "insufficient access" in raised.value.why and "Log Analytics Reader" in raised.value.fix


def test_a_bot_without_a_workspace_says_so(azure_cloud):
    cloud = AzureCloud({"subscription_id": azure_cloud.subscription_id, "resource_group": "bots",
                        "location": "westeurope"})
    cloud.clients.resources.resource_groups.create_or_update("bots", {"location": "westeurope"})
    with pytest.raises(BotshipError, match="ghost has no log workspace"):
        list(cloud.bot("ghost").logs())


# ---- the query API and the new calls, strictly ----------------------------------------------------------------

def _post(fake, path, body, token=None, content_type="application/json"):
    import urllib.error
    import urllib.request
    import ssl

    headers = {"Content-Type": content_type, **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{fake.log_url}{path}", json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=fake.ca_bundle)) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_query_api_refuses_what_the_service_would(azure_cloud, project):
    cloud = deploy(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    workspace = cloud.clients.loganalytics.workspaces.get("bots", handle.names.workspace).customer_id
    query = {"query": query_text(handle.names.function_app, datetime.now(UTC) - timedelta(hours=1))}
    token = cloud.clients.token(endpoints().log_analytics_scope)
    assert _post(azure_cloud, f"/v1/workspaces/{workspace}/query", query, token)[0] == 200
    status, body = _post(azure_cloud, f"/v2/workspaces/{workspace}/query", query, token)
    assert (status, body["error"]["code"]) == (404, "PathNotFoundError")  # only /v1 exists
    assert _post(azure_cloud, f"/v1/workspaces/{workspace}/query", query)[1]["error"]["code"] == \
        "AuthorizationRequiredError"
    arm_token = cloud.clients.token()  # a token for Resource Manager is not one for the query API
    assert _post(azure_cloud, f"/v1/workspaces/{workspace}/query", query, arm_token)[1]["error"]["code"] == \
        "InvalidTokenError"
    assert _post(azure_cloud, "/v1/workspaces/00000000-0000-0000-0000-000000000000/query", query, token)[0] == 404
    status, body = _post(azure_cloud, f"/v1/workspaces/{workspace}/query", {"query": "AppTraces | summarize count()"},
                         token)
    assert (status, body["error"]["code"]) == (400, "BadArgumentError")
    assert _post(azure_cloud, f"/v1/workspaces/{workspace}/query", {}, token)[0] == 400
    assert _post(azure_cloud, f"/v1/workspaces/{workspace}/query", query, token, "text/plain")[0] == 415


def test_an_api_version_azure_does_not_know_is_refused_and_said(azure_cloud, project, monkeypatch):
    import requests
    from azure_fake.versions import API_VERSIONS

    cloud = deploy(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    (project / "app.py").write_text((project / "app.py").read_text() + V2)
    deploy(azure_cloud, project)
    shipped = site_tags(cloud, handle)["botship:code"]
    # The site's code tag is written as a rollback writes it (the Tags API) — with a version Azure lacks, refused.
    url = f"{azure_cloud.url}{handle.names.site_id}/providers/Microsoft.Resources/tags/default?api-version=2099-01-01"
    answer = requests.patch(url, json={"operation": "Merge", "properties": {"tags": {"botship:code": "0" * 16}}},
                            verify=azure_cloud.ca_bundle, headers={"Authorization": f"Bearer {cloud.clients.token()}"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "InvalidApiVersionParameter")
    # When the version the SDK sends is one the service refuses, each new call says so in plain words.
    for api, call in (("Microsoft.OperationalInsights", lambda: list(handle.logs())),
                      ("Microsoft.Web", handle.versions), ("Microsoft.Web", handle.rollback),
                      ("Microsoft.Resources", handle.rollback)):
        with monkeypatch.context() as patch:
            patch.setitem(API_VERSIONS, api, {"2015-01-01"})
            with pytest.raises(BotshipError) as raised:
                call()
        assert "2015-01-01" in raised.value.why and "Traceback" not in str(raised.value), (api, raised.value)
    assert site_tags(cloud, handle)["botship:code"] == shipped  # the tag was never written


# ---- rollback -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("plan", ["flex", "consumption"])
def test_rollback_ships_the_earlier_package_again_and_the_next_run_proves_it(azure_cloud, project, plan):
    cloud = deploy(azure_cloud, project, plan)
    handle = cloud.bot("counter-bot")
    first = site_tags(cloud, handle)["botship:code"]
    assert "version" not in handle.invoke({}).body["result"]
    (project / "app.py").write_text((project / "app.py").read_text() + V2)
    deploy(azure_cloud, project, plan)
    second = site_tags(cloud, handle)["botship:code"]
    assert second != first and handle.invoke({}).body["result"]["version"] == 2

    versions = handle.versions()
    assert [(v.version, v.detail) for v in versions] == [(second, "current"), (first, "")]
    handle.pause()
    azure_cloud.reset_mutations()
    entry = handle.rollback()
    assert (entry.action, entry.version) == ("rollback", first) and first in entry.detail
    assert site_tags(cloud, handle)["botship:code"] == first
    assert handle.status().state == "paused"  # every setting kept, the timer's disabled one too
    handle.resume()
    result = handle.invoke({}).body["result"]
    assert "version" not in result and result["runs"] == 3  # the earlier code, the state carried on
    shipped = [path for method, path in azure_cloud.mutations if method in ("POST", "PUT", "PATCH")]
    if plan == "flex":
        assert any(path.endswith("/api/publish") for path in shipped)
    else:
        assert any(path.endswith("/config/appsettings") for path in shipped)
        assert any(path.endswith("/syncfunctiontriggers") for path in shipped)
        assert f"{handle.names.function_app}-{first}.zip" in \
            azure_cloud.app_settings[handle.names.site_id.lower()]["WEBSITE_RUN_FROM_PACKAGE"]
    assert [(v.version, v.detail) for v in handle.versions()] == [(second, ""), (first, "current")]

    # Forward again by a prefix of the later version; the one it runs is refused, as is one never kept.
    with pytest.raises(BadInput, match="runs .* already"):
        handle.rollback(first[:6])
    with pytest.raises(BadInput, match="no version of counter-bot matches 'ffff'"):
        handle.rollback("ffff")
    handle.rollback(second[:8])
    assert handle.invoke({}).body["result"]["version"] == 2


def test_a_redeploy_keeps_one_copy_and_a_single_version_cannot_roll_back(azure_cloud, project):
    cloud = deploy(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    blobs = azure_cloud.blob_service_client().get_container_client("packages")
    kept = [b.name for b in blobs.list_blobs(name_starts_with=handle.names.function_app + "-")]
    assert kept == [f"{handle.names.function_app}-{site_tags(cloud, handle)['botship:code']}.zip"]
    with pytest.raises(BotshipError, match="no version older than the one it runs"):
        handle.rollback()
    blobs.delete_blob(kept[0])
    with pytest.raises(BotshipError, match="has no version kept to roll back to") as raised:
        handle.rollback()
    assert "packages container" in raised.value.why
    assert handle.versions() == []


def test_a_rollback_waits_for_no_deploy(azure_cloud, project):
    cloud = deploy(azure_cloud, project)
    handle = cloud.bot("counter-bot")
    (project / "app.py").write_text((project / "app.py").read_text() + V2)
    deploy(azure_cloud, project)
    lock = cloud.deploy_lock("counter-bot", "prod")

    class Ctx:
        def log(self, *a, **k):
            pass

        def check_cancelled(self):
            pass

        def wait(self, s):
            time.sleep(s)
    lock.acquire(Ctx())
    try:
        with pytest.raises(BotshipError, match="another deploy of counter-bot is running") as raised:
            handle.rollback()
        assert raised.value.why == "nothing was shipped" and "--no-wait" not in str(raised.value.lines())
    finally:
        lock.release()
    assert handle.invoke({}).body["result"]["version"] == 2  # nothing was shipped


# ---- pure parts ---------------------------------------------------------------------------------------------------

def test_each_cloud_names_its_query_api_and_a_custom_file_may_leave_it_out(tmp_path, monkeypatch):
    assert {name: e.log_analytics for name, e in KNOWN.items()} == {
        "public": "https://api.loganalytics.io", "china": "https://api.loganalytics.azure.cn",
        "usgovernment": "https://api.loganalytics.us"}
    assert KNOWN["public"].log_analytics_scope == "https://api.loganalytics.io/.default"
    base = {"name": "stack", "resource_manager": "https://m.example", "authority": "https://l.example",
            "keyvault_suffix": "v.example", "storage_suffix": "s.example", "app_service_suffix": "a.example"}
    path = tmp_path / "cloud.json"
    monkeypatch.setenv("BOTSHIP_AZURE_CLOUD_CONFIG", str(path))
    path.write_text(json.dumps(base))
    assert endpoints().log_analytics == "" and endpoints().ca_bundle is None
    path.write_text(json.dumps({**base, "log_analytics": "https://q.example"}))
    assert endpoints().log_analytics == "https://q.example"
    path.write_text(json.dumps({**base, "log_analytics": 5}))
    with pytest.raises(BadInput, match="log_analytics must be text"):
        endpoints()
    path.write_text(json.dumps(base))
    cloud = AzureCloud({"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "bots"})
    with pytest.raises(BotshipError, match="names no Log Analytics query API"):
        list(cloud.bot("counter-bot").logs())


def test_the_query_botship_sends():
    since = datetime(2026, 12, 1, 7, 0, 0, 123456, tzinfo=UTC)
    text = query_text("counter-bot-abc123", since, since + timedelta(minutes=5))
    assert text.splitlines() == [
        "AppTraces", "| where TimeGenerated >= datetime(2026-12-01T07:00:00.123456Z)",
        "| where AppRoleName =~ 'counter-bot-abc123'", "| extend Received = ingestion_time()",
        "| where Received > datetime(2026-12-01T07:05:00.123456Z)",
        "| project TimeGenerated, Received, Message, SeverityLevel, OperationName, "
        "Category = tostring(Properties.Category), _ItemId",
        "| order by TimeGenerated asc, _ItemId asc", "| take 5000"]
    with pytest.raises(ValueError):
        query_text("x' or 1==1 //", since)
    assert "2–5 minutes" in logs_note(AzureCloud({}).names("b"))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1)))
def test_a_time_survives_the_query_and_the_answer(moment):
    """botship's datetime literal, read by the service (the fake's reader), written back as a cell (seven digits),
    read by botship: the same instant, to the microsecond."""
    at = moment.replace(tzinfo=UTC)
    literal = kql_datetime(at)
    assert literal.startswith("datetime(") and literal.endswith("Z)")
    epoch = kql_time(literal[len("datetime("):-1])
    assert abs(epoch - at.timestamp()) < 1e-3
    assert parse_time(iso7(epoch)) is not None and abs(parse_time(iso7(epoch)) - at) < timedelta(milliseconds=1)
    assert parse_time("2026-12-01T07:00:00.1234567Z") == datetime(2026, 12, 1, 7, 0, 0, 123456, tzinfo=UTC)
    assert parse_time("not a time") is None

