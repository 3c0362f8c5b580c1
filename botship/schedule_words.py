"""A schedule in plain English ("at 09:30 on Monday–Friday"), or the expression itself when no phrase fits."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable

from .schedule_grammar import DAYS, MONTHS, Cron, Rate, Schedule, field_number, join_words, ordinal

_ORDINALS = ("first", "second", "third", "fourth", "fifth")
_WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def describe_schedule(schedule: Schedule) -> str:
    """The schedule in plain English ("at 09:30 on Monday–Friday"); the expression itself when no phrase fits."""
    if isinstance(schedule, Rate):
        return f"every {schedule.unit}" if schedule.value == 1 else f"every {schedule.value} {schedule.unit}s"
    try:
        return _describe_cron(schedule) or str(schedule)
    except ValueError:
        # Odd corners the parser lets through (like `LL`) read best as the expression itself.
        return str(schedule)


def _describe_cron(cron: Cron) -> str | None:
    if cron.year != "*":
        return None
    when = _describe_time(cron.minutes, cron.hours)
    days = _describe_days(cron)
    months = _describe_list(cron.month, lambda n: calendar.month_name[n], MONTHS)
    if when is None or days is None or months is None:
        return None
    if not days and when.startswith("at ") and ":" in when:
        days = "every day"
    return " ".join(part for part in (when, days, f"in {months}" if months else "") if part)


def _describe_time(minutes: str, hours: str) -> str | None:
    # A step of 1 (`*/1`, `0/1`) is every value, the same as `*`.
    minutes, hours = ("*" if _step_from_zero(f) == 1 else f for f in (minutes, hours))
    minute_step = _step_from_zero(minutes)
    if hours == "*":
        if minutes == "*":
            return "every minute"
        if minute_step and 60 % minute_step == 0:
            return f"every {minute_step} minutes"
        if minutes.isdigit():
            return "every hour" if int(minutes) == 0 else f"at minute {int(minutes)} past every hour"
        return None
    if not minutes.isdigit():
        if (minutes == "*" or (minute_step and 60 % minute_step == 0)) and re.fullmatch(r"\d+-\d+", hours):
            first, last = map(int, hours.split("-"))
            every = "every minute" if minutes == "*" else f"every {minute_step} minutes"
            return f"{every} from {first:02d}:00 to {last:02d}:59"
        return None
    if hour_step := _step_from_zero(hours):
        return f"at minute {int(minutes)} past every {ordinal(hour_step)} hour"
    if re.fullmatch(r"\d+(,\d+)*", hours):
        return "at " + join_words([f"{int(h):02d}:{int(minutes):02d}" for h in hours.split(",")])
    return None


def _describe_days(cron: Cron) -> str | None:
    """Which days, as a phrase starting with "on"; "" for every day."""
    dom, dow = cron.day_of_month, cron.day_of_week
    if dom in ("*", "?") and dow in ("*", "?"):
        return ""
    if dow == "?":
        if dom == "L":
            return "on the last day of the month"
        if dom == "LW":
            return "on the last weekday of the month"
        if m := re.fullmatch(r"(\d+)W", dom):
            return f"on the weekday nearest day {int(m.group(1))} of the month"
        if re.fullmatch(r"\d+(,\d+)*", dom):
            numbers = [str(int(d)) for d in dom.split(",")]
            return f"on day{'s' if len(numbers) > 1 else ''} {join_words(numbers)} of the month"
        return None
    if m := re.fullmatch(r"(\w+)#([1-5])", dow):
        return f"on the {_ORDINALS[int(m.group(2)) - 1]} {_weekday_name(m.group(1))} of the month"
    if m := re.fullmatch(r"(\w+)L", dow):
        return f"on the last {_weekday_name(m.group(1))} of the month"
    names = _describe_list("7" if dow == "L" else dow, lambda n: _WEEKDAY_NAMES[n - 1], DAYS)
    return f"on {names}" if names else None


def _describe_list(field: str, name: Callable[[int], str], names: list[str]) -> str | None:
    """A list of single values or ranges as words ("January–March and July"); "" for `*`, None if not that simple."""
    if field == "*":
        return ""
    parts = []
    for item in field.split(","):
        ends = item.split("-")
        if len(ends) > 2 or not all(e.isdigit() or e.upper() in names for e in ends):
            return None
        parts.append("–".join(name(field_number(e, names)) for e in ends))
    return join_words(parts)


def _weekday_name(token: str) -> str:
    return _WEEKDAY_NAMES[field_number(token, DAYS) - 1]


def _step_from_zero(field: str) -> int | None:
    """n for `*/n` or `0/n`, the steps that start at the top of the hour or day."""
    m = re.fullmatch(r"(?:\*|0)/(\d+)", field)
    return int(m.group(1)) if m and int(m.group(1)) > 0 else None
