"""The read-only SQLite browser (botship.sqlite_view) against real SQLite files built here."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botship.errors import BadInput, BotshipError
from botship.sqlite_view import cell, connect, page, quote, tables

HOSTILE = 'x"; DROP TABLE keep; --'


def build(path: Path, script: str, rows: dict[str, list[tuple]] | None = None) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(script)
        for table, values in (rows or {}).items():
            if values:
                marks = ", ".join("?" * len(values[0]))
                db.executemany(f"INSERT INTO {quote(table)} VALUES ({marks})", values)
    return path


@pytest.fixture
def database(tmp_path) -> Path:
    return build(tmp_path / "bot.sqlite3", f"""
        CREATE TABLE keep (id INTEGER PRIMARY KEY, amount VARCHAR, note TEXT, payload BLOB);
        CREATE TABLE {quote(HOSTILE)} ({quote('we"ird col')} TEXT, n INTEGER);
        CREATE TABLE pairs (a TEXT, b TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
        CREATE VIEW big_amounts AS SELECT id, amount FROM keep WHERE CAST(amount AS REAL) > 5;
        CREATE INDEX keep_amount ON keep (amount);
    """, {"keep": [(1, "10", "ten", b"\x00\x01"), (2, "9", None, None), (3, "100.5", "a\nb\x1b[31mred", b""),
                   (4, "-2", "x" * 200, None), (5, "abc", "", None)],
          HOSTILE: [("v", 1)], "pairs": [("b", "1"), ("a", "2")]})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_tables_lists_every_table_and_view_with_its_columns_and_rows_and_writes_nothing(database):
    before = digest(database)
    found = {t.name: t for t in tables(database)}
    assert set(found) == {"keep", HOSTILE, "pairs", "big_amounts"}  # sqlite_* internals left out
    assert found["keep"].columns == ("id", "amount", "note", "payload") and found["keep"].row_count == 5
    assert found[HOSTILE].columns == ('we"ird col', "n") and found[HOSTILE].row_count == 1
    assert (found["big_amounts"].kind, found["big_amounts"].row_count) == ("view", 3)
    assert found["pairs"].kind == "table"
    assert digest(database) == before
    assert not list(database.parent.glob("*-journal")) and not list(database.parent.glob("*-wal"))


def test_a_page_shows_cells_in_rowid_order_with_the_total(database):
    got = page(database, "keep", offset=1, limit=2)
    assert got.columns == ("id", "amount", "note", "payload") and got.total == 5 and got.offset == 1
    assert got.rows == [("2", "9", "NULL", "NULL"), ("3", "100.5", "a⏎b\ufffd[31mred", "<blob 0 bytes>")]
    assert page(database, "keep", offset=0, limit=1).rows[0][3] == "<blob 2 bytes>"
    assert page(database, "keep", offset=3, limit=1).rows[0][2] == "x" * 79 + "…"
    assert page(database, "keep", offset=50, limit=10).rows == []


def test_text_amounts_sort_by_their_value_and_text_that_is_no_number_by_its_letters(database):
    up = [row[1] for row in page(database, "keep", 0, 10, order_by="amount").rows]
    assert up == ["abc", "-2", "9", "10", "100.5"]
    down = [row[1] for row in page(database, "keep", 0, 10, order_by="amount", descending=True).rows]
    assert down == ["100.5", "10", "9", "-2", "abc"]
    assert [row[1] for row in page(database, "keep", 1, 2, order_by="amount").rows] == ["-2", "9"]


def test_names_from_the_file_are_quoted_never_run(database):
    got = page(database, HOSTILE, 0, 10, order_by='we"ird col')
    assert got.rows == [("v", "1")] and got.columns == ('we"ird col', "n")
    assert page(database, "keep", 0, 1).total == 5  # the table named in the hostile name is still there
    assert page(database, "pairs", 0, 10).rows == [("a", "2"), ("b", "1")]  # WITHOUT ROWID: key order
    assert page(database, "pairs", 0, 10, order_by="b", descending=True).rows == [("a", "2"), ("b", "1")]
    assert page(database, "big_amounts", 0, 10, order_by="amount").rows == [("2", "9"), ("1", "10"), ("3", "100.5")]


def test_unknown_tables_and_columns_are_bad_input_naming_them(database):
    with pytest.raises(BadInput, match="no table named 'nope'"):
        page(database, "nope", 0, 10)
    with pytest.raises(BadInput, match="no column named 'price'") as raised:
        page(database, "keep", 0, 10, order_by="price")
    assert "id, amount, note, payload" in raised.value.fix


def test_a_file_that_is_no_database_or_missing_is_an_error_naming_it(tmp_path):
    junk = tmp_path / "notes.sqlite3"
    junk.write_bytes(b"this is not a database, it is a text file with enough bytes in it" * 20)
    with pytest.raises(BotshipError, match="notes.sqlite3 cannot be read as a SQLite database") as raised:
        tables(junk)
    assert "not a database" in raised.value.why
    with pytest.raises(BotshipError, match="gone.db"):
        page(tmp_path / "gone.db", "keep", 0, 10)
    with pytest.raises(BotshipError) as raised:
        tables(tmp_path)  # a folder where the file belongs
    assert "folder" in raised.value.why
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert tables(empty) == []  # SQLite reads an empty file as an empty database


def test_the_connection_is_read_only(database):
    with pytest.raises(BotshipError) as raised, connect(database) as db:
        db.execute("DELETE FROM keep")
    assert "readonly" in raised.value.why
    assert page(database, "keep", 0, 10).total == 5


def test_odd_paths_open(tmp_path):
    folder = tmp_path / "a dir?#%"
    folder.mkdir()
    path = build(folder / "b ?x#.db", "CREATE TABLE t (v TEXT);", {"t": [("hi",)]})
    assert page(path, "t", 0, 5).rows == [("hi",)]


def test_cells_are_one_safe_line():
    assert cell(None) == "NULL" and cell(b"abc") == "<blob 3 bytes>" and cell(1.5) == "1.5" and cell(7) == "7"
    assert cell("a\r\nb\tc\x07\x9b") == "a⏎b c\ufffd\ufffd"
    assert cell("é" * 100, width=10) == "é" * 9 + "…" and len(cell("y" * 500)) == 80


values = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                   st.text(max_size=12), st.binary(max_size=8),
                   st.decimals(-1000, 1000, allow_nan=False, places=3).map(str))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(values, values), max_size=40), offset=st.integers(0, 50), limit=st.integers(0, 50))
def test_a_page_is_exactly_what_a_plain_select_gives(rows, offset, limit):
    with tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp) / "t.db", "CREATE TABLE t (a, b);", {"t": rows})
        got = page(path, "t", offset, limit)
        with sqlite3.connect(path) as db:
            expected = db.execute("SELECT * FROM t LIMIT ? OFFSET ?", (limit, offset)).fetchall()
    assert got.total == len(rows)
    assert got.rows == [tuple(cell(v) for v in row) for row in expected]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amounts=st.lists(st.one_of(st.decimals(-10**6, 10**6, allow_nan=False, places=4).map(str),
                                  st.integers(-10**6, 10**6), st.text(alphabet="abc", max_size=3)), max_size=40),
       size=st.integers(1, 7), descending=st.booleans())
def test_sorted_pages_cover_every_row_once_and_numbers_come_in_numeric_order(amounts, size, descending):
    with tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp) / "t.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, amount VARCHAR);",
                     {"t": list(enumerate(amounts))})
        seen = []
        for offset in range(0, len(amounts) + size, size):
            seen += page(path, "t", offset, size, order_by="amount", descending=descending).rows
    assert sorted(int(row[0]) for row in seen) == list(range(len(amounts)))
    numbers = [float(row[1]) for row in seen if _is_number(row[1])]
    assert numbers == sorted(numbers, reverse=descending)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return text.strip() != ""
    except ValueError:
        return False


def test_a_column_named_rowid_does_not_break_paging(tmp_path):
    path = build(tmp_path / "r.db", "CREATE TABLE t (rowid TEXT, v TEXT);",
                 {"t": [("same", "3"), ("same", "1"), ("same", "2")]})
    assert [row[1] for row in page(path, "t", 0, 2, order_by="v").rows] == ["1", "2"]
    assert [row[1] for row in page(path, "t", 2, 2, order_by="v").rows] == ["3"]
