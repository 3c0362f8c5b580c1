"""The questions of a deploy, each declared once: label, help, choices, default and the spec's own check.

The wizard draws them as widgets and `deploy --guided` as prompts; the checks are the spec's rules
(`check_field`), the limits beside a size come from the spec's limits data. A cloud's own settings
(region, subscription…) are declared by its provider, not here.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from . import providers
from .answers import PACKAGING_TITLES, SCHEDULE_PRESETS, SIZE_LABELS, daily_expr, suggest_name
from .mode_check import MODE_TITLES
from .questions import Answers, Choice, Question
from .spec import FieldDoc, check_field, field_docs
from .spec_limits import limits_of


@functools.cache
def _docs() -> dict[str, FieldDoc]:
    return {doc.key: doc for doc in field_docs()}


def doc(key: str) -> FieldDoc:
    return _docs()[key]


def spec_check(key: str, project: Path | None = None):
    """The spec's rule for one answer (a nested `table.key` checked within its table), as a question's check."""
    table, _, sub = key.partition(".")

    def check(value: Any, answers: Answers) -> str | None:
        if sub:
            problems = check_field(table, {**(answers.get(table) or {}), sub: value}, answers, project)
            problems = [p for p in problems if p.field == key or p.field.startswith(key + ".")] or \
                [p for p in problems if p.field == table]
        else:
            problems = check_field(key, value, answers, project)
        return problems[0].message if problems else None

    return check


def _number(key: str):
    check = spec_check(key)

    def number(value: Any, answers: Answers) -> str | None:
        try:
            value = int(str(value).strip())
        except ValueError:
            return "enter a whole number"
        return check(value, answers)

    return number


def limits(answers: Answers) -> dict[str, Any]:
    """The sizing limits of the chosen platform (and its hosting plan)."""
    return limits_of(answers)


def limit_text(name: str, answers: Answers) -> str:
    """A size's allowed values on the chosen platform, from the spec's limits data ('' when it does not apply)."""
    limit = limits(answers).get(name)
    if limit is None:
        return ""
    allowed = f"one of {', '.join(map(str, limit.choices))}" if limit.choices else f"{limit.low}–{limit.high}"
    return f"{allowed} on {providers.title(answers.get('platform') or '')}"


def limits_line(answers: Answers) -> str:
    """Every size's limits on the chosen platform, in one line."""
    return "limits on this platform: " + ", ".join(
        f"{name} {lim.low}–{lim.high}" if not lim.choices else f"{name} one of {', '.join(map(str, lim.choices))}"
        for name, lim in limits(answers).items())


def platform_choices(answers: Answers) -> list[Choice]:
    return [Choice(p.name, p.title, "" if p.available else "coming in a later release")
            for p in providers.platforms()]


def packaging_choices(answers: Answers) -> list[Choice]:
    platform = answers.get("platform") or ""
    images = can(platform, "image")
    return [Choice(value, PACKAGING_TITLES.get(value, value),
                   "" if value != "image" or images else f"{providers.title(platform)} deploys zip packages")
            for value in doc("packaging").choices]


def can(platform: str, feature: str) -> bool:
    """Whether the platform's cloud declares a capability (False for a platform without a provider)."""
    return platform in providers.available() and providers.cloud_class(platform).can(feature)


def _help(key: str) -> str:
    return doc(key).help


@functools.cache
def questions(project: Path) -> dict[str, Question]:
    """The deploy's questions for a project (the entry point is checked against its files)."""
    found = [
        Question("platform", "Where should the bot run?", _help("platform"), "choice", choices=platform_choices,
                 default=lambda a: next((p.name for p in providers.platforms() if p.available), None)),
        Question("bot_name", "Bot name", _help("bot_name"), default=lambda a: suggest_name(project.name),
                 check=spec_check("bot_name")),
        Question("entry", "Entry point", _help("entry"), placeholder="module:attribute",
                 check=spec_check("entry", project)),
        Question("python", "Python", _help("python"), "choice",
                 choices=lambda a: [Choice(v, v) for v in doc("python").choices],
                 default=lambda a: doc("python").default, check=spec_check("python")),
        Question("packaging", "Packaging", _help("packaging"), "choice", choices=packaging_choices,
                 default=lambda a: "zip", check=spec_check("packaging"), depends_on=("platform",)),
        Question("mode", "Paper or live?", _help("mode"), "choice",
                 choices=lambda a: [Choice(v, MODE_TITLES.get(v, v)) for v in doc("mode").choices],
                 default=lambda a: "paper"),
        *(Question(name, label, _help(name), "number", default=lambda a, name=name: doc(name).default,
                   check=_number(name), depends_on=("platform",)) for name, label in SIZE_LABELS.items()),
        Question("schedule_preset", "When should the bot run?", "", "choice",
                 choices=lambda a: [Choice(k, label) for k, label, _ in SCHEDULE_PRESETS], default=lambda a: "none"),
        Question("daily_at", "Daily at (HH:MM)", "", placeholder="09:00", default=lambda a: "09:00",
                 check=lambda v, a: spec_check("schedule")(daily_expr(v), a) if daily_expr(v)
                 else "write the time as HH:MM, e.g. 09:00"),
        Question("schedule", "Schedule expression", _help("schedule"), placeholder="cron(0 9 ? * MON-FRI *)",
                 check=spec_check("schedule")),
        Question("timezone", "Time zone", _help("timezone"), default=lambda a: "UTC",
                 check=lambda v, a: spec_check("timezone")(v, a) or _never_fires(a.get("schedule"), v)),
    ]
    return {q.key: q for q in found}


def size_help(name: str, answers: Answers) -> str:
    """What a size question says beside it: the limits on the chosen platform."""
    return limit_text(name, answers)


def _never_fires(expr: str | None, zone: str) -> str | None:
    """Why the schedule never runs in `zone` (a daylight-saving gap, say), or None when it does."""
    from .schedule import check_fires, parse_schedule

    try:
        schedule = parse_schedule(expr or "")
    except ValueError:
        return None  # no schedule, or one the schedule's own field refuses: not the time zone's problem
    try:
        check_fires(schedule, zone)
    except (ValueError, KeyError, LookupError) as exc:
        return str(exc)
    return None
