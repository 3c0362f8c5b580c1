"""Whether a timer firing is a scheduled run: Azure's timer fires in UTC at every instant that can be one of the
bot's local times, and this keeps exactly those that are, as botship counts runs — a local time skipped when the
clocks go forward never runs, and one repeated when they go back runs once, at its first occurrence.

The schedule comes from BOTSHIP_LOCAL_SCHEDULE (JSON written by botship's Azure provider): local minutes, hours,
months, optionally years, and the days as `dom` (numbers, "L", "LW", "15W") or `dow` (1 = Sunday … 7: numbers,
"6#3", "6L"), neither for every day.
"""

from __future__ import annotations

import calendar
import json
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?\s*(Z|[+-]\d\d:?\d\d)?$")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_minute(moment: datetime) -> datetime:
    """The nearest whole minute, in UTC: a timer fires a little late, or a little early."""
    moment = moment.astimezone(timezone.utc) + timedelta(seconds=30)
    return moment.replace(second=0, microsecond=0)


def wanted(now_utc: datetime, local_schedule: str | dict, tz: str) -> bool:
    """Whether the firing at `now_utc` (aware) is a run of the local schedule in zone `tz`."""
    rules = json.loads(local_schedule) if isinstance(local_schedule, str) else local_schedule
    zone = ZoneInfo(tz)
    at = to_minute(now_utc)
    local = at.astimezone(zone)
    if (local.minute not in rules["minute"] or local.hour not in rules["hour"] or local.month not in rules["month"]
            or ("year" in rules and local.year not in rules["year"]) or not _day(local.date(), rules)):
        return False
    # The wall time's first occurrence must be this instant: the second pass of a repeated time is skipped.
    return local.replace(fold=0).timestamp() == at.timestamp()


def _weekday(day: date) -> int:
    """1 = Sunday … 7 = Saturday, as AWS counts."""
    return (day.weekday() + 1) % 7 + 1


def _day(day: date, rules: dict) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if "dom" in rules:
        return any(_dom(item, day, last) for item in rules["dom"])
    if "dow" in rules:
        weekday = _weekday(day)
        for item in rules["dow"]:
            if isinstance(item, int):
                if weekday == item:
                    return True
            elif "#" in item:
                wanted_day, nth = map(int, item.split("#"))
                if weekday == wanted_day and (day.day - 1) // 7 + 1 == nth:
                    return True
            elif weekday == int(item[:-1]) and day.day + 7 > last:  # "6L": the month's last Friday
                return True
        return False
    return True


def _dom(item: int | str, day: date, last: int) -> bool:
    if isinstance(item, int):
        return day.day == item
    if item == "L":
        return day.day == last
    if item == "LW":
        return day.day == max(d for d in range(last - 2, last + 1) if _weekday(day.replace(day=d)) not in (1, 7))
    target = int(item[:-1])  # "15W": the weekday nearest the 15th, never in another month
    if target > last:
        return False
    weekday = _weekday(day.replace(day=target))
    if weekday == 7:
        target = target + 2 if target == 1 else target - 1
    elif weekday == 1:
        target = target - 2 if target == last else target + 1
    return day.day == target


def _parse(text: object) -> datetime | None:
    match = _ISO.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups()[:6])
    zone = match.group(7)
    offset = timedelta(0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        return None


def fired_for(now_utc: datetime, schedule_status: dict | None, past_due: bool) -> datetime:
    """The scheduled instant a firing stands for: the timer's recorded next occurrence (which the host passes
    while firing it) when it is that — within a few minutes, or a past-due firing made up late — else now."""
    scheduled = _parse((schedule_status or {}).get("Next"))
    if scheduled is not None and (past_due or abs(scheduled - now_utc) <= timedelta(minutes=5)):
        return to_minute(scheduled)
    return to_minute(now_utc)
