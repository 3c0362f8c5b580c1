"""What the bots browser's tests share: a bot that keeps a JSON file and a SQLite table in its state, deployed to
the real sandbox by the engine; the app opened on the bots screen; reading what a table or a Static shows; and the
fake platform as a cloud that fails and as a cloud of bots with fixed facts (for the snapshots)."""

from __future__ import annotations

import sys
import textwrap
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from textual.widgets import DataTable, Static

from fake_cloud import FakeHandle, FakeProvider, FakeSignIn
from tui_flow import NOW, settle

from botship import providers
from botship.errors import BotshipError
from botship.providers.base import CONTROL, INVOKE, PAUSE, ROLLBACK, STATE
from botship.providers.results import BotStatus, BotSummary, DeployEntry, RunRecord

BOT_PY = '''\
"""Keeps a JSON status file and a SQLite table of fills in its state."""
import json
import os
import sqlite3


def handler(event, context):
    state = os.environ["BOTSHIP_STATE_DIR"]
    path = os.path.join(state, "status.json")
    before = json.load(open(path))["runs"] if os.path.exists(path) else 0
    with open(path, "w") as fh:
        json.dump({"runs": before + 1, "market": "demo", "last": {"side": "buy", "price": 101.5}}, fh)
    db = sqlite3.connect(os.path.join(state, "book.sqlite3"))
    db.execute("create table if not exists fills (n integer, price real, note text)")
    db.execute("insert into fills values (?, ?, ?)", (before + 1, 100.25 + before, f"fill {before + 1}"))
    db.commit()
    db.close()
    return {"runs": before + 1}
'''


def toml(name: str = "keeper", schedule: str | None = "rate(5 minutes)") -> str:
    lines = ["[profiles.trial]", 'platform = "sandbox"', f'bot_name = "{name}"', 'entry = "app:handler"',
             f'python = "{sys.version_info.major}.{sys.version_info.minor}"']
    if schedule:
        lines += [f'schedule = "{schedule}"', 'timezone = "Europe/Amsterdam"']
    return "\n".join(lines) + "\n"


@pytest.fixture
def keeper(tmp_path):
    project = tmp_path / "keeper"
    project.mkdir()
    (project / "app.py").write_text(BOT_PY)
    (project / "botship.toml").write_text(toml())
    return project


def deploy(project, profile: str = "trial") -> Any:
    """The profile deployed to the sandbox by the engine, as `botship deploy` runs it; its provider."""
    from botship.profiles import ProfileStore
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.secret_values import SecretValues

    spec = ProfileStore(project).spec(profile)
    provider = providers.provider_class(spec.platform)(spec)
    result = start_run(provider.plan(DeployContext(project, profile, SecretValues([]))), lambda event: None).wait(300)
    assert result.ok, result.failure
    return provider


def bots_app(project):
    from botship.tui.bots import BotsApp

    return BotsApp(project, clock=lambda: NOW)


def cells(table: DataTable, row: int) -> list[str]:
    return [str(getattr(cell, "plain", cell)) for cell in table.get_row_at(row)]


def markup_text(value: Any) -> str:
    """A cell or a Static's content as plain text (markup resolved; a Rich renderable drawn)."""
    from rich.console import Console
    from rich.text import Text

    if isinstance(value, Text):
        return value.plain
    if isinstance(value, str):
        return Text.from_markup(value).plain
    console = Console(width=100, record=True, file=open("/dev/null", "w"))
    console.print(value)
    return console.export_text()


