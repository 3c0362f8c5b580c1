"""One JSON object per log line, the shape CloudWatch and Application Insights index.

Secret values the runtime resolved are masked in every line it logs, in every form a line may
carry them (see `secret_forms`; botship's own masking uses the same forms).
"""

from __future__ import annotations

import base64
import json
import os
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
    forms.add(repr(value.encode("utf-8"))[2:-1])  # inside b'…': a bytes value printed, or in a traceback
    # A value printed across lines (a PEM key, a multi-line token) reaches a line-by-line log a line at a time.
    if "\n" in value:
        forms |= {line.strip("\r") for line in value.split("\n")}
    forms = {form for form in forms if len(form) >= MIN_SECRET_LENGTH}
    return forms | base64_forms(value)


# Base64 text shorter than this is too likely to occur by chance in other base64 text.
MIN_BASE64_FORM = 8


def base64_forms(value: str) -> set[str]:
    """The characters that encode `value` in base64 (standard and URL-safe), wherever it starts in the
    encoded bytes: with 0, 1 or 2 bytes before it (e.g. `user:` in a Basic auth header), the characters
    that also depend on a neighbouring byte are left out, so the rest is what always appears."""
    data = value.encode("utf-8")
    forms: set[str] = set()
    for before in range(3):
        encoded = base64.b64encode(b"\0" * before + data).decode("ascii").rstrip("=")
        start = (0, 2, 3)[before]
        end = len(encoded) - (1 if (before + len(data)) % 3 else 0)
        core = encoded[start:end]
        if len(core) >= MIN_BASE64_FORM:
            forms |= {core, core.replace("+", "-").replace("/", "_")}
    return forms


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
    _write(json.dumps(_masked(record) if _forms else record, default=str) + "\n")


def _write(text: str) -> None:
    """Write a log line: to sys.stdout, or past a bot that closed or replaced it; never raises (a lost log
    line must not lose the run's result)."""
    for stream in (sys.stdout, sys.__stdout__):
        try:
            stream.write(text)
            stream.flush()
            return
        except (ValueError, OSError, AttributeError):
            continue
    try:
        os.write(1, text.encode("utf-8", "replace"))
    except OSError:
        pass


def info(message: str, **fields: Any) -> None:
    log("INFO", message, **fields)


def warning(message: str, **fields: Any) -> None:
    log("WARNING", message, **fields)


def error(message: str, **fields: Any) -> None:
    log("ERROR", message, **fields)
