"""The Azure timer for a schedule: NCRONTAB in UTC plus the runtime's check of each firing, against next_runs.

The property: for crons from the grammar and zones with every kind of offset (whole hours, 30-minute DST on Lord
Howe, +5:45 in Kathmandu, +12:45/+13:45 on the Chatham Islands), over windows spanning DST changes and month ends,
the UTC firings of the NCRONTAB expression — computed here by a small evaluator of our own — that the runtime's
`wanted` keeps are exactly the runs `botship.schedule.next_runs` names; and every run next_runs names is a firing
that `wanted` keeps.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from botship.errors import BadInput
from botship.providers.azure.ncrontab import Timer, local_schedule, translate
from botship.runtime.schedule_check import fired_for, to_minute, wanted
from botship.schedule import Cron, next_runs, parse_schedule

ZONES = ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham", "UTC",
         "Pacific/Auckland", "America/Los_Angeles", "America/Santiago", "Asia/Kolkata"]
MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DAYS = "SUN MON TUE WED THU FRI SAT".split()
NOW = datetime(2026, 12, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- an NCRONTAB evaluator of the tests' own (sec min hour day month day-of-week; Sunday = 0) ----------------

def _ncron_field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        body, _, step = item.partition("/")
        if body == "*":
            first, last = low, high
        elif "-" in body:
            first, last = map(int, body.split("-"))
        else:
            first = last = int(body)
            if step:
                last = high
        assert low <= first <= last <= high, text
        values.update(range(first, last + 1, int(step or 1)))
    return values


def ncron_firings(expression: str, start: datetime, end: datetime) -> list[datetime]:
    """The UTC instants in (start, end] an NCRONTAB expression fires at."""
    sec, minute, hour, dom, month, dow = expression.split()
    assert sec == "0"
    # Both day fields restricted is read differently by different cron libraries: never produced.
    assert dom == "*" or dow == "*", expression
    minutes, hours = sorted(_ncron_field(minute, 0, 59)), sorted(_ncron_field(hour, 0, 23))
    days, months, weekdays = _ncron_field(dom, 1, 31), _ncron_field(month, 1, 12), _ncron_field(dow, 0, 6)
    out = []
    day = start.date()
    while day <= end.date():
        if day.day in days and day.month in months and (day.weekday() + 1) % 7 in weekdays:
            for h in hours:
                for m in minutes:
                    at = datetime(day.year, day.month, day.day, h, m, tzinfo=UTC)
                    if start < at <= end:
                        out.append(at)
        day += timedelta(days=1)
    return out


def ncron_fires_at(expression: str, at: datetime) -> bool:
    return at in ncron_firings(expression, at - timedelta(minutes=1), at)


# ---- crons from the grammar ---------------------------------------------------------------------------------

def _value(low: int, high: int, names: list[str] | None = None) -> st.SearchStrategy[str]:
    value = st.integers(low, high).map(str)
    return st.one_of(value, st.sampled_from(names)) if names else value


def _plain(low: int, high: int, names: list[str] | None = None, max_step: int | None = None) -> st.SearchStrategy[str]:
    value = _value(low, high, names)
    body = st.one_of(value, value, st.just("*"), st.tuples(value, value).map("-".join))
    step = st.integers(1, max_step or (high - low)).map(str)
    item = st.one_of(body, body, st.tuples(body, step).map("/".join))
    return st.lists(item, min_size=1, max_size=3).map(",".join)


def _days() -> st.SearchStrategy[tuple[str, str]]:
    day = st.integers(1, 31).map(str)
    weekday = _value(1, 7, DAYS)
    dom = st.one_of(st.just("*"), _plain(1, 31), st.sampled_from(["L", "LW"]), day.map(lambda d: f"{d}W"))
    dow = st.one_of(st.lists(st.one_of(weekday, st.tuples(weekday, weekday).map("-".join)), min_size=1,
                             max_size=3).map(",".join),
                    st.sampled_from(["*", "L"]), weekday.map(lambda d: f"{d}L"),
                    st.tuples(weekday, st.integers(1, 5)).map(lambda t: f"{t[0]}#{t[1]}"))
    return st.one_of(st.tuples(dom, st.just("?")), st.tuples(st.just("?"), dow))


@st.composite
def crons(draw: st.DrawFn) -> str:
    # Minutes and hours mostly from few values, so a window's runs stay countable; sometimes every minute.
    minutes = draw(st.one_of(_plain(0, 59), st.sampled_from(["0", "30", "45", "0/15", "*"])))
    hours = draw(st.one_of(_plain(0, 23), st.sampled_from(["2", "9", "0-3", "23", "9-18/3", "*"])))
    dom, dow = draw(_days())
    month = draw(st.one_of(st.just("*"), st.just("*"), _plain(1, 12, MONTHS)))
    year = draw(st.one_of(st.just("*"), st.just("*"), _plain(2026, 2031)))
    return f"cron({minutes} {hours} {dom} {month} {dow} {year})"


@lru_cache(maxsize=None)
def transitions(tz: str) -> list[datetime]:
    """The instants (UTC) the zone's offset changes in 2027–2030."""
    zone = ZoneInfo(tz)
    at, end, found = datetime(2027, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC), []
    previous = at.astimezone(zone).utcoffset()
    while at < end:
        at += timedelta(minutes=15)
        offset = at.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(at)
            previous = offset
    return found


