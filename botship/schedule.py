"""Schedules in AWS syntax — `rate(N unit)` or `cron(6 fields)` — parsed and checked once."""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_RATE = re.compile(r"^rate\(\s*([0-9]+)\s+([a-z]+)\s*\)$")
_DIGITS = re.compile(r"[0-9]+")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_DAYS = "SUN MON TUE WED THU FRI SAT".split()
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
_MONTH = _Field("month", 1, 12, 12, "JAN-MAR", tuple(_MONTHS))
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, 7, "MON-FRI", tuple(_DAYS))
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
    days = {int(dom[:-1])} if dom.endswith("W") else set(_values(dom, 1, 31))
    months = sorted(_values(cron.month, 1, 12, _MONTHS))
    if any(day <= _LONGEST[month] for day in days for month in months):
        return None
    names = [calendar.month_name[month] for month in months]
    nth = " or ".join(_ordinal(day) for day in sorted(days))
    return (f"this schedule never fires: {_join(names)} {'has' if len(names) == 1 else 'have'} no {nth}; "
            "pick a day that exists, or 'L' for the last day of the month")


# ---- when a schedule runs ------------------------------------------------------------------

# How far next_runs looks ahead before giving up on a schedule that (almost) never matches.
_SEARCH_MONTHS = 5 * 12 + 1
# runs_per_month counts the runs of one whole year from here, so monthly and weekday patterns average out.
_REFERENCE_YEAR = 2026


def next_runs(schedule: Schedule, tz: str, count: int, after: datetime) -> list[datetime]:
    """The next `count` run times in zone `tz`, strictly after the aware datetime `after` (fewer if none for ~5 years).

    Raises ValueError for a naive `after`; never for a schedule `parse_schedule` accepted.
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("`after` must be a timezone-aware datetime")
    zone = ZoneInfo(tz)
    if isinstance(schedule, Rate):
        # EventBridge Scheduler starts a rate schedule when it is created; step in UTC so DST changes nothing.
        base = after.astimezone(UTC)
        step = timedelta(seconds=schedule.seconds)
        return [(base + k * step).astimezone(zone) for k in range(1, count + 1)]
    times = _times(schedule)
    after_stamp = after.timestamp()
    runs = (run for day in _cron_dates(schedule, after.astimezone(zone).date())
            for run in _wall_runs(day, times, zone) if run.timestamp() > after_stamp)
    return list(itertools.islice(runs, max(count, 0)))


def runs_per_month(schedule: Schedule, tz: str = "UTC") -> float:
    """Average runs in 30 days: exact for a rate; a cron's runs in one whole year in `tz`, times 30/365.

    The year counted is 2026, or the first year after it that the cron's year field names (the last one it
    names when all are earlier). Counting a whole year is exact for calendar patterns (last day, third Friday,
    weekdays).
    """
    if isinstance(schedule, Rate):
        return 30 * 86400 / schedule.seconds
    zone = ZoneInfo(tz)
    times = _times(schedule)
    years = sorted(_values(schedule.year, 1970, 2199))
    year = next((y for y in years if y >= _REFERENCE_YEAR), years[-1])
    count = 0
    for day in _cron_dates(schedule, date(year, 1, 1)):
        if day.year != year:
            break
        # Only on a DST change can a time be missing, so other days need no datetimes at all.
        count += len(_wall_runs(day, times, zone)) if _shifts(day, zone) else len(times)
    return count * 30 / 365


def check_fires(schedule: Schedule, tz: str = "UTC", now: datetime | None = None) -> None:
    """Raise ValueError saying why, when a schedule has no run in zone `tz` within about five years from `now`.

    The same evaluation as `next_runs`: what it finds no run for is refused, with the reason when it is one
    that can be named (a past year, a leap day in no leap year, a first run years away).
    """
    if isinstance(schedule, Rate):
        return
    now = datetime.now(UTC) if now is None else now
    if next_runs(schedule, tz, 1, now):
        return
    today = now.astimezone(ZoneInfo(tz)).date()
    years = sorted(_values(schedule.year, 1970, 2199))
    coming = [year for year in years if year >= today.year]
    if not coming:
        past = ", ".join(map(str, years)) if len(years) <= 4 else f"{years[0]}–{years[-1]}"
        raise ValueError(f"this schedule never fires: its year field names only years already past ({past}); "
                         f"use '*' or a year from {today.year} on")
    if coming[0] >= today.year + _SEARCH_MONTHS // 12:
        raise ValueError(f"this schedule's first run would be in {coming[0]}, more than five years away; "
                         "botship takes schedules that run within five years — use '*' or a nearer year")
    if schedule.day_of_month in ("29", "29W") and _values(schedule.month, 1, 12, _MONTHS) == {2}:
        raise ValueError("this schedule never fires: February 29th comes only in leap years, and the year field "
                         f"'{schedule.year}' names no leap year within five years")
    if tz != "UTC" and next_runs(schedule, "UTC", 1, now):
        raise ValueError(f"this schedule never fires in {tz}: every time it names falls in the hour skipped "
                         "when the clocks go forward; pick another time or day")
    raise ValueError(f"this schedule never fires: none of the times it names comes in the next five years in "
                     f"{tz}; check its day, month and year fields")


def _times(cron: Cron) -> list[tuple[int, int]]:
    """The (hour, minute) pairs of a cron, in order."""
    minutes = sorted(_values(cron.minutes, 0, 59))
    return [(hour, minute) for hour in sorted(_values(cron.hours, 0, 23)) for minute in minutes]


def _cron_dates(cron: Cron, first: date) -> Iterator[date]:
    """The dates from `first` on (for about five years) on which a cron runs, in order."""
    months = _values(cron.month, 1, 12, _MONTHS)
    years = _values(cron.year, 1970, 2199)
    year, month = first.year, first.month
    for _ in range(_SEARCH_MONTHS):
        if month in months and year in years:
            for day in sorted(_days(cron, year, month)):
                if date(year, month, day) >= first:
                    yield date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _wall_runs(day: date, times: list[tuple[int, int]], zone: ZoneInfo) -> list[datetime]:
    """The day's runs on the wall clock of `zone`.

    EventBridge Scheduler skips a time that falls in a DST gap and runs a repeated time once (fold=0,
    the first occurrence).
    """
    runs = [datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone) for hour, minute in times]
    return [run for run in runs if _exists(run)] if _shifts(day, zone) else runs


def _shifts(day: date, zone: ZoneInfo) -> bool:
    """Whether the UTC offset changes during `day` — the only days with skipped or repeated times."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    return midnight.utcoffset() != (midnight + timedelta(days=1)).utcoffset()


