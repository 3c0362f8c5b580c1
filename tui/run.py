"""The run screen: each step's state, the live log and progress, then the outcome and what to do next."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, ProgressBar, RichLog, Static

from botship.deploy import open_journal, record_deploy
from botship.errors import BotshipError
from botship.local_run import answer_body, function_log_lines
from botship.profiles import ProfileStore
from botship.spec import DeploySpec

from .dialogs import ConfirmDialog, ProfileNameDialog
from botship.session import DeploySession
from .widgets import TopBar

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
OUTPUT_NAMES = {"function_arn": "function", "bucket": "state bucket", "schedule": "schedule", "secret_arn": "secret",
                "role_arn": "role", "image_uri": "image", "log_group": "logs", "repository_uri": "repository"}


class RunEvent(Message):
    """One engine event, posted from the worker thread."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        # A newer progress report of the same step supersedes an older one still queued.
        return (isinstance(message, RunEvent) and self.event.kind == message.event.kind == "progress"
                and self.event.step == message.event.step)


class RunDone(Message):
    def __init__(self, result: Any, journal: str) -> None:
        super().__init__()
        self.result, self.journal = result, journal


class RunScreen(Screen):
    BINDINGS = [Binding("escape", "cancel_or_back", "Cancel / Back"), Binding("r", "retry", "Retry", show=False),
                Binding("i", "invoke", "Invoke now", show=False), Binding("s", "save", "Save profile", show=False),
                Binding("e", "export", "Export state", show=False), Binding("h", "home", "Home", show=False)]

    def __init__(self, state: DeploySession, spec: DeploySpec, plan: Any, provider: Any) -> None:
        super().__init__()
        self.state, self.spec, self.plan, self.provider = state, spec, plan, provider
        self.handle = None
        self.running: str | None = None
        self.step_ids: list[str] = []
        self.started: dict[str, float] = {}
        self.result = None
        self.journal = ""
        self.frame = 0

    def compose(self) -> ComposeResult:
        yield TopBar(f"Deploying {self.spec.bot_name} to {self.spec.where}", self.spec.mode)
        with Horizontal(id="run"):
            yield DataTable(id="run-steps", cursor_type="none")
            with Vertical(id="run-side"):
                yield RichLog(id="run-log", wrap=True, markup=True)
                yield ProgressBar(id="run-progress", show_eta=False)
                yield Static("", id="run-progress-label")
        yield Static("", id="run-outcome")
        with Horizontal(id="run-buttons", classes="row"):
            yield Button("Cancel", id="cancel", variant="warning")
            yield Button("Retry", id="retry", variant="primary")
            yield Button("Back to edit", id="back")
            yield Button("Invoke now", id="invoke", variant="primary")
            yield Button("Save profile", id="save", variant="success")
            yield Button("Export state", id="export")
            yield Button("Home", id="home")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#run-steps", DataTable)
        table.add_column("State", key="state", width=11)
        table.add_column("Step", key="step")
        table.add_column("Action", key="action")
        self._fill_steps()
        self._progress_shown(False)
        self.set_interval(0.1, self._spin)
        self._buttons()
        self.start(self.plan)

    def _fill_steps(self, steps: list[dict[str, Any]] | None = None) -> None:
        """One row per step: the plan's, with the deploy lock first when the run takes one; or, once the
        run reports its steps (planned again under the lock), those."""
        table = self.query_one("#run-steps", DataTable)
        # Planned again mid-run: the lock row keeps its state (it is running); the other rows start over.
        states = {key.value: table.get_cell(key, "state") for key in table.rows} if steps is not None else {}
        table.clear()
        if steps is None:
            from botship.providers.engine import run_steps

            steps = run_steps(self.plan)
        for step in steps:
            state = states.get(step["id"], "waiting") if step["id"] == "lock" else "waiting"
            table.add_row(state, step["title"], step["action"], key=step["id"])
        self.step_ids = [step["id"] for step in steps]

    def _set_state(self, step: str, text: str) -> None:
        table = self.query_one("#run-steps", DataTable)
        try:
            table.update_cell(step, "state", text)
        except Exception:  # noqa: BLE001 - a step the table does not list (none should exist)
            pass

    def _spin(self) -> None:
        if self.running:
            self.frame = (self.frame + 1) % len(SPINNER)
            self._set_state(self.running, f"{SPINNER[self.frame]} running")

    def _buttons(self) -> None:
        finished = self.result is not None
        ok = finished and self.result.ok
        shown = {"cancel": not finished, "retry": finished and not ok, "back": finished and not ok,
                 "invoke": ok, "save": ok, "export": ok and self.sandbox, "home": finished}
        for name, visible in shown.items():
            self.query_one(f"#{name}", Button).display = visible

    # ---- running ----------------------------------------------------------------------------------

    def start(self, plan: Any) -> None:
        self.plan, self.result = plan, None
        self.query_one("#run-outcome", Static).update("")
        self._buttons()
        self.run_plan(plan)

    @work(thread=True, exclusive=True, exit_on_error=False, group="run")
    def run_plan(self, plan: Any) -> None:
        from botship.providers.engine import fan_out, start_run

        masker = self.state.secret_values().masker()
        journal = open_journal(self.state.project, self.state.profile or "wizard", plan, masker, self.app.clock())
        self.handle = start_run(plan, fan_out(journal, lambda event: self.post_message(RunEvent(event))), masker)
        result = self.handle.wait()
        self.journal = str(journal.path.relative_to(self.state.project))
        if result.ok and self.state.profile:
            # A new deployment is recorded once its answers are saved under a profile name.
            record_deploy(self.state.project, self.state.profile, self.spec, result, self.journal, masker)
        self.post_message(RunDone(result, self.journal))

    def on_run_event(self, message: RunEvent) -> None:
        event = message.event
        log = self.query_one("#run-log", RichLog)
        kind = event.kind
        if kind == "plan_changed":
            self._fill_steps(event.steps)
        elif kind == "step_started":
            self.running = event.step
            log.write(f"[b]▸ {escape(event.title)}[/b]  [dim]{event.action}[/dim]")
            self._progress_shown(False)
        elif kind == "log":
            style = "red" if event.level == "error" else "yellow" if event.level == "warning" else "dim"
            log.write(f"    [{style}]{escape(event.message)}[/{style}]")
        elif kind == "progress":
            bar = self.query_one("#run-progress", ProgressBar)
            self._progress_shown(True)
            bar.update(total=event.total, progress=event.done)
            amount = f"{event.done:,}" + (f" of {event.total:,}" if event.total else "")
            self.query_one("#run-progress-label", Static).update(f"{amount} {escape(event.unit)}")
        elif kind == "step_finished":
            self.running = None if self.running == event.step else self.running
            self._set_state(event.step, f"✓ {_duration(event.duration_s)}" if event.ran else "= no change")
        elif kind == "step_failed":
            self.running = None
            self._set_state(event.step, "✗ failed")
            log.write(f"[red]✗ {escape(event.what)}[/red]")
        elif kind == "step_cancelled":
            self.running = None
            self._set_state(event.step, "– cancelled")

    def _progress_shown(self, shown: bool) -> None:
        bar = self.query_one("#run-progress", ProgressBar)
        if not shown:
            bar.update(total=None, progress=0)
            self.query_one("#run-progress-label", Static).update("")
        bar.display = shown
        self.query_one("#run-progress-label", Static).display = shown

    def on_run_done(self, message: RunDone) -> None:
        self._progress_shown(False)
        self.result = message.result
        self.running = None
        for step_id in self.step_ids:
            if self.query_one("#run-steps", DataTable).get_cell(step_id, "state") == "waiting":
                self._set_state(step_id, "skipped")
        outcome = self.query_one("#run-outcome", Static)
        result = message.result
        if result.ok:
            self._remember_secrets()
            outcome.update(self._success_text(result, message.journal))
            outcome.set_classes("ok")
            if self.sandbox:
                self.app.sandbox_deployed(self.spec.bot_name, bool(self.spec.schedule))
        elif result.status == "cancelled":
            outcome.update("[b]Cancelled[/b] between cloud calls: what finished stays, nothing was left half-done.\n"
                           "Retry continues where it stopped (finished steps plan as no change).")
            outcome.set_classes("warn")
        else:
            failure = result.failure
            lines = [f"[b red]✗ {escape(failure.title)} failed:[/] {escape(failure.what)}"]
            if failure.why:
                lines.append(f"  {escape(failure.why[:500])}")
            if failure.fix:
                lines.append(f"  → {escape(failure.fix)}")
            lines.append("Retry resumes (finished steps plan as no change); Back to edit changes the answers.")
            outcome.update("\n".join(lines))
            outcome.set_classes("failed")
        self._buttons()
        self.query_one("#invoke" if result.ok else "#retry", Button).focus()

    def _success_text(self, result: Any, journal: str) -> str:
        lines = [f"[b green]✓ Deployed {escape(self.spec.bot_name)}[/] to {escape(self.spec.where)} in "
                 f"{_duration(result.duration_s)} — mode [b]{self.spec.mode.upper()}[/b]"]
        seen = set()
        for outputs in result.outputs.values():
            for key, value in outputs.items():
                if key in OUTPUT_NAMES and value and value not in seen:
                    seen.add(value)
                    lines.append(f"  {OUTPUT_NAMES[key]:<13} {escape(str(value))}")
        schedule = f"{self.spec.schedule} ({self.spec.timezone})" if self.spec.schedule else "only when invoked"
        if self.sandbox and self.spec.schedule:
            schedule += " — fired by botship's local scheduler, only while this app is open"
        lines.append(f"  {'runs':<13} {escape(schedule)}")
        lines.append(f"  {'journal':<13} {escape(journal)}")
        if self.sandbox:
            lines.append("[yellow]The sandbox lives inside this botship: the bot and its state vanish when it closes"
                         " — press e to export the state.[/]")
        return "\n".join(lines)

    @property
    def sandbox(self) -> bool:
        return self.spec.platform == "sandbox"

    def _remember_secrets(self) -> None:
        self.state.remember_secrets(self.spec.bot_name)

    # ---- actions ----------------------------------------------------------------------------------

    def action_cancel_or_back(self) -> None:
        if self.result is None:
            self.app.push_screen(ConfirmDialog("Stop the deploy after the current cloud call?\n"
                                               "Finished steps stay; a re-run continues from there.",
                                               yes="Stop", no="Keep going", danger=True), self._cancel)
        elif not self.result.ok:
            self.app.pop_screen()
        else:
            self.action_home()

    def _cancel(self, stop: bool | None) -> None:
        if stop and self.handle is not None and self.result is None:
            self.handle.cancel()
            self.query_one("#run-log", RichLog).write("[yellow]cancelling after the current cloud call…[/]")

    def action_retry(self) -> None:
        if self.result is None or self.result.ok:
            return
        self.query_one("#run-outcome", Static).update("Reading the cloud again to plan the retry…")
        self.replan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="run")
    def replan(self) -> None:
        from botship.providers.base import DeployContext

        try:
            plan = self.provider.plan(DeployContext(self.state.project, self.state.profile or "wizard",
                                                    self.state.secret_values()))
        except BotshipError as exc:
            self.app.call_from_thread(self.query_one("#run-outcome", Static).update,
                                      "[red]" + escape("\n".join(exc.lines())) + "[/]")
            return
        self.app.call_from_thread(self._restart, plan)

    def _restart(self, plan: Any) -> None:
        self.plan = plan
        self._fill_steps()
        self.query_one("#run-log", RichLog).write("[b]— retry —[/b]")
        self.start(plan)

    def action_invoke(self) -> None:
        if self.result is None or not self.result.ok:
            return
        self.query_one("#run-log", RichLog).write(f"[b]▸ Invoking {escape(self.spec.bot_name)}…[/b]")
        self.invoke()

    @work(thread=True, exclusive=True, exit_on_error=False, group="invoke")
    def invoke(self) -> None:
        masker = self.state.secret_values().masker()
        write = self.query_one("#run-log", RichLog).write
        try:
            answer = self.provider.invoke({"source": "botship", "reason": "invoke now"})
        except BotshipError as exc:
            self.app.call_from_thread(write, "[red]" + escape("\n".join(exc.lines())) + "[/]")
            return
        lines = [f"  [dim]{escape(text)}[/dim]" for line in answer.get("logs", [])
                 for text in function_log_lines(masker, line)[1]]
        lines += invoke_summary(masker.mask_data(answer))
        try:
            lines += state_summary(self.provider.state_files())
        except BotshipError:
            pass  # a provider that cannot read state yet; the result above stands
        self.app.call_from_thread(write, "\n".join(lines))

    def action_export(self) -> None:
        if self.result is None or not self.result.ok or not self.sandbox:
            return
        stamp = self.app.clock().strftime("%Y%m%d-%H%M%S")
        self.export_state(self.state.project / "state-export" / f"{self.spec.bot_name}-{self.spec.mode}-{stamp}")

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export_state(self, into: Path) -> None:
        try:
            listing = self.provider.export_state(into)
        except BotshipError as exc:
            self.app.call_from_thread(self.notify, "\n".join(exc.lines()), title="Export failed", severity="error")
            return
        where = into.relative_to(self.state.project) if into.is_relative_to(self.state.project) else into
        self.app.call_from_thread(self.notify, f"{len(listing.files)} file(s) of {self.spec.bot_name}'s "
                                  f"{self.spec.mode} state copied to {where}/", title="State exported")

    def action_save(self) -> None:
        if self.result is None or not self.result.ok:
            return
        store = ProfileStore(self.state.project)
        try:
            existing = store.names()
        except BotshipError:
            existing = []
        suggested = self.state.profile or ("live" if self.spec.mode == "live" else "paper")
        self.app.push_screen(ProfileNameDialog(suggested, existing), self._save)

    def _save(self, name: str | None) -> None:
        if not name:
            return
        try:
            ProfileStore(self.state.project).save(name, self.spec, self.state.secret_values().masker())
        except BotshipError as exc:
            self.notify(exc.what, title="Not saved", severity="error")
            return
        if self.state.profile != name:
            record_deploy(self.state.project, name, self.spec, self.result, self.journal,
                          self.state.secret_values().masker())
        self.state.profile = name
        path = Path("botship.toml")
        self.notify(f"Saved profile '{name}' in {path}. Re-run it with: botship deploy --profile {name}",
                    title="Profile saved")

    def action_home(self) -> None:
        if self.result is not None:
            self.app.action_home()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        actions = {"cancel": self.action_cancel_or_back, "retry": self.action_retry,
                   "back": lambda: self.app.pop_screen(), "invoke": self.action_invoke, "save": self.action_save,
                   "export": self.action_export, "home": self.action_home}
        if event.button.id in actions:
            actions[event.button.id]()