@st.composite
def windows(draw: st.DrawFn, tz: str) -> datetime:
    """A window's start: around a DST change, around a month's end, or anywhere in 2027–2030."""
    kind = draw(st.sampled_from(["dst", "dst", "month_end", "any"]))
    if kind == "dst" and transitions(tz):
        base = draw(st.sampled_from(transitions(tz)))
    elif kind in ("dst", "month_end"):
        year, month = draw(st.integers(2027, 2030)), draw(st.integers(1, 12))
        base = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    else:
        base = draw(st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2030, 12, 1),
                                 timezones=st.just(UTC)))
    return (base - timedelta(minutes=draw(st.integers(0, 3 * 1440)))).replace(second=0, microsecond=0)


def _parsed(text: str) -> Cron | None:
    try:
        schedule = parse_schedule(text)
    except ValueError:
        return None
    return schedule if isinstance(schedule, Cron) else None


def _kept(timer: Timer, firings: list[datetime]) -> list[datetime]:
    if timer.exact:
        return firings
    rules = json.loads(timer.local_schedule)
    return [f for f in firings if wanted(f, rules, timer.tz)]


WINDOW = timedelta(days=4)


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, datetime]:
    tz = draw(st.sampled_from(ZONES))
    return draw(crons()), tz, draw(windows(tz))


@SETTINGS
@given(cases())
@example(("cron(0 9-18/3 ? * MON-FRI *)", "Pacific/Auckland", datetime(2027, 4, 2, tzinfo=UTC)))
@example(("cron(30 2 * * ? *)", "Europe/Amsterdam", datetime(2027, 3, 27, tzinfo=UTC)))
@example(("cron(30 2 * * ? *)", "Europe/Amsterdam", datetime(2027, 10, 30, tzinfo=UTC)))
@example(("cron(0,30 1,2 * * ? *)", "Australia/Lord_Howe", datetime(2027, 4, 2, tzinfo=UTC)))
@example(("cron(0 0 L * ? *)", "Pacific/Chatham", datetime(2027, 3, 29, tzinfo=UTC)))
@example(("cron(0 0 1 * ? *)", "America/Santiago", datetime(2027, 3, 30, tzinfo=UTC)))
@example(("cron(0 22 L JAN ? *)", "America/New_York", datetime(2027, 1, 29, tzinfo=UTC)))
@example(("cron(0 22 ? JAN SUN *)", "America/New_York", datetime(2027, 1, 29, tzinfo=UTC)))
@example(("cron(0 1 1 MAR ? *)", "Pacific/Auckland", datetime(2027, 2, 26, tzinfo=UTC)))
@example(("cron(* * ? * SAT#5 2027)", "Asia/Kathmandu", datetime(2027, 1, 29, tzinfo=UTC)))
def test_firings_kept_by_the_runtime_are_exactly_the_runs(case):
    text, tz, start = case
    cron = _parsed(text)
    if cron is None:
        return
    timer = translate(text, tz, now=NOW)
    assert len(timer.expressions) == 1 and (timer.exact or timer.local_schedule)
    end = start + WINDOW
    per_day = len(_times(cron))
    runs = [r.astimezone(UTC) for r in next_runs(cron, tz, per_day * 6 + 2, start) if r <= end]
    firings = ncron_firings(timer.expression, start, end)
    assert set(runs) <= set(firings), "a run the timer never fires for"
    assert _kept(timer, firings) == runs


def _times(cron: Cron) -> list[tuple[int, int]]:
    from botship.schedule_grammar import field_values
    return [(h, m) for h in field_values(cron.hours, 0, 23) for m in field_values(cron.minutes, 0, 59)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crons(), st.sampled_from(ZONES),
       st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2030, 6, 1), timezones=st.just(UTC)))
def test_every_run_is_fired_for_and_kept(text, tz, after):
    """However rare the cron (the fifth Saturday, the last weekday, one year), its next runs are all fired for
    and all kept — also a little late or early, as timers fire."""
    cron = _parsed(text)
    if cron is None:
        return
    timer = translate(text, tz, now=NOW)
    for run in next_runs(cron, tz, 12, after):
        at = run.astimezone(UTC)
        assert ncron_fires_at(timer.expression, at), (timer.expression, run)
        if not timer.exact:
            for jitter in (timedelta(0), timedelta(seconds=-1), timedelta(seconds=25)):
                assert wanted(at + jitter, timer.local_schedule, tz), (run, jitter)


