"""The wizard and `deploy --guided` draw one deploy session: the same answers through each give the same spec
and the same saved profile, byte for byte."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from botship.profiles import ProfileStore
from terminal import Terminal
from tui_flow import make_app, settle, start

pytestmark = pytest.mark.asyncio
TESTS = Path(__file__).resolve().parents[1]
DOTENV = "MARKET=x\nEXCHANGE_API_KEY=a-long-enough-secret-value\n"


def bot_folder(root: Path) -> Path:
    project = root / "bot"
    shutil.copytree(TESTS / "bots" / "counter", project)
    (project / ".env").write_text(DOTENV)
    return project


def through_the_prompts(project: Path, home: Path) -> None:
    env = {"PYTHONPATH": str(TESTS), "TERM": "xterm-256color", "PATH": os.environ["PATH"], "HOME": str(home),
           "LANG": "C.UTF-8", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    term = Terminal([sys.executable, str(TESTS / "fake_botship.py"), "deploy", "--guided"], project, env)
    try:
        for prompt, keys in (
                ("Where should the bot run?", ("Down", "Down", "Down", "Enter")),
                ("? Bot name: bot", ("C-u", "sma-bot", "Enter")),
                ("1) app:handler  (handler in app.py)", ("Enter",)),
                ("? Python:", ("Enter",)),
                ("Paper or live?", ("Enter",)),
                ("Pass MARKET (from .env) to the bot?", ("y",)),
                ("Is MARKET a secret? (y/N)", ("Enter",)),
                ("Pass EXCHANGE_API_KEY (from .env) to the bot?", ("y",)),
                ("Is EXCHANGE_API_KEY a secret?", ("Enter",)),
                ("Add a variable", ("Enter",)),
                ("? Memory (MB): 512", ("C-u", "1024", "Enter")),
                ("? Timeout (s): 300", ("C-u", "60", "Enter")),
                ("? /tmp space (MB): 512", ("Enter",)),
                ("When should the bot run?", ("5", "Enter")),  # daily at a time
                ("? Daily at (HH:MM): 09:00", ("C-u", "09:30", "Enter")),
                ("? Time zone: UTC", ("C-u", "Europe/Amsterdam", "Enter")),
                ("? Profile name: paper", ("Enter",)),
                ("Deploy this plan?", ("y",))):
            term.wait_for(prompt, timeout=15)
            term.type(*keys)
        term.wait_for("Saved profile 'paper' in botship.toml.", timeout=20)
        assert term.exit_code(timeout=10) == 0
    finally:
        term.close()


async def next_step(pilot) -> None:
    await pilot.press("ctrl+n")
    await settle(pilot)


async def through_the_wizard(project: Path) -> None:
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "fake")
        screen = pilot.app.screen
        await next_step(pilot)  # credentials
        await next_step(pilot)  # bot
        screen.query_one("#bot-name", Input).value = "sma-bot"
        screen.query_one("#entry-choice", Select).value = "app:handler"
        await pilot.pause()
        await next_step(pilot)  # mode
        await next_step(pilot)  # environment: MARKET plain, EXCHANGE_API_KEY proposed as secret
        await next_step(pilot)  # size and schedule
        screen.query_one("#memory-mb", Input).value = "1024"
        screen.query_one("#timeout-s", Input).value = "60"
        screen.query_one("#schedule-preset", Select).value = "daily"
        await pilot.pause()
        screen.query_one("#daily-at", Input).value = "09:30"
        screen.query_one("#timezone", Input).value = "Europe/Amsterdam"
        await pilot.pause()
        await next_step(pilot)  # review
        assert screen.section.key == "review" and screen.section.ready()
        await next_step(pilot)  # deploy
        assert "Deployed sma-bot" in str(pilot.app.screen.query_one("#run-outcome").render())
        await pilot.press("s")
        await pilot.pause()
        assert pilot.app.screen.query_one("#profile-name", Input).value == "paper"
        await pilot.press("enter")
        await settle(pilot)


async def test_the_same_answers_through_the_wizard_and_the_prompts_save_the_same_profile(tmp_path, fake_cloud):
    guided, wizard = bot_folder(tmp_path / "guided"), bot_folder(tmp_path / "wizard")
    home = tmp_path / "home"
    home.mkdir()
    through_the_prompts(guided, home)
    await through_the_wizard(wizard)

    saved = (guided / "botship.toml").read_bytes()
    assert b"a-long-enough-secret-value" not in saved
    assert (wizard / "botship.toml").read_bytes() == saved
    assert ProfileStore(wizard).spec("paper") == ProfileStore(guided).spec("paper")
    spec = ProfileStore(guided).spec("paper")
    assert (spec.platform, spec.bot_name, spec.entry, spec.memory_mb, spec.timeout_s) == (
        "fake", "sma-bot", "app:handler", 1024, 60)
    assert (spec.schedule, spec.timezone, spec.env, spec.secrets) == (
        "cron(30 9 * * ? *)", "Europe/Amsterdam", {"MARKET": "x"}, ["EXCHANGE_API_KEY"])
