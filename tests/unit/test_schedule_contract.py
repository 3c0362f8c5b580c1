"""The wizard's and the guided prompts' schedule inputs are total, and an accepted schedule stays accepted as stored.

Typed text reaches `daily_expr` / `daily_parts` before any validation, so no text may make them raise; and the
form the spec stores (whitespace and case normalised) must be one the spec accepts again, evaluable in every
zone a profile may name — including the ones at the edges of the clock (UTC+14, UTC−11, half and quarter hours).
"""

from __future__ import annotations

from datetime import UTC, datetime

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
