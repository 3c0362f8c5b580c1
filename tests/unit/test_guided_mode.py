"""`botship deploy --guided` in a real terminal (tmux): the mode question says what paper means for this bot, and
what going live means, in botship.mode_check's words."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from terminal import Terminal

TESTS = Path(__file__).resolve().parents[1]
READS = 'import os\n\n\ndef handler(event, context):\n    return {"mode": os.environ.get("BOTSHIP_MODE")}\n'


@pytest.fixture
def guided(make_project, tmp_path):
    opened: list[Terminal] = []

    def start(app_py: str | None = None) -> Terminal:
        project = make_project(env="EXCHANGE_API_KEY=k\n")
        if app_py is not None:
            (project / "app.py").write_text(app_py)
        env = {"PYTHONPATH": str(TESTS), "TERM": "xterm-256color", "PATH": os.environ["PATH"],
               "HOME": str(tmp_path), "LANG": "C.UTF-8", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        term = Terminal([sys.executable, str(TESTS / "fake_botship.py"), "deploy", "--guided"], project, env)
        opened.append(term)
        return term

    yield start
    for term in opened:
        term.close()


def to_the_mode_question(term: Terminal) -> str:
    for prompt, keys in (("Where should the bot run?", ("Down", "Down", "Down", "Enter")), ("? Bot name:", ("Enter",)),
                         ("Entry point (found", ("Enter",)), ("? Python:", ("Enter",))):
        term.wait_for(prompt, timeout=10)
        term.type(*keys)
    return term.wait_for("Paper or live?", timeout=10)


def test_a_plain_bot_that_never_reads_the_mode_is_warned_and_told_what_live_means(guided):
    term = guided()
    screen = to_the_mode_question(term)
    assert ("paper for this bot: WARNING: this bot never reads BOTSHIP_MODE: in paper mode it runs exactly as in "
            "live mode — botship cannot stop a plain bot's orders; read BOTSHIP_MODE in the bot") in screen
    assert "Paper — what it means for this bot: below" in screen
    term.type("Down", "Enter")  # live
    screen = term.wait_for("to confirm LIVE mode", timeout=10)
    assert "will trade real money on Fake cloud, when invoked, with the secrets EXCHANGE_API_KEY." in screen
    assert "state: paper and live never share it — the paper state stays under paper/" in screen
    assert ("first live run: the bot runs with BOTSHIP_MODE=live and the secrets (EXCHANGE_API_KEY); it never reads "
            "BOTSHIP_MODE, so it does exactly what it did in paper mode") in screen
    term.type("C-c")
    term.wait_for("cancelled", timeout=10)
    assert term.exit_code(timeout=10) == 130


def test_a_plain_bot_that_reads_the_mode_is_told_so(guided):
    term = guided(READS)
    screen = to_the_mode_question(term)
    assert "paper for this bot: botship tells the bot BOTSHIP_MODE=paper; app.py reads it" in screen
    assert "WARNING" not in screen
    term.type("C-c")
    assert term.exit_code(timeout=10) == 130
