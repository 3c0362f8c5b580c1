"""The wizard under Textual's Pilot: every step, validation shown inline, Back keeps values, secrets masked,
a full deploy to moto's server, failure and retry, cancel, and re-running a saved profile."""

from __future__ import annotations

import threading

import boto3
import pytest
from textual.widgets import Button, DataTable, Input, Static

from tui_flow import make_app, settle, start, text, to_step

pytestmark = pytest.mark.asyncio


async def test_home_shows_what_it_found(project):
    (project / ".env").write_text("MARKET=bitvavo\nEXCHANGE_API_KEY=k-1\n")
    (project / "requirements.txt").write_text("requests\n")
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        found = text(pilot.app.screen, "#found-text")
        assert "app:handler" in found and "handler, app.py" in found
        assert "requirements.txt: 1 package(s)" in found and ".env: 2 variable(s)" in found
        assert "botship.toml: none yet" in found
        assert pilot.app.screen.query_one("#rerun", Button).disabled


async def test_every_step_validates_inline_and_back_keeps_what_was_typed(project, fake_cloud):
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "fake")
        screen = pilot.app.screen
        await to_step(pilot, "bot")
        name = screen.query_one("#bot-name", Input)
        name.value = "Bad_Name"
        await pilot.pause()
        error = screen.query_one("#bot-name").parent.query_one(".field-error", Static)
        assert error.display
        assert "only lower-case letters, digits and hyphens are allowed" in str(error.render())
        assert screen.query_one("#next", Button).disabled
        name.value = "sma-bot"
        await pilot.pause()
        assert not screen.query_one("#next", Button).disabled
        await to_step(pilot, "mode")
        await pilot.press("escape")
        await settle(pilot)
        assert screen.section.key == "bot"
        assert screen.query_one("#bot-name", Input).value == "sma-bot"


async def test_live_mode_needs_the_bots_name_and_shows_a_red_badge(project, fake_cloud):
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "fake")
        screen = pilot.app.screen
        await to_step(pilot, "mode")
        assert text(screen, "#badge").strip() == "PAPER"
        await pilot.click("#mode-live")
        await pilot.pause()
        assert "will trade real money" in text(screen, "#live-summary")
        assert screen.query_one("#next", Button).disabled
        screen.query_one("#live-name", Input).value = "counter"
        await pilot.pause()
        assert not screen.query_one("#next", Button).disabled
        badge = screen.query_one("#badge", Static)
        assert str(badge.render()).strip() == "LIVE" and badge.has_class("live")


async def test_secrets_are_proposed_masked_and_never_saved(project, fake_cloud):
    (project / ".env").write_text("MARKET=bitvavo\nEXCHANGE_API_KEY=k-very-secret\n")
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "fake")
        screen = pilot.app.screen
        await to_step(pilot, "environment")
        table = screen.query_one("#env", DataTable)
        rows = {table.get_row_at(i)[0]: table.get_row_at(i) for i in range(table.row_count)}
        assert rows["EXCHANGE_API_KEY"][2] == "yes" and "k-very-secret" not in str(rows["EXCHANGE_API_KEY"])
        assert rows["MARKET"][1] == "bitvavo" and rows["MARKET"][2] == ""
        await to_step(pilot, "review")
        await settle(pilot)
        assert "EXCHANGE_API_KEY" in text(pilot.app.screen, "#review-summary")
        assert "k-very-secret" not in text(pilot.app.screen, "#review-summary")
        await pilot.press("ctrl+n")
        await settle(pilot)
        run = pilot.app.screen
        assert "Deployed counter" in text(run, "#run-outcome")
        await pilot.press("s")
        await pilot.pause()
        await pilot.click("#save")
        await settle(pilot)
        saved = (project / "botship.toml").read_text()
        assert "[profiles.paper]" in saved and 'secrets = ["EXCHANGE_API_KEY"]' in saved
        assert "k-very-secret" not in saved
        journal = next((project / ".botship" / "runs").glob("*.jsonl")).read_text()
        assert "k-very-secret" not in journal


