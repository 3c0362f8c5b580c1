"""Pydantic's errors about a profile in the words of botship.toml: what was given, and what to write instead."""

from __future__ import annotations

import difflib
import functools
import re
from typing import Any

from pydantic import BaseModel, Strict

_TABLE_EXAMPLES = {"aws": 'a [profiles.NAME.aws] table with region = "eu-west-1"',
                   "azure": "a [profiles.NAME.azure] table with subscription_id, resource_group and location",
                   "env": 'a table of names and values, e.g. env = { MARKET = "bitvavo" }',
                   "tags": 'a table of keys and values, e.g. tags = { team = "quant" }'}


def _what(given: Any) -> str:
    """A TOML value's kind, in the words of the file."""
    import datetime

    if isinstance(given, bool):
        return "a boolean"
    if isinstance(given, datetime.datetime | datetime.date | datetime.time):
        return "a date or time"
    return {str: "text", int: "a whole number", float: "a decimal number", list: "a list", dict: "a table"}.get(
        type(given), type(given).__name__)


def _shown(given: Any) -> str:
    if isinstance(given, bool):
        return str(given).lower()
    if isinstance(given, dict):
        return "{…}" if given else "{}"
    text = given.isoformat() if hasattr(given, "isoformat") else repr(given)
    return text if len(text) <= 40 else text[:37] + "..."


@functools.cache
def _size_fields(spec: type[BaseModel]) -> dict[str, Any]:
    """The whole-number fields (`Size`) and their defaults, shown as the example of how to write them."""
    return {name: info.default for name, info in spec.model_fields.items() if Strict() in info.metadata}


def error_message(error: dict[str, Any], spec: type[BaseModel], tables: dict[str, type[BaseModel]]) -> str:
    """One of pydantic's errors about `spec` (its nested tables by key in `tables`) in the words of the file."""
    kind = error["type"]
    loc = error["loc"]
    if kind == "botship":
        return error["msg"]
    if kind == "missing":
        model: type[BaseModel] = spec
        for part in loc[:-1]:
            model = tables.get(str(part), model)
        info = model.model_fields.get(str(loc[-1]))
        return f"required — {info.description}" if info else "required"
    if kind == "extra_forbidden":
        model = tables.get(str(loc[0]), spec) if len(loc) > 1 else spec
        close = difflib.get_close_matches(str(loc[-1]), model.model_fields, n=1)
        return "unknown key" + (f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(model.model_fields)}")
    if kind == "int_type" and loc and loc[-1] in (sizes := _size_fields(spec)):
        given = error.get("input")
        what = "a boolean" if isinstance(given, bool) else "text" if isinstance(given, str) else type(given).__name__
        shown = str(given).lower() if isinstance(given, bool) else repr(given)
        return (f"must be a whole number, e.g. {loc[-1]} = {sizes[loc[-1]]} (got {shown}, {what})"
                + ("; write it without quotes" if isinstance(given, str) else ""))
    if loc == ("secrets",) and kind == "list_type" and isinstance(error.get("input"), dict):
        return "list secret names only, e.g. secrets = [\"API_KEY\"]; values belong in .env or the environment, never here"
    given = error.get("input")
    got = f"(got {_shown(given)}, {_what(given)})"
    key = next((str(part) for part in reversed(loc) if isinstance(part, str) and part != "[key]"), "value")
    if kind == "string_type":
        quoted = given.isoformat() if hasattr(given, "isoformat") else str(given).lower() if isinstance(given, bool) \
            else given if isinstance(given, int | float) else "…"
        example = f"{key} = \"{quoted}\"" if loc and isinstance(loc[-1], str) else f"\"{quoted}\""
        return f"must be text in quotes, e.g. {example} {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be {_TABLE_EXAMPLES.get(key, 'a table')} {got}"
    if kind == "list_type":
        return f"must be a list, e.g. {key} = [\"API_KEY\"] {got}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error["msg"])
        close = next((c for c in choices if isinstance(given, str) and c.lower() == given.strip().lower()), None)
        hint = f"; did you mean '{close}'?" if close else ""
        if key == "python":
            hint = "; write it in quotes, e.g. python = \"3.12\" (without them, TOML reads 3.10 as the number 3.1)"
        listed = [repr(c) for c in choices]
        either = listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} or {listed[-1]}"
        return f"must be {either} {got}{hint}"
    if kind in ("less_than_equal", "greater_than_equal"):
        bound = error.get("ctx", {}).get("le", error.get("ctx", {}).get("ge"))
        return f"must be {'at most' if kind == 'less_than_equal' else 'at least'} {bound} (got {_shown(given)})"
    return f"{error['msg']} {got}"
