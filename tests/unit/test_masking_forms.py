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
