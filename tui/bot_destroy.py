"""Destroying a bot from the bots browser: its destroy plan run by the engine (as the run screen runs a deploy),
its steps and log shown, the run journaled, and the profile's local record saying it is gone."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from .bot_keys import KeysFooter
from .run import RunDone, RunEvent
from .run_view import RunActivity, StepList, duration, failure_text, unrecorded_text
from .widgets import TopBar
from .workers import ShowsWorkerErrors, error_markup


class DestroyScreen(ShowsWorkerErrors, Screen):
    BINDINGS = [Binding("escape", "leave", "Back to bots")]

    def __init__(self, found: Any, plan: Any) -> None:
        super().__init__()
        self.found, self.plan = found, plan
        self.result: Any = None
        self.run_handle: Any = None

    def compose(self) -> ComposeResult:
        spec = self.found.spec
        yield TopBar(f"Destroying {escape(spec.bot_name)} on {escape(spec.where)}", spec.mode)
        with Horizontal(id="run"):
            yield StepList(id="run-steps")
            yield RunActivity(id="run-side")
        yield Static("", id="run-outcome")
        yield KeysFooter()

    def on_mount(self) -> None:
        from botship.providers.engine import run_steps

        self.query_one(StepList).fill(run_steps(self.plan))
        self.run_destroy()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.result is not None if action == "leave" else True

    @work(thread=True, exclusive=True, exit_on_error=False, group="destroy")
    def run_destroy(self) -> None:
        from botship.errors import BotshipError
        from botship.providers.engine import fan_out, start_run
        from botship.record import DESTROYED, open_journal, record_destroy

        project, profile, spec = self.app.project, self.found.profile, self.found.spec
        journal = open_journal(project, profile, self.plan, self.app.clock())
        self.run_handle = start_run(self.plan, fan_out(journal, lambda event: self.post_message(RunEvent(event))))
        result = self.run_handle.wait()
        problem: list[str] = []
        if result.ok:
            try:
                record_destroy(project, profile, spec, DESTROYED, self.plan.kept)
            except BotshipError as exc:
                problem = exc.lines()
        self.post_message(RunDone(result, str(journal.path.relative_to(project)), problem))

    def on_run_event(self, message: RunEvent) -> None:
        self.query_one(RunActivity).show(message.event, self.query_one(StepList))

    def on_run_done(self, message: RunDone) -> None:
        activity, steps = self.query_one(RunActivity), self.query_one(StepList)
        activity.progress_shown(False)
        steps.stopped()
        self.result = result = message.result
        spec = self.found.spec
        if result.ok:
            lines = [f"[b green]✓ {escape(spec.bot_name)} destroyed[/] on {escape(spec.where)} in "
                     f"{duration(result.duration_s)}"]
            lines += [f"  kept: {escape(kept)}" for kept in self.plan.kept]
            lines.append(f"  journal: {escape(message.journal)}")
            style = "ok"
        elif result.failure is not None:
            lines, style = [failure_text(result.failure).rsplit("\n", 1)[0],
                            "Destroying again continues where it stopped."], "failed"
        else:
            lines, style = ["[yellow]Stopped[/]: what was removed stays removed."], "warn"
        if message.problem:
            lines.append(error_markup(message.problem))
        if result.sink_errors:
            lines.append(unrecorded_text(result.sink_errors))
        outcome = self.query_one("#run-outcome", Static)
        outcome.update("\n".join(lines) + "\nEscape goes back to the bots.")
        outcome.set_classes(style)
        self.refresh_bindings()

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        from botship.providers.engine import RunResult

        self.query_one(StepList).stopped("not run")
        self.result = RunResult("failed", 0.0)
        outcome = self.query_one("#run-outcome", Static)
        outcome.update(error_markup(lines) + "\nEscape goes back to the bots.")
        outcome.set_classes("failed")
        self.refresh_bindings()

    def action_leave(self) -> None:
        """Back to the bots screen (below the bot's screen), which looks again."""
        from .bots import BotsScreen

        if self.result is None:
            return
        while len(self.app.screen_stack) > 1 and not isinstance(self.app.screen, BotsScreen):
            self.app.pop_screen()  # the bots screen looks again as it shows
