"""The botship app: wiring only — the screens own their work."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .home import HomeScreen
from .workers import ShowsWorkerErrors


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class BotshipApp(ShowsWorkerErrors, App[None]):
    CSS_PATH = Path(__file__).parent / "botship.tcss"
    TITLE = "botship"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(self, project: Path, *, clock: Callable[[], datetime] = utc_now, sandbox: bool = False) -> None:
        """`sandbox`: open the wizard with the sandbox preselected (or offer `init` in a folder with no bot)."""
        super().__init__()
        self.project = project.resolve()
        self.clock = clock
        self.sandbox = sandbox
        self.scheduler = None  # the sandbox's local scheduler, once a sandbox bot is deployed
        self.sandbox_bots: set[str] = set()  # bots deployed to the embedded sandbox in this session
        self._scheduler_lock = threading.Lock()  # started from a worker (at launch) or after a deploy

    def on_mount(self) -> None:
        home = HomeScreen()
        self.push_screen(home)
        if self.sandbox:
            self.call_after_refresh(home.action_sandbox)
        if os.environ.get("BOTSHIP_SANDBOX_URL"):
            # Bots already in a separately run sandbox get their scheduled runs while the app is open.
            self.run_worker(lambda: self.start_local_scheduler(start_emulator=True), thread=True,
                            exit_on_error=False)

    def sandbox_deployed(self, bot: str, scheduled: bool) -> None:
        """A bot now lives in the sandbox: remember it (quitting warns), and fire it if it has a schedule."""
        self.sandbox_bots.add(bot)
        if scheduled:
            self.start_local_scheduler()

    def action_quit(self) -> None:  # type: ignore[override]
        """Quit; while the embedded sandbox holds bots, first say that they and their state go with it."""
        from botship.providers.sandbox import emulator

        running = emulator.running()
        if not (self.sandbox_bots and running is not None and running.embedded):
            self.exit()
            return
        from .dialogs import ConfirmDialog

        names = ", ".join(sorted(self.sandbox_bots))
        self.push_screen(ConfirmDialog(f"Quit botship? The sandbox's bots ({names}) and their state vanish with it.\n"
                                       "To keep a bot's state, go back and press e on its run screen.",
                                       yes="Quit", no="Stay", danger=True),
                         lambda quit_: self.exit() if quit_ else None)

    def start_local_scheduler(self, start_emulator: bool = False) -> None:
        """Fire deployed sandbox bots on their schedules while the app runs (the emulator never fires them)."""
        from botship.providers.sandbox import emulator
        from botship.providers.sandbox.scheduler import LocalScheduler

        running = emulator.emulator() if start_emulator else emulator.running()
        with self._scheduler_lock:
            if self.scheduler is None and running is not None:
                self.scheduler = LocalScheduler(running,
                                                on_fired=lambda fired: self.call_from_thread(self._fired, fired))
                self.scheduler.start()

    def _fired(self, fired) -> None:
        if fired.error:
            text, severity = fired.error, "error"
        else:
            status = fired.result.bot_status if fired.result is not None else None
            text, severity = f"status {status or '?'}", "information" if status == "ok" else "warning"
        self.notify(f"{fired.bot}: {text}", title="Local scheduler ran a sandbox bot", severity=severity)

    def on_unmount(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        emulator = sys.modules.get("botship.providers.sandbox.emulator")  # imported only if a sandbox was used
        if emulator is not None:
            emulator.stop()

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
            yield SystemCommand("Try in the sandbox", "A new deployment to the built-in AWS emulator",
                                lambda: (self.action_home(), home.action_sandbox()))
            yield SystemCommand("Browse bots", "Deployed bots and their state", home.action_browse)
            yield SystemCommand("Home", "Back to the home screen", self.action_home)


def run_app(project: Path, *, sandbox: bool = False) -> None:
    BotshipApp(project, sandbox=sandbox).run()
