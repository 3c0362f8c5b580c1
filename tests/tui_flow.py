"""The wizard as the tests start it: a fixed clock, so what it shows is the same on every run."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)


def make_app(project: Path):
    from botship.tui.app import BotshipApp

    return BotshipApp(project, clock=lambda: NOW)


async def settle(pilot) -> None:
    """Every worker done and the screen redrawn."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def text(screen, selector: str) -> str:
    """What a Static shows, as text."""
    from textual.widgets import Static

    return str(screen.query_one(selector, Static).render())


async def start(pilot, platform: str) -> None:
    """From the home screen, a new deployment with `platform` picked."""
    await pilot.press("n")
    await pilot.pause()
    platforms = pilot.app.screen.query_one("#platform")
    platforms.highlighted = platforms.get_option_index(platform)
    await pilot.pause()


async def to_step(pilot, key: str) -> None:
    """Press Next until the wizard shows section `key` (failing if it stops moving)."""
    screen = pilot.app.screen
    for _ in range(8):
        if screen.section.key == key:
            return
        before = screen.section.key
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert screen.section.key != before, f"stuck on {before}: {screen.section.ready()=}"
    raise AssertionError(f"never reached {key}")
