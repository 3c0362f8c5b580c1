"""`botship package` and `botship invoke --local` as a user runs them, in a fresh process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

BOTS = Path(__file__).resolve().parents[1] / "bots"
PROFILE = f"""\
[profiles.dev]
platform = "sandbox"
bot_name = "counter"
entry = "app:handler"
python = "{sys.version_info.major}.{sys.version_info.minor}"
secrets = ["EXCHANGE_API_KEY"]
"""
SECRET = 'local"secret\\abc123'  # a quote and a backslash: JSON escapes both


@pytest.fixture
def project(tmp_path, dependency_cache):
    folder = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", folder)
    (folder / "botship.toml").write_text(PROFILE)
    (folder / ".env").write_text(f"EXCHANGE_API_KEY='{SECRET}'\n")
    return folder


def botship(project: Path, *args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "BOTSHIP_CACHE_DIR": str(cache)}
    env.pop("EXCHANGE_API_KEY", None)
    return subprocess.run([sys.executable, "-m", "botship", *args, "--project", str(project)],
                          capture_output=True, text=True, timeout=300, env=env)


def test_package_prints_path_size_and_hash(project, dependency_cache, tmp_path):
    result = botship(project, "package", "-o", str(tmp_path / "bot.zip"), cache=dependency_cache)
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "bot.zip") in result.stdout and "MB unzipped" in result.stdout
    assert "app.py" in zipfile.ZipFile(tmp_path / "bot.zip").namelist()

    again = botship(project, "package", "--json", cache=dependency_cache)
    records = [json.loads(line) for line in again.stdout.splitlines()]
    artifact = next(r for r in records if r["type"] == "artifact")
    assert artifact["reused"] is True and len(artifact["content_hash"]) == 64
    assert any(r["type"] == "step_finished" and r["step"] == "package" for r in records)


def test_three_local_invocations_keep_state_and_never_show_the_secret(project, dependency_cache):
    for expected in (1, 2, 3):
        result = botship(project, "invoke", "--local", cache=dependency_cache)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f'"runs": {expected}' in result.stdout
        assert '"has_secret": true' in result.stdout
        assert SECRET not in result.stdout + result.stderr
    assert (project / ".botship" / "local-state" / "dev" / "paper" / "manifest.json").is_file()

    cold = botship(project, "invoke", "--local", "--cold", "--json", cache=dependency_cache)
    records = [json.loads(line) for line in cold.stdout.splitlines()]
    result = next(r for r in records if r["type"] == "result")
    # The bot's own JSON line (it has "kind" and "type" keys) arrives whole, nested under "record".
    assert any(r["type"] == "function_log" and r["record"].get("bot") == "saw" for r in records)
    assert result["body"]["result"]["before"] == 3 and result["body"]["files"]["downloaded"] == 2


def test_a_failing_bot_exits_1_and_shows_its_traceback(project, dependency_cache):
    result = botship(project, "invoke", "--local", "--event", '{"fail": true}', cache=dependency_cache)
    assert result.returncode == 1
    assert "status 500" in result.stdout and "RuntimeError: exchange said no" in result.stdout
    assert "Traceback (most recent call last)" in result.stdout


def test_bad_event_and_live_profiles_are_bad_input(project, dependency_cache):
    bad = botship(project, "invoke", "--local", "--event", "{nope", cache=dependency_cache)
    assert bad.returncode == 2 and "--event is not JSON" in bad.stderr
    (project / "botship.toml").write_text(PROFILE + 'mode = "live"\n')
    live = botship(project, "invoke", "--local", cache=dependency_cache)
    assert live.returncode == 2 and "--confirm-live" in live.stderr


def test_a_bot_that_prints_its_secret_still_shows_it_masked(project, dependency_cache):
    text = botship(project, "invoke", "--local", "--event", '{"leak": true}', cache=dependency_cache)
    as_json = botship(project, "invoke", "--local", "--json", "--event", '{"leak": true}', cache=dependency_cache)
    for result in (text, as_json):
        assert result.returncode == 1
        output = result.stdout + result.stderr
        assert "exchange rejected key ***" in output
        assert SECRET not in output and json.dumps(SECRET)[1:-1] not in output
    assert "using key ***" in text.stdout


def test_a_run_past_its_timeout_is_stopped(project, dependency_cache):
    (project / "botship.toml").write_text(PROFILE + "timeout_s = 1\n")
    result = botship(project, "invoke", "--local", "--event", '{"sleep": 60}', cache=dependency_cache)
    assert result.returncode == 1 and "took longer than 1 s and was stopped" in result.stderr


def test_a_paper_framework_app_runs_here_without_the_keys_the_shell_or_env_file_holds(project, dependency_cache):
    # Read as a framework app (it imports the framework), while that import never runs here.
    source = (project / "app.py").read_text()
    (project / "app.py").write_text(source + "\n\ndef _app():\n    from investing_algorithm_framework import create_app\n"
                                             "    return create_app()\n")
    env = {**os.environ, "NO_COLOR": "1", "BOTSHIP_CACHE_DIR": str(dependency_cache), "EXCHANGE_API_KEY": SECRET}
    run = subprocess.run([sys.executable, "-m", "botship", "invoke", "--local", "--json", "--project", str(project)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    result = next(json.loads(line) for line in run.stdout.splitlines() if '"type": "result"' in line)
    assert result["body"]["result"]["has_secret"] is False
    # Asked for by the profile, the paper app gets them.
    (project / "botship.toml").write_text(PROFILE + "\n[profiles.dev.paper]\nsend_secrets = true\n")
    run = subprocess.run([sys.executable, "-m", "botship", "invoke", "--local", "--json", "--project", str(project)],
                         capture_output=True, text=True, timeout=300, env=env)
    result = next(json.loads(line) for line in run.stdout.splitlines() if '"type": "result"' in line)
    assert result["body"]["result"]["has_secret"] is True
