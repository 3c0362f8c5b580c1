"""The deploy session both front ends draw: what is asked, what a platform switch clears, where secret values
come from, what the credentials check is given.

Secret values are asked for only when the bot will be given them: a paper framework app is given none
(botship keeps its keys back), so its review plans without asking; live, or a plain bot, it asks."""

from __future__ import annotations

from pathlib import Path

from botship.session import DeploySession, Variable

FRAMEWORK = 'from investing_algorithm_framework import create_app\n\napp = create_app()\n'
PLAIN = 'def app(event, context):\n    return 1\n'


def state(tmp_path: Path, source: str, **answers) -> DeploySession:
    (tmp_path / "app.py").write_text(source)
    return DeploySession(tmp_path, {"mode": "paper", "entry": "app:app", **answers},
                         [Variable("BITVAVO_API_KEY", "", True), Variable("MARKET", "bitvavo", False)])


def test_a_paper_framework_app_needs_no_secret_values(tmp_path):
    assert state(tmp_path, FRAMEWORK).missing_secrets() == []


def test_live_or_asked_for_secrets_need_their_values(tmp_path):
    assert state(tmp_path, FRAMEWORK, mode="live").missing_secrets() == ["BITVAVO_API_KEY"]
    assert state(tmp_path, FRAMEWORK, paper={"send_secrets": True}).missing_secrets() == ["BITVAVO_API_KEY"]


def test_a_plain_bot_needs_its_secret_values_in_paper_mode(tmp_path):
    assert state(tmp_path, PLAIN).missing_secrets() == ["BITVAVO_API_KEY"]
