"""Every main screen at 100×30, compared with the accepted SVG (update with --snapshot-update after looking)."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tui_flow import make_app

SIZE = (100, 30)


async def steady(pilot) -> None:
    """Workers done, cursors still: what is on screen no longer changes."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def to(*keys: str, platform: str = "fake", after=None):
    async def run(pilot) -> None:
        await pilot.press("n")
        await pilot.pause()
        platforms = pilot.app.screen.query_one("#platform")
        platforms.highlighted = platforms.get_option_index(platform)
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await steady(pilot)
        if after:
            await after(pilot)
        await steady(pilot)
    return run


@pytest.fixture
def env_project(project):
    (project / ".env").write_text("MARKET=bitvavo\nEXCHANGE_API_KEY=k-very-secret\n")
    (project / "requirements.txt").write_text("# none needed\n")
    return project


def test_home(snap_compare, env_project, fake_cloud):
    (env_project / "botship.toml").write_text('[profiles.prod]\nplatform = "fake"\nbot_name = "counter"\n'
                                              'entry = "app:handler"\nmode = "live"\n')
    assert snap_compare(make_app(env_project), terminal_size=SIZE, run_before=steady)


def test_platform(snap_compare, env_project, fake_cloud):
    assert snap_compare(make_app(env_project), terminal_size=SIZE, run_before=to())


def test_credentials(snap_compare, env_project, fake_cloud):
    assert snap_compare(make_app(env_project), terminal_size=SIZE, run_before=to("ctrl+n"))


def test_bot(snap_compare, env_project, fake_cloud):
    assert snap_compare(make_app(env_project), terminal_size=SIZE, run_before=to("ctrl+n", "ctrl+n"))


def test_mode_live(snap_compare, env_project, fake_cloud):
    async def live(pilot) -> None:
        await pilot.click("#mode-live")
        await pilot.pause()
    assert snap_compare(make_app(env_project), terminal_size=SIZE,
                        run_before=to("ctrl+n", "ctrl+n", "ctrl+n", after=live))


def test_environment(snap_compare, env_project, fake_cloud):
    assert snap_compare(make_app(env_project), terminal_size=SIZE,
                        run_before=to("ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n"))


def test_size_and_schedule(snap_compare, env_project, fake_cloud):
    async def daily(pilot) -> None:
        pilot.app.screen.query_one("#schedule-preset").value = "daily"
        await pilot.pause()
        pilot.app.screen.query_one("#timezone", Input).value = "Europe/Amsterdam"
        await pilot.pause()
    assert snap_compare(make_app(env_project), terminal_size=SIZE,
                        run_before=to("ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n", after=daily))


def test_review(snap_compare, env_project, fake_cloud):
    async def schedule(pilot) -> None:
        pilot.app.screen.query_one("#schedule-preset").value = "15m"
        await pilot.pause()
        await pilot.press("ctrl+n")
        await steady(pilot)
    assert snap_compare(make_app(env_project), terminal_size=SIZE,
                        run_before=to("ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n", after=schedule))


def test_run_succeeded(snap_compare, env_project, fake_cloud):
    assert snap_compare(make_app(env_project), terminal_size=SIZE,
                        run_before=to(*["ctrl+n"] * 7))


def test_run_failed(snap_compare, env_project, fake_cloud):
    from botship.errors import BotshipError

    fake_cloud.fail["counter-function"] = BotshipError("the function was refused", "the account's quota is 0",
                                                       "ask for a higher quota, then Retry")
    assert snap_compare(make_app(env_project), terminal_size=SIZE,
                        run_before=to(*["ctrl+n"] * 7))


def test_add_variable_dialog(snap_compare, env_project, fake_cloud):
    async def add(pilot) -> None:
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#name", Input).value = "BINANCE_SECRET"
        await pilot.pause()
    assert snap_compare(make_app(env_project), terminal_size=SIZE,
                        run_before=to("ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n", after=add))
