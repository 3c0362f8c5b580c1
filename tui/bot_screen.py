"""One deployed bot, in tabs: Overview, Runs, State and — when its state holds a trading database — Trading;
its mode in the title bar, and the controls its cloud can apply in the footer (see bot_controls)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, TabbedContent, TabPane
from textual.worker import Worker

from botship import providers
from botship.providers.base import LOGS, STATE

from .bot_controls import CONTROL_BINDINGS, BotControls
from .bot_keys import KeysFooter
from .bot_overview import OverviewPane
from .bot_runs import RunsPane
from .bot_state import StatePane
from .widgets import TopBar
from .workers import ShowsWorkerErrors

TABS = ("overview", "runs", "state", "trading")


class BotScreen(BotControls, ShowsWorkerErrors, Screen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("r", "refresh", "Refresh"), *CONTROL_BINDINGS,
                *(Binding(str(n), f"tab('{tab}')", tab.capitalize(), show=False) for n, tab in enumerate(TABS, 1))]

    def __init__(self, source: Any, summary: Any) -> None:
        super().__init__()
        self.source, self.summary = source, summary
        self.handle = source.cloud().bot(summary.bot_name, summary.mode)
        self.status: Any = None  # BotStatus, once read
        self.control: str | None = None  # the control level its state holds, once read
        self.found: Any = None  # its profile in this project (and spec), when there is one
        self.trading: str | None = None  # the trading database's path in its state, when it holds one

    def compose(self) -> ComposeResult:
        bot = self.summary
        title = f"{escape(bot.bot_name)} · {escape(providers.title(bot.platform))} · {escape(bot.where)}"
        yield TopBar(title, bot.mode)
        with TabbedContent(id="bot-tabs", initial="overview"):
            with TabPane("Overview", id="overview"):
                yield OverviewPane(self.handle, bot, id="overview-pane")
            if self.handle.cloud.can(STATE) or self.handle.cloud.can(LOGS):
                with TabPane("Runs", id="runs"):
                    yield RunsPane(self.handle, bot.timezone, id="runs-pane")
            if self.handle.cloud.can(STATE):
                with TabPane("State", id="state"):
                    yield StatePane(self.handle, self.app.project, id="state-pane")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.find_profile()

    # ---- what the controls depend on ------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="profile")
    def find_profile(self) -> None:
        from botship.bots import profile_here

        found = profile_here(self.app.project, self.source, self.summary)
        self.app.call_from_thread(self._known, found=found)

    def on_overview_pane_known(self, message: OverviewPane.Known) -> None:
        self._known(**message.facts)

    def _known(self, **facts: Any) -> None:
        if "status" in facts:
            self.status = facts["status"]
            if self.status is not None:
                self.query_one(TopBar).mode = self.status.mode
        if "control" in facts:
            self.control = facts["control"]
            self.query_one(OverviewPane).show_control(self.control)
        if "found" in facts:
            self.found = facts["found"]
        self.refresh_bindings()

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        if worker.group == "profile":
            return  # no profile here: destroying is left to where the bot was deployed from
        super().worker_failed(worker, lines)

    # ---- the trading tab ----------------------------------------------------------------------------

    def on_state_pane_listed(self, message: StatePane.Listed) -> None:
        from botship.trading import find_trading_db

        path = find_trading_db(message.paths)
        tabs = self.query_one("#bot-tabs", TabbedContent)
        if path == self.trading:
            if path is not None:
                self.query_one("#trading-pane").reload()
            return
        if self.trading is not None:
            tabs.remove_pane("trading")
        self.trading = path
        if path is not None:
            from .bot_trading import TradingPane

            tabs.add_pane(TabPane("Trading", TradingPane(self.handle, path, id="trading-pane"), id="trading"))

    # ---- tabs, refresh, back --------------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        tabs = self.query_one("#bot-tabs", TabbedContent)
        if tabs.query(f"TabPane#{tab}"):
            tabs.active = tab

    @on(TabbedContent.TabActivated, "#bot-tabs")
    def tab_shown(self, event: TabbedContent.TabActivated) -> None:
        """The tab's own keys work at once: its table has the focus (the overview, which scrolls, itself)."""
        overview = event.pane.query(OverviewPane)
        tables = event.pane.query(DataTable)
        if overview:
            overview.first().focus(scroll_visible=False)
        elif tables:
            tables.first().focus()

    def reload(self) -> None:
        """Read everything again (after a control changed the bot)."""
        for pane in self.query("#overview-pane, #runs-pane, #state-pane, #trading-pane"):
            pane.reload()  # type: ignore[attr-defined]

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()