def _duration(seconds: float) -> str:
    return "under 1 s" if seconds < 1 else f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def invoke_summary(answer: dict[str, Any]) -> list[str]:
    """An invoke's answer in a few lines: the function's status, the bot's status and its result."""
    payload, body = answer_body(answer)
    if answer.get("error") or not isinstance(body, dict):
        return [f"[red]✗ invoke: {escape(str(answer.get('error') or 'no result'))}[/]",
                escape(json.dumps(payload, indent=2, default=str))]
    status = body.get("status", "?")
    style = "green" if status == "ok" else "yellow" if status == "skipped" else "red"
    lines = [f"[b {style}]● run {escape(str(status))}[/] [dim](HTTP {payload.get('statusCode')}, "
             f"{answer.get('duration_ms', '?')} ms)[/dim]"]
    if "result" in body:
        lines.append("  result: " + escape(json.dumps(body["result"], default=str)))
    if "error" in body:
        lines.append(f"  [red]{escape(json.dumps(body['error'], default=str))}[/]")
    if "reason" in body:
        lines.append(f"  {escape(str(body['reason']))}")
    return lines


def state_summary(listing: Any) -> list[str]:
    if not listing.files:
        return ["  state: empty (the bot wrote nothing under BOTSHIP_STATE_DIR)"]
    lines = [f"  state: {len(listing.files)} file(s), {listing.total_bytes:,} bytes, generation "
             f"{listing.generation}, saved {listing.saved_at}"]
    lines += [f"    {escape(path)}  [dim]{size:,} B[/dim]" for path, size in list(listing.files.items())[:12]]
    if len(listing.files) > 12:
        lines.append(f"    … and {len(listing.files) - 12} more")
    return lines
