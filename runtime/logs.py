"""One JSON object per log line, the shape CloudWatch and Application Insights index.

Secret values the runtime resolved are masked in every line it logs, in every form a line may
carry them (see `secret_forms`; botship's own masking uses the same forms).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
# Shorter values would mask ordinary text ("1", "on") while protecting nothing.
MIN_SECRET_LENGTH = 4

_forms: list[str] = []


def secret_forms(value: str) -> set[str]:
    """Every form of `value` a bot or a log line is likely to print: as is, JSON-escaped (ASCII or not,
    once or twice over, e.g. a JSON line inside a JSON log record), repr() with either quote, URL-encoded."""
    single = repr(value + '"')[1:-2]  # repr's inner text in '…' style (the added " forces it)
    double = single.replace("\\'", "'").replace('"', '\\"')  # the same in "…" style
    forms = {value, single, double, quote(value, safe=""), quote_plus(value, safe="")}
    for ascii_only in (True, False):
        once = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        forms |= {once, json.dumps(once, ensure_ascii=ascii_only)[1:-1]}
    forms.add(value.encode("unicode_escape").decode("ascii"))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def masking_forms(values) -> list[str]:
    """The forms of every value (long enough to mask), longest first so no form is cut by a shorter one."""
    found: set[str] = set()
    for value in values:
        if value and len(value) >= MIN_SECRET_LENGTH:
            found |= secret_forms(value)
    return sorted(found, key=len, reverse=True)


def mask_text(text: str, forms: list[str]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


def add_secrets(values) -> None:
    """Mask these values in every line logged from now on."""
    global _forms
    _forms = masking_forms(set(_forms) | {v for v in values if v})


def _masked(data: Any) -> Any:
    """The record with secrets masked in its strings (before it is serialized, so it stays valid JSON)."""
    if isinstance(data, str):
        return mask_text(data, _forms)
    if isinstance(data, dict):
        return {_masked(k): _masked(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_masked(v) for v in data]
    if data is None or isinstance(data, bool | int | float):
        return data
    return mask_text(str(data), _forms)


def log(level: str, message: str, **fields: Any) -> None:
    record = {"time": round(time.time(), 3), "level": level, "logger": "botship", "message": message, **fields}
    sys.stdout.write(json.dumps(_masked(record) if _forms else record, default=str) + "\n")
    sys.stdout.flush()


def info(message: str, **fields: Any) -> None:
    log("INFO", message, **fields)


def error(message: str, **fields: Any) -> None:
    log("ERROR", message, **fields)
