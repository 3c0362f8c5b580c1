"""Secrets are masked in every form a bot is likely to print them, on every path that masks."""

from __future__ import annotations

import io
import json
from urllib.parse import quote, quote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from botship.masking import Masker
from botship.runtime import logs

# Quotes, backslashes, control characters and non-ASCII (accents, CJK, emoji) are the hard cases.
secrets = st.text(alphabet=st.one_of(st.sampled_from(list("'\"\\/ \t\n%+&=é中😀")), st.characters(
    blacklist_categories=("Cs",), blacklist_characters="*")), min_size=4, max_size=24)


def printed_forms(value: str) -> list[str]:
    """How a bot prints a value, computed here independently of botship's list."""
    forms = [value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1],
             repr(value + '"')[1:-2],  # repr in '…' style whatever the value holds
             quote(value, safe=""), quote_plus(value)]
    forms.append(json.dumps(json.dumps(value)[1:-1])[1:-1])  # a bot's JSON line inside a JSON log record
    return forms


@settings(max_examples=300, deadline=None)
@given(secrets)
def test_no_printed_form_of_a_secret_survives_masking(value):
    masker = Masker([value])
    for form in printed_forms(value):
        for line in (form, f"key={form};", f'{{"error": "{form}"}}', f"{form}{form}"):
            masked = masker.mask(line)
            assert all(f not in masked for f in printed_forms(value)), (form, line, masked)


@settings(max_examples=150, deadline=None)
@given(secrets)
def test_the_runtime_masks_its_own_log_lines_the_same_way(value):
    out = io.StringIO()
    real = logs.sys.stdout
    logs.sys.stdout = out
    saved = list(logs._forms)
    try:
        logs._forms = []
        logs.add_secrets([value])
        logs.error("bot raised", error=f"exchange rejected key {value}", traceback=f"... {value!r} ...")
    finally:
        logs.sys.stdout = real
        logs._forms = saved
    line = out.getvalue()
    assert all(f not in line for f in printed_forms(value)), line
    record = json.loads(line)
    assert value not in record["error"] and value not in record["traceback"]


def test_a_secret_in_a_decoded_record_and_in_data_is_masked():
    value = 'p"a\\ss—wörd'
    masker = Masker([value])
    assert masker.mask_data({"body": json.dumps({"key": value}), "list": [repr(value)]}) == {
        "body": '{"key": "***"}', "list": ["'***'"]}
    assert masker.contains_secret(json.dumps(value))


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=4, max_size=40).filter(lambda v: len(v.encode()) >= 7), st.binary(max_size=5),
       st.binary(max_size=5))
def test_a_secret_inside_base64_is_masked_wherever_it_starts(value, before, after):
    """From 7 bytes on (shorter base64 runs would match other base64 text by chance)."""
    import base64

    masker = Masker([value])
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(before + value.encode() + after).decode()  # e.g. a Basic auth header's user:password
        masked = masker.mask(f"Authorization: Basic {encoded}")
        assert encoded not in masked and "***" in masked


def test_a_seven_byte_secret_is_masked_in_base64_at_every_offset():
    import base64

    masker = Masker(["abcdefg"])
    for before in (b"", b"u", b"us", b"usr:"):
        assert "***" in masker.mask(base64.b64encode(before + b"abcdefg").decode())


def test_a_multi_line_secret_printed_line_by_line_and_a_bytes_repr_are_masked():
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END KEY-----"
    masker = Masker([key])
    for printed in key.split("\n"):  # what a line-by-line log (the sandbox's, a local run's) sees
        assert "MIIEvQ" not in masker.mask(printed) and "BKcwgg" not in masker.mask(printed)
    assert "sécret-v4lue" not in Masker(["sécret-v4lue"]).mask(repr({"key": "sécret-v4lue".encode()}))
    assert "s\\xc3\\xa9cret" not in Masker(["sécret-v4lue"]).mask(repr({"key": "sécret-v4lue".encode()}))


def test_secrets_that_contain_each_other_or_regex_characters_are_all_masked_and_short_ones_are_not():
    masker = Masker(["abc.*def", "abc.*def+more", "x", "ab"])
    assert masker.mask("a=abc.*def b=abc.*def+more c=abcXXdef") == "a=*** b=*** c=abcXXdef"
    assert masker.mask("x marks ab") == "x marks ab"  # below MIN_SECRET_LENGTH: never masked (see the README)