async def test_adding_a_variable_with_a_secret_looking_name_proposes_secret(project, fake_cloud):
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "fake")
        await to_step(pilot, "environment")
        await pilot.press("a")
        await pilot.pause()
        dialog = pilot.app.screen
        dialog.query_one("#name", Input).value = "BINANCE_SECRET"
        await pilot.pause()
        dialog.query_one("#value", Input).value = "s3cr3t"
        await pilot.pause()
        assert dialog.query_one("#value", Input).password is True
        await pilot.click("#save")
        await pilot.pause()
        state = pilot.app.screen.state
        assert [(r.name, r.secret) for r in state.variables] == [("BINANCE_SECRET", True)]
        table = pilot.app.screen.query_one("#env", DataTable)
        assert "s3cr3t" not in str(table.get_row_at(0))


async def test_a_custom_schedule_previews_the_next_runs(project, fake_cloud):
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "fake")
        screen = pilot.app.screen
        await to_step(pilot, "size")
        pilot.app.screen.query_one("#schedule-preset").value = "custom"
        await pilot.pause()
        screen.query_one("#custom-schedule", Input).value = "cron(0 9 ? * MON-FRI *)"
        screen.query_one("#timezone", Input).value = "Europe/Amsterdam"
        await pilot.pause()
        preview = text(screen, "#schedule-preview")
        assert "Mon 30 Nov 2026 09:00 CET" in preview and preview.count("CET") == 5
        screen.query_one("#memory-mb", Input).value = "20000"
        await pilot.pause()
        assert screen.query_one("#next", Button).disabled


async def test_a_failed_step_shows_what_to_do_and_retry_converges(project, fake_cloud):
    from botship.errors import BotshipError

    fake_cloud.fail["counter-function"] = BotshipError("the function was refused", "quota", "raise the quota")
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "fake")
        await to_step(pilot, "review")
        await pilot.press("ctrl+n")
        await settle(pilot)
        run = pilot.app.screen
        outcome = text(run, "#run-outcome")
        assert "the function was refused" in outcome and "raise the quota" in outcome
        assert run.query_one("#retry", Button).display
        del fake_cloud.fail["counter-function"]
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        assert "Deployed counter" in text(run, "#run-outcome")
        states = [run.query_one("#run-steps", DataTable).get_row_at(i)[0] for i in range(3)]
        assert states[0] == "= no change"  # finished steps plan as no change on retry
        assert "counter-function" in fake_cloud.resources


async def test_cancel_asks_first_then_stops_between_calls(project, fake_cloud):
    fake_cloud.hold["counter-secret"] = threading.Event()
    fake_cloud.entered["counter-secret"] = threading.Event()
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "fake")
        await to_step(pilot, "review")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert fake_cloud.entered["counter-secret"].wait(10)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
        fake_cloud.hold["counter-secret"].set()
        await settle(pilot)
        run = pilot.app.screen
        assert "Cancelled" in text(run, "#run-outcome")
        assert "counter-function" not in fake_cloud.resources


async def test_a_full_wizard_run_deploys_the_bot_to_aws_on_moto(project, aws):
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "aws")
        screen = pilot.app.screen
        await to_step(pilot, "credentials")
        await settle(pilot)
        assert "arn:aws:sts::123456789012:user/moto" in text(screen, "#check-results")
        screen.query_one("#setting-aws-region", Input).value = "eu-west-9"
        await settle(pilot)
        # The profile's own rule refuses it at the field, before any call to AWS.
        region_error = screen.query_one("#setting-aws-region").parent.query_one(".field-error")
        assert region_error.display and "is not an AWS region" in str(region_error.render())
        assert "did you mean 'eu-west-" in str(region_error.render())
        assert text(screen, "#check-results") == ""
        assert screen.query_one("#next", Button).disabled
        screen.query_one("#setting-aws-region", Input).value = "eu-west-1"
        await settle(pilot)
        await to_step(pilot, "review")
        await settle(pilot)
        assert "to create" in text(screen, "#review-status")
        await pilot.press("ctrl+n")
        await settle(pilot)
        run = pilot.app.screen
        assert "Deployed counter" in text(run, "#run-outcome")
        function = boto3.client("lambda", region_name="eu-west-1").get_function(FunctionName="botship-counter")
        assert function["Configuration"]["Environment"]["Variables"]["BOTSHIP_MODE"] == "paper"
        await pilot.press("s")
        await pilot.pause()
        pilot.app.screen.query_one("#profile-name", Input).value = "prod"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert "[profiles.prod]" in (project / "botship.toml").read_text()
        await pilot.press("h")
        await settle(pilot)
        home = pilot.app.screen
        table = home.query_one("#profiles-table", DataTable)
        assert table.get_row_at(0)[0] == "prod" and table.get_row_at(0)[4] != "never"


