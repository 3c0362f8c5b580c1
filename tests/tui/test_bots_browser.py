"""The bots browser on Pilot: a bot deployed to the real sandbox (its emulator in this process) listed, opened,
its state files read, paused and resumed, destroyed; the fake platform for a cloud that fails and for the
snapshots (fixed facts, so what is drawn is the same on every run)."""

from __future__ import annotations

import json
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from textual.widgets import Button, DataTable, Input, OptionList, Static

from fake_cloud import FakeHandle, FakeProvider, FakeSignIn
from tui_flow import NOW, settle

from botship import providers
from botship.errors import BotshipError
from botship.providers.base import CONTROL, INVOKE, PAUSE, ROLLBACK, STATE
from botship.providers.results import BotStatus, BotSummary, DeployEntry, RunRecord
from botship.record import load_records

BOT_PY = '''\
"""Keeps a JSON status file and a SQLite table of fills in its state."""
import json
import os
import sqlite3


def handler(event, context):
    state = os.environ["BOTSHIP_STATE_DIR"]
    path = os.path.join(state, "status.json")
    before = json.load(open(path))["runs"] if os.path.exists(path) else 0
    with open(path, "w") as fh:
        json.dump({"runs": before + 1, "market": "demo", "last": {"side": "buy", "price": 101.5}}, fh)
    db = sqlite3.connect(os.path.join(state, "book.sqlite3"))
    db.execute("create table if not exists fills (n integer, price real, note text)")
    db.execute("insert into fills values (?, ?, ?)", (before + 1, 100.25 + before, f"fill {before + 1}"))
    db.commit()
    db.close()
    return {"runs": before + 1}
'''


def toml(name: str = "keeper", schedule: str | None = "rate(5 minutes)") -> str:
    lines = ["[profiles.trial]", 'platform = "sandbox"', f'bot_name = "{name}"', 'entry = "app:handler"',
             f'python = "{sys.version_info.major}.{sys.version_info.minor}"']
    if schedule:
        lines += [f'schedule = "{schedule}"', 'timezone = "Europe/Amsterdam"']
    return "\n".join(lines) + "\n"


@pytest.fixture
def keeper(tmp_path):
    project = tmp_path / "keeper"
    project.mkdir()
    (project / "app.py").write_text(BOT_PY)
    (project / "botship.toml").write_text(toml())
    return project


def deploy(project, profile: str = "trial") -> Any:
    """The profile deployed to the sandbox by the engine, as `botship deploy` runs it; its provider."""
    from botship.profiles import ProfileStore
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.secret_values import SecretValues

    spec = ProfileStore(project).spec(profile)
    provider = providers.provider_class(spec.platform)(spec)
    result = start_run(provider.plan(DeployContext(project, profile, SecretValues([]))), lambda event: None).wait(300)
    assert result.ok, result.failure
    return provider


def bots_app(project):
    from botship.tui.bots import BotsApp

    return BotsApp(project, clock=lambda: NOW)


def cells(table: DataTable, row: int) -> list[str]:
    return [str(getattr(cell, "plain", cell)) for cell in table.get_row_at(row)]


def markup_text(value: Any) -> str:
    """A cell or a Static's content as plain text (markup resolved; a Rich renderable drawn)."""
    from rich.console import Console
    from rich.text import Text

    if isinstance(value, Text):
        return value.plain
    if isinstance(value, str):
        return Text.from_markup(value).plain
    console = Console(width=100, record=True, file=open("/dev/null", "w"))
    console.print(value)
    return console.export_text()


