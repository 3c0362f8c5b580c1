"""The headless CLI: exit codes, plans, confirmations, JSON Lines, journals and records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from botship.cli import main

SANDBOX = """\
[profiles.try]
platform = "sandbox"
bot_name = "sma-bot"
entry = "app:handler"
schedule = "rate(15 minutes)"
env = { MARKET = "bitvavo" }
secrets = ["EXCHANGE_API_KEY"]
"""
SECRET = "cli-secret-value-42"
# The same bot on the fake cloud (registered as platform "fake" by the fake_cloud fixture and fake_botship.py).
FAKE = SANDBOX.replace('platform = "sandbox"', 'platform = "fake"')


def botship(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command in a fresh process, as a user or CI runs it."""
    return subprocess.run([sys.executable, "-m", "botship", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})}, timeout=60)


@pytest.fixture
def project(make_project, monkeypatch):
    monkeypatch.setenv("EXCHANGE_API_KEY", SECRET)
    return make_project(FAKE)


@pytest.fixture
def sandbox_project(make_project):
    return make_project(SANDBOX)


def test_validate_reports_ten_mistakes_by_field_and_exits_2(make_project):
    project = make_project("""\
        [profiles.bad]
        platform = "aws"
        bot_name = "My_Bot"
        entry = "app:run_bot"
        python = "3.9"
        packaging = "docker"
        memory_mb = 20000
        timeout_s = 0
        schedule = "every 5 minutes"
        timezone = "Europe/Amsterdm"
        mode = "real"
        [profiles.bad.aws]
        region = "europe"
        """)
    result = botship("validate", "--profile", "bad", "--project", str(project))
    assert result.returncode == 2
    lines = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    fields = [line.split(": ")[1] for line in lines]
    assert fields == ["bot_name", "entry", "python", "packaging", "schedule", "timezone", "mode",
                      "aws.region", "memory_mb", "timeout_s"]
    assert "10 problem(s)" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_json_lists_problems(make_project):
    project = make_project('[profiles.x]\nplatform = "sandbox"\nbot_name = "ok-bot"\nentry = "app:handler"\n'
                           'memory_mb = 1\n', env="GOOD=1\nBAD-NAME=2\n")
    result = botship("validate", "--json", "--project", str(project))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 2
    assert {(r.get("field"), r["type"]) for r in records} == {(".env line 2", "problem"), ("memory_mb", "problem")}


def test_validate_passes_a_good_project(sandbox_project):
    result = botship("validate", "--project", str(sandbox_project))
    assert result.returncode == 0 and "profile 'try' is valid" in result.stdout


def test_no_arguments_prints_help_and_python_m_works():
    result = botship()
    assert result.returncode == 0
    assert "deploy" in result.stdout and "validate" in result.stdout and "Exit codes" in result.stdout


def test_bad_usage_exits_2_without_a_traceback(sandbox_project):
    project = sandbox_project
    result = botship("deploy", "--no-such-flag", "--project", str(project))
    assert result.returncode == 2 and "No such option" in result.stderr and "Traceback" not in result.stderr
    result = botship("deploy", "--project", str(project / "missing"))
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_a_platform_without_a_provider_is_bad_input(make_project, capsys):
    from botship import providers

    project = make_project('[profiles.p]\nplatform = "azure"\nbot_name = "ok-bot"\nentry = "app:handler"\n'
                           '[profiles.p.azure]\nsubscription_id = "00000000-0000-0000-0000-000000000000"\n'
                           'resource_group = "bots"\nlocation = "westeurope"\n')
    # A platform listed without its provider (as Azure was before it shipped) is said as such, not a traceback.
    previous = providers.register("azure", None)
    try:
        assert main(["deploy", "--yes", "--project", str(project)]) == 2
    finally:
        providers.restore("azure", previous)
    assert "no provider for platform 'azure'" in capsys.readouterr().err


