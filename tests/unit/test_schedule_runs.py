"""When a schedule runs, how often in a month, and how it reads in words."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from botship.schedule import describe_schedule, next_runs, parse_schedule, runs_per_month

AMS = ZoneInfo("Europe/Amsterdam")


def runs(expr: str, after: datetime, count: int = 3, tz: str = "UTC") -> list[datetime]:
    return next_runs(parse_schedule(expr), tz, count, after)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekday_mornings_keep_their_wall_clock_time_across_the_spring_dst_change():
    # Amsterdam moves from +01:00 to +02:00 on Sunday 2026-03-29.
    found = runs("cron(0 9 ? * MON-FRI *)", datetime(2026, 3, 26, 10, tzinfo=AMS), tz="Europe/Amsterdam")
    assert [r.isoformat() for r in found] == [
        "2026-03-27T09:00:00+01:00", "2026-03-30T09:00:00+02:00", "2026-03-31T09:00:00+02:00"]
    assert [r.astimezone(UTC).hour for r in found] == [8, 7, 7]
    assert all(r.tzinfo == AMS for r in found)


def test_quarter_hours_skip_the_missing_hour_in_spring():
    found = runs("cron(0/15 * * * ? *)", datetime(2026, 3, 29, 1, 30, tzinfo=AMS), 4, "Europe/Amsterdam")
    assert [r.strftime("%H:%M%z") for r in found] == ["01:45+0100", "03:00+0200", "03:15+0200", "03:30+0200"]
    assert [r.astimezone(UTC).strftime("%H:%M") for r in found] == ["00:45", "01:00", "01:15", "01:30"]


def test_the_repeated_hour_in_autumn_runs_once():
    # 02:00–02:59 happens twice on 2026-10-25; EventBridge Scheduler runs those times only the first time.
    found = runs("cron(0/15 * * * ? *)", datetime(2026, 10, 25, 2, 30, tzinfo=AMS), 3, "Europe/Amsterdam")
    assert [r.isoformat() for r in found] == [
        "2026-10-25T02:45:00+02:00", "2026-10-25T03:00:00+01:00", "2026-10-25T03:15:00+01:00"]


def test_quarter_hours_in_utc():
    found = runs("cron(0/15 * * * ? *)", utc(2026, 5, 1, 23, 40))
    assert found == [utc(2026, 5, 1, 23, 45), utc(2026, 5, 2, 0, 0), utc(2026, 5, 2, 0, 15)]


def test_runs_are_strictly_after_the_given_time_in_any_zone():
    assert runs("cron(0 9 * * ? *)", utc(2026, 6, 1, 9), 1) == [utc(2026, 6, 2, 9)]
    # 07:00 UTC is 09:00 in Amsterdam in summer: that run has happened, the next is tomorrow.
    assert runs("cron(0 9 * * ? *)", utc(2026, 6, 1, 7), 1, "Europe/Amsterdam") == [
        datetime(2026, 6, 2, 9, tzinfo=AMS)]


def test_last_day_of_the_month():
    assert runs("cron(0 12 L * ? *)", utc(2026, 1, 31, 12)) == [
        utc(2026, 2, 28, 12), utc(2026, 3, 31, 12), utc(2026, 4, 30, 12)]
    assert runs("cron(0 12 L * ? *)", utc(2028, 2, 1), 1) == [utc(2028, 2, 29, 12)]


def test_third_friday_of_the_month():
    assert runs("cron(0 10 ? * 6#3 *)", utc(2026, 1, 1)) == [
        utc(2026, 1, 16, 10), utc(2026, 2, 20, 10), utc(2026, 3, 20, 10)]
    assert runs("cron(0 10 ? * FRI#3 *)", utc(2026, 1, 1)) == runs("cron(0 10 ? * 6#3 *)", utc(2026, 1, 1))


def test_a_fifth_weekday_only_in_months_that_have_one():
    # Thursdays: January 2026 has five, February has four, April has five.
    assert runs("cron(0 10 ? * 5#5 *)", utc(2026, 1, 1), 2) == [utc(2026, 1, 29, 10), utc(2026, 4, 30, 10)]


def test_last_given_weekday_and_lone_l_in_day_of_week():
    assert runs("cron(0 10 ? * 6L *)", utc(2026, 1, 1), 2) == [utc(2026, 1, 30, 10), utc(2026, 2, 27, 10)]
    # A lone L in day-of-week is Saturday.
    assert runs("cron(0 10 ? * L *)", utc(2026, 1, 1), 2) == [utc(2026, 1, 3, 10), utc(2026, 1, 10, 10)]


def test_nearest_weekday_never_leaves_the_month():
    # 2026-02-01 is a Sunday, 2026-08-01 a Saturday, 2026-05-31 a Sunday.
    assert runs("cron(0 8 1W * ? *)", utc(2026, 1, 31), 1) == [utc(2026, 2, 2, 8)]
    assert runs("cron(0 8 1W * ? *)", utc(2026, 7, 31), 1) == [utc(2026, 8, 3, 8)]
    assert runs("cron(0 8 31W * ? *)", utc(2026, 5, 1), 1) == [utc(2026, 5, 29, 8)]
    assert runs("cron(0 8 15W * ? *)", utc(2026, 3, 1), 1) == [utc(2026, 3, 16, 8)]
    assert runs("cron(0 8 LW * ? *)", utc(2026, 5, 1), 1) == [utc(2026, 5, 29, 8)]


def test_lists_ranges_steps_and_names():
    # 2026-01-04 is a Sunday.
    assert runs("cron(10-20/5 8,17 ? * SUN *)", utc(2026, 1, 1), 4) == [
        utc(2026, 1, 4, 8, 10), utc(2026, 1, 4, 8, 15), utc(2026, 1, 4, 8, 20), utc(2026, 1, 4, 17, 10)]
    assert runs("cron(0 9 1 FEB-MAR ? *)", utc(2026, 1, 1)) == [
        utc(2026, 2, 1, 9), utc(2026, 3, 1, 9), utc(2027, 2, 1, 9)]
    assert runs("cron(30 */6 ? * 2,4 2027)", utc(2026, 1, 1), 5) == [
        utc(2027, 1, 4, 0, 30), utc(2027, 1, 4, 6, 30), utc(2027, 1, 4, 12, 30), utc(2027, 1, 4, 18, 30),
        utc(2027, 1, 6, 0, 30)]
    # A range may wrap around the end of the week: Friday through Monday.
    assert [r.day for r in runs("cron(0 9 ? * FRI-MON *)", utc(2026, 1, 1), 5)] == [2, 3, 4, 5, 9]


def test_a_schedule_that_never_comes_returns_fewer_runs():
    # (A date that never exists, like February 30th, is refused when parsed.)
    assert runs("cron(0 9 * * ? 2099)", utc(2026, 1, 1)) == []
    assert runs("cron(0 9 * * ? 2020)", utc(2026, 1, 1)) == []
    # The next leap day after 2028 is in 2032, past the five years searched.
    assert runs("cron(0 9 29 2 ? *)", utc(2026, 1, 1), 3) == [utc(2028, 2, 29, 9)]


def test_rate_counts_from_the_given_time_in_real_hours_across_dst():
    found = runs("rate(1 hour)", datetime(2026, 3, 29, 0, 30, tzinfo=AMS), 3, "Europe/Amsterdam")
    assert [r.isoformat() for r in found] == [
        "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-29T04:30:00+02:00"]
    assert runs("rate(15 minutes)", utc(2026, 1, 1, 10, 7), 2) == [utc(2026, 1, 1, 10, 22), utc(2026, 1, 1, 10, 37)]


def test_next_runs_needs_an_aware_time_and_an_evaluable_cron():
    with pytest.raises(ValueError, match="timezone-aware"):
        runs("rate(1 hour)", datetime(2026, 1, 1))
    assert runs("rate(1 hour)", utc(2026, 1, 1), 0) == []
    with pytest.raises(ValueError, match="a step of 0 never moves on"):  # refused when parsed
        parse_schedule("cron(*/0 * * * ? *)")
    with pytest.raises(ValueError, match="'LL'"):  # refused when parsed, before anything is scheduled
        parse_schedule("cron(0 9 ? * LL *)")


@pytest.mark.parametrize("expr, tz, expected", [
    ("rate(15 minutes)", "UTC", 2880),
    ("rate(1 hour)", "UTC", 720),
    ("rate(2 days)", "UTC", 15),
    ("cron(0/15 * * * ? *)", "UTC", 2880),
    ("cron(* * * * ? *)", "UTC", 43200),
    ("cron(0 9 * * ? *)", "UTC", 30),
    # 2026 has 261 weekdays, 12 last days of the month and 12 third Fridays.
    ("cron(0 9 ? * MON-FRI *)", "Europe/Amsterdam", 261 * 30 / 365),
    ("cron(0 12 L * ? *)", "UTC", 12 * 30 / 365),
    ("cron(0 10 ? * 6#3 *)", "UTC", 12 * 30 / 365),
    # The four quarter hours of the skipped spring hour never run.
    ("cron(0/15 * * * ? *)", "Europe/Amsterdam", (365 * 96 - 4) * 30 / 365),
    # A cron limited to other years counts the first year it runs in.
    ("cron(0 9 * * ? 2030)", "UTC", 30),
    ("cron(0 9 1 * ? 2020,2031)", "UTC", 12 * 30 / 365),
])
def test_runs_per_month(expr, tz, expected):
    assert runs_per_month(parse_schedule(expr), tz) == pytest.approx(expected)


@pytest.mark.parametrize("expr, words", [
    ("rate(1 minute)", "every minute"),
    ("rate(15 minutes)", "every 15 minutes"),
    ("rate(1 hour)", "every hour"),
    ("rate(1 day)", "every day"),
    ("rate(3 days)", "every 3 days"),
    ("cron(0/15 * * * ? *)", "every 15 minutes"),
    ("cron(* * * * ? *)", "every minute"),
    ("cron(0 * * * ? *)", "every hour"),
    ("cron(30 * * * ? *)", "at minute 30 past every hour"),
    ("cron(0 */2 * * ? *)", "at minute 0 past every 2nd hour"),
    ("cron(0/1 0/1 * * ? *)", "every minute"),
    ("cron(0 9 * * ? *)", "at 09:00 every day"),
    ("cron(0 9,17 * * ? *)", "at 09:00 and 17:00 every day"),
    ("cron(30 9 ? * MON-FRI *)", "at 09:30 on Monday–Friday"),
    ("cron(0 9 ? * 2-6 *)", "at 09:00 on Monday–Friday"),
    ("cron(0 9 ? * MON,WED,FRI *)", "at 09:00 on Monday, Wednesday and Friday"),
    ("cron(*/5 9-16 ? * MON-FRI *)", "every 5 minutes from 09:00 to 16:59 on Monday–Friday"),
    ("cron(0 12 L * ? *)", "at 12:00 on the last day of the month"),
    ("cron(0 10 ? * 6#3 *)", "at 10:00 on the third Friday of the month"),
    ("cron(0 10 ? * FRIL *)", "at 10:00 on the last Friday of the month"),
    ("cron(0 8 15W * ? *)", "at 08:00 on the weekday nearest day 15 of the month"),
    ("cron(0 8 1,15 * ? *)", "at 08:00 on days 1 and 15 of the month"),
    ("cron(0 8 1 JAN-MAR ? *)", "at 08:00 on day 1 of the month in January–March"),
    # No simple phrase: the expression itself.
    ("cron(5/7 * * * ? *)", "cron(5/7 * * * ? *)"),
    ("cron(0 9 * * ? 2027)", "cron(0 9 * * ? 2027)"),
])
def test_describe_schedule(expr, words):
    assert describe_schedule(parse_schedule(expr)) == words


def test_month_names_ending_in_l_are_accepted():
    from botship.schedule import parse_schedule

    assert str(parse_schedule("cron(0 9 * JUL ? *)")) == "cron(0 9 * JUL ? *)"
    assert str(parse_schedule("cron(0 9 1 APR-JUL ? *)")) == "cron(0 9 1 APR-JUL ? *)"
