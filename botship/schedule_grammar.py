"""Schedules in AWS syntax (`rate(N unit)`, `cron(6 fields)`): parsed and checked, and what a cron field names."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

_RATE = re.compile(r"^rate\(\s*([0-9]+)\s+([a-z]+)\s*\)$")
_DIGITS = re.compile(r"[0-9]+")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DAYS = "SUN MON TUE WED THU FRI SAT".split()
# EventBridge Scheduler takes a ScheduleExpression of at most 256 characters.
_MAX_EXPRESSION = 256
# botship's bound on a rate: one year. AWS documents none, but a longer period is a schedule that in
# practice never fires (and `rate(99999999999 days)` overflows every date computation).
_MAX_RATE = {"minute": 525_600, "hour": 8_760, "day": 365}


@dataclass(frozen=True)
class Rate:
    """Every `value` `unit`s (unit is minute, hour or day)."""

    value: int
    unit: str

    @property
    def seconds(self) -> int:
        return self.value * _UNITS[self.unit]

    def __str__(self) -> str:
        return f"rate({self.value} {self.unit}{'' if self.value == 1 else 's'})"


@dataclass(frozen=True)
class Cron:
    """AWS cron: minutes hours day-of-month month day-of-week year."""

    minutes: str
    hours: str
    day_of_month: str
    month: str
    day_of_week: str
    year: str

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.minutes, self.hours, self.day_of_month, self.month, self.day_of_week, self.year)

    def __str__(self) -> str:
        return f"cron({' '.join(self.fields)})"


Schedule = Rate | Cron


def parse_schedule(text: str) -> Schedule:
    """Parse a schedule expression; raise ValueError saying what is wrong and how to write it.

    Everything this accepts can be evaluated: `next_runs`, `runs_per_month` and `describe_schedule` never
    raise for it. Whether it ever fires from now on (a past year, a leap day) is `check_fires`'s question.
    """
    if not isinstance(text, str):
        raise ValueError("a schedule is text, e.g. 'rate(15 minutes)' or 'cron(0 9 * * ? *)'")
    text = " ".join(text.strip().split())
    if len(text) > _MAX_EXPRESSION:
        raise ValueError(f"the expression is {len(text)} characters long; AWS takes at most {_MAX_EXPRESSION}")
    if text.startswith("rate"):
        return _parse_rate(text)
    if text.startswith("cron"):
        return _parse_cron(text)
    raise ValueError(
        f"'{text}' is neither rate(...) nor cron(...); write e.g. 'rate(15 minutes)' "
        "or 'cron(0 9 * * ? *)'"
    )


def _parse_rate(text: str) -> Rate:
    m = _RATE.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a rate; write 'rate(N minutes|hours|days)', e.g. 'rate(15 minutes)'")
    digits, unit = m.group(1), m.group(2)
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in _UNITS:
        raise ValueError(f"unknown unit '{unit}' in '{text}'; use minutes, hours or days")
    limit = _MAX_RATE[singular]
    if len(digits.lstrip("0")) > len(str(limit)) or int(digits) > limit:
        raise ValueError(
            f"'{text}' is longer than a year; botship takes rates up to {limit:,} {singular}s (one year) — "
            "for rarer runs use a cron expression, e.g. 'cron(0 9 1 JAN ? *)' once a year")
    value = int(digits)
    if value < 1:
        raise ValueError(f"'{text}' must run at least every 1 {singular}")
    expected = str(Rate(value, singular))
    if expected != text:
        raise ValueError(f"write '{expected}' (AWS wants the singular unit for 1 and the plural otherwise)")
    return Rate(value, singular)


@dataclass(frozen=True)
class _Field:
    """One cron field's name, range, names, largest step and an example of it."""

    name: str
    low: int
    high: int
    max_step: int
    example: str
    names: tuple[str, ...] = ()


_MINUTES = _Field("minutes", 0, 59, 59, "0-30")
_HOURS = _Field("hours", 0, 23, 23, "9-17")
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, 31, "1,15")
_MONTH = _Field("month", 1, 12, 12, "JAN-MAR", tuple(MONTHS))
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, 7, "MON-FRI", tuple(DAYS))
_YEAR = _Field("year", 1970, 2199, 229, "2027-2030")