def _exists(local: datetime) -> bool:
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def _days(cron: Cron, year: int, month: int) -> set[int]:
    """The days of one month the cron's day-of-month or day-of-week field selects."""
    last = calendar.monthrange(year, month)[1]
    weekday = {day: _aws_weekday(date(year, month, day)) for day in range(1, last + 1)}
    days: set[int] = set()
    if cron.day_of_week == "?":
        for item in cron.day_of_month.split(","):
            if item == "L":
                days.add(last)
            elif item == "LW":
                days.add(max(d for d in weekday if 2 <= weekday[d] <= 6))
            elif item.endswith("W"):
                days |= _nearest_weekday(_number(item[:-1]), last, weekday)
            else:
                days |= {d for d in _values(item, 1, 31) if d <= last}
        return days
    for item in cron.day_of_week.split(","):
        if "#" in item:
            wanted, nth = item.split("#")
            matching = [d for d in weekday if weekday[d] == _number(wanted, _DAYS)]
            days.update(matching[_number(nth) - 1:_number(nth)])
        elif item.endswith("L") and item != "L":
            days.add(max(d for d in weekday if weekday[d] == _number(item[:-1], _DAYS)))
        else:
            # A lone L in day-of-week is the last day of the week: Saturday.
            wanted_days = _values("7" if item == "L" else item, 1, 7, _DAYS)
            days |= {d for d in weekday if weekday[d] in wanted_days}
    return days


def _nearest_weekday(day: int, last: int, weekday: dict[int, int]) -> set[int]:
    # AWS's nW never leaves the month: the 1st on a Saturday moves to Monday the 3rd, not back to Friday.
    if day > last:
        return set()
    if weekday[day] == 7:
        return {day + 2 if day == 1 else day - 1}
    if weekday[day] == 1:
        return {day - 2 if day == last else day + 1}
    return {day}


def _aws_weekday(day: date) -> int:
    """1 = Sunday … 7 = Saturday, as AWS cron counts (Python counts Monday = 0)."""
    return (day.weekday() + 1) % 7 + 1


def _values(field: str, low: int, high: int, names: list[str] | None = None) -> frozenset[int]:
    """The numbers a plain cron field (`*`, lists, ranges, steps, names) selects."""
    selected: set[int] = set()
    for item in field.split(","):
        body, _, step_text = item.partition("/")
        step = _number(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"cron field '{field}': the step after '/' must be at least 1")
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            first, _, second = body.partition("-")
            start, end = _number(first, names), _number(second, names)
        else:
            start = _number(body, names)
            end = high if step_text else start
        # A range like FRI-MON or 22-2 wraps past the top of the field back to its bottom.
        span = list(range(start, end + 1)) if start <= end else [*range(start, high + 1), *range(low, end + 1)]
        selected.update(span[::step])
    return frozenset(selected)


def _number(token: str, names: list[str] | None = None) -> int:
    if names and token.upper() in names:
        return names.index(token.upper()) + 1
    if not token.isdigit():
        raise ValueError(f"cron: '{token}' cannot be evaluated here; use a number" + (
            f" or one of {', '.join(names)}" if names else ""))
    return int(token)


# ---- a schedule in words -------------------------------------------------------------------

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
    months = _describe_list(cron.month, lambda n: calendar.month_name[n], _MONTHS)
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
        return f"at minute {int(minutes)} past every {_ordinal(hour_step)} hour"
    if re.fullmatch(r"\d+(,\d+)*", hours):
        return "at " + _join([f"{int(h):02d}:{int(minutes):02d}" for h in hours.split(",")])
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
            return f"on day{'s' if len(numbers) > 1 else ''} {_join(numbers)} of the month"
        return None
    if m := re.fullmatch(r"(\w+)#([1-5])", dow):
        return f"on the {_ORDINALS[int(m.group(2)) - 1]} {_weekday_name(m.group(1))} of the month"
    if m := re.fullmatch(r"(\w+)L", dow):
        return f"on the last {_weekday_name(m.group(1))} of the month"
    names = _describe_list("7" if dow == "L" else dow, lambda n: _WEEKDAY_NAMES[n - 1], _DAYS)
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
        parts.append("–".join(name(_number(e, names)) for e in ends))
    return _join(parts)


def _weekday_name(token: str) -> str:
    return _WEEKDAY_NAMES[_number(token, _DAYS) - 1]


def _step_from_zero(field: str) -> int | None:
    """n for `*/n` or `0/n`, the steps that start at the top of the hour or day."""
    m = re.fullmatch(r"(?:\*|0)/(\d+)", field)
    return int(m.group(1)) if m and int(m.group(1)) > 0 else None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