# ---- examples -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rate", "expression"), [
    ("rate(1 minute)", "0 * * * * *"), ("rate(15 minutes)", "0 */15 * * * *"), ("rate(60 minutes)", "0 0 * * * *"),
    ("rate(1 hour)", "0 0 * * * *"), ("rate(6 hours)", "0 0 */6 * * *"), ("rate(120 minutes)", "0 0 */2 * * *"),
    ("rate(24 hours)", "0 0 0 * * *"), ("rate(1 day)", "0 0 0 * * *"), ("rate(1440 minutes)", "0 0 0 * * *"),
])
def test_rates_that_divide_their_field_are_exact(rate, expression):
    timer = translate(rate, "Europe/Amsterdam")
    assert (timer.expressions, timer.exact, timer.local_schedule) == ([expression], True, None)
    assert timer.app_settings() == {"BOTSHIP_SCHEDULE": expression, "BOTSHIP_TIMEZONE": "Europe/Amsterdam"}
    assert "every firing runs" in timer.describe()


@pytest.mark.parametrize(("rate", "nearest"), [
    ("rate(7 minutes)", "use rate(6 minutes) or rate(10 minutes)"),
    ("rate(45 minutes)", "use rate(30 minutes) or rate(1 hour)"),
    ("rate(90 minutes)", "use rate(1 hour) or rate(2 hours)"),
    ("rate(5 hours)", "use rate(4 hours) or rate(6 hours)"),
    ("rate(2 days)", "use rate(1 day), or a cron naming the days"),
])
def test_rates_it_cannot_keep_are_refused_naming_the_nearest(rate, nearest):
    with pytest.raises(BadInput) as caught:
        translate(rate, "UTC")
    assert caught.value.what == f"{rate} cannot be expressed as an Azure timer"
    assert caught.value.fix.startswith(nearest)
    assert "divisor of 60" in caught.value.why


def test_a_utc_cron_is_exact_and_a_zone_with_dst_is_checked():
    utc = translate("cron(0 9 ? * MON-FRI *)", "UTC")
    assert (utc.expressions, utc.exact, utc.local_schedule) == (["0 0 9 * * 1-5"], True, None)
    kolkata = translate("cron(0 9 ? * MON-FRI *)", "Asia/Kolkata")  # +5:30 all year: still one time a day
    assert (kolkata.expressions, kolkata.exact) == (["0 30 3 * * 1-5"], True)
    amsterdam = translate("cron(0 9 * * ? *)", "Europe/Amsterdam")
    assert (amsterdam.expressions, amsterdam.exact) == (["0 0 7,8 * * *"], False)
    assert json.loads(amsterdam.local_schedule) == {"v": 1, "minute": [0], "hour": [9], "month": list(range(1, 13))}
    assert amsterdam.describe() == ("at 09:00 every day Europe/Amsterdam → fires 07:00 and 08:00 UTC "
                                    "('0 0 7,8 * * *'), runs the one that is 09:00 there, skips the rest")
    assert amsterdam.app_settings()["BOTSHIP_LOCAL_SCHEDULE"] == amsterdam.local_schedule
    # A year named, or a day NCRONTAB cannot say (L, W, #): checked by the runtime even in UTC.
    assert not translate("cron(0 9 * * ? 2027)", "UTC").exact
    last = translate("cron(0 9 L * ? *)", "UTC")
    assert (last.expressions, last.exact) == (["0 0 9 28-31 * *"], False)
    third = translate("cron(0 9 ? * FRI#3 *)", "UTC")
    assert (third.expressions, json.loads(third.local_schedule)["dow"]) == (["0 0 9 * * 5"], ["6#3"])


@pytest.mark.parametrize("tz", ["Pacific/Auckland", "Pacific/Chatham", "America/Los_Angeles", "Asia/Kathmandu"])
def test_workday_hours_far_from_utc_run_on_workdays_only(tz):
    """CLOUD_FACTS: 09:00–18:00 every 3 h on workdays, translated naively, becomes a Sunday run and loses
    Friday's. Over a January and a July week: every workday has its four runs, and no weekend day has one."""
    text = "cron(0 9-18/3 ? * MON-FRI *)"
    timer = translate(text, tz)
    for start in (datetime(2027, 1, 8, tzinfo=UTC), datetime(2027, 7, 9, tzinfo=UTC)):
        end = start + timedelta(days=10)
        kept = _kept(timer, ncron_firings(timer.expression, start, end))
        runs = [r.astimezone(UTC) for r in next_runs(parse_schedule(text), tz, 100, start) if r <= end]
        assert kept == runs
        local = [k.astimezone(ZoneInfo(tz)) for k in kept]
        assert {d.isoweekday() for d in local} == {1, 2, 3, 4, 5}
        by_day: dict[date, list[int]] = {}
        for moment in local:
            by_day.setdefault(moment.date(), []).append(moment.hour)
        full = [hours for day, hours in by_day.items() if start + timedelta(days=1) < datetime(
            day.year, day.month, day.day, tzinfo=UTC) < end - timedelta(days=1)]
        assert full and all(hours == [9, 12, 15, 18] for hours in full)


