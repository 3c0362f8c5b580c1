"""The wizard's mode step says what paper means for this bot (enforced, announced, or a warning), and what going
live means — in botship.mode_check's words."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from botship.mode_check import live_switch_lines
from tui_flow import make_app, start, text, to_step

pytestmark = pytest.mark.asyncio

PLAIN = 'def handler(event, context):\n    return {"ok": True}\n'
READS = 'import os\n\n\ndef handler(event, context):\n    return {"mode": os.environ.get("BOTSHIP_MODE")}\n'
FRAMEWORK = ('from investing_algorithm_framework import create_app\n\napp = create_app()\n'
             'app.add_market(market="BITVAVO", trading_symbol="EUR", initial_balance=1000)\n')


def bot(tmp_path: Path, source: str) -> Path:
    project = tmp_path / "sma-bot"
    project.mkdir()
    (project / "app.py").write_text(source)
    return project


async def mode_step(pilot):
    await start(pilot, "fake")
    await to_step(pilot, "mode")
    return pilot.app.screen


async def test_a_plain_bot_that_never_reads_the_mode_is_warned(tmp_path, fake_cloud):
    async with make_app(bot(tmp_path, PLAIN)).run_test(size=(100, 30)) as pilot:
        screen = await mode_step(pilot)
        note = screen.query_one("#paper-note", Static)
        shown = text(screen, "#paper-note")
        assert note.has_class("warning") and note.display
        assert "WARNING" in shown and "this bot never reads BOTSHIP_MODE" in shown
        assert "botship cannot stop a plain bot's orders" in shown
        assert "→ read BOTSHIP_MODE in the bot" in shown
        await pilot.click("#mode-live")
        await pilot.pause()
        summary = text(screen, "#live-summary")
        assert "will trade real money" in summary
        for line in live_switch_lines({"entry": "app:handler"}, screen.state.project):
            assert f"• {line}" in summary
        assert "it never reads BOTSHIP_MODE, so it does exactly what it did in paper mode" in summary


async def test_a_framework_app_is_told_paper_is_enforced(tmp_path, fake_cloud):
    async with make_app(bot(tmp_path, FRAMEWORK)).run_test(size=(100, 30)) as pilot:
        screen = await mode_step(pilot)
        shown = text(screen, "#paper-note")
        assert not screen.query_one("#paper-note").has_class("warning")
        assert "paper is enforced: botship's paper exchange fills the orders" in shown and "WARNING" not in shown
        await pilot.click("#mode-live")
        await pilot.pause()
        summary = text(screen, "#live-summary")
        assert "the framework syncs its portfolio from the exchange's balances" in summary
        assert "empty live/ state" in summary


async def test_a_plain_bot_that_reads_the_mode_is_told_which_file_reads_it(tmp_path, fake_cloud):
    async with make_app(bot(tmp_path, READS)).run_test(size=(100, 30)) as pilot:
        screen = await mode_step(pilot)
        shown = text(screen, "#paper-note")
        assert "botship tells the bot BOTSHIP_MODE=paper; app.py reads it" in shown and "WARNING" not in shown