async def test_rerunning_an_unchanged_profile_plans_no_change(project, fake_cloud):
    (project / "botship.toml").write_text('# my bot\n[profiles.prod]\nplatform = "fake"\nbot_name = "counter"\n'
                                          'entry = "app:handler"\n')
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await pilot.press("r")
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.section.key == "review"
        assert "to create" in text(screen, "#review-status")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert "Everything is up to date" in text(pilot.app.screen, "#review-status")
        assert (project / "botship.toml").read_text().startswith("# my bot")


async def test_a_live_profile_rerun_asks_for_missing_secrets_masked_and_the_bots_name(project, fake_cloud):
    (project / "botship.toml").write_text('[profiles.live]\nplatform = "fake"\nbot_name = "counter"\n'
                                          'entry = "app:handler"\nmode = "live"\nsecrets = ["EXCHANGE_API_KEY"]\n')
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await pilot.press("r")
        await settle(pilot)
        dialog = pilot.app.screen
        field = dialog.query_one("#secret-EXCHANGE_API_KEY", Input)
        assert field.password is True
        field.value = "typed-in-secret"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        wizard = pilot.app.screen
        assert "to create" in text(wizard, "#review-status")
        assert str(wizard.query_one("#badge", Static).render()).strip() == "LIVE"
        assert str(wizard.query_one("#next", Button).label) == "Deploy LIVE"
        await pilot.press("ctrl+n")
        await pilot.pause()
        confirm = pilot.app.screen
        confirm.query_one("#typed", Input).value = "counter"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert "Deployed counter" in text(pilot.app.screen, "#run-outcome")
        assert fake_cloud.resources["counter-state"]["mode"] == "live"
    assert "typed-in-secret" not in (project / "botship.toml").read_text()
    assert all("typed-in-secret" not in f.read_text() for f in (project / ".botship").rglob("*") if f.is_file())


async def test_invoke_now_runs_the_deployed_bot_and_shows_its_result(project, fake_cloud):
    from textual.widgets import RichLog

    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "fake")
        await to_step(pilot, "review")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        log = "\n".join(line.text for line in pilot.app.screen.query_one("#run-log", RichLog).lines)
        assert "Invoking counter" in log and '"ran": true' in log and '"reason": "invoke now"' in log


async def test_a_credentials_check_that_breaks_is_shown_not_waited_on(project, fake_cloud, monkeypatch):
    from fake_cloud import FakeProvider

    def broken(self):
        raise RuntimeError("the check itself broke")

    monkeypatch.setattr(FakeProvider, "check_credentials", broken)
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "fake")
        screen = pilot.app.screen
        await to_step(pilot, "credentials")
        await settle(pilot)
        assert text(screen, "#check-status") == "the check could not run"
        results = text(screen, "#check-results")
        assert "internal error: RuntimeError: the check itself broke" in results and "BOTSHIP_DEBUG=1" in results
        assert screen.query_one("#override").display and screen.query_one("#next", Button).disabled


async def test_the_credentials_form_follows_a_platform_switched_there_and_back(project, aws):
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "aws")
        screen = pilot.app.screen
        await to_step(pilot, "credentials")
        await settle(pilot)
        screen.query_one("#setting-aws-region", Input).value = "eu-central-1"
        await settle(pilot)
        assert text(screen, "#check-status") == "all good"
        # Back to the platform list: down to the sandbox and up to AWS again — the AWS answers went with the switch.
        await pilot.press("escape")
        await pilot.pause()
        platforms = screen.query_one("#platform")
        platforms.highlighted = platforms.get_option_index("sandbox")
        await pilot.pause()
        platforms.highlighted = platforms.get_option_index("aws")
        await pilot.pause()
        await to_step(pilot, "credentials")
        await settle(pilot)
        # The form is drawn again for what the answers hold now, and the check passes with them.
        region = screen.query_one("#setting-aws-region", Input).value
        assert region and screen.state.answers["aws"]["region"] == region
        assert text(screen, "#check-status") == "all good" and not screen.query_one("#next", Button).disabled
