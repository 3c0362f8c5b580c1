"""What the wizard and the guided prompts both offer: schedule presets, daily times, a name from the folder."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SCHEDULE_PRESETS = [("none", "Only when invoked", None), ("5m", "Every 5 minutes", "rate(5 minutes)"),
                    ("15m", "Every 15 minutes", "rate(15 minutes)"), ("1h", "Every hour", "rate(1 hour)"),
                    ("daily", "Daily at a time", None), ("custom", "Custom expression", None)]
SIZE_LABELS = {"memory_mb": "Memory (MB)", "timeout_s": "Timeout (s)", "ephemeral_mb": "/tmp space (MB)"}
PACKAGING_TITLES = {"zip": "zip package (up to 262 MB unzipped)",
                    "image": "container image (up to 10 GB; builds with Docker)"}


def suggest_name(folder: str) -> str:
    """A bot name proposed from the project folder's name (checked like any typed one)."""
    name = "".join(c if c.isalnum() else "-" for c in folder.lower()).strip("-")
    while "--" in name:
        name = name.replace("--", "-")
    name = name if name[:1].isalpha() else f"bot-{name}"
    return name[:32].rstrip("-") or "my-bot"


def _number(text: str) -> bool:
    # ASCII digits only: '²'.isdigit() is true, yet int('²') raises.
    return text.isascii() and text.isdigit() and len(text) <= 4


def daily_expr(at: str) -> str | None:
    """`HH:MM` as the cron expression of a daily run, or None when it is not a time of day."""
    hours, _, minutes = at.strip().partition(":")
    if _number(hours) and _number(minutes) and int(hours) < 24 and int(minutes) < 60:
        return f"cron({int(minutes)} {int(hours)} * * ? *)"
    return None


def daily_parts(expr: str) -> tuple[int, int] | None:
    """(hour, minute) of a daily cron expression, else None."""
    parts = expr.removeprefix("cron(").removesuffix(")").split()
    if len(parts) == 6 and parts[2:] == ["*", "*", "?", "*"] and _number(parts[0]) and _number(parts[1]):
        return int(parts[1]), int(parts[0])
    return None


def preset_of(expr: str | None) -> str:
    """Which preset a schedule expression is (daily and custom included)."""
    if not expr:
        return "none"
    for key, _, preset in SCHEDULE_PRESETS:
        if preset == expr:
            return key
    return "daily" if daily_parts(expr) else "custom"


def spec_data(answers: dict[str, Any], variables: Iterable[Any]) -> dict[str, Any]:
    """The answers as spec data: blanks left out; variables (each with .name, .value, .secret) split into
    plain `env` values and secret names only."""
    variables = list(variables)
    data = {k: v for k, v in answers.items() if v not in (None, "")}
    data["env"] = {v.name: v.value for v in variables if not v.secret}
    data["secrets"] = [v.name for v in variables if v.secret]
    return data
