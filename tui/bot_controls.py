"""What the bot screen can do to a deployed bot, each confirmed before it changes anything: invoke it now, pause
and resume its schedule, stop new entries / flatten / back to normal, roll back to an earlier version, destroy it.

A key shows in the footer only while its action works: the cloud can do it (its capabilities) and the bot's
state allows it (a paused bot resumes, an active one pauses). Mixed into BotScreen, which provides `handle`,
`status` (BotStatus or None), `control` (the level or None), `found` (a profile here, or None) and `reload()`.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual import work
from textual.binding import Binding

from botship.providers.base import CONTROL, INVOKE, PAUSE, ROLLBACK, STATE

from .bot_format import ago
from .dialogs import ConfirmDialog

CONTROL_BINDINGS = [
    Binding("i", "invoke", "Invoke now"), Binding("p", "pause", "Pause"), Binding("u", "resume", "Resume"),
    Binding("s", "control('stopentry')", "Stop entries"), Binding("f", "control('flatten')", "Flatten"),
    Binding("n", "control('run')", "Back to normal"), Binding("b", "rollback", "Roll back"),
    Binding("R", "redeploy", "Redeploy"), Binding("X", "destroy", "Destroy"),
]
CONTROL_QUESTIONS = {
    "stopentry": "Stop new entries for {bot}? Its next runs open no new positions (buys are refused); what it "
                 "holds stays, and it may still sell.",
    "flatten": "Flatten {bot}? Its next run sells every open position at market and opens no new ones.",
    "run": "Put {bot} back to normal? Its next runs trade as usual again.",
}
CONTROL_DONE = {"stopentry": "stops new entries", "flatten": "flattens", "run": "trades as usual"}


class BotControls:
    handle: Any
    status: Any
    control: str | None
    found: Any

    def can(self, feature: str) -> bool:
        return self.handle.cloud.can(feature)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        status = self.status
        if action == "invoke":
            return self.can(INVOKE)
        if action == "pause":  # the schedule's own switch: a paused bot whose last update failed still resumes
            return self.can(PAUSE) and status is not None and bool(status.schedule) and not status.paused
        if action == "resume":
            return self.can(PAUSE) and status is not None and bool(status.schedule) and status.paused
        if action == "control":
            return (self.can(CONTROL) and self.can(STATE) and self.control is not None
                    and bool(parameters) and parameters[0] != self.control)
        if action == "rollback":
            return self.can(ROLLBACK)
        if action in ("destroy", "redeploy"):
            return self.found is not None and self.found.spec is not None
        return True

    def _ask(self, question: str, yes: str, then: Any, danger: bool = False) -> None:
        live = self.handle.mode == "live" or (self.status is not None and self.status.mode == "live")
        if live:
            question += "\n[b red]▲ LIVE[/]: this bot trades with real money."
        self.app.push_screen(ConfirmDialog(question, yes=yes, no="Cancel", danger=danger or live),  # type: ignore
                             lambda go: then() if go else None)

    @property
    def bot(self) -> str:
        return escape(self.handle.bot_name)

    # ---- invoke now -----------------------------------------------------------------------------------

    def action_invoke(self) -> None:
        self._ask(f"Run {self.bot} now? It runs once, as a scheduled run would, with its state.", "Run now",
                  self.invoke_now)

    @work(thread=True, exclusive=True, exit_on_error=False, group="invoke")
    def invoke_now(self) -> None:
        self.app.call_from_thread(self.notify, f"Running {self.handle.bot_name}…", timeout=4)  # type: ignore
        ran = self.handle.invoke({"source": "botship", "reason": "invoke now"})
        self.app.call_from_thread(self._show, f"{self.bot} ran", invoke_body(ran))  # type: ignore

    def _show(self, title: str, body: Any) -> None:
        from .bot_dialogs import TextDialog

        self.app.push_screen(TextDialog(title, body), lambda _: self.reload())  # type: ignore

    # ---- pause and resume -----------------------------------------------------------------------------

    def action_pause(self) -> None:
        self._ask(f"Pause {self.bot}? Its schedule is switched off: no scheduled run until it is resumed "
                  "(invoking it now still works).", "Pause", lambda: self.switch(False))

    def action_resume(self) -> None:
        self._ask(f"Resume {self.bot}? Its schedule is switched on again.", "Resume", lambda: self.switch(True))

    @work(thread=True, exclusive=True, exit_on_error=False, group="switch")
    def switch(self, on: bool) -> None:
        (self.handle.resume if on else self.handle.pause)()
        said = f"{self.handle.bot_name}'s schedule is {'on again' if on else 'off: paused'}."
        self.app.call_from_thread(self._done, "Resumed" if on else "Paused", said)  # type: ignore

    def _done(self, title: str, said: str) -> None:
        self.notify(said, title=title)  # type: ignore
        self.reload()

    # ---- stop entries, flatten, back to normal ------------------------------------------------------

    def action_control(self, level: str) -> None:
        from botship.bots import control_note

        question = CONTROL_QUESTIONS[level].format(bot=self.bot)
        question += "\nIt is written into the bot's state (algorithm_control.json) under its lock."
        note = control_note(self.handle.mode, level)
        if note:
            question += f"\n{escape(note)}."
        self._ask(question, {"stopentry": "Stop entries", "flatten": "Flatten", "run": "Back to normal"}[level],
                  lambda: self.set_control(level), danger=level == "flatten")

    @work(thread=True, exclusive=True, exit_on_error=False, group="control-set")
    def set_control(self, level: str) -> None:
        done = self.handle.set_control(level)
        said = (f"From its next run, {self.handle.bot_name} {CONTROL_DONE[level]} "
                f"(state generation {done.get('generation', '?')}).")
        self.app.call_from_thread(self._done, "Control written", said)  # type: ignore

    # ---- roll back ----------------------------------------------------------------------------------

    def action_rollback(self) -> None:
        self.notify("Reading the versions kept…", timeout=3)  # type: ignore
        self.read_versions()

    @work(thread=True, exclusive=True, exit_on_error=False, group="versions")
    def read_versions(self) -> None:
        versions = self.handle.versions()
        self.app.call_from_thread(self._pick_version, versions)  # type: ignore

    def _pick_version(self, versions: list[Any]) -> None:
        from .bot_dialogs import PickDialog

        if not versions:
            said = "No earlier version is kept for this bot: a rollback needs one deployed before."
            self.notify(said, title="Nothing to roll back to", severity="warning")  # type: ignore
            return
        now = self.app.clock()  # type: ignore
        rows, refused = [], {}
        for entry in versions:
            current = "current" in entry.detail
            rows.append((entry.version, [escape(entry.version[:16]), ago(entry.at, now), escape(entry.detail or "")]))
            if current:
                refused[entry.version] = "That version runs now."
        self.app.push_screen(PickDialog(f"Roll {self.bot} back to which version? (Enter picks)",  # type: ignore
                                        ["Version", "Deployed", ""], rows, refused=refused),
                             self._confirm_rollback)

    def _confirm_rollback(self, version: str | None) -> None:
        if version is None:
            return
        self._ask(f"Roll {self.bot} back to version {escape(version[:16])}? That exact artifact is shipped again; "
                  "its state is left as it is.", "Roll back", lambda: self.rollback(version), danger=True)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rollback")
    def rollback(self, version: str) -> None:
        entry = self.handle.rollback(version)
        said = f"{self.handle.bot_name} runs version {entry.version[:16]} again." + (
            f" {entry.detail}" if entry.detail else "")
        self.app.call_from_thread(self._done, "Rolled back", said)  # type: ignore

    # ---- redeploy with its profile -------------------------------------------------------------------

    def action_redeploy(self) -> None:
        """The wizard's review of the bot's profile here: the plan, then Deploy (as `r` on the home screen)."""
        from botship.profiles import ProfileStore
        from botship.session import DeploySession

        from .wizard import WizardScreen

        found = self.found
        if found is None or found.spec is None or found.profile is None:
            return
        raw = ProfileStore(self.app.project).raw(found.profile)  # type: ignore[attr-defined]
        session = DeploySession.from_profile(self.app.project, found.profile, raw)  # type: ignore[attr-defined]
        self.app.push_screen(WizardScreen(session, start="review"))  # type: ignore[attr-defined]

    # ---- destroy ------------------------------------------------------------------------------------

    def action_destroy(self) -> None:
        from botship import providers

        from .bot_destroy import DestroyScreen
        from .bot_dialogs import DestroyDialog

        found = self.found
        if found is None or found.spec is None:
            return
        provider = providers.provider_class(found.spec.platform)(found.spec)

        def chosen(plan: Any) -> None:
            if plan is not None:
                self.app.push_screen(DestroyScreen(found, plan))  # type: ignore

        self.app.push_screen(DestroyDialog(provider, found.spec.bot_name, found.spec.where), chosen)  # type: ignore


def invoke_body(ran: Any) -> Any:
    """A run now, to read: how it ended, its result pretty-printed, and what it logged (decoded, masked)."""
    from rich.console import Group
    from rich.syntax import Syntax
    from rich.text import Text

    from .bot_format import pretty, run_mark, took
    from .bot_runs import log_lines

    body = ran.body if isinstance(ran.body, dict) else None
    parts: list[Any] = []
    if ran.error or body is None:
        parts.append(Text.from_markup(f"[red]✗ the function failed: {escape(str(ran.error or 'no result'))}[/]"))
        parts.append(Syntax(pretty(ran.result), "json", word_wrap=True, background_color="default"))
    else:
        status = str(body.get("status", "?"))
        parts.append(Text.from_markup(f"{run_mark(status)} [dim]run {escape(str(body.get('run_id', '?')))} · "
                                      f"took {took(ran.duration_ms)}[/dim]"))
        if body.get("error"):
            parts.append(Text.from_markup(f"[red]{escape(pretty(body['error']))}[/]"))
        if body.get("reason"):
            parts.append(Text(str(body["reason"])))
        if "result" in body:
            parts += [Text.from_markup("\n[b]Result[/b]"),
                      Syntax(pretty(body["result"]), "json", word_wrap=True, background_color="default")]
    logged = log_lines(ran.logs)
    if logged:
        parts += [Text.from_markup("\n[b]Logged[/b]"), Text("\n".join(logged), style="dim")]
    return Group(*parts)
