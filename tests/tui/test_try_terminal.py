"""The README's first command in a real terminal: `scripts/try` makes the example bot, opens the wizard
on the sandbox, deploys, and Invoke now shows the bot's result and its state files."""

from __future__ import annotations

from pathlib import Path

from terminal import Terminal, terminal_env

ROOT = Path(__file__).resolve().parents[2]


def test_scripts_try_deploys_and_invokes_the_example_bot_on_the_sandbox(tmp_path, dependency_cache):
    bot = tmp_path / "example-bot"
    env = terminal_env(tmp_path, BOTSHIP_TRY_DIR=str(bot), BOTSHIP_CACHE_DIR=str(dependency_cache))
    term = Terminal(["bash", str(ROOT / "scripts" / "try")], tmp_path, env, width=110, height=40)
    try:
        term.wait_for("Where should the bot run?", timeout=120)
        term.type("Enter")  # the sandbox is preselected: Enter picks it and goes on
        term.wait_for("AWS emulator inside botship", timeout=60)
        term.next_through_the_wizard()
        screen = term.wait_for("Deployed example-bot", timeout=90)
        assert "PAPER" in screen and "vanish when it closes" in screen
        term.type("i")
        screen = term.wait_for("run ok", timeout=60)
        term.wait_for("state.db")
        term.type("C-q")  # the sandbox holds a bot: quitting asks first
        term.wait_for("To keep a bot's state, go back")
        term.type("y")
        assert term.exit_code() == 0
    finally:
        term.close()
    assert (bot / "botship.toml").is_file() and (bot / ".gitignore").is_file()
