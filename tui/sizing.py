"""The size and schedule section: memory, timeout and /tmp within the platform's limits, and when the bot runs."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from botship.answers import SCHEDULE_PRESETS, SIZE_LABELS, daily_expr, daily_parts, preset_of
from botship.deploy_questions import limits_line, size_help
from botship.schedule import check_fires, describe_schedule, next_runs, parse_schedule

from .sections import Section
from .widgets import Field, QuestionCheck


class SizeSection(Section):
    key, title = "size", "Size and schedule"

    def compose(self) -> ComposeResult:
        yield Static("How big, and when?", classes="section-title")
        with Horizontal(classes="row"):
            for name in SIZE_LABELS:
                question = self.session.question(name)
                yield Field(question.label, Input(str(self.answers.get(name) or question.default_for(self.answers)),
                                                  id=name.replace("_", "-"), type="integer",
                                                  validators=[QuestionCheck(question, self.session.spec_data)]),
                            "", id=f"field-{name}")
        yield Static("", id="limits", classes="field-help")
        preset, daily, custom, zone = (self.session.question(k) for k in
                                       ("schedule_preset", "daily_at", "schedule", "timezone"))
        with Horizontal(classes="row"):
            yield Field("Schedule", Select([(c.title, c.value) for c in preset.options(self.answers)],
                                           id="schedule-preset", allow_blank=False, value=self._preset()))
            yield Field(daily.label, Input(self._daily_time(), id="daily-at", placeholder=daily.placeholder),
                        id="field-daily")
            yield Field("Custom expression", Input(self.answers.get("schedule") or "", id="custom-schedule",
                                                   placeholder=custom.placeholder,
                                                   validators=[QuestionCheck(custom, self.session.spec_data)]),
                        id="field-custom")
            yield Field(zone.label, Input(self.answers.get("timezone", "UTC"), id="timezone",
                                          validators=[QuestionCheck(zone, self.session.spec_data)]))
        yield Static("", id="schedule-preview")

    def _preset(self) -> str:
        return preset_of(self.answers.get("schedule"))

    def _daily_time(self) -> str:
        parts = daily_parts(self.answers.get("schedule") or "")
        return f"{parts[0]:02d}:{parts[1]:02d}" if parts else "09:00"

    def on_mount(self) -> None:
        self._show_preset(self._preset())

    def shown(self) -> None:
        self.query_one("#field-ephemeral_mb").display = bool(size_help("ephemeral_mb", self.answers))
        self.query_one("#limits", Static).update(limits_line(self.answers))
        for name in SIZE_LABELS:
            field = self.query_one(f"#field-{name}", Field)
            field.show_problem()
        self._preview()

    def _show_preset(self, key: str) -> None:
        self.query_one("#field-daily").display = key == "daily"
        self.query_one("#field-custom").display = key == "custom"

    @on(Input.Changed, "#memory-mb, #timeout-s, #ephemeral-mb")
    def sized(self, event: Input.Changed) -> None:
        name = (event.input.id or "").replace("-", "_")
        try:
            self.answers[name] = int(event.value)
        except ValueError:
            self.answers.pop(name, None)
        self.changed()

    @on(Select.Changed, "#schedule-preset")
    def preset_picked(self, event: Select.Changed) -> None:
        key = str(event.value)
        self._show_preset(key)
        self._apply_schedule(key)

    @on(Input.Changed, "#daily-at, #custom-schedule, #timezone")
    def schedule_typed(self, event: Input.Changed) -> None:
        if event.input.id == "timezone":
            self.answers["timezone"] = event.value.strip()
        self._apply_schedule(str(self.query_one("#schedule-preset", Select).value))

    def _apply_schedule(self, key: str) -> None:
        expr = dict((k, e) for k, _, e in SCHEDULE_PRESETS).get(key)
        if key == "daily":
            expr = daily_expr(self.query_one("#daily-at", Input).value) or "invalid"
        elif key == "custom":
            expr = self.query_one("#custom-schedule", Input).value.strip() or None
        if expr:
            self.answers["schedule"] = expr
        else:
            self.answers.pop("schedule", None)
        self._preview()
        self.changed()

    def _preview(self) -> None:
        preview = self.query_one("#schedule-preview", Static)
        expr, zone = self.answers.get("schedule"), self.answers.get("timezone", "UTC")
        if not expr:
            preview.update("Runs only when invoked (Invoke now, or `botship invoke`).")
            return
        try:
            schedule = parse_schedule(expr)
            now = self.app.clock()
            check_fires(schedule, zone, now)
            runs = next_runs(schedule, zone, 5, now.astimezone(ZoneInfo(zone)))
        except (ValueError, KeyError, LookupError) as exc:
            preview.update(f"[red]{escape(str(exc) if expr != 'invalid' else 'write the time as HH:MM, e.g. 09:00')}[/]")
            return
        times = "\n".join(f"  {run:%a %d %b %Y %H:%M %Z}" for run in runs)
        preview.update(f"[b]{describe_schedule(schedule)}[/b] ({expr}) — the next runs:\n{times}")

    def ready(self) -> bool:
        return super().ready() and self.answers.get("schedule") != "invalid"
