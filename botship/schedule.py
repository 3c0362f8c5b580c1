"""Schedules in AWS syntax — `rate(N unit)` or `cron(6 fields)` — parsed and checked once."""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_RATE = re.compile(r"^rate\(\s*(\d+)\s+([a-z]+)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_DAYS = "SUN MON TUE WED THU FRI SAT".split()


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
    """Parse a schedule expression; raise ValueError saying what is wrong and how to write it."""
    text = " ".join(text.strip().split())
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
    value, unit = int(m.group(1)), m.group(2)
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in _UNITS:
        raise ValueError(f"unknown unit '{unit}' in '{text}'; use minutes, hours or days")
    if value < 1:
        raise ValueError(f"'{text}' must run at least every 1 {singular}")
    expected = str(Rate(value, singular))
    if expected != text:
        raise ValueError(f"write '{expected}' (AWS wants the singular unit for 1 and the plural otherwise)")
    return Rate(value, singular)


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
    cron = Cron(*parts)
    _check_cron_field("minutes", cron.minutes, 0, 59, "*,-/")
    _check_cron_field("hours", cron.hours, 0, 23, "*,-/")
    _check_cron_field("day-of-month", cron.day_of_month, 1, 31, "*,-/?LW")
    _check_cron_field("month", cron.month, 1, 12, "*,-/", names=_MONTHS)
    _check_cron_field("day-of-week", cron.day_of_week, 1, 7, "*,-/?L#", names=_DAYS)
    _check_cron_field("year", cron.year, 1970, 2199, "*,-/")
    if (cron.day_of_month == "?") == (cron.day_of_week == "?"):
        raise ValueError(
            "cron: exactly one of day-of-month and day-of-week must be '?', "
            "e.g. 'cron(0 9 * * ? *)' or 'cron(0 9 ? * MON-FRI *)'"
        )
    return cron


def _check_cron_field(name: str, value: str, low: int, high: int, specials: str, names: list[str] | None = None) -> None:
    if value in ("*", "?") and value in specials:
        return
    allowed = re.escape(specials.replace("*", "").replace("?", ""))
    if not re.fullmatch(rf"[0-9A-Za-z*?{allowed}]+", value):
        raise ValueError(f"cron {name} field '{value}' has characters AWS does not accept here")
    for token in re.split(r"[,\-/#]", value):
        # `L`/`W` suffixes belong to day numbers (15W, 5L); a month name such as JUL keeps its L.
        suffixed = re.fullmatch(r"(\d+|[A-Za-z]{3})(L|W|LW)", token)
        token = "" if token in ("L", "W", "LW") else suffixed.group(1) if suffixed else token
        if not token or token in ("*", "?"):
            continue
        if names and token.upper() in names:
            continue
        if not token.isdigit():
            raise ValueError(f"cron {name} field '{value}': '{token}' is not a number" + (
                f" or one of {', '.join(names)}" if names else ""))
        if not low <= int(token) <= high:
            raise ValueError(f"cron {name} field '{value}': {token} is outside {low}–{high}")


# ---- when a schedule runs ------------------------------------------------------------------

# How far next_runs looks ahead before giving up on a schedule that (almost) never matches.
_SEARCH_MONTHS = 5 * 12 + 1
# runs_per_month counts the runs of one whole year from here, so monthly and weekday patterns average out.
_REFERENCE_YEAR = 2026


def next_runs(schedule: Schedule, tz: str, count: int, after: datetime) -> list[datetime]:
    """The next `count` run times in zone `tz`, strictly after the aware datetime `after` (fewer if none for ~5 years).

    Raises ValueError for a naive `after` or a cron part that cannot be evaluated (like a step of 0).
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
    """Average runs in 30 days: exact for a rate; a cron's runs in the year 2026 in `tz`, times 30/365.

    Counting a whole year is exact for calendar patterns (last day, third Friday, weekdays); a cron whose
    year field names only other years counts 0.
    """
    if isinstance(schedule, Rate):
        return 30 * 86400 / schedule.seconds
    zone = ZoneInfo(tz)
    times = _times(schedule)
    count = 0
    for day in _cron_dates(schedule, date(_REFERENCE_YEAR, 1, 1)):
        if day.year != _REFERENCE_YEAR:
            break
        # Only on a DST change can a time be missing, so other days need no datetimes at all.
        count += len(_wall_runs(day, times, zone)) if _shifts(day, zone) else len(times)
    return count * 30 / 365


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
