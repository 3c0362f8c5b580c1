"""The new-deployment wizard: one section per step, Back always works, nothing typed is lost."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, OptionList
from textual.widgets.option_list import Option

from botship.session import DeploySession

from .dialogs import TypeToConfirmDialog
from .environment import EnvironmentSection
from .review import ReviewSection
from .bot_step import BotSection
from .credentials import CredentialsSection
from .mode_step import ModeSection
from .platform_step import PlatformSection
from .sections import Section
from .sizing import SizeSection
from .widgets import TopBar

SECTIONS: list[type[Section]] = [PlatformSection, CredentialsSection, BotSection, ModeSection, EnvironmentSection,
                                 SizeSection, ReviewSection]


class WizardScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("ctrl+d", "deploy", "Deploy", show=False, priority=True),
    ]

    def __init__(self, state: DeploySession, start: str = "platform") -> None:
        super().__init__()
        self.state = state
        self.sections: list[Section] = [cls(state) for cls in SECTIONS]
        self.index = next(i for i, s in enumerate(self.sections) if s.key == start)
        self.visited = self.index

    def compose(self) -> ComposeResult:
        title = f"Re-run profile {self.state.profile}" if self.state.profile else "New deployment"
        yield TopBar(title, self.state.mode)
        with Horizontal(id="wizard"):
            yield OptionList(*[Option(self._nav_label(i), id=s.key) for i, s in enumerate(self.sections)],
                             id="steps")
            with Vertical(id="wizard-body"):
                with ContentSwitcher(initial=self.sections[self.index].id, id="pages"):
                    yield from self.sections
                with Horizontal(id="wizard-buttons", classes="row"):
                    yield Button("Back", id="back")
                    yield Button("Next", id="next", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self._enter()

    @property
    def section(self) -> Section:
        return self.sections[self.index]

    def _nav_label(self, index: int) -> str:
        mark = "▸" if index == self.index else "✓" if index < self.visited else " "
        return f"{mark} {index + 1}. {self.sections[index].title}"

    def _enter(self) -> None:
        self.query_one("#pages", ContentSwitcher).current = self.section.id
        self.section.shown()
        self._refresh()
        focusable = [w for w in self.section.query("*") if w.focusable and w.display]
        if focusable:
            focusable[0].focus()

    def _refresh(self) -> None:
        steps = self.query_one("#steps", OptionList)
        for i in range(len(self.sections)):
            steps.replace_option_prompt_at_index(i, self._nav_label(i))
        steps.highlighted = self.index
        last = self.index == len(self.sections) - 1
        live = self.state.mode == "live"
        button = self.query_one("#next", Button)
        button.label = ("Deploy LIVE" if live else "Deploy") if last else "Next"
        button.variant = "error" if last and live else "primary"
        button.disabled = not self.section.ready()
        self.query_one(TopBar).mode = self.state.mode if self.index >= 3 or self.state.profile else None

    @on(Section.Changed)
    def section_changed(self) -> None:
        self._refresh()

    def go(self, index: int) -> None:
        self.index = max(0, min(index, len(self.sections) - 1))
        self.visited = max(self.visited, self.index)
        self._enter()

    def action_back(self) -> None:
        if self.index == 0:
            self.app.pop_screen()  # back to the home screen
            return
        self.go(self.index - 1)

    def action_next(self) -> None:
        if not self.section.ready():
            self.app.bell()
            return
        if self.section.key == "review":
            self.action_deploy()
            return
        self.go(self.index + 1)

    def action_deploy(self) -> None:
        review = self.sections[-1]
        if self.section is not review or review.plan is None:
            return
        from .run import RunScreen

        def deploy(confirmed: bool | None = True) -> None:
            if confirmed:
                self.app.push_screen(RunScreen(self.state, review.spec, review.plan, review.provider))

        mode_step = next(s for s in self.sections if s.key == "mode")
        if review.spec.mode == "live" and not mode_step.ready_confirmed():
            # A saved live profile re-run straight from the review: the typed confirmation happens here.
            self.app.push_screen(TypeToConfirmDialog(
                f"LIVE: {review.spec.bot_name} will trade real money on {review.spec.where}.\n"
                "Type the bot's name to deploy it live.", review.spec.bot_name), deploy)
            return
        deploy()

    @on(Button.Pressed, "#back")
    def back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#next")
    def next_pressed(self) -> None:
        self.action_next()

    @on(OptionList.OptionSelected, "#steps")
    def jump(self, event: OptionList.OptionSelected) -> None:
        # Back to any step; forward only through steps already visited, each still ready.
        target = event.option_index
        if target <= self.visited and all(s.ready() for s in self.sections[self.index:target]):
            self.go(target)
            return
        self.app.bell()
        self._refresh()
