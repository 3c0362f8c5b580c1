"""The wizard on the real sandbox (its emulator inside this process): `botship sandbox` preselects it,
a deploy runs the real AWS code against it, Invoke now shows the result and the state, Export copies it,
and a folder with no bot is offered `botship init` first."""

from __future__ import annotations

import pytest
from textual.widgets import Button, OptionList, RichLog, Static
from tui_flow import NOW

pytestmark = pytest.mark.asyncio


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def log_text(screen) -> str:
    return "\n".join(line.text for line in screen.query_one("#run-log", RichLog).lines)


def sandbox_app(project):
    from botship.tui.app import BotshipApp

    return BotshipApp(project, clock=lambda: NOW, sandbox=True)


async def deploy_from_the_wizard(pilot) -> None:
    wizard = pilot.app.screen
    platforms = wizard.query_one("#platform", OptionList)
    assert platforms.get_option_at_index(platforms.highlighted).id == "sandbox"
    for _ in range(8):
        if wizard.section.key == "review":
            break
        await pilot.press("ctrl+n")
        await settle(pilot)
        if wizard.section.key == "credentials":
            assert "AWS emulator inside botship" in str(wizard.query_one("#check-results", Static).render())
    assert wizard.section.key == "review"
    await pilot.press("ctrl+n")
    await settle(pilot)


async def test_deploy_invoke_and_export_on_the_sandbox(project, sandbox):
    async with sandbox_app(project).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await deploy_from_the_wizard(pilot)
        run = pilot.app.screen
        outcome = str(run.query_one("#run-outcome", Static).render())
        assert "Deployed counter" in outcome and "vanish when it closes" in outcome
        assert run.query_one("#export", Button).display
        for n in (1, 2):
            await pilot.press("i")
            await settle(pilot)
            assert f'"runs": {n}' in log_text(run)
        text = log_text(run)
        assert "● run ok" in text and "state: 2 file(s)" in text and "databases/bot.sqlite3" in text
        await pilot.press("e")
        await settle(pilot)
        (exported,) = (project / "state-export").iterdir()
        assert exported.name == "counter-paper-20261128-093000"
        assert (exported / "runs.txt").read_text() == "2"
        # Quitting while the sandbox holds a bot asks first; "Stay" keeps everything.
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert "vanish with it" in str(pilot.app.screen.query_one(".dialog-question", Static).content)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.is_running and pilot.app.screen is run


async def test_an_empty_folder_is_offered_init_then_the_sandbox_wizard(tmp_path, sandbox):
    folder = tmp_path / "fresh-bot"
    folder.mkdir()
    async with sandbox_app(folder).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        dialog = pilot.app.screen
        templates = dialog.query_one("#templates", OptionList)
        assert [templates.get_option_at_index(i).id for i in range(templates.option_count)] == ["plain", "iaf"]
        await pilot.press("enter")  # the first template: plain
        await settle(pilot)
        assert (folder / "app.py").is_file() and (folder / "botship.toml").is_file()
        await deploy_from_the_wizard(pilot)
        run = pilot.app.screen
        assert "Deployed fresh-bot" in str(run.query_one("#run-outcome", Static).render())
        await pilot.press("i")
        await settle(pilot)
        assert "● run ok" in log_text(run) and "state.db" in log_text(run)
        # The template's profile has a schedule: the app's local scheduler now watches it.
        assert "local scheduler, only while this app is open" in str(run.query_one("#run-outcome", Static).content)
        pilot.app.scheduler.tick()
        assert [bot for bot, _ in pilot.app.scheduler.upcoming()] == ["fresh-bot"]
    from botship.providers.sandbox import emulator

    assert emulator.running() is None  # closing the app stopped the emulator


async def test_home_offers_the_sandbox(project, sandbox):
    from tui_flow import make_app

    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert not pilot.app.screen.query_one("#init", Button).display
        await pilot.press("s")
        await settle(pilot)
        platforms = pilot.app.screen.query_one("#platform", OptionList)
        assert platforms.get_option_at_index(platforms.highlighted).id == "sandbox"

