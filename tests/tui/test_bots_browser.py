"""The bots screen on Pilot: a bot deployed to the real sandbox (its emulator in this process) listed with its
columns, the fake platform for a place that fails and for typing a filter, and snapshots at 80×24 of the list and of
a bot's overview (the fake platform's fixed facts, so what is drawn is the same on every run)."""

from __future__ import annotations

from textual.widgets import DataTable, Input

import bots_kit
from bots_kit import FailingProvider, ShowcaseProvider, bots_app, bots_screen, deploy, row_texts, shown, toml, until
from tui_flow import settle

# The shared fixtures, by name (pytest finds them among the module's names).
fake_project, fake_source, keeper = bots_kit.fake_project, bots_kit.fake_source, bots_kit.keeper
offline_source = bots_kit.offline_source


# ---- the list ----------------------------------------------------------------------------------------

async def test_the_list_shows_a_sandbox_bot_with_its_columns(keeper, sandbox):
    provider = deploy(keeper)
    assert provider.handle().invoke({}).body["status"] == "ok"
    async with bots_app(keeper).run_test(size=(200, 50)) as pilot:
        screen = await bots_screen(pilot)
        table = screen.query_one("#bots-table", DataTable)
        await until(pilot, lambda: screen.answered == 1)
        assert [str(c.label) for c in table.columns.values()] == [
            "Bot", "Where", "Mode", "Status", "Schedule · next run", "Last run", "Version"]
        (row,) = row_texts(table)
        name, where, mode, status, schedule, last, version = row
        assert (name, mode, status) == ("keeper", "PAPER", "● active")
        assert where.startswith("Sandbox · ")
        assert schedule.startswith("rate(5 minutes) Europe/Amsterdam · ") and ("CET" in schedule or "CEST" in schedule)
        assert last.startswith("✓ ok ") and last.endswith((" ms", " s"))
        assert version and version != "—"
        assert "1 bot(s) in Sandbox" in shown(screen, "#bots-note")
        # At 80 columns the table keeps what a glance needs; the rest goes under it, for the highlighted bot.
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert [str(c.label) for c in table.columns.values()] == ["Bot", "Mode", "Status", "Next run", "Last run"]
        detail = shown(screen, "#bots-detail")
        assert "Sandbox · " in detail and "rate(5 minutes)" in detail and f"version {version}" in detail


async def test_a_source_that_fails_shows_its_error_in_place_of_its_rows(keeper, sandbox, fake_source):
    fake_source(FailingProvider)
    (keeper / "botship.toml").write_text(toml() + '\n[profiles.elsewhere]\nplatform = "fake"\nbot_name = "far"\n'
                                         'entry = "app:handler"\n')
    deploy(keeper)
    async with bots_app(keeper).run_test(size=(200, 50)) as pilot:
        screen = await bots_screen(pilot)
        table = screen.query_one("#bots-table", DataTable)
        await until(pilot, lambda: screen.answered == 2)
        rows = row_texts(table)
        assert [row[0] for row in rows] == ["✗ Fake cloud", "keeper"]
        assert rows[0][1] == "the fake cloud refused the listing"
        assert "1 bot(s) in Sandbox" in shown(screen, "#bots-note") and "could not look in Fake cloud" in shown(
            screen, "#bots-note")
        table.move_cursor(row=0)
        await settle(pilot)
        detail = shown(screen, "#bots-detail")
        assert "its endpoint answered 503" in detail and "→ try again later" in detail
        await pilot.press("enter")  # the whole error, not a bot screen
        await settle(pilot)
        assert pilot.app.screen is screen


async def test_typing_filters_the_rows(fake_project, fake_source):
    fake_source(ShowcaseProvider)
    async with bots_app(fake_project).run_test(size=(200, 50)) as pilot:
        screen = await bots_screen(pilot)
        table = screen.query_one("#bots-table", DataTable)
        await until(pilot, lambda: screen.answered == 1)
        assert table.row_count == 3
        await pilot.press("l", "i", "v")  # typed on the table: the filter takes it
        await settle(pilot)
        assert screen.query_one("#bots-filter", Input).value == "liv"
        assert [row[0] for row in row_texts(table)] == ["grid-live"]
        assert "1 of 3 bot(s) shown" in shown(screen, "#bots-note")
        await pilot.press("escape")  # clears the filter, back on the table
        await settle(pilot)
        assert table.row_count == 3 and screen.focused is table
        await pilot.press("slash")
        for key in "failed":
            await pilot.press(key)
        await pilot.press("enter")  # from the filter, Enter opens the highlighted bot
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "BotScreen"
        assert pilot.app.screen.summary.bot_name == "dca-weekly"


async def test_b_on_home_opens_the_bots_screen_and_it_says_where_to_deploy_when_empty(project):
    from tui_flow import make_app

    async with make_app(project).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        note = shown(pilot.app.screen, "#bots-note")
        assert "No bots" in note and "botship.toml has no profiles" in note and "botship deploy" in note
        await pilot.press("escape")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "HomeScreen"


# ---- snapshots at 80×24 (look at each SVG before accepting it: --snapshot-update) ----------------------

SIZE = (80, 24)


async def listed(pilot) -> None:
    screen = await bots_screen(pilot)
    await until(pilot, lambda: screen.answered == len(screen.sources or [0]))
    screen.query_one("#bots-filter", Input).cursor_blink = False
    await settle(pilot)


async def opened(pilot) -> None:
    await listed(pilot)
    await pilot.press("enter")
    await settle(pilot)


def test_snapshot_bots_list(snap_compare, fake_project, fake_source, offline_source):
    fake_source(ShowcaseProvider)
    with (fake_project / "botship.toml").open("a") as toml_file:
        toml_file.write(offline_source)
    assert snap_compare(bots_app(fake_project), terminal_size=SIZE, run_before=listed)


def test_snapshot_bot_overview(snap_compare, fake_project, fake_source):
    fake_source(ShowcaseProvider)
    assert snap_compare(bots_app(fake_project), terminal_size=SIZE, run_before=opened)
