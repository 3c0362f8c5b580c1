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


def masked(data: Any) -> Any:
    """The record with secrets masked in its strings (before it is serialized, so it stays valid JSON)."""
    if isinstance(data, str):
        return mask_text(data, _forms)
    if isinstance(data, dict):
        return {masked(k): masked(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [masked(v) for v in data]
    if data is None or isinstance(data, bool | int | float):
        return data
    return mask_text(str(data), _forms)


def log(level: str, message: str, **fields: Any) -> None:
    record = {"time": round(time.time(), 3), "level": level, "logger": "botship", "message": message, **fields}
    _write(json.dumps(masked(record) if _forms else record, default=str) + "\n")


# The run's last lines (while teeing), its own and what the bot prints, for its run record.
_tail: list[str] | None = None


def _keep(line: str) -> None:
    if _tail is not None and line.strip():
        _tail.append(line[:65536])
        del _tail[:-12]


def tail() -> list[str]:
    """The last 12 lines, masked, then cut to 300 characters (so no cut leaves part of a secret)."""
    lines = [mask_text(line.rstrip("\r"), _forms) for line in _tail or ()]
    return [line if len(line) <= 300 else line[:299] + "\u2026" for line in lines]


class Tee:
    """Passes on what is written; keeps each whole line while capturing."""

    def __init__(self, stream: Any) -> None:
        self._stream, self._part = stream, ""

    def write(self, text: str) -> Any:
        if _tail is not None:
            *lines, part = (self._part + text).split("\n")
            self._part = part[:65536]
            for line in lines:
                _keep(line)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def tee(saved: list) -> None:
    """Keep the lines written to stdout and stderr from now (`saved` empty), or stop and put back the streams
    `saved` holds (unless the bot set its own)."""
    global _tail
    if saved:
        _tail = None
        sys.stdout, sys.stderr = (s if isinstance(now, Tee) else now for s, now in zip(saved, (sys.stdout, sys.stderr)))
    else:
        _tail, saved[:] = [], [sys.stdout, sys.stderr]
        sys.stdout, sys.stderr = (s and Tee(s) for s in saved)


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
