"""The wizard as the tests start it: a fixed clock, so what it shows is the same on every run."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)


def make_app(project: Path):
    from botship.tui.app import BotshipApp

    return BotshipApp(project, clock=lambda: NOW)
