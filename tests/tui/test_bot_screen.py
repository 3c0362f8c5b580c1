"""One bot on Pilot, deployed to the real sandbox: its State tab (a JSON file, a SQLite table, downloads), its
Runs tab (a run's dialog, the live tail), its Trading tab (the plain template's book), and what a cloud that cannot
do something shows in place (the fake platform)."""

from __future__ import annotations

from textual.widgets import DataTable, Input, OptionList, Static

import bots_kit
from bots_kit import bots_app, deploy, markup_text, open_first_bot, row_texts, shown, until
from fake_cloud import FakeProvider
from tui_flow import settle

# The shared fixtures, by name (pytest finds them among the module's names).
fake_project, fake_source, keeper = bots_kit.fake_project, bots_kit.fake_source, bots_kit.keeper


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
