"""`botship init`: the files each template makes, overwrite protection, and the plain bot run for real."""

from __future__ import annotations

import json
import re
import sqlite3
import tomllib
from pathlib import Path

import click
import pytest

from botship.cli import cli, main
from botship.errors import BadInput
from botship.init import TEMPLATES, conflicts, planned_files, scaffold
from helpers import HOST_PYTHON, run_botship

COMMON = {".botshipignore", ".env.example", ".gitignore", "app.py", "botship.toml", "prices.csv",
          "requirements.txt", "strategy.py"}
FILES = {"plain": COMMON, "iaf": COMMON | {"paper.py"}}


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("template", ["plain", "iaf"])
def test_init_creates_exactly_the_template_files_and_lists_them(template, tmp_path, capsys):
    project = tmp_path / "sma-bot"
    assert main(["init", str(project), "--template", template]) == 0
    assert files_in(project) == FILES[template]
    out = capsys.readouterr().out
    assert f"created bot 'sma-bot' in {project} from the {template} template" in out
    for name in FILES[template]:
        assert f"  + {name}\n" in out
    assert f"cd {project}" in out and "botship invoke --local" in out
    assert "botship sandbox" in out
    # What planned_files promises is what was written, byte for byte.
    assert {p.as_posix(): text for p, text in planned_files(project, template)} == \
        {name: (project / name).read_text() for name in FILES[template]}


