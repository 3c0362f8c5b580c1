"""What the run screen shows of a run: the step list, the live log and progress, and the outcome's text."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, ProgressBar, RichLog, Static

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
OUTPUT_NAMES = {"function_arn": "function", "bucket": "state bucket", "schedule": "schedule", "secret_arn": "secret",
                "role_arn": "role", "image_uri": "image", "log_group": "logs", "repository_uri": "repository"}
WAITING = "waiting"


class StepList(DataTable):
    """One row per step of the run with its state: waiting, a spinner while it runs, then how it ended."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="none", **kwargs)
        self.step_ids: list[str] = []
        self.running: str | None = None
        self._frame = 0

    def on_mount(self) -> None:
        self.set_interval(0.1, self._spin)

    def fill(self, steps: list[dict[str, Any]], *, replanned: bool = False) -> None:
        """A row per step (as the engine lists them); `replanned` (planned again mid-run, under the deploy
        lock): the lock row keeps its state, the others start over."""
        if not self.columns:
            self.add_column("State", key="state", width=11)
            self.add_column("Step", key="step")
            self.add_column("Action", key="action")
        states = {key.value: self.get_cell(key, "state") for key in self.rows} if replanned else {}
        self.clear()
        for step in steps:
            state = states.get(step["id"], WAITING) if step["id"] == "lock" else WAITING
            self.add_row(state, step["title"], step["action"], key=step["id"])
        self.step_ids = [step["id"] for step in steps]

    def set_state(self, step: str, text: str) -> None:
        if step in self.step_ids:
            self.update_cell(step, "state", text)

    def started(self, step: str) -> None:
        self.running = step

    def ended(self, step: str, text: str) -> None:
        """`step` ended (`text` says how); the spinner stops when it was the one running."""
        if self.running == step:
            self.running = None
        self.set_state(step, text)

    def stopped(self, text: str = "skipped") -> None:
        """The run is over: no spinner, and every step still waiting says it never ran."""
        self.running = None
        for step in self.step_ids:
            if self.get_cell(step, "state") == WAITING:
                self.set_state(step, text)

    def _spin(self) -> None:
        if self.running:
            self._frame = (self._frame + 1) % len(SPINNER)
            self.set_state(self.running, f"{SPINNER[self._frame]} running")


class RunActivity(Vertical):
    """The run's live log, and the progress of the step that reports it."""

    def compose(self) -> ComposeResult:
        yield RichLog(id="run-log", wrap=True, markup=True)
        yield ProgressBar(id="run-progress", show_eta=False)
        yield Static("", id="run-progress-label")

    def on_mount(self) -> None:
        self.progress_shown(False)

    def write(self, markup: str) -> None:
        self.query_one("#run-log", RichLog).write(markup)

    def progress(self, done: int, total: int | None, unit: str) -> None:
        self.progress_shown(True)
        self.query_one("#run-progress", ProgressBar).update(total=total, progress=done)
        amount = f"{done:,}" + (f" of {total:,}" if total else "")
        self.query_one("#run-progress-label", Static).update(f"{amount} {escape(unit)}")

    def progress_shown(self, shown: bool) -> None:
        bar, label = self.query_one("#run-progress", ProgressBar), self.query_one("#run-progress-label", Static)
        if not shown:
            bar.update(total=None, progress=0)
            label.update("")
        bar.display = label.display = shown

    def show(self, event: Any, steps: StepList) -> None:
        """One engine event, on the log, the progress bar and the step list."""
        kind = event.kind
        if kind == "plan_changed":
            steps.fill(event.steps, replanned=True)
        elif kind == "step_started":
            steps.started(event.step)
            self.write(f"[b]▸ {escape(event.title)}[/b]  [dim]{event.action}[/dim]")
            self.progress_shown(False)
        elif kind == "log":
            style = "red" if event.level == "error" else "yellow" if event.level == "warning" else "dim"
            self.write(f"    [{style}]{escape(event.message)}[/{style}]")
        elif kind == "progress":
            self.progress(event.done, event.total, event.unit)
        elif kind == "step_finished":
            steps.ended(event.step, f"✓ {duration(event.duration_s)}" if event.ran else "= no change")
        elif kind == "step_failed":
            steps.ended(event.step, "✗ failed")
            steps.running = None
            self.write(f"[red]✗ {escape(event.what)}[/red]")
        elif kind == "step_cancelled":
            steps.ended(event.step, "– cancelled")
            steps.running = None


def duration(seconds: float) -> str:
    return "under 1 s" if seconds < 1 else f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def success_text(spec: Any, result: Any, journal: str, ephemeral: bool) -> str:
    """A deploy that succeeded: where it runs, what it made, when it runs, and its journal; `ephemeral`: what
    was deployed lives only while this botship runs (the sandbox's emulator)."""
    sandbox = ephemeral
    lines = [f"[b green]✓ Deployed {escape(spec.bot_name)}[/] to {escape(spec.where)} in "
             f"{duration(result.duration_s)} — mode [b]{spec.mode.upper()}[/b]"]
    seen = set()
    for outputs in result.outputs.values():
        for key, value in outputs.items():
            if key in OUTPUT_NAMES and value and value not in seen:
                seen.add(value)
                lines.append(f"  {OUTPUT_NAMES[key]:<13} {escape(str(value))}")
    schedule = f"{spec.schedule} ({spec.timezone})" if spec.schedule else "only when invoked"
    if sandbox and spec.schedule:
        schedule += " — fired by botship's local scheduler, only while this app is open"
    lines.append(f"  {'runs':<13} {escape(schedule)}")
    lines.append(f"  {'journal':<13} {escape(journal)}")
    if sandbox:
        lines.append(f"[yellow]The {escape(spec.platform_title.lower())} lives inside this botship: the bot and its "
                     "state vanish when it closes — press e to export the state.[/]")
    return "\n".join(lines)


CANCELLED_TEXT = ("[b]Cancelled[/b] between cloud calls: what finished stays, nothing was left half-done.\n"
                  "Retry continues where it stopped (finished steps plan as no change).")
RETRY_HINT = "Retry resumes (finished steps plan as no change); Back to edit changes the answers."


def failure_text(failure: Any) -> str:
    """A step that failed: what, why (cut short) and what to do, then what Retry and Back do."""
    lines = [f"[b red]✗ {escape(failure.title)} failed:[/] {escape(failure.what)}"]
    if failure.why:
        lines.append(f"  {escape(failure.why[:500])}")
    if failure.fix:
        lines.append(f"  → {escape(failure.fix)}")
    lines.append(RETRY_HINT)
    return "\n".join(lines)


def unrecorded_text(sink_errors: list[str]) -> str:
    """What the run's journal (or this screen) could not take: the run went on, its record of it did not."""
    lines = ["[yellow]⚠ Not every event of this run was recorded (the run itself went on as shown):[/]"]
    lines += [f"  [yellow]{escape(error)}[/]" for error in sink_errors]
    return "\n".join(lines)
