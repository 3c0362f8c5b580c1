"""The wizard from the platform choice to a deployed Azure bot, against the strict Azure fake (real SDK clients,
HTTPS, Azurite behind the bot's storage account): the credentials form lists what the sign-in sees, the check
passes, the review plans with a cost estimate, the deploy runs, and an unchanged re-run plans no change."""

from __future__ import annotations

import sys

from textual.widgets import Input, Select

from tui_flow import make_app, settle, start, text, to_step

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


async def _wait_for_options(pilot, select_id: str, tries: int = 100) -> list:
    screen = pilot.app.screen
    for _ in range(tries):
        await settle(pilot)
        options = [value for _, value in screen.query_one(select_id, Select)._options if value is not Select.NULL]
        if options:
            return options
    raise AssertionError(f"{select_id} was never filled")


async def test_a_new_user_picks_azure_checks_reviews_and_deploys(project, azure_cloud):
    # The bot's Python is the test interpreter's, so the published package's import check runs here.
    async with make_app(project).run_test(size=(120, 40)) as pilot:
        await start(pilot, "azure")
        screen = pilot.app.screen
        await to_step(pilot, "credentials")
        # botship's own sign-in is offered; this machine signs in with the service principal in its environment.
        assert screen.query_one("#sign-in-row").display
        assert {button.name for button in screen.query("#sign-in-buttons Button")} == {"browser", "device code"}
        subscriptions = await _wait_for_options(pilot, "#setting-azure-subscription-id")
        assert subscriptions == [azure_cloud.subscription_id]
        screen.query_one("#setting-azure-subscription-id", Select).value = azure_cloud.subscription_id
        await settle(pilot)
        screen.query_one("#setting-azure-resource-group", Input).value = "bots"
        await settle(pilot)
        locations = await _wait_for_options(pilot, "#setting-azure-location")
        # Only the locations that offer Flex Consumption, as the API says.
        assert "westeurope" in locations and set(locations) <= set(azure_cloud.flex_locations)
        screen.query_one("#setting-azure-location", Select).value = "westeurope"
        await settle(pilot)
        for _ in range(50):
            if "a check failed" in text(screen, "#check-status") or "all good" in text(screen, "#check-status"):
                break
            await settle(pilot)
        assert "all good" in text(screen, "#check-status"), text(screen, "#check-results")
        assert "Microsoft.Authorization/roleAssignments/write" in text(screen, "#check-results") or \
            "role assignments" in text(screen, "#check-results")
        await to_step(pilot, "size")
        screen.query_one("#memory-mb", Input).value = "512"
        screen.query_one("#schedule-preset", Select).value = "daily"
        await settle(pilot)
        screen.query_one("#daily-at", Input).value = "09:00"
        screen.query_one("#timezone", Input).value = "Europe/Amsterdam"
        await settle(pilot)
        await to_step(pilot, "review")
        for _ in range(100):
            if "to create" in text(screen, "#review-status"):
                break
            await settle(pilot)
        assert "to create" in text(screen, "#review-status"), text(screen, "#review-status")
        assert "Functions Flex Consumption" in text(screen, "#cost")
        # The plan says how the local schedule becomes Azure's UTC timer, across daylight-saving time.
        summary = text(screen, "#review-summary")
        assert "Europe/Amsterdam" in summary and "UTC" in summary, summary
        await pilot.press("ctrl+n")
        for _ in range(200):
            await settle(pilot)
            outcome = text(pilot.app.screen, "#run-outcome")
            if "Deployed" in outcome or "failed" in outcome.lower():
                break
        assert "Deployed counter" in text(pilot.app.screen, "#run-outcome"), text(pilot.app.screen, "#run-outcome")
        await pilot.press("s")
        await pilot.pause()
        pilot.app.screen.query_one("#profile-name", Input).value = "prod"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        saved = (project / "botship.toml").read_text()
        assert "[profiles.prod.azure]" in saved and azure_cloud.subscription_id in saved, saved
        # Re-run from home: the saved profile's name is now on the resources (their botship:profile tag) ...
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("r")
        for _ in range(100):
            await settle(pilot)
            if "to update" in text(pilot.app.screen, "#review-status"):
                break
        assert "to create" not in text(pilot.app.screen, "#review-status")
        await pilot.press("ctrl+n")
        for _ in range(200):
            await settle(pilot)
            if "Deployed" in text(pilot.app.screen, "#run-outcome"):
                break
        # ... and once more, unchanged, it plans no change and makes no mutating call.
        await pilot.press("h")
        await settle(pilot)
        azure_cloud.reset_mutations()
        await pilot.press("r")
        for _ in range(100):
            await settle(pilot)
            if "Everything is up to date" in text(pilot.app.screen, "#review-status"):
                break
        assert "Everything is up to date" in text(pilot.app.screen, "#review-status"), \
            text(pilot.app.screen, "#review-status")
        assert azure_cloud.mutations == []
    sites = [r for r in azure_cloud.state.resources.values() if r.get("type", "").lower() == "microsoft.web/sites"]
    assert len(sites) == 1 and sites[0]["tags"]["botship:bot"] == "counter"