def row_texts(table: DataTable) -> list[list[str]]:
    return [[markup_text(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


def shown(screen, selector: str) -> str:
    return markup_text(screen.query_one(selector, Static).content)


async def until(pilot, test, seconds: float = 30.0) -> None:
    """Let the app work until `test()` holds (rows arrive as each source answers)."""
    deadline = datetime.now(UTC) + timedelta(seconds=seconds)
    while not test():
        assert datetime.now(UTC) < deadline, "waited in vain"
        await pilot.pause(0.05)
    await settle(pilot)


async def bots_screen(pilot) -> Any:
    """The bots screen `botship bots` opens on (over the home screen)."""
    await until(pilot, lambda: type(pilot.app.screen).__name__ == "BotsScreen")
    return pilot.app.screen


# ---- the fake platform: a cloud that fails, and fixed bots for the snapshots ----------------------------

class FailingSignIn(FakeSignIn):
    def list_bots(self, locations=None):
        raise BotshipError("the fake cloud refused the listing", "its endpoint answered 503",
                           "try again later, or look in another region")


class FailingProvider(FakeProvider):
    cloud_class: ClassVar = FailingSignIn


LAST = RunRecord("a1b2c3", NOW - timedelta(minutes=25), "ok", "schedule", 1840, {"signal": "hold", "equity": 1012.5},
                 None, ("fetched 120 candles", "signal hold"), 8192, 8192, 41)


FAILED = RunRecord("ff01", NOW - timedelta(hours=3), "error", "invoke", 320, None, "RuntimeError: exchange said no")
RUNS = {"sma-bot": [LAST], "dca-weekly": [FAILED]}


class ShowcaseSignIn(FakeSignIn):
    """Bots with every column filled, at fixed times around the tests' clock."""

    capabilities: ClassVar = frozenset({INVOKE, STATE, PAUSE, CONTROL, ROLLBACK})

    def list_bots(self, locations=None):
        return [BotSummary("sma-bot", "fake", "eu-west-1", "paper", "active", "cron(0 9 ? * MON-FRI *)",
                           "paper", timezone="Europe/Amsterdam", next_run=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
                           last_run=LAST, version="3f9a2c1d"),
                BotSummary("grid-live", "fake", "eu-west-1", "live", "paused", "rate(1 hour)", "live",
                           timezone="UTC", version="77e01b9c"),
                BotSummary("dca-weekly", "fake", "us-east-1", "paper", "active", None, None, version="0c4d5e6f")]

    def bot(self, name: str, mode: str = "paper") -> ShowcaseHandle:
        return ShowcaseHandle(self, name, mode)


class ShowcaseHandle(FakeHandle):
    def status(self) -> BotStatus:
        return BotStatus(self.bot_name, "fake", "eu-west-1", "paper", "active", "cron(0 9 ? * MON-FRI *)", "paper",
                         timezone="Europe/Amsterdam", version="3f9a2c1d",
                         shipped={"code": "3f9a2c1d5e7f9a1b", "config": "c0ffee12"},
                         resources={"function": "fake:eu-west-1:function:botship-sma-bot",
                                    "state": "fake://botship-sma-bot-state/paper/"},
                         variables=("MARKET", "SYMBOL"), secrets=("EXCHANGE_API_KEY",))

    def runs(self, limit: int = 50, in_progress: bool = True) -> list[RunRecord]:
        return RUNS.get(self.bot_name, [])[:limit]

    def history(self) -> list[DeployEntry]:
        return [DeployEntry(NOW - timedelta(days=1), "deploy", "3f9a2c1d5e7f", "paper", "ci-deployer"),
                DeployEntry(NOW - timedelta(days=3), "deploy", "9e8d7c6b5a49", "paper", "alice")]

    def control(self) -> str:
        return "run"


class ShowcaseProvider(FakeProvider):
    cloud_class: ClassVar = ShowcaseSignIn


@pytest.fixture
def fake_source(fake_cloud):
    """Register the fake platform as a cloud looked in from a profile (not one on this machine)."""
    def use(provider_class: type) -> None:
        providers.register("fake", provider_class, local=False)  # the fake_cloud fixture unregisters it after

    return use


@pytest.fixture
def fake_project(tmp_path):
    project = tmp_path / "desk"
    project.mkdir()
    (project / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (project / "botship.toml").write_text(textwrap.dedent('''\
        [profiles.paper]
        platform = "fake"
        bot_name = "sma-bot"
        entry = "app:handler"
        '''))
    return project


async def open_first_bot(pilot) -> Any:
    screen = await bots_screen(pilot)
    await until(pilot, lambda: screen.answered == len(screen.sources or [0]))
    await pilot.press("enter")
    await settle(pilot)
    return pilot.app.screen


@pytest.fixture
def offline_source(fake_cloud):
    """A second platform of the fake's kind whose listing fails, looked in from a profile named `far`."""
    from fake_cloud import FAKE_PLATFORM

    previous = providers.register("offline", FailingProvider, **{**FAKE_PLATFORM, "title": "Offline cloud",
                                                                    "local": False})
    yield '\n[profiles.far]\nplatform = "offline"\nbot_name = "far"\nentry = "app:handler"\n'
    providers.restore("offline", previous)
