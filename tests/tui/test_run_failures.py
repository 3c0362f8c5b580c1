"""Failures in the wizard's workers are shown, never waited on for ever: a run journal that cannot be opened, a
journal that fails mid-run, a plan without the masker of its secret values, a planning bug on the review."""

from __future__ import annotations

import os
import threading

import pytest
from textual.widgets import Button, DataTable

from fake_cloud import FakeProvider
from tui_flow import make_app, settle, start, text, to_step

pytestmark = pytest.mark.asyncio


def states(run) -> list[str]:
    table = run.query_one("#run-steps", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def to_review(pilot) -> None:
    await start(pilot, "fake")
    await to_step(pilot, "review")


async def deploy(pilot):
    await to_review(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)
    return pilot.app.screen


async def test_a_run_journal_that_cannot_be_opened_is_shown_and_the_screen_stays_usable(project, fake_cloud):
    (project / ".botship").mkdir()
    (project / ".botship" / "runs").write_text("a file where the run journals' folder belongs\n")
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        run = await deploy(pilot)
        outcome = text(run, "#run-outcome")
        assert f"{project / '.botship' / 'runs'} is in the way" in outcome, outcome
        assert "while making the folder for run journals" in outcome and "move or rename it" in outcome
        assert "waiting" not in states(run) and set(states(run)) == {"not run"}
        assert [b.id for b in run.query(Button) if b.display] == ["retry", "back", "home"]
        assert fake_cloud.writes == []

        (project / ".botship" / "runs").unlink()  # fixed: Retry plans again and deploys
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        assert "Deployed counter" in text(run, "#run-outcome")


async def test_a_journal_that_fails_mid_run_is_named_on_the_outcome(project, fake_cloud):
    fake_cloud.entered["counter-secret"] = entered = threading.Event()
    fake_cloud.hold["counter-secret"] = release = threading.Event()
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await to_review(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert entered.wait(10)
        # From here on the journal's file is a device whose every write fails for a full disk.
        [journal] = (project / ".botship" / "runs").glob("*.jsonl")
        journal.unlink()
        os.symlink("/dev/full", journal)
        release.set()
        await settle(pilot)
        run = pilot.app.screen
        outcome = text(run, "#run-outcome")
        assert "Deployed counter" in outcome  # the deploy itself went on
        assert "Not every event of this run was recorded" in outcome
        assert f"the disk holding {journal} is full while writing the run journal" in outcome.replace("\n", "")
        assert states(run)[-1].startswith("✓")  # the screen saw every step even so


async def test_a_plan_without_the_masker_of_its_secrets_is_refused_on_screen(project, fake_cloud, monkeypatch):
    planned = FakeProvider.plan

    def careless(self, context):  # a provider that forgets to attach the masker
        made = planned(self, context)
        made.masker = None
        return made

    monkeypatch.setattr(FakeProvider, "plan", careless)
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        run = await deploy(pilot)
        outcome = text(run, "#run-outcome")
        assert "carries no masker for its secret values" in outcome, outcome
        assert run.query_one("#retry", Button).display and not run.query_one("#cancel", Button).display
        assert fake_cloud.writes == []


async def test_a_planning_bug_on_the_review_is_an_internal_error_not_a_wait(project, fake_cloud, monkeypatch):
    def broken(self, context):
        raise RuntimeError("planning went wrong")

    monkeypatch.setattr(FakeProvider, "plan", broken)
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await to_review(pilot)
        status = text(pilot.app.screen, "#review-status")
        assert "internal error: RuntimeError: planning went wrong" in status
        assert "BOTSHIP_DEBUG=1" in status and "Reading" not in status
        assert pilot.app.screen.query_one("#next", Button).disabled


async def test_a_state_read_that_fails_after_invoke_now_keeps_the_runs_result(project, fake_cloud, monkeypatch):
    from textual.widgets import RichLog

    from botship.errors import BotshipError
    from botship.providers.base import INVOKE, STATE
    from fake_cloud import FakeHandle, FakeSignIn

    def denied(self, mode=None):
        raise BotshipError("access denied reading the state", "s3:GetObject not allowed")

    monkeypatch.setattr(FakeSignIn, "capabilities", frozenset({INVOKE, STATE}))
    monkeypatch.setattr(FakeHandle, "state_files", denied)
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        run = await deploy(pilot)
        await pilot.press("i")
        await settle(pilot)
        log = "\n".join(line.text for line in run.query_one("#run-log", RichLog).lines)
        assert '"ran": true' in log and '"reason": "invoke now"' in log  # the result stands
        assert "state: access denied reading the state" in log
