"""tui/workers.py: what a failed thread worker shows, and that a node mixing it in shows it at all."""

from __future__ import annotations

import errno

import pytest
from textual import work
from textual.app import App
from textual.widgets import Static

from botship.errors import BotshipError
from botship.tui.workers import ShowsWorkerErrors, error_lines


def test_a_botship_error_shows_what_why_and_fix():
    assert error_lines(BotshipError("the bucket is gone", "deleted by hand", "re-run the deploy")) == [
        "the bucket is gone", "deleted by hand", "→ re-run the deploy"]


def test_a_file_error_names_its_file_never_an_internal_error(tmp_path):
    lines = error_lines(OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.jsonl")))
    assert lines[0] == f"the disk holding {tmp_path / 'x.jsonl'} is full"


def test_anything_else_is_an_internal_error_with_the_debug_hint(monkeypatch):
    monkeypatch.delenv("BOTSHIP_DEBUG", raising=False)
    lines = error_lines(KeyError("plan"))
    assert lines[0] == "internal error: KeyError: 'plan'"
    assert "BOTSHIP_DEBUG=1" in lines[-1] and not any("Traceback" in line for line in lines)

    monkeypatch.setenv("BOTSHIP_DEBUG", "1")
    try:
        raise KeyError("plan")
    except KeyError as exc:
        assert any("Traceback" in line for line in error_lines(exc))


class Failing(ShowsWorkerErrors, App[None]):
    def compose(self):
        yield Static("")

    def on_mount(self) -> None:
        self.fail()

    @work(thread=True, exit_on_error=False)
    def fail(self) -> None:
        raise ValueError("a bug in a worker")


@pytest.mark.asyncio
async def test_a_failed_worker_is_a_notification_by_default_and_the_app_keeps_running():
    app = Failing()
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        [note] = app._notifications
        assert note.title == "internal error: ValueError: a bug in a worker"
        assert "BOTSHIP_DEBUG=1" in note.message and note.severity == "error"
        assert app.is_running
