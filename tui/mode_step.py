"""The mode step: paper or live; what paper means for this bot, and a typed confirmation before live."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, RadioButton, RadioSet, Static

from .sections import Section
from .widgets import Field


class ModeSection(Section):
    key, title = "mode", "Mode"

    def compose(self) -> ComposeResult:
        question = self.session.question("mode")
        yield Static(question.label, classes="section-title")
        with RadioSet(id="mode"):
            for choice in question.options(self.answers):
                yield RadioButton(choice.title, id=f"mode-{choice.value}", value=self.state.mode == choice.value)
        yield Static("", id="paper-note")
        with Vertical(id="live-confirm"):
            yield Static("", id="live-summary")
            yield Field("Type the bot's name to confirm LIVE mode", Input(id="live-name"))

    def on_mount(self) -> None:
        self.query_one("#live-confirm").display = self.state.mode == "live"

    def shown(self) -> None:
        self._paper_note()
        self._summary()

    def _paper_note(self) -> None:
        note = self.session.paper_note()
        self.query_one("#paper-note", Static).update(
            (f"[b yellow]Paper, for this bot — WARNING[/]: {escape(note.text)}.\n→ {escape(note.fix)}"
             if note.warning else f"[b]Paper, for this bot[/]: {escape(note.text)}."))
        self.query_one("#paper-note").set_class(note.warning, "warning")

    def _summary(self) -> None:
        headline, switch = self.session.live_summary()
        self.query_one("#live-summary", Static).update(
            f"[b red]LIVE[/]: {escape(headline)}" + "".join(f"\n• {escape(line)}" for line in switch))

    @on(RadioSet.Changed, "#mode")
    def picked(self, event: RadioSet.Changed) -> None:
        mode = (event.pressed.id or "mode-paper").removeprefix("mode-")
        self.answers["mode"] = mode
        self.query_one("#live-confirm").display = mode == "live"
        if mode == "live":
            self._summary()
            self.query_one("#live-name", Input).focus()
        self.changed()

    @on(Input.Changed, "#live-name")
    def typed(self) -> None:
        self.changed()

    def ready(self) -> bool:
        return self.state.mode != "live" or self.ready_confirmed()

    def ready_confirmed(self) -> bool:
        """The bot's name was typed on this step (a live deploy's confirmation)."""
        return self.query_one("#live-name", Input).value.strip() == self.answers.get("bot_name")
