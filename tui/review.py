"""The review section: the plan read from the cloud — every resource with its action — and a monthly cost."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, DataTable, Static
from textual.worker import Worker

from botship import paper, providers
from botship.cost import spec_cost
from botship.errors import BotshipError, SpecInvalid
from botship.spec import DeploySpec

from .dialogs import SecretValuesDialog
from .sections import Section
from .workers import ShowsWorkerErrors


class PlanningReport:
    """Planning's local work (building the package) as messages to the section; safe from any thread."""

    def __init__(self, section: ReviewSection) -> None:
        self.section = section

    def log(self, message: str, level: str = "info") -> None:
        self.section.post_message(ReviewSection.Progress(message))

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        share = f"{done * 100 // total}%" if total else str(done)
        self.section.post_message(ReviewSection.Progress(f"{share} {unit}"))


class ReviewSection(Section, ShowsWorkerErrors):  # after Section: consistent if Section mixes it in too
    key, title = "review", "Review"

    class Progress(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ReviewSection.Progress)

    class Planned(Message):
        def __init__(self, spec: DeploySpec, plan: Any, provider: Any, token: object) -> None:
            super().__init__()
            self.spec, self.plan, self.provider, self.token = spec, plan, provider, token

    class Failed(Message):
        def __init__(self, lines: list[str], token: object, consent: Any = None) -> None:
            super().__init__()
            self.lines, self.token, self.consent = lines, token, consent

    def __init__(self, state) -> None:
        super().__init__(state)
        self.plan = None
        self.spec: DeploySpec | None = None
        self.provider = None
        self.planning: object | None = None
        self.planner: Worker | None = None

    def compose(self) -> ComposeResult:
        yield Static("The plan — nothing changes until you deploy", classes="section-title")
        yield Static("", id="review-status")
        yield Horizontal(id="consent", classes="row")
        yield Static("", id="review-summary")
        yield DataTable(id="plan", cursor_type="row", zebra_stripes=True)
        yield Static("", id="cost")

    def on_mount(self) -> None:
        self.query_one("#plan", DataTable).add_columns("", "Step", "Resource", "Action", "Detail")

    def shown(self) -> None:
        self.plan = None
        self.query_one("#plan", DataTable).clear()
        self.query_one("#review-summary", Static).update("")
        self.query_one("#cost", Static).update("")
        self.query_one("#consent", Horizontal).remove_children()
        try:
            spec = self.state.spec()
        except SpecInvalid as exc:
            self._show_problems(["The answers have problems — go back to fix them:"] +
                                [f"  • {p.field}: {p.message}" for p in exc.problems])
            return
        missing = self.state.missing_secrets()
        if missing:
            self._show_problems([f"No value yet for secret {', '.join(missing)}."])
            self.app.push_screen(SecretValuesDialog(missing), self._secrets_given)
            return
        self.query_one("#review-status", Static).update(f"Reading {escape(spec.where)} to plan…")
        self.changed()
        self.planning = object()  # answers a plan started earlier (then left) brings back are not these
        self.planner = self.make_plan(spec, self.planning)

    def _secrets_given(self, values: dict[str, tuple[str, bool]] | None) -> None:
        if not values:
            return
        for row in self.state.variables:
            if row.name in values:
                row.value, row.remember = values[row.name]
                row.source = "prompt"
        self.shown()

    def _show_problems(self, lines: list[str]) -> None:
        self.query_one("#review-status", Static).update("[red]" + "\n".join(escape(line) for line in lines) + "[/]")
        self.changed()

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def make_plan(self, spec: DeploySpec, token: object) -> None:
        """Plans in a worker thread that touches no widget: the plan, or what stopped it, comes back as a
        message; anything else it raises `worker_failed` shows."""
        from botship.providers.base import ConsentNeeded

        try:
            provider = providers.provider_class(spec.platform)(spec)
            context = self.state.deploy_context(self.state.profile or "wizard", PlanningReport(self))
            self.post_message(self.Planned(spec, provider.plan(context), provider, token))
        except ConsentNeeded as exc:
            self.post_message(self.Failed(exc.lines(), token, consent=exc))
        except BotshipError as exc:
            self.post_message(self.Failed(exc.lines(), token))

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        if worker is self.planner:
            self._show_problems(lines)

    def on_review_section_progress(self, message: Progress) -> None:
        if self.plan is None:
            self.query_one("#review-status", Static).update(f"Building the package… {escape(message.text)}")

    def on_review_section_failed(self, message: Failed) -> None:
        if message.token is self.planning:
            self._show_problems(message.lines)
            consent = message.consent
            if consent is not None:
                # The plan asks the user to choose (recover or purge a deleted vault): a button per choice.
                self.query_one("#consent", Horizontal).mount_all(
                    [Button(title, name=f"{consent.key}={value}") for value, title in consent.options])

    @on(Button.Pressed, "#consent Button")
    def consented(self, event: Button.Pressed) -> None:
        key, _, value = (event.button.name or "").partition("=")
        self.state.consents[key] = value
        self.query_one("#consent", Horizontal).remove_children()
        self.shown()

    def on_review_section_planned(self, message: Planned) -> None:
        if message.token is not self.planning:
            return
        self.spec, self.plan, self.provider = message.spec, message.plan, message.provider
        plan = message.plan
        table = self.query_one("#plan", DataTable)
        table.clear()
        for step in plan.steps:
            table.add_row(step.action.mark, step.title, escape(step.resource), step.action.value, escape(step.detail))
        counts = {}
        for step in plan.steps:
            counts[step.action.value] = counts.get(step.action.value, 0) + 1
        status = ("Everything is up to date: deploying changes nothing." if plan.is_noop else
                  ", ".join(f"{n} to {action}" if action != "no change" else f"{n} unchanged"
                            for action, n in counts.items()))
        self.query_one("#review-status", Static).update(escape(status))
        self.query_one("#review-summary", Static).update("\n".join(
            f"[b]{escape(key):<10}[/b] {escape(value)}" for key, value in plan.summary))
        headline, *items = spec_cost(message.spec, len(paper.sent_secrets(message.spec, self.state.project)))
        self.query_one("#cost", Static).update("\n".join([f"[b]{escape(headline)}[/b]", *map(escape, items)]))
        self.changed()

    def ready(self) -> bool:
        return self.plan is not None
