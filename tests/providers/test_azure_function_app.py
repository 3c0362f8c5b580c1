"""The Azure Functions entry file as the Python worker sees it: its triggers, their auth levels, and a real call."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from botship.providers.artifact import build_artifact
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
status = calls["bot_status"](func.HttpRequest("GET", "/api/status", body=b""))
bad = calls["run"](func.HttpRequest("POST", "/api/run", body=b"{not json"))
report["run"] = [ran.status_code, json.loads(ran.get_body())]
report["status"] = [status.status_code, json.loads(status.get_body())]
report["bad"] = bad.status_code
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
    probe = subprocess.run([sys.executable, "-S", "-c", PROBE, str(root)], capture_output=True, text=True,
                           timeout=120, cwd=root)
    assert probe.returncode == 0, probe.stderr
    report = json.loads(next(line for line in probe.stdout.splitlines() if line.startswith("REPORT "))[7:])

    triggers = {name: bindings[0] for name, bindings in report["bindings"].items()}
    assert triggers["scheduled"] == {"type": "timerTrigger", "auth": "None", "schedule": "%BOTSHIP_SCHEDULE%",
                                     "route": None}
    assert (triggers["run"]["auth"], triggers["run"]["route"]) == ("FUNCTION", "run")
    assert (triggers["bot_status"]["auth"], triggers["bot_status"]["route"]) == ("FUNCTION", "status")
    assert (triggers["ping"]["auth"], triggers["ping"]["route"]) == ("ANONYMOUS", "ping")

    code, body = report["run"]
    assert code == 200 and body["status"] == "ok" and body["result"]["runs"] == 1
    code, body = report["status"]
    assert code == 200 and body["state"]["files"] == 2 and body["state"]["generation"] == 1
    assert report["bad"] == 400
