"""A botship schedule as an Azure Functions timer: NCRONTAB in UTC, plus what the runtime checks a firing against.

Azure's timer trigger takes NCRONTAB (`sec min hour day month day-of-week`) and, on Flex and Linux Consumption,
runs it in UTC whatever WEBSITE_TIME_ZONE says. A local schedule cannot be one UTC expression: the offset changes
with daylight saving, and a shift can move a run across midnight (09:00–18:00 every 3 h on workdays in Auckland is
partly on the UTC day before). So the timer fires at every UTC instant that can be one of the wanted local times —
each wanted time under each offset the zone uses, on every UTC day one of the wanted days can fall on — and the
runtime (`botship_runtime.schedule_check.wanted`) runs exactly the firings that are wanted runs as
`botship.schedule.next_runs` counts them (a time skipped by spring-forward never runs, a repeated one runs once,
at its first occurrence), and skips the rest.

What the deploy sets on the function app (`Timer.app_settings`): BOTSHIP_SCHEDULE (the NCRONTAB expression, read
by the timer as `%BOTSHIP_SCHEDULE%`), BOTSHIP_TIMEZONE, and BOTSHIP_LOCAL_SCHEDULE — the local schedule in a
compact JSON form the runtime reads without a cron parser — only when a firing can be one to skip
(`Timer.exact` is False); when exact, the setting is absent and every firing runs.

BOTSHIP_LOCAL_SCHEDULE, version 1: `{"v": 1, "minute": [..], "hour": [..], "month": [..], "year": [..]?,
"dom": [..]? | "dow": [..]?}` — local minutes, hours and months as numbers; `year` only when the cron names
years; the days as `dom` (days of the month: numbers, "L" last day, "LW" last weekday, "15W" weekday nearest
the 15th) or `dow` (AWS weekdays, 1 = Sunday … 7 = Saturday: numbers, "6#3" third Friday, "6L" last Friday),
neither for every day.

A rate runs as NCRONTAB only when its period divides the field it steps (minutes dividing 60, hours dividing 24,
one day): any other is refused, naming the nearest rates that can run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botship.errors import BadInput
from botship.schedule import Cron, Rate, describe_schedule, parse_schedule
from botship.schedule_grammar import DAYS, MONTHS, field_number, field_values, join_words

# The offsets a zone uses are read over this many years from last year on; past 2037 the zone database
# repeats its last rule, so a longer horizon finds nothing new.
_HORIZON_YEARS = 16
# The sampling step when looking for a zone's offsets: no zone keeps an offset for less than this.
_SAMPLE = timedelta(hours=3)
_DAY = 1440
# Periods (in minutes) a rate can have as NCRONTAB: a step of the minutes that divides 60, of the hours that
# divides 24, or once a day.
_EXPRESSIBLE = sorted({m for m in range(1, 61) if 60 % m == 0} | {60 * h for h in range(1, 25) if 24 % h == 0})
LOCAL_SCHEDULE_VERSION = 1


@dataclass(frozen=True)
class Timer:
    """An Azure timer for a schedule: its NCRONTAB expressions (UTC; one for every schedule botship takes),
    whether every firing is a wanted run (`exact`), and else the local schedule the runtime checks firings
    against."""

    expressions: list[str]
    exact: bool
    tz: str
    local_schedule: str | None = None
    description: str = ""
    offsets: tuple[int, ...] = field(default=(), repr=False)

    @property
    def expression(self) -> str:
        return self.expressions[0]

    def app_settings(self) -> dict[str, str]:
        """The function app's settings for this timer. BOTSHIP_LOCAL_SCHEDULE is left out when every firing
        runs: a deploy that finds it set from an earlier schedule removes it."""
        settings = {"BOTSHIP_SCHEDULE": self.expression, "BOTSHIP_TIMEZONE": self.tz}
        if self.local_schedule:
            settings["BOTSHIP_LOCAL_SCHEDULE"] = self.local_schedule
        return settings

    def describe(self) -> str:
        return self.description


def translate(schedule_text: str, tz: str = "UTC", now: datetime | None = None) -> Timer:
    """The Azure timer for a botship schedule in zone `tz`; BadInput for a rate NCRONTAB cannot keep."""
    try:
        schedule = parse_schedule(schedule_text)
    except ValueError as exc:
        raise BadInput(f"schedule '{schedule_text}': {exc}") from None
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"unknown time zone '{tz}'", "the timer's runs are checked in the bot's time zone",
                       "use an IANA zone name, e.g. Europe/Amsterdam or UTC") from None
    if isinstance(schedule, Rate):
        return _rate_timer(schedule, tz)
    return _cron_timer(schedule, tz, now or datetime.now(UTC))


# ---- rates ---------------------------------------------------------------------------------------------------

def _rate_timer(rate: Rate, tz: str) -> Timer:
    minutes = rate.seconds // 60
    if minutes not in _EXPRESSIBLE:
        below = [m for m in _EXPRESSIBLE if m < minutes]
        above = [m for m in _EXPRESSIBLE if m > minutes]
        nearest = [str(_as_rate(m)) for m in (below[-1:] + above[:1])]
        why = ("an Azure timer (NCRONTAB) repeats within the minute, hour or day: it can step the minutes by a "
               "divisor of 60, the hours by a divisor of 24, or run once a day")
        fix = f"use {' or '.join(nearest)}"
        if minutes > _DAY:
            fix += ", or a cron naming the days, e.g. 'cron(0 9 ? * MON *)' for once a week"
        raise BadInput(f"{rate} cannot be expressed as an Azure timer", why, fix)
    if minutes < 60:
        expression = f"0 {_step(minutes)} * * * *"
    elif minutes < _DAY:
        expression = f"0 0 {_step(minutes // 60)} * * *"
    else:
        expression = "0 0 0 * * *"
    words = describe_schedule(rate)
    return Timer([expression], True, tz, None,
                 f"{words} → Azure timer '{expression}' (UTC, on the clock's {_unit(minutes)} boundaries); "
                 "every firing runs")


def _as_rate(minutes: int) -> Rate:
    if minutes % _DAY == 0:
        return Rate(minutes // _DAY, "day")
    if minutes % 60 == 0:
        return Rate(minutes // 60, "hour")
    return Rate(minutes, "minute")


def _step(n: int) -> str:
    return "*" if n == 1 else f"*/{n}"


def _unit(minutes: int) -> str:
    return "minute" if minutes < 60 else "hour" if minutes < _DAY else "day"


# ---- crons ---------------------------------------------------------------------------------------------------

def _cron_timer(cron: Cron, tz: str, now: datetime) -> Timer:
    offsets = zone_offsets(tz, now.year - 1, now.year - 1 + _HORIZON_YEARS)
    minutes = sorted(field_values(cron.minutes, 0, 59))
    hours = sorted(field_values(cron.hours, 0, 23))
    months = sorted(field_values(cron.month, 1, 12, MONTHS))
    local_times = [h * 60 + m for h in hours for m in minutes]
    # Every UTC minute of the day a wanted local time can fall on, and the day shifts that happen (-1: the
    # UTC date is the local date's day before, +1: the day after).
    utc_times = {(t - o) % _DAY for t in local_times for o in offsets}
    shifts = {(t - o) // _DAY for t in local_times for o in offsets}
    utc_minutes = sorted({t % 60 for t in utc_times})
    utc_hours = sorted({t // 60 for t in utc_times})
    fires_per_day = len(utc_minutes) * len(utc_hours)

    dom, dow = cron.day_of_month, cron.day_of_week
    special = any(mark in part for part in (dom, dow) for mark in ("L", "W", "#"))
    every_day = dom in ("*", "?") and dow in ("*", "?")
    month_boundary = False  # whether a local day can fall on a UTC day in another month
    utc_dom, utc_dow = "*", "*"
    if every_day:
        month_boundary = shifts != {0}
    elif dow == "?":
        candidates = _dom_candidates(dom)
        utc_days = set()
        for s in shifts:
            if s == 0:
                utc_days |= candidates
            elif s < 0:
                utc_days |= {d - 1 for d in candidates if d > 1} | ({28, 29, 30, 31} if 1 in candidates else set())
                month_boundary |= 1 in candidates
            else:
                utc_days |= {d + 1 for d in candidates if d < 31} | ({1} if max(candidates) >= 28 else set())
                month_boundary |= max(candidates) >= 28
        utc_dom = _field(utc_days, 1, 31)
    else:
        weekdays = _dow_candidates(dow)  # AWS numbering, 1 = Sunday
        utc_dow = _field({(d - 1 + s) % 7 for d in weekdays for s in shifts}, 0, 6)
        month_boundary = shifts != {0}
    utc_months = set(months)
    if month_boundary:
        for s in shifts:
            utc_months |= {(m - 1 + s) % 12 + 1 for m in months}
    expression = " ".join(["0", _field(set(utc_minutes), 0, 59), _field(set(utc_hours), 0, 23), utc_dom,
                           _field(utc_months, 1, 12), utc_dow])

    exact = (cron.year == "*" and not special and len(offsets) == 1
             and fires_per_day == len(utc_times) == len(local_times)
             and (shifts == {0}
                  or (every_day and len(months) == 12)
                  or (dom == "?" and len(shifts) == 1 and len(months) == 12)))
    local = None if exact else local_schedule(cron)
    return Timer([expression], exact, tz, local, _describe(cron, tz, expression, exact, sorted(utc_times),
                                                          local_times, fires_per_day), tuple(offsets))


def _dom_candidates(dom: str) -> set[int]:
    """The days of the month a day-of-month field can select in some month (a superset for L and W)."""
    if dom == "L":
        return set(range(28, 32))
    if dom == "LW":
        return set(range(26, 32))
    if dom.endswith("W"):
        day = int(dom[:-1])
        return set(range(max(1, day - 2), min(31, day + 2) + 1))
    return set(field_values(dom, 1, 31))


def _dow_candidates(dow: str) -> set[int]:
    """The weekdays (1 = Sunday) a day-of-week field can select."""
    days: set[int] = set()
    for item in dow.split(","):
        if "#" in item:
            days.add(field_number(item.partition("#")[0], DAYS))
        elif item.endswith("L") and item != "L":
            days.add(field_number(item[:-1], DAYS))
        else:
            days |= field_values("7" if item == "L" else item, 1, 7, DAYS)
    return days


def _field(values: set[int], low: int, high: int) -> str:
    """An NCRONTAB field for a set of values: `*`, a step from the bottom, or ranges and single values."""
    ordered = sorted(values)
    if ordered == list(range(low, high + 1)):
        return "*"
    if len(ordered) > 2 and ordered[0] == low:
        step = ordered[1] - ordered[0]
        if ordered == list(range(low, high + 1, step)):
            return f"*/{step}"
    parts, start = [], 0
    for i in range(1, len(ordered) + 1):
        if i == len(ordered) or ordered[i] != ordered[i - 1] + 1:
            run = ordered[start:i]
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 2 else ",".join(map(str, run)))
            start = i
    return ",".join(parts)


def local_schedule(cron: Cron) -> str:
    """The cron in BOTSHIP_LOCAL_SCHEDULE's compact JSON form (see the module's notes)."""
    data: dict[str, object] = {
        "v": LOCAL_SCHEDULE_VERSION,
        "minute": sorted(field_values(cron.minutes, 0, 59)),
        "hour": sorted(field_values(cron.hours, 0, 23)),
        "month": sorted(field_values(cron.month, 1, 12, MONTHS)),
    }
    if cron.year != "*":
        data["year"] = sorted(field_values(cron.year, 1970, 2199))
    dom, dow = cron.day_of_month, cron.day_of_week
    if dow == "?" and dom != "*":
        data["dom"] = _day_items(dom, lambda item: sorted(field_values(item, 1, 31)))
    elif dom == "?" and dow != "*":
        items: list[int | str] = []
        for item in dow.split(","):
            if "#" in item:
                day, _, nth = item.partition("#")
                items.append(f"{field_number(day, DAYS)}#{int(nth)}")
            elif item.endswith("L") and item != "L":
                items.append(f"{field_number(item[:-1], DAYS)}L")
            else:
                items.extend(sorted(field_values("7" if item == "L" else item, 1, 7, DAYS)))
        data["dow"] = _unique(items)
    return json.dumps(data, separators=(",", ":"))


def _day_items(dom: str, plain) -> list[int | str]:
    items: list[int | str] = []
    for item in dom.split(","):
        if item in ("L", "LW"):
            items.append(item)
        elif item.endswith("W"):
            items.append(f"{int(item[:-1])}W")
        else:
            items.extend(plain(item))
    return _unique(items)


def _unique(items: list[int | str]) -> list[int | str]:
    seen: list[int | str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


@lru_cache(maxsize=64)
def zone_offsets(tz: str, first_year: int, last_year: int) -> list[int]:
    """The UTC offsets (in whole minutes) zone `tz` uses from the start of `first_year` to the end of
    `last_year`, in order."""
    zone = ZoneInfo(tz)
    at, end = datetime(first_year, 1, 1, tzinfo=UTC), datetime(last_year + 1, 1, 1, tzinfo=UTC)
    found: set[int] = set()
    while at < end:
        offset = at.astimezone(zone).utcoffset()
        found.add(int(offset.total_seconds()) // 60)
        at += _SAMPLE
    return sorted(found)


# ---- in words, for the plan ----------------------------------------------------------------------------------

def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _describe(cron: Cron, tz: str, expression: str, exact: bool, utc_times: list[int], local_times: list[int],
              fires_per_day: int) -> str:
    words = describe_schedule(cron)
    where = "UTC" if tz == "UTC" else tz
    if exact:
        return f"{words} {where} → Azure timer '{expression}' (UTC); every firing runs"
    if fires_per_day <= 6:
        hours, minutes = sorted({t // 60 for t in utc_times}), sorted({t % 60 for t in utc_times})
        fires = f"fires {join_words([_clock(h * 60 + m) for h in hours for m in minutes])} UTC"
    else:
        fires = f"fires {fires_per_day} times a day UTC"
    all_days = cron.year == "*" and cron.day_of_month in ("*", "?") and cron.day_of_week in ("*", "?")
    if all_days and len(local_times) == 1 and fires_per_day > 1:
        runs = f"runs the one that is {_clock(local_times[0])} there"
    elif len(local_times) <= 3:
        runs = (f"runs only the firings that are {join_words([_clock(t) for t in local_times])}"
                f"{'' if all_days else ' on a scheduled day'} there")
    else:
        runs = "runs only the firings that are scheduled times there"
    return f"{words} {where} → {fires} ('{expression}'), {runs}, skips the rest"


# ---- reading an NCRONTAB expression back: when the timer fires next (a deployed bot's status) -----------------

def _ncrontab_field(text: str, low: int, high: int) -> set[int] | None:
    """An NCRONTAB field's values (`*`, `*/n`, `a-b`, `a-b/n`, lists); None when it is not one."""
    values: set[int] = set()
    try:
        for part in text.split(","):
            part, _, step_text = part.partition("/")
            step = int(step_text) if step_text else 1
            if part == "*":
                first, last = low, high
            elif "-" in part:
                first, last = (int(n) for n in part.split("-", 1))
            else:
                first = last = int(part)
                if step_text:
                    last = high
            if step < 1 or first < low or last > high or first > last:
                return None
            values.update(range(first, last + 1, step))
    except ValueError:
        return None
    return values