def _parse_cron(text: str) -> Cron:
    m = _CRON.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a cron expression; write 'cron(minutes hours day month weekday year)'")
    parts = m.group(1).split()
    if len(parts) != 6:
        raise ValueError(
            f"cron needs 6 fields (minutes hours day-of-month month day-of-week year), got {len(parts)}; "
            "e.g. 'cron(0 9 * * ? *)' runs daily at 09:00"
        )
    # AWS reads names and L/W case-insensitively; the upper-case form is the one kept and shown.
    cron = Cron(*(part.upper() for part in parts))
    if (cron.day_of_month == "?") == (cron.day_of_week == "?"):
        raise ValueError(
            "cron: exactly one of day-of-month and day-of-week must be '?', "
            "e.g. 'cron(0 9 * * ? *)' or 'cron(0 9 ? * MON-FRI *)'"
        )
    _check_list(_MINUTES, cron.minutes)
    _check_list(_HOURS, cron.hours)
    _check_day_of_month(cron.day_of_month)
    _check_list(_MONTH, cron.month)
    _check_day_of_week(cron.day_of_week)
    _check_list(_YEAR, cron.year)
    if reason := _impossible_date(cron):
        raise ValueError(reason)
    return cron


def _check_day_of_month(value: str) -> None:
    if value in ("?", "L", "LW"):
        return
    if value.endswith("W"):
        day = value[:-1]
        if not _DIGITS.fullmatch(day) or not 1 <= _small_int(day) <= 31:
            raise ValueError(f"cron day-of-month field '{value}': W follows one day of the month (1–31), "
                             "e.g. '15W' for the weekday nearest the 15th")
        return
    if "L" in value or "W" in value:
        raise ValueError(f"cron day-of-month field '{value}': L and W stand alone — 'L' (last day), 'LW' (last "
                         "weekday) or one day like '15W'; AWS refuses them in lists, ranges and steps")
    _check_list(_DAY_OF_MONTH, value)


def _check_day_of_week(value: str) -> None:
    if value in ("?", "L"):
        return
    if "#" in value:
        day, _, nth = value.partition("#")
        if "," in value or "-" in value or "/" in value or "#" in nth:
            raise ValueError(f"cron day-of-week field '{value}': '#' takes one day and one number, e.g. "
                             "'FRI#3' (AWS refuses '#' in lists and ranges)")
        _value(_DAY_OF_WEEK, value, day)
        if not _DIGITS.fullmatch(nth) or not 1 <= _small_int(nth) <= 5:
            raise ValueError(f"cron day-of-week field '{value}': no month has more than five of a weekday; "
                             "write #1 to #5, e.g. 'MON#2' for the second Monday")
        return
    if value.endswith("L"):
        if "," in value or "-" in value or "/" in value:
            raise ValueError(f"cron day-of-week field '{value}': 'L' takes one day, e.g. 'FRIL' for the last "
                             "Friday of the month (AWS refuses it in lists and ranges)")
        _value(_DAY_OF_WEEK, value, value[:-1])
        return
    _check_list(_DAY_OF_WEEK, value)


