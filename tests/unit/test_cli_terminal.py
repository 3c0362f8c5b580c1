"""The interactive deploy in a real terminal (tmux): typed live confirmation, masked secret prompt, plan confirm."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from terminal import Terminal

TESTS = Path(__file__).resolve().parents[1]
LIVE = """\
[profiles.live]
platform = "fake"
bot_name = "sma-bot"
entry = "app:handler"
mode = "live"
secrets = ["EXCHANGE_API_KEY"]
"""
SECRET = "typed-secret-9f8e7d"


@pytest.fixture
def terminal_for(make_project):
    opened: list[Terminal] = []

    def start(*args: str) -> Terminal:
        project = make_project(LIVE)
        env = {"PYTHONPATH": str(TESTS), "TERM": "xterm-256color", "PATH": os.environ["PATH"],
               "HOME": str(project), "LANG": "C.UTF-8",
               "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        term = Terminal([sys.executable, str(TESTS / "fake_botship.py"), *args], project, env)
        opened.append(term)
        return term

    yield start
    for term in opened:
        term.close()


def test_interactive_live_deploy_asks_for_the_name_the_secret_and_the_plan(terminal_for):
    term = terminal_for("deploy")
    term.wait_for("Type the bot's name to confirm")
    term.type("sma-bot", "Enter")
    term.wait_for("Value for secret EXCHANGE_API_KEY")
    term.type(SECRET, "Enter")
    screen = term.wait_for("Deploy this plan?")
    assert "LIVE" in screen and "Plan: 3 create" in screen
    assert SECRET not in screen
    term.type("y")
    screen = term.wait_for("Done in")
    assert term.exit_code() == 0
    assert screen.count("✓") == 3
    assert "storing EXCHANGE_API_KEY=***" in screen and SECRET not in screen


def test_a_wrong_name_cancels_the_live_deploy(terminal_for):
    term = terminal_for("deploy")
    term.wait_for("Type the bot's name to confirm")
    term.type("sma-bo", "Enter")
    screen = term.wait_for("live deploy not confirmed")
    assert term.exit_code() == 130
    assert "Value for secret" not in screen