async def test_the_device_code_sign_in_shows_the_code_then_who_signed_in(project, azure_cloud, monkeypatch):
    from botship.tui.credentials import CredentialsSection

    for variable in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
        monkeypatch.delenv(variable)  # no service principal: only botship's own sign-in
    shown: list[str] = []
    original = CredentialsSection.on_credentials_section_sign_in_news

    def seen(self, message):
        shown.append(message.text)
        original(self, message)
    monkeypatch.setattr(CredentialsSection, "on_credentials_section_sign_in_news", seen)
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await start(pilot, "azure")
        screen = pilot.app.screen
        await to_step(pilot, "credentials")
        await settle(pilot)
        await pilot.click("#sign-in-device-code")
        news = ""
        for _ in range(100):
            await settle(pilot)
            news = text(screen, "#sign-in-news")
            if "signed in as" in news:
                break
        assert f"signed in as {azure_cloud.user_name}" in news, news
        # Before that, what the user had to do: the page to open and the code to enter.
        assert any("/devicelogin" in line and "enter the code" in line for line in shown), shown
        # Signed in, the subscriptions the user sees are listed.
        assert await _wait_for_options(pilot, "#setting-azure-subscription-id") == [azure_cloud.subscription_id]


async def test_an_unregistered_resource_provider_is_registered_from_its_button(project, azure_cloud):
    azure_cloud.unregister("Microsoft.Web")
    async with make_app(project).run_test(size=(120, 40)) as pilot:
        await start(pilot, "azure")
        screen = pilot.app.screen
        await to_step(pilot, "credentials")
        await _wait_for_options(pilot, "#setting-azure-subscription-id")
        screen.query_one("#setting-azure-subscription-id", Select).value = azure_cloud.subscription_id
        await settle(pilot)
        screen.query_one("#setting-azure-resource-group", Input).value = "bots"
        await settle(pilot)
        await _wait_for_options(pilot, "#setting-azure-location")
        screen.query_one("#setting-azure-location", Select).value = "westeurope"
        for _ in range(50):
            await settle(pilot)
            if "a check failed" in text(screen, "#check-status"):
                break
        assert "Microsoft.Web" in text(screen, "#check-results")
        assert not [m for m in azure_cloud.mutations if m[1].endswith("/register")]  # nothing registered unasked
        button = screen.query_one("#remedies Button")
        assert "Register" in str(button.label)
        button.focus()  # below the fold at this size: reached by the keyboard, as a user would
        await settle(pilot)
        await pilot.press("enter")
        for _ in range(100):
            await settle(pilot)
            if "all good" in text(screen, "#check-status"):
                break
        assert "all good" in text(screen, "#check-status"), text(screen, "#check-results")
        assert [m for m in azure_cloud.mutations if m[1].endswith("Microsoft.Web/register")]
