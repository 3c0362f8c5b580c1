"""The Azure Functions entry file as the Python worker sees it: its triggers, their auth levels, real calls, and
the timer running only the firings that are the bot's local times (around a DST change)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from botship.providers.artifact import build_artifact
from botship.providers.azure.ncrontab import translate
from botship.spec import build_spec

BOTS = Path(__file__).resolve().parents[1] / "bots"
AZURE = {"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "bots", "location": "westeurope"}

PROBE = r"""
import json, os, sys
root = sys.argv[1]
sys.path[:0] = [root, os.path.join(root, ".python_packages", "lib", "site-packages")]
import azure.functions as func
import function_app
functions = function_app.app.get_functions()
report = {"bindings": {f.get_function_name(): [
    {"type": b.type, "auth": str(getattr(b, "auth_level", None)), "schedule": getattr(b, "schedule", None),
     "route": getattr(b, "route", None)} for b in f.get_bindings()] for f in functions}}
calls = {f.get_function_name(): f.get_user_function() for f in functions}
os.environ.update({"BOTSHIP_ENTRY": "app:handler", "BOTSHIP_STATE_URL": "file://" + os.path.join(root, "remote"),
                   "BOTSHIP_STATE_DIR": os.path.join(root, "state"), "BOTSHIP_TIMEOUT_S": "30"})
ran = calls["run"](func.HttpRequest("POST", "/api/run", body=b'{"x": 1}'))
bad = calls["run"](func.HttpRequest("POST", "/api/run", body=b"{not json"))
report["run"] = [ran.status_code, json.loads(ran.get_body())]
report["bad"] = bad.status_code
# The timer, with the app settings a deploy sets, at firings the host would make (the clock set per firing).
from datetime import datetime, timezone
from botship_runtime import schedule_check
from azure.functions.timer import TimerRequest
os.environ.update(json.loads(sys.argv[2]))
report["firings"] = []
for when, status_next, past_due in json.loads(sys.argv[3]):
    schedule_check.utcnow = lambda when=when: datetime.fromisoformat(when).replace(tzinfo=timezone.utc)
    state = os.path.join(root, "state", "runs.txt")
    before = open(state).read() if os.path.exists(state) else ""
    calls["scheduled"](TimerRequest(past_due=past_due, schedule_status={"Next": status_next} if status_next else {}))
    report["firings"].append(before != (open(state).read() if os.path.exists(state) else ""))
status = calls["bot_status"](func.HttpRequest("GET", "/api/status", body=b""))
report["status"] = [status.status_code, json.loads(status.get_body())]
print("REPORT " + json.dumps(report))
"""


def test_function_app_triggers_auth_levels_and_a_run(tmp_path, monkeypatch, dependency_cache):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", project)
    spec = build_spec({"platform": "azure", "bot_name": "counter", "entry": "app:handler", "azure": AZURE,
                       "schedule": "cron(0 9 * * ? *)",
                       "python": f"{sys.version_info.major}.{sys.version_info.minor}"}, project)

    class Report:
        def log(self, message, level="info"): ...
        def progress(self, done, total=None, unit=""): ...

    artifact = build_artifact(spec, project, Report())
    root = tmp_path / "wwwroot"
    zipfile.ZipFile(artifact.path).extractall(root)
    timer = translate("cron(0 9 * * ? *)", "Europe/Amsterdam")
    assert not timer.exact and timer.expressions == ["0 0 7,8 * * *"]
    # 27 March 2027 is on winter time (09:00 = 08:00 UTC), the 28th on summer time (09:00 = 07:00 UTC).
    firings = [("2027-03-27T07:00:00", None, False), ("2027-03-27T08:00:01", None, False),
               ("2027-03-28T06:59:58", None, False), ("2027-03-28T08:00:00", None, False),
               # Past due after a restart: the host names the missed occurrence, which was a run (made up late),
               # or was not one (skipped).
               ("2027-03-29T11:42:10", "2027-03-29T07:00:00+00:00", True),
               ("2027-03-29T11:42:10", "2027-03-29T08:00:00+00:00", True)]
    probe = subprocess.run([sys.executable, "-S", "-c", PROBE, str(root), json.dumps(timer.app_settings()),
                            json.dumps(firings)], capture_output=True, text=True, timeout=120, cwd=root)
    assert probe.returncode == 0, probe.stderr
    report = json.loads(next(line for line in probe.stdout.splitlines() if line.startswith("REPORT "))[7:])

    triggers = {name: bindings[0] for name, bindings in report["bindings"].items()}
    assert triggers["scheduled"] == {"type": "timerTrigger", "auth": "None", "schedule": "%BOTSHIP_SCHEDULE%",
                                     "route": None}
    assert (triggers["run"]["auth"], triggers["run"]["route"]) == ("FUNCTION", "run")
    assert (triggers["bot_status"]["auth"], triggers["bot_status"]["route"]) == ("FUNCTION", "status")
    # No anonymous route: every HTTP trigger needs a function key.
    assert set(triggers) == {"scheduled", "run", "bot_status"}

    code, body = report["run"]
    assert code == 200 and body["status"] == "ok" and body["result"]["runs"] == 1
    assert report["bad"] == 400
    assert report["firings"] == [False, True, True, False, True, False]
    skipped = [json.loads(line)["message"] for line in probe.stdout.splitlines() if '"skipped: ' in line]
    assert skipped == ["skipped: 07:00 UTC is not a scheduled time in Europe/Amsterdam",
                       "skipped: 08:00 UTC is not a scheduled time in Europe/Amsterdam",
                       "skipped: 08:00 UTC is not a scheduled time in Europe/Amsterdam"]
    code, body = report["status"]
    assert code == 200 and body["state"]["files"] == 2 and body["state"]["generation"] == 4
