"""The parts the bots commands share: the --since grammar (property tests), tables aligned on what is visible,
times and JSON-able values."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from botship.cli.bots_logs import LONGEST, parse_duration
from botship.cli.bots_show import ago, plain, table, when
from botship.cli.bots_state import is_binary
from botship.cli.console import Console, mode_badge
from botship.errors import BadInput

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@given(st.lists(st.tuples(st.integers(0, 500), st.sampled_from(list(UNITS))), min_size=1, max_size=4))
def test_a_duration_of_numbers_and_units_is_their_sum(parts):
    text = "".join(f"{n}{u}" for n, u in parts)
    seconds = sum(n * UNITS[u] for n, u in parts)
    if 0 < seconds <= LONGEST.total_seconds():
        assert parse_duration(text) == timedelta(seconds=seconds)
        assert parse_duration(text.upper()) == timedelta(seconds=seconds)
    else:
        with pytest.raises(BadInput, match="--since"):
            parse_duration(text)


@given(st.text(max_size=12))
def test_any_other_text_is_bad_input_naming_the_flag(text):
    compact = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"(\d+[smhdw])+", compact):
        return
    with pytest.raises(BadInput) as caught:
        parse_duration(text, "--since")
    assert "--since" in caught.value.what and "--since 30m" in caught.value.fix


@pytest.mark.parametrize("text,expected", [("30m", timedelta(minutes=30)), ("2h", timedelta(hours=2)),
                                           ("1d", timedelta(days=1)), ("1h30m", timedelta(minutes=90)),
                                           (" 2h 15m ", timedelta(minutes=135))])
def test_the_durations_the_help_shows(text, expected):
    assert parse_duration(text) == expected


def test_a_table_aligns_columns_on_what_is_visible_not_on_colour_codes(capsys):
    console = Console()
    rows = [[mode_badge("live"), click.style("failed", fg="red"), "x"], [mode_badge("paper"), "active", "y"]]
    table(console, ("MODE", "STATUS", "NOTE"), rows)
    lines = [click.unstyle(line) for line in capsys.readouterr().out.splitlines()]
    assert [line.index(word) for line, word in zip(lines, ("NOTE", "x", "y"), strict=True)] == [lines[0].index("NOTE")] * 3


def test_times_are_said_in_the_bots_zone_and_relative_to_now():
    at = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert when(at) == "2026-01-15 12:00 UTC"
    assert when(at, "Europe/Amsterdam") == "2026-01-15 13:00 CET"
    assert when(at, "Not/AZone") == "2026-01-15 12:00 UTC" and when(None) == "—"
    assert ago(at - timedelta(minutes=5), now=at) == "5m ago" and ago(at + timedelta(hours=3), now=at) == "in 3h"


def test_plain_makes_value_objects_json():
    @dataclass(frozen=True)
    class Value:
        at: datetime
        lines: tuple[str, ...]
        extra: dict

    shown = plain(Value(datetime(2026, 1, 1, tzinfo=UTC), ("a", "b"), {"n": datetime(2026, 1, 2)}))
    assert json.loads(json.dumps(shown)) == {"at": "2026-01-01T00:00:00+00:00", "lines": ["a", "b"],
                                             "extra": {"n": "2026-01-02T00:00:00+00:00"}}


def test_binary_is_what_a_terminal_cannot_show():
    assert not is_binary(b"3") and not is_binary("prix €".encode())
    assert is_binary(b"SQLite format 3\x00") and is_binary(b"\xff\xfe")