def row_texts(table: DataTable) -> list[list[str]]:
    return [[markup_text(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


def shown(screen, selector: str) -> str:
    return markup_text(screen.query_one(selector, Static).content)


async def until(pilot, test, seconds: float = 30.0) -> None:
    """Let the app work until `test()` holds (rows arrive as each source answers)."""
    deadline = datetime.now(UTC) + timedelta(seconds=seconds)
    while not test():
        assert datetime.now(UTC) < deadline, "waited in vain"
        await pilot.pause(0.05)
    await settle(pilot)


async def bots_screen(pilot) -> Any:
    """The bots screen `botship bots` opens on (over the home screen)."""
    await until(pilot, lambda: type(pilot.app.screen).__name__ == "BotsScreen")
    return pilot.app.screen


# ---- the fake platform: a cloud that fails, and fixed bots for the snapshots ----------------------------

class FailingSignIn(FakeSignIn):
    def list_bots(self, locations=None):
        raise BotshipError("the fake cloud refused the listing", "its endpoint answered 503",
                           "try again later, or look in another region")


class FailingProvider(FakeProvider):
    cloud_class: ClassVar = FailingSignIn


LAST = RunRecord("a1b2c3", NOW - timedelta(minutes=25), "ok", "schedule", 1840, {"signal": "hold", "equity": 1012.5},
                 None, ("fetched 120 candles", "signal hold"), 8192, 8192, 41)


FAILED = RunRecord("ff01", NOW - timedelta(hours=3), "error", "invoke", 320, None, "RuntimeError: exchange said no")
RUNS = {"sma-bot": [LAST], "dca-weekly": [FAILED]}


class ShowcaseSignIn(FakeSignIn):
    """Bots with every column filled, at fixed times around the tests' clock."""

    capabilities: ClassVar = frozenset({INVOKE, STATE, PAUSE, CONTROL, ROLLBACK})

    def list_bots(self, locations=None):
        return [BotSummary("sma-bot", "fake", "eu-west-1", "paper", "active", "cron(0 9 ? * MON-FRI *)",
                           "paper", timezone="Europe/Amsterdam", next_run=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
                           last_run=LAST, version="3f9a2c1d"),
                BotSummary("grid-live", "fake", "eu-west-1", "live", "paused", "rate(1 hour)", "live",
                           timezone="UTC", version="77e01b9c"),
                BotSummary("dca-weekly", "fake", "us-east-1", "paper", "active", None, None, version="0c4d5e6f")]

    def bot(self, name: str, mode: str = "paper") -> ShowcaseHandle:
        return ShowcaseHandle(self, name, mode)


class ShowcaseHandle(FakeHandle):
    def status(self) -> BotStatus:
        return BotStatus(self.bot_name, "fake", "eu-west-1", "paper", "active", "cron(0 9 ? * MON-FRI *)", "paper",
                         timezone="Europe/Amsterdam", version="3f9a2c1d",
                         shipped={"code": "3f9a2c1d5e7f9a1b", "config": "c0ffee12"},
                         resources={"function": "fake:eu-west-1:function:botship-sma-bot",
                                    "state": "fake://botship-sma-bot-state/paper/"},
                         variables=("MARKET", "SYMBOL"), secrets=("EXCHANGE_API_KEY",))

    def runs(self, limit: int = 50) -> list[RunRecord]:
        return RUNS.get(self.bot_name, [])[:limit]

    def history(self) -> list[DeployEntry]:
        return [DeployEntry(NOW - timedelta(days=1), "deploy", "3f9a2c1d5e7f", "paper", "ci-deployer"),
                DeployEntry(NOW - timedelta(days=3), "deploy", "9e8d7c6b5a49", "paper", "alice")]

    def control(self) -> str:
        return "run"


class ShowcaseProvider(FakeProvider):
    cloud_class: ClassVar = ShowcaseSignIn


@pytest.fixture
def fake_source(fake_cloud):
    """Register the fake platform as a cloud looked in from a profile (not one on this machine)."""
    def use(provider_class: type) -> None:
        providers.register("fake", provider_class, local=False)  # the fake_cloud fixture unregisters it after

    return use


@pytest.fixture
def fake_project(tmp_path):
    project = tmp_path / "desk"
    project.mkdir()
    (project / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (project / "botship.toml").write_text(textwrap.dedent('''\
        [profiles.paper]
        platform = "fake"
        bot_name = "sma-bot"
        entry = "app:handler"
        '''))
    return project


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


# ---- one bot -----------------------------------------------------------------------------------------

async def open_first_bot(pilot) -> Any:
    screen = await bots_screen(pilot)
    await until(pilot, lambda: screen.answered == len(screen.sources or [0]))
    await pilot.press("enter")
    await settle(pilot)
    return pilot.app.screen


async def test_the_state_tab_opens_a_json_file_and_a_sqlite_table(keeper, sandbox):
    provider = deploy(keeper)
    for _ in range(2):
        provider.handle().invoke({})
    async with bots_app(keeper).run_test(size=(120, 40)) as pilot:
        bot = await open_first_bot(pilot)
        await pilot.press("3")
        await settle(pilot)
        files = bot.query_one("#state-table", DataTable)
        assert [row[0] for row in row_texts(files)] == ["book.sqlite3", "status.json"]
        assert "generation 2" in shown(bot, "#state-note")
        assert not bot.query("TabPane#trading")  # no trading database among them

        files.move_cursor(row=1)
        await pilot.press("enter")
        await settle(pilot)
        viewer = pilot.app.screen
        text = "\n".join(markup_text(s.content) for s in viewer.query(Static))
        assert '"runs": 2' in text and '"last": {\n' in text  # pretty-printed
        await pilot.press("escape")
        await settle(pilot)

        files.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot)
        database = pilot.app.screen
        tables = database.query_one("#sql-tables", OptionList)
        assert [tables.get_option_at_index(i).id for i in range(tables.option_count)] == ["fills"]
        grid = database.query_one("#sql-page", DataTable)
        assert [str(c.label) for c in grid.columns.values()] == ["n", "price", "note"]
        assert row_texts(grid) == [["1", "100.25", "fill 1"], ["2", "101.25", "fill 2"]]
        assert "rows 1–2 of 2" in shown(database, "#sql-note")
        grid.focus()
        grid.move_cursor(column=1)
        await pilot.press("s", "s")  # by price, then the other way round
        await settle(pilot)
        assert [row[0] for row in row_texts(grid)] == ["2", "1"], shown(database, "#sql-note")
        assert "sorted by price descending" in shown(database, "#sql-note")
        copy = database.view.copy
        assert copy.is_file()
        await pilot.press("escape")
        await settle(pilot)
        assert not copy.exists()  # the downloaded copy goes with the screen


async def test_a_cloud_that_cannot_do_something_says_so_in_place(fake_project, fake_source, fake_cloud):
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.profiles import ProfileStore

    fake_source(FakeProvider)
    spec = ProfileStore(fake_project).spec("paper")
    assert start_run(FakeProvider(spec).plan(DeployContext(fake_project, "paper")), lambda e: None).wait(10).ok
    async with bots_app(fake_project).run_test(size=(100, 30)) as pilot:
        bot = await open_first_bot(pilot)
        keys = {binding.action for binding in (a.binding for a in bot.active_bindings.values())}
        assert "invoke" in keys and not keys & {"pause", "resume", "control", "rollback"}
        assert not bot.query("TabPane#state") and not bot.query("TabPane#runs")  # no state, no log service
        assert "a bot on Fake cloud is not supported yet" in shown(bot, "#ov-history-note")
        assert "sma-bot" in shown(bot, "#ov-status")  # what could be read is shown all the same


async def test_the_trading_tab_reads_the_plain_templates_book(tmp_path, sandbox):
    from botship.init import scaffold
    from botship.trading import open_book

    folder = tmp_path / "ticker"
    scaffold(folder, "plain", bot_name="ticker")
    provider = deploy(folder, "sandbox")
    for _ in range(26):  # its replayed prices: a buy at its first tick, the sell at its 25th
        assert provider.handle().invoke({}).body["status"] == "ok"
    provider.handle().export_state(tmp_path / "copy")
    book = open_book(tmp_path / "copy" / "state.db")
    summary, closed = book.summary(), book.trades(open=False)
    assert closed.total >= 1  # the ticks did trade

    async with bots_app(folder).run_test(size=(100, 30)) as pilot:
        bot = await open_first_bot(pilot)
        await until(pilot, lambda: bool(bot.query("TabPane#trading")))
        await pilot.press("4")
        await settle(pilot)
        pane = bot.query_one("#trading-pane")
        text = shown(bot, "#trade-summary")
        assert f"equity {summary.equity:,.2f}" in text
        assert f"trades {summary.open_trades} open, {summary.closed_trades} closed" in text
        table = pane.query_one("#trade-table", DataTable)
        assert [str(c.label) for c in table.columns.values()][0] == "Symbol"
        assert table.row_count == len(book.positions())
        pane.query_one("#trade-views").focus()
        await pilot.press("v", "v")  # positions → open trades → closed trades
        await settle(pilot)
        assert "Closed trades" in shown(bot, "#trade-note")
        assert table.row_count == len(closed.items)
        if closed.items:
            assert row_texts(table)[0][0] == closed.items[0].symbol
        await pilot.press("v")  # orders, every status, then filtered by the first status the book has
        await settle(pilot)
        assert table.row_count == book.orders().total == 2
        assert not pane.check_action("page", (1,))  # one page: no page keys
        status = book.order_statuses()[0]
        pane.query_one("#trade-table").focus()
        await pilot.press("o")
        await settle(pilot)
        assert f"status {status}" in shown(bot, "#trade-note")
        assert table.row_count == book.orders(status=status).total


async def test_a_run_opens_its_result_and_log_tail_and_the_live_tail_follows_the_logs(keeper, sandbox):
    from textual.widgets import RichLog

    provider = deploy(keeper)
    provider.handle().invoke({})
    async with bots_app(keeper).run_test(size=(100, 30)) as pilot:
        bot = await open_first_bot(pilot)
        await pilot.press("2")
        await settle(pilot)
        runs = bot.query_one("#runs-table", DataTable)
        ((when, trigger, outcome, took, generation, result),) = row_texts(runs)
        assert (trigger, outcome, generation) == ("invoke", "✓ ok", "1") and '"runs": 1' in result
        await pilot.press("enter")
        await settle(pilot)
        dialog = pilot.app.screen
        text = "\n".join(markup_text(static.content) for static in dialog.query(Static))
        assert "Run " in text and "trigger   invoke" in text and '"runs": 1' in text
        assert "Log tail" in text and "run finished" in text
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("t")
        await settle(pilot)
        assert "CloudWatch Logs" in shown(bot, "#tail-note")  # what the tail reads, as the cloud says it
        tail = bot.query_one("#tail-log", RichLog)
        before = len(tail.lines)
        provider.handle().invoke({})
        await until(pilot, lambda: any("run finished" in line.text for line in tail.lines[before:]), 60)
        await pilot.press("t")  # stops following
        await settle(pilot)
        assert bot.query_one("#runs-pane").tailing is None and "stopped" in shown(bot, "#tail-note")


async def test_a_file_and_the_whole_state_are_downloaded_into_the_folder_typed(keeper, sandbox):
    provider = deploy(keeper)
    provider.handle().invoke({})
    async with bots_app(keeper).run_test(size=(100, 30)) as pilot:
        bot = await open_first_bot(pilot)
        await pilot.press("3")
        await settle(pilot)
        bot.query_one("#state-table", DataTable).move_cursor(row=1)
        await pilot.press("d")
        await settle(pilot)
        assert pilot.app.screen.query_one("#folder", Input).value == "exported-state/keeper"
        await pilot.press("enter")
        await settle(pilot)
        saved = keeper / "exported-state" / "keeper" / "status.json"
        assert saved.read_bytes() == provider.handle().read_state_file("status.json")
        await pilot.press("e")  # the whole folder: that one is taken now, so a new one is proposed
        await settle(pilot)
        folder = pilot.app.screen.query_one("#folder", Input).value
        assert folder == "exported-state/keeper-20261128-093000"
        await pilot.press("enter")
        await settle(pilot)
        assert sorted(p.name for p in (keeper / folder).iterdir()) == ["book.sqlite3", "status.json"]


# ---- controls -----------------------------------------------------------------------------------------

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
        assert [entry.action for entry in provider.handle().history()][:2] == ["resume", "pause"]


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


@pytest.fixture
def offline_source(fake_cloud):
    """A second platform of the fake's kind whose listing fails, looked in from a profile named `far`."""
    from fake_cloud import FAKE_PLATFORM

    previous = providers.register("offline", FailingProvider, **{**FAKE_PLATFORM, "title": "Offline cloud",
                                                                    "local": False})
    yield '\n[profiles.far]\nplatform = "offline"\nbot_name = "far"\nentry = "app:handler"\n'
    providers.restore("offline", previous)


def test_snapshot_bots_list(snap_compare, fake_project, fake_source, offline_source):
    fake_source(ShowcaseProvider)
    with (fake_project / "botship.toml").open("a") as toml_file:
        toml_file.write(offline_source)
    assert snap_compare(bots_app(fake_project), terminal_size=SIZE, run_before=listed)


def test_snapshot_bot_overview(snap_compare, fake_project, fake_source):
    fake_source(ShowcaseProvider)
    assert snap_compare(bots_app(fake_project), terminal_size=SIZE, run_before=opened)
