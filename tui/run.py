"""The run screen: each step's state, the live log and progress, then the outcome and what to do next."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, RichLog, Static
from textual.worker import Worker

from botship.errors import BotshipError
from botship.function_log import function_log_lines
from botship.providers.base import EPHEMERAL, STATE, InvokeResult
from botship.profiles import ProfileStore
from botship.record import open_journal, record_deploy
from botship.session import DeploySession
from botship.spec import DeploySpec

from .dialogs import ConfirmDialog, ProfileNameDialog
from .run_view import CANCELLED_TEXT, RunActivity, StepList, failure_text, success_text, unrecorded_text
from .widgets import TopBar
from .workers import ShowsWorkerErrors, error_markup


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
    """The run ended; `problem`: the lines of what went wrong after it (its local record was not saved)."""

    def __init__(self, result: Any, journal: str, problem: list[str] | None = None) -> None:
        super().__init__()
        self.result, self.journal, self.problem = result, journal, problem or []


class RunScreen(ShowsWorkerErrors, Screen):
    BINDINGS = [Binding("escape", "cancel_or_back", "Cancel / Back"), Binding("r", "retry", "Retry", show=False),
                Binding("i", "invoke", "Invoke now", show=False), Binding("s", "save", "Save profile", show=False),
                Binding("e", "export", "Export state", show=False), Binding("h", "home", "Home", show=False)]

    def __init__(self, state: DeploySession, spec: DeploySpec, plan: Any, provider: Any) -> None:
        super().__init__()
        self.state, self.spec, self.plan, self.provider = state, spec, plan, provider
        self.handle = None
        self.result = None
        self.journal = ""

    def compose(self) -> ComposeResult:
        yield TopBar(f"Deploying {self.spec.bot_name} to {self.spec.where}", self.spec.mode)
        with Horizontal(id="run"):
            yield StepList(id="run-steps")
            yield RunActivity(id="run-side")
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
        self._fill_steps()
        self._buttons()
        self.start(self.plan)

    @property
    def steps(self) -> StepList:
        return self.query_one("#run-steps", StepList)

    @property
    def activity(self) -> RunActivity:
        return self.query_one("#run-side", RunActivity)

    def _fill_steps(self) -> None:
        """One row per step the run will report: the plan's, with the deploy lock first when it takes one."""
        from botship.providers.engine import run_steps

        self.steps.fill(run_steps(self.plan))

    def _buttons(self) -> None:
        finished = self.result is not None
        ok = finished and self.result.ok
        shown = {"cancel": not finished, "retry": finished and not ok, "back": finished and not ok,
                 "invoke": ok, "save": ok, "export": ok and self.provider.cloud_class.can(STATE), "home": finished}
        for name, visible in shown.items():
            self.query_one(f"#{name}", Button).display = visible

    # ---- running ----------------------------------------------------------------------------------

    def start(self, plan: Any) -> None:
        self.plan, self.result, self.handle = plan, None, None
        self.query_one("#run-outcome", Static).update("")
        self._buttons()
        self.run_plan(plan)

    @work(thread=True, exclusive=True, exit_on_error=False, group="run")
    def run_plan(self, plan: Any) -> None:
        """The run, in a worker thread that touches no widget: its events and its end reach the screen as
        messages; what it raises (the journal cannot be opened, the plan has no masker) `worker_failed` shows."""
        from botship.providers.engine import fan_out, start_run

        project, profile = self.state.project, self.state.profile
        journal = open_journal(project, profile or "wizard", plan, self.app.clock())
        self.handle = start_run(plan, fan_out(journal, lambda event: self.post_message(RunEvent(event))))
        result = self.handle.wait()
        name = str(journal.path.relative_to(project))
        problem: list[str] = []
        if result.ok and profile:
            # A new deployment is recorded once its answers are saved under a profile name.
            try:
                record_deploy(project, profile, self.spec, result, name)
            except BotshipError as exc:
                problem = exc.lines()
        self.post_message(RunDone(result, name, problem))

    def on_run_event(self, message: RunEvent) -> None:
        self.activity.show(message.event, self.steps)

    def on_run_done(self, message: RunDone) -> None:
        self.activity.progress_shown(False)
        self.steps.stopped()
        self.result, self.journal = message.result, message.journal
        outcome = self.query_one("#run-outcome", Static)
        result = message.result
        if result.ok:
            self._remember_secrets()
            text, style = success_text(self.spec, result, message.journal, self.sandbox), "ok"
            if self.sandbox:
                self.app.deployed_here(self.provider.cloud_class, self.spec.bot_name, bool(self.spec.schedule))
        elif result.status == "cancelled":
            text, style = CANCELLED_TEXT, "warn"
        else:
            text, style = failure_text(result.failure), "failed"
        if message.problem:
            text += "\n" + error_markup(message.problem)
        if result.sink_errors:
            text += "\n" + unrecorded_text(result.sink_errors)
        outcome.update(text)
        outcome.set_classes(style)
        self._buttons()
        self.query_one("#invoke" if result.ok else "#retry", Button).focus()

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        """A worker of this screen raised: its error in place of the outcome, and the screen usable again."""
        outcome = self.query_one("#run-outcome", Static)
        if worker.name == "run_plan":
            # The run could not start (or its engine broke): nothing more runs, Retry and Back are offered.
            from botship.providers.engine import RunResult

            self.activity.progress_shown(False)
            self.steps.stopped("not run" if self.handle is None else "skipped")
            self.result = RunResult("failed", 0.0)
            outcome.update(error_markup(lines) + "\nRetry plans again and runs; Back to edit changes the answers.")
            outcome.set_classes("failed")
            self._buttons()
            self.query_one("#retry", Button).focus()
        elif worker.name == "replan":
            outcome.update(error_markup(lines) + "\nRetry reads the cloud again; Back to edit changes the answers.")
        else:
            self.activity.write(error_markup(lines))

    @property
    def sandbox(self) -> bool:
        """What was deployed lives only while this botship runs (the sandbox's emulator)."""
        return self.provider.cloud_class.can(EPHEMERAL)

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
            self.activity.write("[yellow]cancelling after the current cloud call…[/]")

    def action_retry(self) -> None:
        if self.result is None or self.result.ok:
            return
        self.query_one("#run-outcome", Static).update("Reading the cloud again to plan the retry…")
        self.replan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="run")
    def replan(self) -> None:
        """Plans again in a worker thread; what it raises `worker_failed` shows in place of the outcome."""
        plan = self.provider.plan(self.state.deploy_context(self.state.profile or "wizard"))
        self.app.call_from_thread(self._restart, plan)

    def _restart(self, plan: Any) -> None:
        self.plan = plan
        self._fill_steps()
        self.activity.write("[b]— retry —[/b]")
        self.start(plan)

    def action_invoke(self) -> None:
        if self.result is None or not self.result.ok:
            return
        self.query_one("#run-log", RichLog).write(f"[b]▸ Invoking {escape(self.spec.bot_name)}…[/b]")
        self.invoke()

    def _log(self, text: str) -> None:
        self.query_one("#run-log", RichLog).write(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="invoke")
    def invoke(self) -> None:
        masker = self.plan.secrets_masker()
        handle = self.provider.handle()
        try:
            ran = handle.invoke({"source": "botship", "reason": "invoke now"}).masked(masker)
        except BotshipError as exc:
            self.app.call_from_thread(self._log, "[red]" + escape("\n".join(exc.lines())) + "[/]")
            return
        lines = [f"  [dim]{escape(text)}[/dim]" for line in ran.logs for text in function_log_lines(masker, line)[1]]
        lines += invoke_summary(ran)
        if self.provider.cloud_class.can(STATE):
            try:
                lines += state_summary(handle.state_files())
            except BotshipError as exc:  # the run's result above stands
                lines.append(f"  [yellow]state: {escape(exc.what)}[/]")
        self.app.call_from_thread(self._log, "\n".join(lines))

    def action_export(self) -> None:
        if self.result is None or not self.result.ok or not self.provider.cloud_class.can(STATE):
            return
        stamp = self.app.clock().strftime("%Y%m%d-%H%M%S")
        self.export_state(self.state.project / "state-export" / f"{self.spec.bot_name}-{self.spec.mode}-{stamp}")

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export_state(self, into: Path) -> None:
        try:
            listing = self.provider.handle().export_state(into)
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
            try:
                record_deploy(self.state.project, name, self.spec, self.result, self.journal)
            except BotshipError as exc:
                self.notify("\n".join(exc.lines()), title="Profile saved, deploy not recorded", severity="warning",
                            markup=False)
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


def invoke_summary(ran: InvokeResult) -> list[str]:
    """An invoke's result in a few lines: the function's status, the bot's status and its result."""
    payload, body = ran.result, ran.body
    if ran.error or not isinstance(body, dict):
        return [f"[red]✗ invoke: {escape(str(ran.error or 'no result'))}[/]",
                escape(json.dumps(payload, indent=2, default=str))]
    status = body.get("status", "?")
    style = "green" if status == "ok" else "yellow" if status == "skipped" else "red"
    took = "?" if ran.duration_ms is None else ran.duration_ms
    lines = [f"[b {style}]● run {escape(str(status))}[/] [dim](HTTP {payload.get('statusCode')}, {took} ms)[/dim]"]
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