def test_a_skipped_time_never_runs_and_a_repeated_one_runs_once():
    timer = translate("cron(30 2 * * ? *)", "Europe/Amsterdam")
    rules = timer.local_schedule
    # 28 March 2027: 02:00 → 03:00, no 02:30 that night (neither firing, 00:30 nor 01:30 UTC, runs).
    assert not wanted(datetime(2027, 3, 28, 0, 30, tzinfo=UTC), rules, timer.tz)
    assert not wanted(datetime(2027, 3, 28, 1, 30, tzinfo=UTC), rules, timer.tz)
    # 31 October 2027: 03:00 → 02:00, 02:30 comes twice; it runs at the first (00:30 UTC), not the second.
    assert wanted(datetime(2027, 10, 31, 0, 30, tzinfo=UTC), rules, timer.tz)
    assert not wanted(datetime(2027, 10, 31, 1, 30, tzinfo=UTC), rules, timer.tz)
    # Other days: the one at 02:30 local.
    assert wanted(datetime(2027, 7, 1, 0, 30, tzinfo=UTC), rules, timer.tz)
    assert not wanted(datetime(2027, 7, 1, 1, 30, tzinfo=UTC), rules, timer.tz)
    assert wanted(datetime(2027, 12, 1, 1, 30, tzinfo=UTC), rules, timer.tz)


def test_lord_howe_half_hour_dst():
    timer = translate("cron(0 9 * * ? *)", "Australia/Lord_Howe")  # +10:30 in winter, +11 in summer
    assert timer.expressions == ["0 0,30 22 * * *"]
    assert wanted(datetime(2027, 1, 14, 22, 0, tzinfo=UTC), timer.local_schedule, timer.tz)  # 09:00 on the 15th
    assert not wanted(datetime(2027, 1, 14, 22, 30, tzinfo=UTC), timer.local_schedule, timer.tz)
    assert wanted(datetime(2027, 7, 14, 22, 30, tzinfo=UTC), timer.local_schedule, timer.tz)


def test_a_firing_stands_for_its_scheduled_time():
    """The host passes the occurrence it fires as ScheduleStatus.Next: a firing a little early or late, or a
    past-due one made up after a restart, is checked as that time; without it, the nearest minute."""
    now = datetime(2027, 3, 28, 7, 0, 0, 400_000, tzinfo=UTC)
    assert fired_for(now, {"Next": "2027-03-28T07:00:00+00:00"}, False) == datetime(2027, 3, 28, 7, tzinfo=UTC)
    assert fired_for(now, {"Next": "2027-03-28T07:00:00.0000000Z"}, False) == datetime(2027, 3, 28, 7, tzinfo=UTC)
    late = datetime(2027, 3, 28, 9, 13, 41, tzinfo=UTC)
    assert fired_for(late, {"Next": "2027-03-28T07:00:00"}, True) == datetime(2027, 3, 28, 7, tzinfo=UTC)
    assert fired_for(late, {"Next": "2027-03-28T07:00:00"}, False) == datetime(2027, 3, 28, 9, 14, tzinfo=UTC)
    assert fired_for(late, {}, False) == fired_for(late, {"Next": "garbage"}, True) == to_minute(late)
    assert to_minute(datetime(2027, 1, 1, 6, 59, 59, 900_000, tzinfo=UTC)) == datetime(2027, 1, 1, 7, tzinfo=UTC)


def test_the_local_schedule_form():
    cron = parse_schedule("cron(0,30 9 ? JAN-MAR WED#2 2027-2028)")
    assert json.loads(local_schedule(cron)) == {"v": 1, "minute": [0, 30], "hour": [9], "month": [1, 2, 3],
                                                "year": [2027, 2028], "dow": ["4#2"]}
    assert json.loads(local_schedule(parse_schedule("cron(0 9 ? * FRIL *)")))["dow"] == ["6L"]
    assert json.loads(local_schedule(parse_schedule("cron(0 9 ? * L *)")))["dow"] == [7]
    assert json.loads(local_schedule(parse_schedule("cron(0 9 15W * ? *)")))["dom"] == ["15W"]
    assert json.loads(local_schedule(parse_schedule("cron(0 9 1,10-12 * ? *)")))["dom"] == [1, 10, 11, 12]
    assert "dom" not in json.loads(local_schedule(parse_schedule("cron(0 9 * * ? *)")))
