"""The wizard's and the guided prompts' schedule inputs are total, and an accepted schedule stays accepted as stored.

Typed text reaches `daily_expr` / `daily_parts` before any validation, so no text may make them raise; and the
form the spec stores (whitespace and case normalised) must be one the spec accepts again, evaluable in every
zone a profile may name — including the ones at the edges of the clock (UTC+14, UTC−11, half and quarter hours).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from botship.answers import daily_expr, daily_parts, preset_of
from botship.cost import spec_cost
from botship.errors import SpecInvalid
from botship.schedule import describe_schedule, next_runs, parse_schedule, runs_per_month
from botship.spec import build_spec

BASE = {"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler", "aws": {"region": "eu-west-1"}}
EDGE_ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Chatham", "Asia/Kathmandu", "America/St_Johns",
              "Australia/Lord_Howe", "Africa/Casablanca", "America/Santiago", "Etc/GMT-14", "Etc/GMT+12"]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FIELDS = [
    ["0", "5", "59", "*", "0/15", "*/5", "5/7", "0-30", "30-5", "00", "07", "60"],
    ["0", "9", "23", "*", "*/6", "22-2", "0/23", "9,17", "09", "24"],
    ["?", "*", "1", "15", "29", "30", "31", "L", "LW", "15W", "1W", "31W", "1-15", "25-5", "*/10", "l", "lw"],
    ["*", "2", "FEB", "jan-mar", "DEC-FEB", "*/3", "2/12", "APR,JUN", "13"],
    ["?", "*", "MON", "mon-fri", "FRI-MON", "1", "7", "2#5", "fri#5", "6L", "L", "satl", "1,7"],
    ["*", "2027", "2026-2030", "2031", "2028/4", "*/5"],
]
SPACES = st.sampled_from([" ", "  ", "\t", "\u00a0", "\n", " \t "])


@st.composite
def typed_cron(draw) -> str:
    """A cron expression as a person might type it: mixed case, odd spacing inside and around."""
    parts = [draw(st.sampled_from(choices)) for choices in FIELDS]
    gaps = [draw(SPACES) for _ in parts]
    body = "".join(part + gap for part, gap in zip(parts, gaps)).rstrip()
    return f"{draw(st.sampled_from(['', ' ', '  ']))}cron({draw(st.sampled_from(['', ' ']))}{body})" \
           f"{draw(st.sampled_from(['', ' ', chr(10)]))}"


@SETTINGS
@given(st.text(max_size=12))
@example("²:00")
@example("9:0⁵")
@example("١٢:٣٠")
@example("99999999999999999999:00")
def test_typed_times_never_raise(text):
    expr = daily_expr(text)
    assert expr is None or daily_parts(expr) is not None
    daily_parts(f"cron({text} 9 * * ? *)")
    daily_parts(f"cron(0 {text} * * ? *)")
    preset_of(text)


@SETTINGS
@given(typed_cron(), st.sampled_from(EDGE_ZONES))
@example(" cron( 0 9 * * ? * ) ", "Pacific/Kiritimati")
@example("cron(0\t9\u00a0*  *  ?  *)\n", "Etc/GMT+12")
@example("cron(0 0 29 2 ? *)", "Pacific/Kiritimati")  # fires every leap year, none of them 2026
def test_an_accepted_schedule_is_stored_in_a_form_that_is_accepted_again_and_evaluates(text, zone):
    try:
        spec = build_spec({**BASE, "schedule": text, "timezone": zone})
    except SpecInvalid:
        return
    stored = spec.schedule
    assert stored == stored.strip() and "  " not in stored and "\t" not in stored and "\u00a0" not in stored
    again = build_spec({**BASE, "schedule": stored, "timezone": zone})
    assert again.schedule == stored
    schedule = parse_schedule(stored)
    assert next_runs(schedule, zone, 3, datetime.now(UTC))
    assert runs_per_month(schedule, zone) > 0
    describe_schedule(schedule)
    spec_cost(spec)


def _days_from_2026(years: int = 28):
    day = date(2026, 1, 1)
    while day.year < 2026 + years:
        yield day
        day += timedelta(days=1)


# Counted day by day over 2026–2053, the 28 years in which weekdays and leap years all come round.
CYCLE_DAYS = sum(1 for _ in _days_from_2026())
LEAP_DAYS = sum(1 for d in _days_from_2026() if (d.month, d.day) == (2, 29))
FIFTH_FRIDAYS_OF_APRIL_AND_JUNE = sum(1 for d in _days_from_2026() if d.month in (4, 6) and d.weekday() == 4
                                      and d.day > 28)
FIFTH_FRIDAYS_OF_FEBRUARY = sum(1 for d in _days_from_2026() if d.month == 2 and d.weekday() == 4 and d.day > 28)


@pytest.mark.parametrize("text, zone, expected", [
    # 29 February: none in 2026, one in each of the 7 leap years from 2028 to 2052.
    ("cron(0 0 29 2 ? *)", "Pacific/Kiritimati", LEAP_DAYS * 30 / CYCLE_DAYS),
    ("cron(0 0 29 2 ? *)", "UTC", LEAP_DAYS * 30 / CYCLE_DAYS),
    ("cron(30 12 29W FEB ? *)", "Europe/Amsterdam", LEAP_DAYS * 30 / CYCLE_DAYS),
    # A fifth Friday: April and June have none in 2026, some in other years; February only when the 29th is one.
    ("cron(0 9 ? APR,JUN FRI#5 *)", "UTC", FIFTH_FRIDAYS_OF_APRIL_AND_JUNE * 30 / CYCLE_DAYS),
    ("cron(0 9 ? 2 6#5 *)", "UTC", FIFTH_FRIDAYS_OF_FEBRUARY * 30 / CYCLE_DAYS),
    # Only the years the year field names count: 2027 (no leap day) and 2028 (one), 731 days.
    ("cron(0 0 29 2 ? 2027,2028)", "UTC", 1 * 30 / 731),
    # A year that is counted on its own is counted by its own length.
    ("cron(0 9 * * ? 2028)", "UTC", 30),
])
def test_a_schedule_that_skips_the_year_counted_averages_over_the_calendar_cycle(text, zone, expected):
    assert LEAP_DAYS == 7 and FIFTH_FRIDAYS_OF_FEBRUARY == 1 and FIFTH_FRIDAYS_OF_APRIL_AND_JUNE > 0
    assert runs_per_month(parse_schedule(text), zone) == pytest.approx(expected)


def test_a_schedule_with_no_run_in_any_year_it_names_counts_none():
    # 29 February 2027 does not exist; the spec refuses this schedule (it never fires), the cost reads 0.
    assert runs_per_month(parse_schedule("cron(0 0 29 2 ? 2027)")) == 0
