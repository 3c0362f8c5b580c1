"""The platform step: every platform the registry lists, with what each needs; those not built yet are shown, not offered."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from botship import providers

from .sections import Section


class PlatformSection(Section):
    key, title = "platform", "Platform"

    def compose(self) -> ComposeResult:
        question = self.session.question("platform")
        yield Static(question.label, classes="section-title")
        options = []
        for choice in question.options(self.answers):
            platform = providers.platform(choice.value)
            prompt = Text.assemble((choice.title, "bold"),
                                   (f"  — {choice.disabled}" if choice.disabled else "", "italic"),
                                   "\n", (f"needs {platform.needs}" if platform else "", "dim"))
            options.append(Option(prompt, id=choice.value, disabled=bool(choice.disabled)))
        yield OptionList(*options, id="platform")

    def on_mount(self) -> None:
        self._placed = False
        chosen = self.answers.get("platform")
        platforms = self.query_one("#platform", OptionList)
        if chosen in providers.available():
            platforms.highlighted = platforms.get_option_index(chosen)
        # Until the highlight sits on the profile's platform, the list's own first highlight is not a choice
        # (taken as one, re-running an Azure profile switched to AWS and back, dropping its settings).
        self.call_after_refresh(setattr, self, "_placed", True)

    def ready(self) -> bool:
        return self.answers.get("platform") in providers.available()

    @on(OptionList.OptionHighlighted, "#platform")
    @on(OptionList.OptionSelected, "#platform")
    def picked(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        if event.option.disabled:
            return
        chosen = self.answers.get("platform")
        if (isinstance(event, OptionList.OptionHighlighted) and not getattr(self, "_placed", True)
                and chosen in providers.available() and event.option.id != chosen):
            return
        self.session.set_platform(event.option.id or "")
        self.changed()
        if isinstance(event, OptionList.OptionSelected):
            self.screen.action_next()
