"""Schedules in AWS syntax — `rate(N unit)` or `cron(6 fields)` — parsed and checked once."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
        token = token.rstrip("LW") if token not in ("L", "W") else ""
        if not token or token in ("*", "?"):
            continue
        if names and token.upper() in names:
            continue
        if not token.isdigit():
            raise ValueError(f"cron {name} field '{value}': '{token}' is not a number" + (
                f" or one of {', '.join(names)}" if names else ""))
        if not low <= int(token) <= high:
            raise ValueError(f"cron {name} field '{value}': {token} is outside {low}–{high}")
