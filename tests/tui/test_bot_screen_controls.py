"""A bot's controls on Pilot against the real sandbox: pause then resume (the emulator's schedule), restoring a
generation (paused meanwhile), stop entries, rollback, and destroy behind the typed name."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Button, DataTable, Input, Static

import bots_kit
from bots_kit import bots_app, bots_screen, deploy, markup_text, open_first_bot, row_texts, shown, until
from tui_flow import settle

from botship.record import load_records

# The shared fixtures, by name (pytest finds them among the module's names).
keeper = bots_kit.keeper


async def test_pause_then_resume_flips_the_schedule_in_the_emulator(keeper, sandbox):
    provider = deploy(keeper)
    schedules = provider.session.client("scheduler")

    def state() -> str:
        return schedules.get_schedule(Name=provider.names.schedule)["State"]

    async with bots_app(keeper).run_test(size=(100, 30)) as pilot:
        bot = await open_first_bot(pilot)
        assert bot.check_action("pause", ()) and not bot.check_action("resume", ())
        await pilot.press("p")
        await settle(pilot)
        assert "Pause keeper?" in markup_text(pilot.app.screen.query_one(".dialog-question", Static).content)
        await pilot.press("escape")  # not confirmed: nothing changes
        await settle(pilot)
        assert state() == "ENABLED"
        await pilot.press("p")
        await settle(pilot)
        await pilot.click("#yes")
        await until(pilot, lambda: bot.status is not None and bot.status.state == "paused")
        assert state() == "DISABLED"
        assert not bot.check_action("pause", ()) and bot.check_action("resume", ())
        assert "paused" in shown(bot, "#ov-status")
        # Back on the list, it is read again: the bot shows paused there too.
        await pilot.press("escape")
        listing = await bots_screen(pilot)
        await until(pilot, lambda: listing.answered == 1)
        assert row_texts(listing.query_one("#bots-table", DataTable))[0][2] == "‖ paused"
        bot = await open_first_bot(pilot)
        await until(pilot, lambda: bot.status is not None)
        await pilot.press("u")
        await settle(pilot)
        await pilot.click("#yes")
        await until(pilot, lambda: bot.status.state == "active")
        assert state() == "ENABLED"
        history = row_texts(bot.query_one("#ov-history", DataTable))
        assert [row[1] for row in history][:2] == ["resume", "pause"], shown(bot, "#ov-history-note")


async def test_restoring_a_generation_pauses_the_bot_meanwhile_and_says_what_it_replaces(keeper, sandbox):
    provider = deploy(keeper)
    for _ in range(2):
        provider.handle().invoke({})
    schedules = provider.session.client("scheduler")
    async with bots_app(keeper).run_test(size=(100, 30)) as pilot:
        bot = await open_first_bot(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        generations = pilot.app.screen.query_one("#pick", DataTable)
        assert [row[0] for row in row_texts(generations)] == ["2", "1"]
        await pilot.press("enter")  # the current one: said so, nothing else
        await settle(pilot)
        assert "current state already" in shown(pilot.app.screen, "#pick-note")
        generations.move_cursor(row=1)
        await pilot.press("enter")
        await settle(pilot)
        question = markup_text(pilot.app.screen.query_one(".dialog-question", Static).content)
        assert "Restore generation 1 of keeper's paper state" in question
        assert "It replaces generation 2" in question and "paused during the restore" in question
        await pilot.click("#yes")
        await until(pilot, lambda: "generation 3" in shown(bot, "#state-note"), 60)
        # (checked while the app runs: closing it stops the emulator inside it)
        assert json.loads(provider.handle().read_state_file("status.json"))["runs"] == 1
        assert schedules.get_schedule(Name=provider.names.schedule)["State"] == "ENABLED"
        assert [entry.action for entry in provider.handle().history()][:3] == ["resume", "restore", "pause"]


async def test_stop_entries_writes_the_control_file_and_offers_back_to_normal(keeper, sandbox):
    provider = deploy(keeper)
    provider.handle().invoke({})
    async with bots_app(keeper).run_test(size=(100, 30)) as pilot:
        bot = await open_first_bot(pilot)
        await until(pilot, lambda: bot.control == "run")
        assert bot.check_action("control", ("stopentry",)) and not bot.check_action("control", ("run",))
        await pilot.press("s")
        await settle(pilot)
        assert "Stop new entries for keeper?" in markup_text(
            pilot.app.screen.query_one(".dialog-question", Static).content)
        await pilot.click("#yes")
        await until(pilot, lambda: bot.control == "stopentry")
        assert "no new entries" in shown(bot, "#ov-status")
        assert bot.check_action("control", ("run",)) and not bot.check_action("control", ("stopentry",))
        assert provider.handle().control() == "stopentry"


async def test_rollback_ships_the_earlier_version_again(keeper, sandbox):
    provider = deploy(keeper)
    first = provider.handle().status().version
    app_py = keeper / "app.py"
    app_py.write_text(app_py.read_text().replace('return {"runs": before + 1}', 'return {"runs": before + 1, "v": 2}'))
    provider = deploy(keeper)
    assert provider.handle().invoke({}).body["result"]["v"] == 2
    async with bots_app(keeper).run_test(size=(100, 30)) as pilot:
        bot = await open_first_bot(pilot)
        await pilot.press("b")
        await settle(pilot)
        versions = pilot.app.screen.query_one("#pick", DataTable)
        rows = row_texts(versions)
        # (both zips may carry the same second, so their order is not asserted)
        assert sorted(row[2] for row in rows) == ["", "current"]
        (earlier,) = [n for n, row in enumerate(rows) if row[2] != "current"]
        assert rows[earlier][0] == first[:16]
        versions.move_cursor(row=earlier)
        await pilot.press("enter")
        await settle(pilot)
        assert "Roll keeper back to version" in markup_text(
            pilot.app.screen.query_one(".dialog-question", Static).content)
        await pilot.click("#yes")
        await until(pilot, lambda: bot.status is not None and bot.status.version == first, 60)
        assert "v" not in provider.handle().invoke({}).body["result"]


async def test_destroy_needs_the_bots_name_typed(keeper, sandbox):
    provider = deploy(keeper)
    functions = provider.session.client("lambda")
    async with bots_app(keeper).run_test(size=(100, 30)) as pilot:
        bot = await open_first_bot(pilot)
        await until(pilot, lambda: bot.found is not None)
        assert bot.found.profile == "trial"
        await pilot.press("X")
        await settle(pilot)
        dialog = pilot.app.screen
        plan = shown(dialog, "#destroy-plan")
        assert "Removed" in plan and "Kept" in plan
        destroy = dialog.query_one("#yes", Button)
        assert destroy.disabled
        typed = dialog.query_one("#typed", Input)
        typed.value = "keepr"
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is dialog and destroy.disabled
        functions.get_function(FunctionName=provider.names.function)  # still there
        typed.value = "keeper"
        await settle(pilot)
        assert not destroy.disabled
        await pilot.press("enter")
        await settle(pilot)
        run = pilot.app.screen
        await until(pilot, lambda: run.result is not None, 120)
        assert run.result.ok, run.result.failure
        assert "keeper destroyed" in shown(run, "#run-outcome")
        with pytest.raises(Exception, match="ResourceNotFoundException|Function not found"):
            functions.get_function(FunctionName=provider.names.function)
        await pilot.press("escape")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "BotsScreen"
    assert load_records(keeper)["trial"].status == "destroyed"


async def test_redeploy_opens_the_review_of_the_bots_profile_here(keeper, sandbox):
    deploy(keeper)
    async with bots_app(keeper).run_test(size=(100, 30)) as pilot:
        bot = await open_first_bot(pilot)
        await until(pilot, lambda: bot.found is not None)
        assert bot.check_action("redeploy", ()) is True
        await pilot.press("R")
        await settle(pilot)
        review = pilot.app.screen
        assert type(review).__name__ == "WizardScreen" and review.state.profile == "trial"