def ncrontab_next(expression: str, after: datetime, local_schedule: str | None = None, tz: str = "UTC",
                  horizon_days: int = 400) -> datetime | None:
    """The first firing of a six-field NCRONTAB expression (UTC) after `after` that the runtime runs (every firing,
    or those its local schedule wants); None for an expression it cannot read or no run within the horizon."""
    from datetime import timedelta

    fields = expression.split()
    if len(fields) != 6:
        return None
    parsed = [_ncrontab_field(f, lo, hi) for f, (lo, hi) in
              zip(fields, ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6)), strict=True)]
    if any(values is None for values in parsed):
        return None
    seconds, minutes, hours, days, months, weekdays = parsed
    wanted = None
    if local_schedule:
        try:
            from botship.runtime.schedule_check import wanted
        except ImportError:  # pragma: no cover - the runtime ships with botship
            wanted = None
    start = after.astimezone(UTC)
    day = start.date()
    for _ in range(horizon_days):
        # NCRONTAB (as cron) fires on a day when the day of month or the weekday matches if either is restricted.
        dom_all, dow_all = fields[3] == "*", fields[5] == "*"
        dom_ok, dow_ok = day.day in days, (day.weekday() + 1) % 7 in weekdays
        if day.month in months and ((dom_ok and dow_ok) if dom_all or dow_all else (dom_ok or dow_ok)):
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    for second in sorted(seconds):
                        at = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
                        if at <= start:
                            continue
                        if wanted is None or wanted(at, local_schedule, tz):
                            return at
        day += timedelta(days=1)
    return None
