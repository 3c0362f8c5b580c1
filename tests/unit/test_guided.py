"""`botship deploy --guided` in a real terminal (tmux): the wizard's questions as line prompts, then deploy and save."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from botship.record import load_records
from helpers import run_botship
from terminal import Terminal

TESTS = Path(__file__).resolve().parents[1]
SECRET = "secretvalue"
DOTENV = f"MARKET=x\nEXCHANGE_API_KEY={SECRET}\n"
PAPER = """\
[profiles.paper]
platform = "fake"
bot_name = "sma-bot"
entry = "app:handler"
memory_mb = 2048
timeout_s = 60
schedule = "cron(30 9 * * ? *)"
timezone = "Europe/Amsterdam"
env = { MARKET = "x" }
secrets = ["EXCHANGE_API_KEY"]
"""


@pytest.fixture
def guided(make_project, tmp_path):
    """`botship deploy --guided` (the fake cloud registered as platform "fake") in a tmux terminal, in a project with a .env."""
    opened: list[Terminal] = []

    def start(*args: str, toml: str = "") -> tuple[Terminal, Path]:
        project = make_project(toml, env=DOTENV)
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        env = {"PYTHONPATH": str(TESTS), "TERM": "xterm-256color", "PATH": os.environ["PATH"],
               "HOME": str(home), "LANG": "C.UTF-8",
               # A file keyring in the test's own HOME, so remembering a secret is asked and can be checked.
               "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
        term = Terminal([sys.executable, str(TESTS / "fake_botship.py"), "deploy", "--guided", *args], project, env)
        opened.append(term)
        return term, project

    yield start
    for term in opened:
        term.close()


def answer(term: Terminal, prompt: str, *keys: str) -> str:
    """Wait for `prompt`, then type `keys`; the screen as it was when the prompt appeared."""
    screen = term.wait_for(prompt, timeout=10)
    term.type(*keys)
    return screen


def test_guided_deploy_asks_every_question_deploys_and_saves_a_profile(guided):
    term, project = guided()
    # Platform: AWS first, Azure, the sandbox, then the fake cloud.
    screen = answer(term, "Where should the bot run?", "Down", "Down", "Down", "Enter")
    assert "platform: where the bot runs" in screen  # the field's description is the help
    assert "Azure Functions" in screen and "coming" not in screen
    screen = term.wait_for("✓ identity: fake account", timeout=10)
    assert "Fake cloud needs no account." in screen

    # Bot name: proposed from the folder, checked as typed with the spec's own rule.
    screen = answer(term, "? Bot name: bot", "C-u", "Bad_Name")
    assert "bot_name: the bot's name, 2–32 lower-case letters" in screen
    term.wait_for("only lower-case letters, digits and hyphens are allowed", timeout=10)
    term.type("C-u", "sma-bot", "Enter")
    screen = answer(term, "Entry point (found by reading the project's files)", "Down", "Enter")
    assert "app:app  (app in app.py)" in screen and "app:handler  (handler in app.py)" in screen
    answer(term, "? Python:", "Enter")
    screen = answer(term, "Paper or live?", "Enter")
    assert "Packaging" not in screen  # images are AWS only

    # Environment from .env: the key is proposed as secret, MARKET as plain.
    answer(term, "Pass MARKET (from .env) to the bot?", "y")
    answer(term, "Is MARKET a secret? (y/N)", "Enter")
    answer(term, "Pass EXCHANGE_API_KEY (from .env) to the bot?", "y")
    answer(term, "Is EXCHANGE_API_KEY a secret? (its name looks like one) (Y/n)", "Enter")
    answer(term, "Add a variable — its name (Enter when done):", "Enter")
    screen = answer(term, "Remember the value of EXCHANGE_API_KEY in this computer's keyring", "y")
    assert "EXCHANGE_API_KEY  ••••••••  (secret)" in screen

    # Size, with the platform's limits; schedule with its preview.
    screen = answer(term, "? Memory (MB): 512", "C-u", "99999")
    assert "Limits on this platform: memory_mb 128–10240" in screen
    assert "memory_mb: memory for each run in MB (AWS Lambda and Sandbox" in screen  # its help, limits from data
    term.wait_for("must be between 128 and 10240 on Fake cloud (got 99999)", timeout=10)
    term.type("C-u", "1024", "Enter")
    answer(term, "? Timeout (s): 300", "Enter")
    answer(term, "? /tmp space (MB): 512", "Enter")
    answer(term, "When should the bot run?", "3", "Enter")  # every 15 minutes
    answer(term, "? Time zone: UTC", "Enter")
    screen = term.wait_for("every 15 minutes (rate(15 minutes)) — the next runs:", timeout=10)
    assert screen.count(" UTC\n") >= 5

    # Review: profile name, plan, confirmation, run, saved profile.
    answer(term, "? Profile name: paper", "Enter")
    screen = answer(term, "Deploy this plan?", "y")
    assert "PAPER" in screen and "Plan: 4 create" in screen
    screen = term.wait_for("Saved profile 'paper' in botship.toml.", timeout=10)
    assert term.exit_code(timeout=10) == 0
    screen = term.screen()
    assert "Done in" in screen and screen.count("✓") >= 5
    assert "storing EXCHANGE_API_KEY=***" in screen
    assert "Remembered EXCHANGE_API_KEY in this computer's keyring." in screen
    assert "botship deploy --profile paper" in screen
    assert SECRET not in screen

    text = (project / "botship.toml").read_text()
    assert SECRET not in text
    saved = tomllib.loads(text)["profiles"]["paper"]
    assert saved["platform"] == "fake" and saved["bot_name"] == "sma-bot" and saved["entry"] == "app:handler"
    assert saved["secrets"] == ["EXCHANGE_API_KEY"]
    assert saved["env"] == {"MARKET": "x"}
    assert saved["memory_mb"] == 1024 and saved["schedule"] == "rate(15 minutes)" and saved["mode"] == "paper"
    remembered = PlaintextKeyring()
    remembered.file_path = str(next((project.parent / "home").rglob("keyring_pass.cfg")))
    assert remembered.get_password("botship", "sma-bot/EXCHANGE_API_KEY") == SECRET

    record = load_records(project)["paper"]
    assert record.status == "ok" and record.bot_name == "sma-bot" and record.mode == "paper"
    for journal in (project / ".botship" / "runs").glob("*.jsonl"):
        assert SECRET not in journal.read_text()


def test_guided_with_a_profile_starts_from_its_answers(guided):
    term, project = guided("--profile", "paper", "--yes", toml=PAPER)
    for prompt in ("? Where should the bot run?", "? Bot name: sma-bot", "Entry point (found", "? Python:",
                   "Paper or live?", "Pass MARKET (from profile 'paper') to the bot?", "Is MARKET a secret? (y/N)",
                   "Pass EXCHANGE_API_KEY (from .env) to the bot?",
                   "Is EXCHANGE_API_KEY a secret? (its name looks like one) (Y/n)",
                   "Add a variable", "Remember the value of EXCHANGE_API_KEY", "? Memory (MB): 2048",
                   "? Timeout (s): 60", "? /tmp space (MB): 512", "When should the bot run?",
                   "? Daily at (HH:MM): 09:30", "? Time zone: Europe/Amsterdam"):
        answer(term, prompt, "Enter")
    screen = answer(term, "? Profile name: paper", "Enter")
    assert "at 09:30 every day (cron(30 9 * * ? *)) — the next runs:" in screen
    # The entry select starts at the profile's entry (app:handler), not at the first one found (app:app).
    assert "? Entry point (found by reading the project's files): app:handler  (handler in app.py)" in screen
    screen = term.wait_for("Updated profile 'paper' in botship.toml.", timeout=10)
    assert term.exit_code(timeout=10) == 0
    assert "Deploy this plan?" not in screen  # --yes
    assert "replaces the existing profile" not in screen
    saved = tomllib.loads((project / "botship.toml").read_text())["profiles"]["paper"]
    assert saved["entry"] == "app:handler" and saved["memory_mb"] == 2048 and saved["timeout_s"] == 60
    assert saved["schedule"] == "cron(30 9 * * ? *)" and saved["timezone"] == "Europe/Amsterdam"
    assert saved["secrets"] == ["EXCHANGE_API_KEY"] and saved["env"] == {"MARKET": "x"}


def test_ctrl_c_at_a_question_cancels_and_saves_nothing(guided):
    term, project = guided()
    answer(term, "Where should the bot run?", "Down", "Down", "Down", "Enter")
    answer(term, "? Bot name:", "C-c")
    screen = term.wait_for("cancelled", timeout=10)
    assert "nothing was changed" in screen
    assert term.exit_code(timeout=10) == 130
    assert not (project / "botship.toml").exists()


def test_guided_without_a_terminal_says_what_to_use_instead(make_project):
    project = make_project(env=DOTENV)
    result = run_botship("deploy", "--guided", project=project)
    assert result.returncode == 2
    assert "--guided asks its questions on an interactive terminal" in result.stderr
    assert "botship deploy --profile NAME --yes" in result.stderr
    assert not (project / "botship.toml").exists()