@pytest.mark.parametrize("template", ["plain", "iaf"])
def test_ignores_keep_secrets_and_work_folders_out_and_env_example_has_names_only(template, tmp_path):
    project = tmp_path / "bot"
    scaffold(project, template)
    ignored = (project / ".gitignore").read_text().splitlines()
    assert ".env" in ignored and ".botship/" in ignored
    entries = [line for line in (project / ".env.example").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    assert entries and all(re.fullmatch(r"[A-Z][A-Z0-9_]*=", line) for line in entries), entries
    assert (project / ".botshipignore").read_text().strip()


@pytest.mark.parametrize("template", ["plain", "iaf"])
def test_the_generated_sandbox_profile_validates(template, tmp_path, capsys):
    project = tmp_path / "sma-bot"
    scaffold(project, template)
    assert main(["validate", "--profile", "sandbox", "--project", str(project)]) == 0
    assert "profile 'sandbox' is valid" in capsys.readouterr().out
    profile = tomllib.loads((project / "botship.toml").read_text())["profiles"]["sandbox"]
    assert profile["platform"] == "sandbox" and profile["mode"] == "paper" and profile["bot_name"] == "sma-bot"
    assert profile["schedule"] == "rate(5 minutes)" and profile["python"] == HOST_PYTHON
    assert profile["entry"] == {"plain": "app:handler", "iaf": "app:app"}[template]
    assert "secrets" not in profile  # deployable with no secret values at all
    assert "{{" not in "".join(text for _, text in planned_files(project, template))


def test_existing_files_are_listed_and_nothing_is_written_without_force(tmp_path, capsys):
    project = tmp_path / "mine"
    project.mkdir()
    (project / "app.py").write_text("# my own bot\n")
    (project / "botship.toml").write_text("[profiles.prod]\n")
    (project / "notes.txt").write_text("keep me\n")
    assert conflicts(project, "plain") == [Path("app.py"), Path("botship.toml")]

    assert main(["init", str(project)]) == 2
    err = capsys.readouterr().err
    assert "2 files in" in err and "would be replaced; nothing was written" in err
    assert "• app.py" in err and "• botship.toml" in err and "add --force to replace them" in err
    assert files_in(project) == {"app.py", "botship.toml", "notes.txt"}
    assert (project / "app.py").read_text() == "# my own bot\n"

    assert main(["init", str(project), "--force"]) == 0
    assert files_in(project) == COMMON | {"notes.txt"}
    assert "def handler(event, context)" in (project / "app.py").read_text()
    assert (project / "notes.txt").read_text() == "keep me\n"


def test_json_lists_created_files_and_the_refusal(tmp_path, capsys):
    project = tmp_path / "bot-json"
    assert main(["init", str(project), "--json", "-t", "iaf"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["path"] for r in records if r["type"] == "created"} == FILES["iaf"]
    (summary,) = [r for r in records if r["type"] == "project"]
    assert summary["template"] == "iaf" and summary["bot_name"] == "bot-json"
    assert summary["next_steps"][:2] == [f"cd {project}", "botship invoke --local"]

    assert main(["init", str(project), "--json"]) == 2
    (error,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert error["type"] == "error" and error["exit_code"] == 2 and "app.py" in error["why"]


def test_dir_is_created_when_missing_and_defaults_to_here(tmp_path, monkeypatch, capsys):
    nested = tmp_path / "a" / "b" / "new-bot"
    assert main(["init", str(nested)]) == 0
    assert files_in(nested) == COMMON
    here = tmp_path / "here-bot"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["init"]) == 0
    assert files_in(here) == COMMON
    assert "cd " not in capsys.readouterr().out.split("Next:")[-1]


def test_bot_name_comes_from_the_folder_or_name_and_is_checked(tmp_path, capsys):
    scaffold(tmp_path / "My Trading_Bot", "plain")
    assert 'bot_name = "my-trading-bot"' in (tmp_path / "My Trading_Bot" / "botship.toml").read_text()
    scaffold(tmp_path / "x", "plain")  # too short for a bot name: a valid default instead
    assert 'bot_name = "my-bot"' in (tmp_path / "x" / "botship.toml").read_text()
    assert main(["init", str(tmp_path / "named"), "--name", "alpha-7"]) == 0
    assert '"bot": "alpha-7"' in (tmp_path / "named" / "app.py").read_text()
    assert main(["init", str(tmp_path / "bad"), "--name", "Bad_Name"]) == 2
    assert "cannot be a bot's name" in capsys.readouterr().err and not (tmp_path / "bad").exists()


def test_template_choice_is_checked_by_click_and_matches_the_templates(tmp_path, capsys):
    assert main(["init", str(tmp_path / "bot"), "--template", "nope"]) == 2
    assert "'nope' is not one of 'plain', 'iaf'" in capsys.readouterr().err
    assert not (tmp_path / "bot").exists()
    option = next(p for p in cli.commands["init"].params if p.name == "template")
    assert isinstance(option.type, click.Choice) and sorted(option.type.choices) == sorted(TEMPLATES)


def test_help_teaches_what_is_created_both_templates_and_next_steps(capsys):
    assert main(["init", "--help"]) == 0
    out = capsys.readouterr().out
    for text in (".gitignore", ".env.example", ".botshipignore", "botship.toml", "sandbox", "plain", "iaf",
                 "--force", "botship invoke --local", "botship sandbox", "container image"):
        assert text in out, text


def test_a_file_where_the_folder_should_be_is_bad_input(tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    assert main(["init", str(tmp_path / "taken")]) == 2
    assert "is a file" in capsys.readouterr().err
    with pytest.raises(BadInput, match="is a file, not a folder"):
        scaffold(tmp_path / "taken", "plain")


# ---- the plain bot, run for real through local invoke ------------------------------------------

def test_plain_bot_advances_a_tick_per_run_and_keeps_its_trades_in_sqlite(tmp_path, dependency_cache):
    project = tmp_path / "sma-bot"
    scaffold(project, "plain")
    results = []
    for _ in range(3):
        run = run_botship("invoke", "--local", "--json", project=project, cache=dependency_cache)
        assert run.returncode == 0, run.stdout + run.stderr
        (result,) = [r for r in map(json.loads, run.stdout.splitlines()) if r["type"] == "result"]
        assert result["status_code"] == 200 and result["body"]["mode"] == "paper"
        results.append(result["body"]["result"])
    assert [r["tick"] for r in results] == [1, 2, 3]
    # The feed is deterministic: the averages cross upwards on the first tick, then the bot holds.
    assert [r["signal"] for r in results] == ["buy", "hold", "hold"]
    assert all(r["trades"] == 1 and r["position"] > 0 and r["cash"] == 0 for r in results)
    assert results[0]["equity"] == 1000.0 and len({r["price"] for r in results}) == 3

    state_db = project / ".botship" / "local-run" / "sandbox" / "state" / "state.db"
    with sqlite3.connect(state_db) as db:
        assert db.execute("SELECT tick, cash FROM account").fetchall() == [(3, 0.0)]
        trades = db.execute("SELECT tick, side, symbol, price, mode FROM trades").fetchall()
        positions = db.execute("SELECT symbol, opened_tick FROM positions").fetchall()
    assert trades == [(1, "buy", "BTC/EUR", results[0]["price"], "paper")]
    assert positions == [("BTC/EUR", 1)]
    manifest = json.loads((project / ".botship" / "local-state" / "sandbox" / "paper" / "manifest.json").read_text())
    assert set(manifest["files"]) == {"state.db"}

    # A new container starts from the saved state, not from the folder left behind.
    cold = run_botship("invoke", "--local", "--json", "--cold", project=project, cache=dependency_cache)
    (result,) = [r for r in map(json.loads, cold.stdout.splitlines()) if r["type"] == "result"]
    assert result["body"]["result"]["tick"] == 4 and result["body"]["files"]["downloaded"] == 1


def test_plain_bot_refuses_live_mode_instead_of_pretending(tmp_path, dependency_cache):
    project = tmp_path / "sma-bot"
    scaffold(project, "plain")
    toml = (project / "botship.toml").read_text().replace('mode = "paper"', 'mode = "live"')
    (project / "botship.toml").write_text(toml)
    run = run_botship("invoke", "--local", "--confirm-live", project=project, cache=dependency_cache)
    assert run.returncode == 1
    assert "status 500" in run.stdout and "trades on paper only" in run.stdout
    assert not (project / ".botship" / "local-run" / "sandbox" / "state" / "state.db").exists()
