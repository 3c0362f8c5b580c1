"""When a schedule runs: its next run times, its runs per month, and whether it fires at all."""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .schedule_grammar import DAYS, MONTHS, Cron, Rate, Schedule, field_number, field_values

# How far next_runs looks ahead before giving up on a schedule that (almost) never matches.
_SEARCH_MONTHS = 5 * 12 + 1
# runs_per_month counts the runs of one whole year from here, so monthly and weekday patterns average out.
_REFERENCE_YEAR = 2026
# The years after which the calendar repeats its weekdays and leap years (from 1901 to 2099): a cron that skips
# the year counted (29 February, a fifth Friday of June) is averaged over this many.
_CALENDAR_CYCLE = 28


def next_runs(schedule: Schedule, tz: str, count: int, after: datetime,
              anchor: datetime | None = None) -> list[datetime]:
    """The next `count` run times in zone `tz`, strictly after the aware datetime `after` (fewer if none for ~5 years).

    A rate counts its periods from `anchor` (when the schedule was set: a deployed schedule's start or last change),
    or from `after` when that is not known. Raises ValueError for a naive `after` or `anchor`; never for a schedule
    `parse_schedule` accepted.
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("`after` must be a timezone-aware datetime")
    zone = ZoneInfo(tz)
    if isinstance(schedule, Rate):
        # EventBridge Scheduler counts a rate's periods from when the schedule starts; step in UTC so DST changes
        # nothing.
        step = timedelta(seconds=schedule.seconds)
        base = after.astimezone(UTC)
        if anchor is not None:
            if anchor.tzinfo is None or anchor.utcoffset() is None:
                raise ValueError("`anchor` must be a timezone-aware datetime")
            start = anchor.astimezone(UTC)
            # The last run at or before `after` (or, before the start, one period before it: the start comes next).
            base = start + ((base - start) // step) * step if base >= start else start - step
        return [(base + k * step).astimezone(zone) for k in range(1, count + 1)]
    times = _times(schedule)
    after_stamp = after.timestamp()
    runs = (run for day in _cron_dates(schedule, after.astimezone(zone).date())
            for run in _wall_runs(day, times, zone) if run.timestamp() > after_stamp)
    return list(itertools.islice(runs, max(count, 0)))


def runs_per_month(schedule: Schedule, tz: str = "UTC") -> float:
    """Average runs in 30 days: exact for a rate; for a cron, its runs in one whole year in `tz` per day, times 30.

    The year counted is 2026, or the first year after it that the cron's year field names (the last one it
    names when all are earlier). A whole year counts monthly and weekday patterns (last day, third Friday,
    weekdays) as they fall that year. A cron with no run in that year (29 February, the fifth Friday of a month
    that has one only in some years) is counted over the years its year field names among the 28 from there, in
    which the calendar's weekdays and leap years all come round.
    """
    if isinstance(schedule, Rate):
        return 30 * 86400 / schedule.seconds
    zone = ZoneInfo(tz)
    times = _times(schedule)
    years = sorted(field_values(schedule.year, 1970, 2199))
    year = next((y for y in years if y >= _REFERENCE_YEAR), years[-1])
    counted = [year]
    runs = _runs_in_year(schedule, times, zone, year)
    if not runs:
        counted = [y for y in years if year <= y < year + _CALENDAR_CYCLE]
        runs = sum(_runs_in_year(schedule, times, zone, y) for y in counted)
    days = sum(366 if calendar.isleap(y) else 365 for y in counted)
    return runs * 30 / days


def _runs_in_year(cron: Cron, times: list[tuple[int, int]], zone: ZoneInfo, year: int) -> int:
    """How many times a cron runs in one calendar year in `zone`."""
    count = 0
    for day in _cron_dates(cron, date(year, 1, 1)):
        if day.year != year:
            break
        # Only on a DST change can a time be missing, so other days need no datetimes at all.
        count += len(_wall_runs(day, times, zone)) if _shifts(day, zone) else len(times)
    return count


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
    years = sorted(field_values(schedule.year, 1970, 2199))
    coming = [year for year in years if year >= today.year]
    if not coming:
        past = ", ".join(map(str, years)) if len(years) <= 4 else f"{years[0]}–{years[-1]}"
        raise ValueError(f"this schedule never fires: its year field names only years already past ({past}); "
                         f"use '*' or a year from {today.year} on")
    if coming[0] >= today.year + _SEARCH_MONTHS // 12:
        raise ValueError(f"this schedule's first run would be in {coming[0]}, more than five years away; "
                         "botship takes schedules that run within five years — use '*' or a nearer year")
    if schedule.day_of_month in ("29", "29W") and field_values(schedule.month, 1, 12, MONTHS) == {2}:
        raise ValueError("this schedule never fires: February 29th comes only in leap years, and the year field "
                         f"'{schedule.year}' names no leap year within five years")
    if tz != "UTC" and next_runs(schedule, "UTC", 1, now):
        raise ValueError(f"this schedule never fires in {tz}: every time it names falls in the hour skipped "
                         "when the clocks go forward; pick another time or day")
    raise ValueError(f"this schedule never fires: none of the times it names comes in the next five years in "
                     f"{tz}; check its day, month and year fields")


def _times(cron: Cron) -> list[tuple[int, int]]:
    """The (hour, minute) pairs of a cron, in order."""
    minutes = sorted(field_values(cron.minutes, 0, 59))
    return [(hour, minute) for hour in sorted(field_values(cron.hours, 0, 23)) for minute in minutes]


def _cron_dates(cron: Cron, first: date) -> Iterator[date]:
    """The dates from `first` on (for about five years) on which a cron runs, in order."""
    months = field_values(cron.month, 1, 12, MONTHS)
    years = field_values(cron.year, 1970, 2199)
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
                days |= _nearest_weekday(field_number(item[:-1]), last, weekday)
            else:
                days |= {d for d in field_values(item, 1, 31) if d <= last}
        return days
    for item in cron.day_of_week.split(","):
        if "#" in item:
            wanted, nth = item.split("#")
            matching = [d for d in weekday if weekday[d] == field_number(wanted, DAYS)]
            days.update(matching[field_number(nth) - 1:field_number(nth)])
        elif item.endswith("L") and item != "L":
            days.add(max(d for d in weekday if weekday[d] == field_number(item[:-1], DAYS)))
        else:
            # A lone L in day-of-week is the last day of the week: Saturday.
            wanted_days = field_values("7" if item == "L" else item, 1, 7, DAYS)
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
