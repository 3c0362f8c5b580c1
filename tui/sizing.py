"""The size and schedule section: memory, timeout and /tmp within the platform's limits, and when the bot runs."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from botship.answers import (
    SCHEDULE_PRESETS,
    SIZE_LABELS,
    daily_expr,
    daily_parts,
    preset_of,
)
from botship.schedule import check_fires, describe_schedule, next_runs, parse_schedule
from botship.spec import DeploySpec, limits_for

from .sections import Section
from .widgets import Field, SpecCheck


class SizeSection(Section):
    key, title = "size", "Size and schedule"

    def compose(self) -> ComposeResult:
        yield Static("How big, and when?", classes="section-title")
        with Horizontal(classes="row"):
            for name, label in SIZE_LABELS.items():
                yield Field(label, Input(str(self.answers.get(name) or DeploySpec.model_fields[name].default),
                                         id=name.replace("_", "-"), type="integer",
                                         validators=[SpecCheck(name, lambda: self.answers, convert=int)]),
                            "", id=f"field-{name}")
        yield Static("", id="limits", classes="field-help")
        with Horizontal(classes="row"):
            yield Field("Schedule", Select([(label, key) for key, label, _ in SCHEDULE_PRESETS], id="schedule-preset",
                                           allow_blank=False, value=self._preset()))
            yield Field("Daily at (HH:MM)", Input(self._daily_time(), id="daily-at", placeholder="09:00"),
                        id="field-daily")
            yield Field("Custom expression", Input(self.answers.get("schedule") or "", id="custom-schedule",
                                                   placeholder="cron(0 9 ? * MON-FRI *)",
                                                   validators=[SpecCheck("schedule", lambda: self.answers)]),
                        id="field-custom")
            yield Field("Time zone", Input(self.answers.get("timezone", "UTC"), id="timezone",
                                           validators=[SpecCheck("timezone", lambda: self.answers)]))
        yield Static("", id="schedule-preview")

    def _preset(self) -> str:
        return preset_of(self.answers.get("schedule"))

    def _daily_time(self) -> str:
        parts = daily_parts(self.answers.get("schedule") or "")
        return f"{parts[0]:02d}:{parts[1]:02d}" if parts else "09:00"

    def on_mount(self) -> None:
        self._show_preset(self._preset())

    def shown(self) -> None:
        platform = self.answers.get("platform", "aws")
        plan = (self.answers.get("azure") or {}).get("plan", "flex")
        limits = limits_for(platform, plan)
        self.query_one("#field-ephemeral_mb").display = "ephemeral_mb" in limits
        self.query_one("#limits", Static).update("limits on this platform: " + ", ".join(
            f"{name} {lim.low}–{lim.high}" if not lim.choices else f"{name} one of {', '.join(map(str, lim.choices))}"
            for name, lim in limits.items()))
        for name in ("memory_mb", "timeout_s", "ephemeral_mb"):
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
