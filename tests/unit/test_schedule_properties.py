"""Property tests: every schedule the spec accepts can be evaluated and fires; everything else is refused.

Expressions are generated from the AWS cron grammar (numbers, names, ranges, steps, lists, L, W, #) and
then some are mutated (a character dropped, doubled or replaced), so near-valid ones are tried as well.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from botship.cost import spec_cost
from botship.errors import SpecInvalid
from botship.schedule import (
    check_fires,
    describe_schedule,
    next_runs,
    parse_schedule,
    runs_per_month,
)
from botship.spec import build_spec

BASE = {"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler", "aws": {"region": "eu-west-1"}}
ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Apia"]
MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DAYS = "SUN MON TUE WED THU FRI SAT".split()
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _value(low: int, high: int, names: list[str] | None = None, odd: bool = False) -> st.SearchStrategy[str]:
    if odd:  # just outside the range, far off, a leading zero, a star where a value belongs
        return st.one_of(st.integers(low - 2, high + 2).map(str), st.integers(low, high).map(lambda n: f"0{n}"),
                         st.sampled_from(["99999999999", "0", "*", ""]))
    value = st.integers(low, high).map(str)
    return st.one_of(value, st.sampled_from(names), st.sampled_from(names).map(str.lower)) if names else value


def _item(low: int, high: int, names: list[str] | None = None, odd: bool = False) -> st.SearchStrategy[str]:
    value = _value(low, high, names)
    if odd:
        bad = _value(low, high, names, odd=True)
        return st.one_of(
            st.tuples(value, value, value).map("-".join),  # 1-2-3
            value.map(lambda v: f"{v}-"), value.map(lambda v: f"-{v}"), bad,
            st.tuples(value, bad).map("-".join),
            st.tuples(st.sampled_from(["*", "0"]), st.sampled_from(["0", "", "99999", "2/3"])).map("/".join),
        )
    body = st.one_of(st.just("*"), value, st.tuples(value, value).map("-".join))
    return st.one_of(body, st.tuples(body, st.integers(1, high - low + 1).map(str)).map("/".join))


def _plain(low: int, high: int, names: list[str] | None = None, odd: bool = False) -> st.SearchStrategy[str]:
    items = st.lists(_item(low, high, names), min_size=1, max_size=3)
    if odd:
        items = st.tuples(items, _item(low, high, names, odd=True), st.integers(0, 3)).map(
            lambda t: [*t[0][:t[2]], t[1], *t[0][t[2]:]])
    return items.map(",".join)


def _day_of_month(odd: bool = False) -> st.SearchStrategy[str]:
    day = st.integers(1, 31).map(str)
    if odd:
        return st.one_of(_plain(1, 31, odd=True), st.sampled_from(["W", "L/2", "LW,3", "L-2", "?,1", "32W", "0W"]),
                         day.map(lambda d: f"{d}L"), st.tuples(day, day).map(lambda t: f"{t[0]}W-{t[1]}"))
    return st.one_of(_plain(1, 31), _plain(1, 31), st.sampled_from(["*", "L", "LW"]), day.map(lambda d: f"{d}W"))


def _day_of_week(odd: bool = False) -> st.SearchStrategy[str]:
    day = _value(1, 7, DAYS)
    if odd:
        return st.one_of(_plain(1, 7, DAYS, odd=True),
                         st.tuples(day, st.integers(0, 9)).map(lambda t: f"{t[0]}#{t[1]}"),
                         st.tuples(day, st.integers(1, 5), day, st.integers(1, 5)).map(
                             lambda t: f"{t[0]}#{t[1]},{t[2]}#{t[3]}"),
                         st.tuples(day, day).map(lambda t: f"{t[0]}-{t[1]}L"), st.just("MON/2"))
    return st.one_of(st.lists(st.one_of(day, st.tuples(day, day).map("-".join)), min_size=1, max_size=3).map(
        ",".join), st.sampled_from(["*", "L"]), day.map(lambda d: f"{d}L"),
        st.tuples(day, st.integers(1, 5)).map(lambda t: f"{t[0]}#{t[1]}"))


def _year(odd: bool = False) -> st.SearchStrategy[str]:
    if odd:
        return st.one_of(_plain(2015, 2040), _plain(1960, 2210, odd=True), _plain(2026, 2035, odd=True))
    return st.one_of(st.just("*"), st.just("*"), _plain(2026, 2035))


@st.composite
def _cron(draw: st.DrawFn) -> str:
    """A cron from the grammar; half the time one field is odd (malformed, out of range, never fires)."""
    odd = draw(st.sampled_from([None, None, "minutes", "hours", "days", "month", "year"]))
    minutes = draw(_plain(0, 59, odd=odd == "minutes"))
    hours = draw(_plain(0, 23, odd=odd == "hours"))
    if odd == "days":
        dom, dow = draw(st.one_of(
            st.tuples(_day_of_month(odd=True), st.just("?")), st.tuples(st.just("?"), _day_of_week(odd=True)),
            st.tuples(_day_of_month(), _day_of_week()), st.just(("?", "?"))))
    else:
        dom, dow = draw(st.one_of(st.tuples(_day_of_month(), st.just("?")), st.tuples(st.just("?"), _day_of_week())))
    month = draw(_plain(1, 12, MONTHS, odd=odd == "month"))
    return f"cron({minutes} {hours} {dom} {month} {dow} {draw(_year(odd=odd == 'year'))})"


CRONS = _cron()
RATES = st.tuples(
    st.one_of(st.integers(1, 600_000).map(str), st.integers(1, 600_000).map(str),
              st.sampled_from(["0", "99999999999", str(10**40), "01", "٣"])),
    st.sampled_from(["minute", "minutes", "hour", "hours", "day", "days", "week"]),
).map(lambda t: f"rate({t[0]} {t[1]})")


@st.composite
def _mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    text = draw(base)
    if not text or draw(st.integers(0, 3)):  # one in four is mutated
        return text
    at = draw(st.integers(0, len(text) - 1))
    kind = draw(st.sampled_from(["drop", "double", "replace"]))
    if kind == "drop":
        return text[:at] + text[at + 1:]
    if kind == "double":
        return text[:at] + text[at] + text[at:]
    return text[:at] + draw(st.sampled_from(list("0123456789*?/-,#LW ()\x00٣²"))) + text[at + 1:]


EXPRESSIONS = _mutated(st.one_of(CRONS, CRONS, CRONS, RATES))
AFTER = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31),
                     timezones=st.just(UTC))


def _evaluate(schedule, zone: str, after: datetime) -> list[datetime]:
    runs = next_runs(schedule, zone, 3, after)
    assert all(run > after for run in runs) and runs == sorted(runs)
    assert runs_per_month(schedule, zone) >= 0
    assert describe_schedule(schedule)
    return runs


@SETTINGS
@given(EXPRESSIONS, st.sampled_from(ZONES), AFTER)
@example("rate(99999999999 days)", "UTC", datetime(2026, 1, 1, tzinfo=UTC))
@example("cron(0/0 * * * ? *)", "UTC", datetime(2026, 1, 1, tzinfo=UTC))
@example("cron(*-5 * * * ? *)", "UTC", datetime(2026, 1, 1, tzinfo=UTC))
def test_whatever_parses_can_be_evaluated(text, zone, after):
    """parse_schedule refuses with a ValueError, or next_runs, runs_per_month and describe never raise."""
    try:
        schedule = parse_schedule(text)
    except ValueError as exc:
        assert str(exc)
        return
    _evaluate(schedule, zone, after)
    # The parsed form is stable: parsing what it prints gives the same schedule.
    assert parse_schedule(str(schedule)) == schedule


@SETTINGS
@given(EXPRESSIONS, st.sampled_from(ZONES))
@example("rate(99999999999 days)", "UTC")
@example("cron(0 9 30 2 ? *)", "UTC")
@example("cron(0 9 * * ? 2020)", "UTC")
@example("cron(0 9 ? * MON#6 *)", "UTC")
@example("cron(30 2 28 3 ? 2027)", "Europe/Amsterdam")
def test_a_spec_accepts_only_schedules_that_fire_and_cost_can_be_estimated(text, zone):
    """build_spec refuses naming `schedule`, or the schedule fires from now on and every view of it works."""
    try:
        spec = build_spec({**BASE, "schedule": text, "timezone": zone})
    except SpecInvalid as exc:
        assert [p.field for p in exc.problems] == ["schedule"] and all(p.message for p in exc.problems)
        return
    schedule = parse_schedule(spec.schedule)
    now = datetime.now(UTC)
    assert _evaluate(schedule, zone, now), f"{text} was accepted but never fires"
    check_fires(schedule, zone, now)
    assert spec_cost(spec)
    for platform, extra in (("azure", {"azure": {"subscription_id": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
                                                 "resource_group": "rg", "location": "westeurope"}}),
                            ("sandbox", {})):
        other = build_spec({**{k: v for k, v in BASE.items() if k != "aws"}, "platform": platform, **extra,
                            "schedule": text, "timezone": zone})
        assert spec_cost(other)


@SETTINGS
@given(CRONS, st.sampled_from(ZONES), AFTER)
def test_check_fires_agrees_with_next_runs(text, zone, after):
    """check_fires refuses exactly the schedules next_runs finds no run for, and names a reason."""
    try:
        schedule = parse_schedule(text)
    except ValueError:
        return
    runs = next_runs(schedule, zone, 1, after)
    try:
        check_fires(schedule, zone, after)
    except ValueError as exc:
        assert not runs and "never fires" in str(exc) or "five years" in str(exc)
    else:
        assert runs and runs[0] - after < timedelta(days=6 * 366)


@given(st.integers(min_value=1, max_value=365), st.sampled_from(["minute", "hour", "day"]),
       st.integers(min_value=-10**7, max_value=10**8), st.integers(min_value=0, max_value=10**8))
def test_a_rates_next_runs_count_whole_periods_from_its_anchor(n, unit, offset_s, anchor_s):
    """A deployed rate runs at anchor + k periods: the next run is the first such time strictly after now."""
    from datetime import UTC, datetime, timedelta

    from botship.schedule import next_runs, parse_schedule

    rate = parse_schedule(f"rate({n} {unit}{'s' if n > 1 else ''})")
    step = timedelta(seconds=rate.seconds)
    anchor = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=anchor_s)
    after = anchor + timedelta(seconds=offset_s)
    first, second = (run.astimezone(UTC) for run in next_runs(rate, "Europe/Amsterdam", 2, after, anchor))
    assert first > after and second - first == step
    assert (first - anchor) % step == timedelta(0) and first >= anchor
    assert first - step <= after or first == anchor
