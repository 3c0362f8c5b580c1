"""Every bots command teaches itself: its --help exits 0, says what BOT is, and shows examples that name it."""

from __future__ import annotations

import pytest

from botship.cli import main

COMMANDS = [["bots"], ["status"], ["logs"], ["runs"], ["history"], ["pause"], ["resume"], ["stop-entries"],
            ["flatten"], ["resume-entries"], ["rollback"], ["trades"], ["state", "ls"], ["state", "get"],
            ["state", "versions"], ["state", "restore"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_each_bots_command_has_help_with_an_example(command, capsys):
    assert main([*command, "--help"]) == 0
    shown = capsys.readouterr().out
    assert f"Usage: botship {' '.join(command)}" in shown
    examples = shown.split("Examples:", 1)[1].split("Options:", 1)[0] if "Examples:" in shown else ""
    assert f"botship {' '.join(command)} " in examples, shown
    if command != ["bots"]:
        assert "BOT" in shown and "--platform" in shown and "--where" in shown and "--json" in shown
    assert "--region" in shown


def test_the_changing_commands_offer_yes_and_say_what_a_live_bot_needs(capsys):
    for command in (["pause"], ["resume"], ["stop-entries"], ["flatten"], ["resume-entries"], ["rollback"],
                    ["state", "restore"]):
        assert main([*command, "--help"]) == 0
        assert "--yes" in capsys.readouterr().out, command
    for command in (["flatten"], ["rollback"]):
        main([*command, "--help"])
        assert "LIVE bot" in capsys.readouterr().out.replace("\n  ", " "), command


def test_the_top_level_help_lists_the_bots_commands(capsys):
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    for name in ("bots", "status", "logs", "runs", "history", "pause", "resume", "stop-entries", "flatten",
                 "resume-entries", "rollback", "trades", "state"):
        assert f"\n  {name} " in listed, name
