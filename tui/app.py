"""The botship app: wiring only — the screens own their work."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from datetime import datetime, timezone
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from botship import providers

from .home import HomeScreen
from .workers import ShowsWorkerErrors


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class BotshipApp(ShowsWorkerErrors, App[None]):
    CSS_PATH = Path(__file__).parent / "botship.tcss"
    TITLE = "botship"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(self, project: Path, *, clock: Callable[[], datetime] = utc_now, sandbox: bool = False) -> None:
        """`sandbox`: open the wizard on the platform to try botship on, with no account (or offer `init` in a
        folder with no bot)."""
        super().__init__()
        self.project = project.resolve()
        self.clock = clock
        self.sandbox = sandbox
        self.scheduler = None  # fires the scheduled bots of a cloud on this machine, once one is deployed
        self.local_bots: set[str] = set()  # bots deployed in this session to a cloud inside this botship
        self._scheduler_lock = threading.Lock()  # started from a worker (at launch) or after a deploy

    def on_mount(self) -> None:
        home = HomeScreen()
        self.push_screen(home)
        if self.sandbox:
            self.call_after_refresh(home.action_try)
        # Bots already waiting in a separately run emulator get their scheduled runs while the app is open
        # (the cloud's code, and its SDK, load only then).
        if providers.trial().bots_waiting():
            self.run_worker(lambda: self.start_local_scheduler(at_launch=True), thread=True, exit_on_error=False)

    def deployed_here(self, cloud: Any, bot: str, scheduled: bool) -> None:
        """A bot now lives in a cloud on this machine: remember it (quitting warns), fire it on its schedule."""
        self.local_bots.add(bot)
        if scheduled:
            self.start_local_scheduler(cloud)

    def action_quit(self) -> None:  # type: ignore[override]
        """Quit; while a cloud inside this botship holds bots, first say that they and their state go with it."""
        if not (self.local_bots and any(cloud.holds_bots_here() for cloud in providers.loaded_clouds())):
            self.exit()
            return
        from .dialogs import ConfirmDialog

        names = ", ".join(sorted(self.local_bots))
        self.push_screen(ConfirmDialog(f"Quit botship? Its bots here ({names}) and their state vanish with it.\n"
                                       "To keep a bot's state, go back and press e on its run screen.",
                                       yes="Quit", no="Stay", danger=True),
                         lambda quit_: self.exit() if quit_ else None)

    def start_local_scheduler(self, cloud: Any = None, *, at_launch: bool = False) -> None:
        """Fire a cloud's deployed bots on their schedules while the app runs, where the cloud never fires them
        (an emulator); at launch, the trial platform's, if bots already wait in it."""
        cloud = cloud or providers.cloud_class(providers.trial().name)
        with self._scheduler_lock:
            if self.scheduler is None:
                self.scheduler = cloud.local_scheduler(lambda fired: self.call_from_thread(self._fired, fired),
                                                       at_launch=at_launch)

    def _fired(self, fired) -> None:
        if fired.error:
            text, severity = fired.error, "error"
        else:
            status = fired.result.bot_status if fired.result is not None else None
            text, severity = f"status {status or '?'}", "information" if status == "ok" else "warning"
        self.notify(f"{fired.bot}: {text}", title="Local scheduler ran a bot", severity=severity)

    def on_unmount(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        for cloud in providers.loaded_clouds():
            cloud.shut_down()

    def action_home(self) -> None:
        """Back to the home screen, whatever is open."""
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        home = self.screen_stack[1] if len(self.screen_stack) > 1 else None
        if isinstance(home, HomeScreen):
            yield SystemCommand("New deployment", "Walk through a new deployment of this folder's bot",
                                lambda: (self.action_home(), home.action_new()))
            yield SystemCommand("Re-run a profile", "Review and deploy the highlighted saved profile",
                                lambda: (self.action_home(), home.action_rerun()))
            yield SystemCommand(f"Try in the {providers.trial().title.lower()}",
                                f"A new deployment that needs no account: {providers.trial().needs}",
                                lambda: (self.action_home(), home.action_try()))
            yield SystemCommand("Browse bots", "Every deployed bot: its runs, logs, state and trades, and its controls",
                                lambda: (self.action_home(), home.action_browse()))
            yield SystemCommand("Home", "Back to the home screen", self.action_home)


def run_app(project: Path, *, sandbox: bool = False) -> None:
    BotshipApp(project, sandbox=sandbox).run()