def _check_list(field: _Field, value: str) -> None:
    """A field of values, names, ranges and steps, separated by commas."""
    if value == "?" or "?" in value:
        where = "day-of-month or day-of-week" if field.name in ("day-of-month", "day-of-week") else "this field"
        raise ValueError(f"cron {field.name} field '{value}': '?' stands alone and only in {where}")
    for item in value.split(","):
        if not item:
            raise ValueError(f"cron {field.name} field '{value}': an empty item between commas; "
                             f"write values like '{field.example}'")
        body, slash, step = item.partition("/")
        if slash:
            if field is _DAY_OF_WEEK:
                raise ValueError(f"cron day-of-week field '{value}': AWS takes no '/' steps here; list the days, "
                                 "e.g. 'MON,WED,FRI'")
            if not _DIGITS.fullmatch(step):
                raise ValueError(f"cron {field.name} field '{value}': after '/' comes one whole number, "
                                 f"e.g. '{body or '0'}/5'")
            if not 1 <= _small_int(step) <= field.max_step:
                zero = " (a step of 0 never moves on)" if _small_int(step) == 0 else ""
                raise ValueError(f"cron {field.name} field '{value}': the step after '/' must be 1–"
                                 f"{field.max_step}{zero}")
        if body == "*":
            continue
        ends = body.split("-")
        if len(ends) > 2 or not all(ends):
            raise ValueError(f"cron {field.name} field '{value}': '{body}' is not a range; write FIRST-LAST "
                             f"with a value on each side, e.g. '{field.example}'")
        numbers = [_value(field, value, end) for end in ends]
        if field is _YEAR and len(numbers) == 2 and numbers[0] > numbers[1]:
            raise ValueError(f"cron year field '{value}': the range {body} runs backwards; write the earlier "
                             f"year first, e.g. '{ends[1]}-{ends[0]}'")


def _value(field: _Field, value: str, token: str) -> int:
    if field.names and token in field.names:
        return field.names.index(token) + 1
    if token == "*":
        raise ValueError(f"cron {field.name} field '{value}': '*' cannot be part of a range or list; "
                         f"use '*' alone or values like '{field.example}'")
    if not _DIGITS.fullmatch(token):
        raise ValueError(f"cron {field.name} field '{value}': '{token}' is not a number" + (
            f" or one of {', '.join(field.names)}" if field.names else ""))
    number = _small_int(token)
    if not field.low <= number <= field.high:
        raise ValueError(f"cron {field.name} field '{value}': {token} is outside {field.low}–{field.high}")
    return number


def _small_int(digits: str) -> int:
    """An ASCII number, capped so that a thousand-digit one neither takes long nor passes a range check."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 6 else 10**6


# Days in each month at most (February in a leap year).
_LONGEST = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def _impossible_date(cron: Cron) -> str | None:
    """Why a day-of-month never falls in any month the cron names (`30 FEB`), or None."""
    dom = cron.day_of_month
    if dom in ("?", "*", "L", "LW"):
        return None
    days = {int(dom[:-1])} if dom.endswith("W") else set(field_values(dom, 1, 31))
    months = sorted(field_values(cron.month, 1, 12, MONTHS))
    if any(day <= _LONGEST[month] for day in days for month in months):
        return None
    names = [calendar.month_name[month] for month in months]
    nth = " or ".join(ordinal(day) for day in sorted(days))
    return (f"this schedule never fires: {join_words(names)} {'has' if len(names) == 1 else 'have'} no {nth}; "
            "pick a day that exists, or 'L' for the last day of the month")


# ---- what a cron field names (for evaluation and for words) --------------------------------

def field_values(field: str, low: int, high: int, names: list[str] | None = None) -> frozenset[int]:
    """The numbers a plain cron field (`*`, lists, ranges, steps, names) selects."""
    selected: set[int] = set()
    for item in field.split(","):
        body, _, step_text = item.partition("/")
        step = field_number(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"cron field '{field}': the step after '/' must be at least 1")
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            first, _, second = body.partition("-")
            start, end = field_number(first, names), field_number(second, names)
        else:
            start = field_number(body, names)
            end = high if step_text else start
        # A range like FRI-MON or 22-2 wraps past the top of the field back to its bottom.
        span = list(range(start, end + 1)) if start <= end else [*range(start, high + 1), *range(low, end + 1)]
        selected.update(span[::step])
    return frozenset(selected)


def field_number(token: str, names: list[str] | None = None) -> int:
    """One value of a cron field: a number, or a name's place in `names` (JAN = 1, SUN = 1)."""
    if names and token.upper() in names:
        return names.index(token.upper()) + 1
    if not token.isdigit():
        raise ValueError(f"cron: '{token}' cannot be evaluated here; use a number" + (
            f" or one of {', '.join(names)}" if names else ""))
    return int(token)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th… 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join_words(items: list[str]) -> str:
    """Words as a list: 'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