def test_dry_run_shows_the_plan_with_its_mode_and_changes_nothing(project, fake_cloud, capsys):
    assert main(["deploy", "--profile", "try", "--project", str(project), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "PAPER" in out and "Deploy sma-bot to the fake cloud" in out
    assert "+ create" in out and "Plan: 4 create" in out and "nothing was changed" in out
    assert fake_cloud.writes == []
    assert not (project / ".botship" / "runs").exists()


def test_deploy_needs_yes_when_nobody_can_confirm(project, fake_cloud, capsys):
    assert main(["deploy", "--project", str(project)]) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert fake_cloud.writes == []


def test_deploy_with_yes_runs_every_step_journals_and_records(project, fake_cloud, capsys):
    assert main(["deploy", "--project", str(project), "--yes"]) == 0
    out = capsys.readouterr().out
    assert out.count("✓") == 4 and "Done in" in out and "Done in" in out and " PAPER " in out.split("Done in")[1]
    assert "storing EXCHANGE_API_KEY=***" in out and SECRET not in out
    journals = list((project / ".botship" / "runs").glob("*-try.jsonl"))
    assert len(journals) == 1
    text = journals[0].read_text()
    assert SECRET not in text
    assert [json.loads(line)["type"] for line in text.splitlines()][:2] == ["plan", "run_started"]
    record = json.loads((project / ".botship" / "records" / "try.json").read_text())
    assert record["status"] == "ok" and record["mode"] == "paper" and record["where"] == "Fake cloud"

    assert main(["deploy", "--project", str(project), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Everything is up to date" in out and "✓" not in out
    assert len(fake_cloud.writes) == 4


def test_json_output_is_json_lines_of_the_engine_events(project, fake_cloud, capsys):
    assert main(["deploy", "--project", str(project), "--yes", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [r["type"] for r in records]
    assert kinds[0] == "plan" and kinds[1] == "run_started" and kinds[-1] == "run_finished"
    assert records[0]["mode"] == "paper"
    assert records[-1]["status"] == "ok"
    assert SECRET not in json.dumps(records)


def test_a_failed_step_exits_1_and_says_what_to_do(project, fake_cloud, capsys):
    from botship.errors import BotshipError

    fake_cloud.fail["sma-bot-function"] = BotshipError("function rejected", "memory over quota", "ask for a quota raise")
    assert main(["deploy", "--project", str(project), "--yes"]) == 1
    out = capsys.readouterr().out
    assert "✗ Function" in out and "→ ask for a quota raise" in out and "Re-running is safe" in out
    assert not (project / ".botship" / "records" / "try.json").exists()


def test_live_needs_explicit_confirmation(make_project, fake_cloud, monkeypatch, capsys):
    monkeypatch.setenv("EXCHANGE_API_KEY", SECRET)
    project = make_project(SANDBOX.replace('secrets =', 'mode = "live"\nsecrets ='))
    assert main(["deploy", "--project", str(project), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "LIVE mode" in err and "--confirm-live" in err
    assert fake_cloud.writes == []

    assert main(["deploy", "--project", str(project), "--dry-run"]) == 0
    assert "LIVE" in capsys.readouterr().out

    assert main(["deploy", "--project", str(project), "--yes", "--confirm-live"]) == 0
    assert json.loads((project / ".botship" / "records" / "try.json").read_text())["mode"] == "live"


def test_a_missing_secret_is_named_before_any_cloud_call(make_project, fake_cloud, monkeypatch, capsys):
    monkeypatch.delenv("EXCHANGE_API_KEY", raising=False)
    project = make_project(SANDBOX)
    assert main(["deploy", "--project", str(project), "--yes"]) == 2
    assert "no value for secret EXCHANGE_API_KEY" in capsys.readouterr().err
    assert fake_cloud.writes == []


def test_profiles_list_show_and_delete(project, fake_cloud, capsys):
    main(["deploy", "--project", str(project), "--yes"])
    capsys.readouterr()
    assert main(["profiles", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "try" in out and "fake" in out and "PAPER" in out and "Fake cloud" in out

    assert main(["profiles", "show", "try", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "rate(15 minutes) (UTC)" in out and "MARKET=bitvavo" in out and "EXCHANGE_API_KEY" in out

    assert main(["profiles", "--project", str(project), "delete", "try"]) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert main(["profiles", "--project", str(project), "delete", "try", "--yes"]) == 0
    assert "still running" in capsys.readouterr().out
    assert "[profiles.try]" not in (project / "botship.toml").read_text()


def test_completion_script_knows_the_command():
    result = botship("completion", "bash")
    assert result.returncode == 0 and "_BOTSHIP_COMPLETE" in result.stdout


def test_ctrl_c_cancels_cleanly_between_calls_and_exits_130(project):
    import signal

    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).parents[1] / "fake_botship.py"), "deploy", "--yes", "--json",
         "--project", str(project)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "FAKE_HOLD": "sma-bot-secret", "PYTHONPATH": str(Path(__file__).parents[1])})
    seen = []
    for line in process.stdout:
        seen.append(json.loads(line))
        if seen[-1]["type"] == "step_started" and seen[-1]["step"] == "sma-bot-secret":
            break
    process.send_signal(signal.SIGINT)
    rest, err = process.communicate(timeout=30)
    seen += [json.loads(line) for line in rest.splitlines()]

    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert [e["type"] for e in seen][-2:] == ["step_cancelled", "run_finished"]
    assert seen[-1]["status"] == "cancelled"
    assert not any(e.get("step") == "sma-bot-function" for e in seen)


def test_profile_names_complete_in_the_shell(project):
    result = botship(cwd=project, env={"_BOTSHIP_COMPLETE": "bash_complete", "COMP_WORDS": "botship deploy --profile ",
                                       "COMP_CWORD": "3"})
    assert result.returncode == 0 and "plain,try" in result.stdout


def test_profiles_keys_and_schema_teach_the_file_format(make_project):
    project = make_project()
    result = botship("profiles", "--project", str(project), "keys")
    assert result.returncode == 0
    assert "aws.region" in result.stdout and "[paper | live]" in result.stdout and "default 'paper'" in result.stdout
    schema = json.loads(botship("profiles", "--project", str(project), "schema").stdout)
    spec_schema = schema["$defs"]["DeploySpec"]
    assert spec_schema["properties"]["mode"]["default"] == "paper"
    assert set(spec_schema["required"]) == {"platform", "bot_name", "entry"}
