"""The botship app: wiring only — the screens own their work."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .home import HomeScreen
from .state import Clock, utc_now


class BotshipApp(App[None]):
    CSS_PATH = Path(__file__).parent / "botship.tcss"
    TITLE = "botship"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(self, project: Path, *, clock: Clock = utc_now) -> None:
        super().__init__()
        self.project = project.resolve()
        self.clock = clock

    def on_mount(self) -> None:
        self.push_screen(HomeScreen())

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
            yield SystemCommand("Browse bots", "Deployed bots and their state", home.action_browse)
            yield SystemCommand("Home", "Back to the home screen", self.action_home)


def run_app(project: Path) -> None:
    BotshipApp(project).run()
