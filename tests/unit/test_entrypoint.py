"""`validate` refuses an entry that could never run: not callable (a module, a constant), or left out of the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from botship.errors import SpecInvalid
from botship.spec import build_spec
from helpers import write_files as write

BASE = {"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler", "aws": {"region": "eu-west-1"}}

APP = """\
    import json
    import os.path
    import numpy as np
    from os import path
    from decimal import Decimal as D
    from pkg import helpers
    from pkg.helpers import run_once, MAX_ORDERS
    from pkg import tick as pkg_tick

    LIMIT = 5
    NAME = f"bot-{LIMIT}"
    PAIRS = ["BTC/EUR", "ETH/EUR"]
    RATE = 60 * 15
    DEBUG = not True
    NOTHING = None
    ONLY_TYPED: int
    also_limit = LIMIT
    FIRST, SECOND = 1, 2

    def handler(event, context):
        return 1

    async def async_handler(event, context):
        return 1

    class Bot:
        def run(self, number_of_iterations=1):
            return 1

    class Job:
        def __init__(self, event, context):
            self.done = True

    class Scheduled:
        @staticmethod
        def run(number_of_iterations=1):
            return 1

    bot = Bot()
    lam = lambda event, context: 1
    alias = handler
    printer = print
    FIRST_FN, SECOND_FN = handler, Job

    if os.environ.get("FAST"):
        maybe = 1
    else:
        maybe = Bot()

    shadowed = 5
    def shadowed(event, context):
        return 1

    overwritten = handler
    overwritten = 3
    """

PKG = {
    "pkg/__init__.py": "from .helpers import run_once as tick\n",
    "pkg/helpers.py": "MAX_ORDERS = 3\n\ndef run_once(event, context):\n    return 1\n",
}


@pytest.fixture
def project(tmp_path) -> Path:
    return write(tmp_path, {"app.py": APP, **PKG})


def entry_problem(project: Path, entry: str) -> str:
    with pytest.raises(SpecInvalid) as info:
        build_spec({**BASE, "entry": entry}, project)
    found = {p.field: p.message for p in info.value.problems}
    assert set(found) == {"entry"}, found
    return found["entry"]


@pytest.mark.parametrize("entry, says", [
    ("app:json", "'json' is the module json that it imports (line 1)"),
    ("app:os", "'os' is the module os that it imports"),
    ("app:np", "'np' is the module numpy that it imports"),
    ("app:helpers", "'helpers' is the module pkg.helpers that it imports"),
    ("app:path", "'path' is imported from os (line 4), outside the project"),
    ("app:D", "'D' is imported from decimal"),
    ("app:MAX_ORDERS", "'MAX_ORDERS' is pkg.helpers:MAX_ORDERS (line 7), and there 'MAX_ORDERS' is a constant"),
    ("app:LIMIT", "'LIMIT' is a constant (LIMIT = 5, line 10)"),
    ("app:NAME", "'NAME' is a constant"),
    ("app:PAIRS", "'PAIRS' is a constant"),
    ("app:RATE", "'RATE' is a constant (RATE = 60 * 15"),
    ("app:DEBUG", "'DEBUG' is a constant"),
    ("app:NOTHING", "'NOTHING' is a constant (NOTHING = None"),
    ("app:ONLY_TYPED", "'ONLY_TYPED' is only annotated, never assigned"),
    ("app:also_limit", "'also_limit' is 'LIMIT', and 'LIMIT' is a constant"),
    ("app:FIRST", "'FIRST' is a constant (FIRST = 1"),
    ("app:overwritten", "'overwritten' is a constant (overwritten = 3"),
    ("pkg.helpers:MAX_ORDERS", "'MAX_ORDERS' is a constant (MAX_ORDERS = 3, line 1)"),
    ("app:Bot", "'Bot' is a class whose run() needs an instance"),
])
def test_an_entry_that_is_not_the_bot_is_refused_naming_what_it_is(project, entry, says):
    message = entry_problem(project, entry)
    assert says in message
    # …and what to do, with the runnable names the module has.
    assert "point entry at a function taking (event, context) or an app object with .run()" in message
    if entry.startswith("app:"):
        assert "app:handler" in message and "app:bot" in message


@pytest.mark.parametrize("entry", [
    "app:handler", "app:async_handler", "app:Job", "app:Scheduled", "app:bot", "app:lam", "app:alias", "app:printer",
    "app:FIRST_FN", "app:SECOND_FN", "app:maybe", "app:shadowed", "app:run_once", "app:pkg_tick",
    "pkg:tick", "pkg.helpers:run_once",
])
def test_functions_classes_and_built_objects_pass(project, entry):
    assert build_spec({**BASE, "entry": entry}, project).entry == entry


def test_the_templates_and_the_test_bots_pass():
    root = Path(__file__).resolve().parents[2]
    assert build_spec({**BASE, "entry": "app:handler"}, root / "templates" / "project" / "plain")
    assert build_spec({**BASE, "entry": "app:app"}, root / "templates" / "project" / "iaf")
    assert build_spec({**BASE, "entry": "app:app"}, root / "tests" / "bots" / "appstyle")


def test_an_entry_module_left_out_by_botshipignore_is_refused_naming_the_rule(tmp_path):
    write(tmp_path, {"app.py": "def handler(event, context):\n    return 1\n",
                     ".botshipignore": "# local only\nnotes/\n\n*.py\n!strategy.py\n"})
    message = entry_problem(tmp_path, "app:handler")
    assert "app.py would not be in the package" in message
    assert "'*.py' (.botshipignore line 4)" in message and "line 4 of .botshipignore" in message


def test_an_entry_in_a_folder_the_defaults_leave_out_is_refused_with_the_way_to_ship_it(tmp_path):
    write(tmp_path, {"tests/bot.py": "def handler(event, context):\n    return 1\n"})
    message = entry_problem(tmp_path, "tests.bot:handler")
    assert "tests/bot.py would not be in the package: its folder tests/ is left out by 'tests/'" in message
    assert "botship's default ignore rules" in message and "'!tests/' to .botshipignore" in message

    (tmp_path / ".botshipignore").write_text("!tests/\n")
    assert build_spec({**BASE, "entry": "tests.bot:handler"}, tmp_path)


def test_an_entry_inside_a_folder_botshipignore_drops_names_the_folder_rule(tmp_path):
    write(tmp_path, {"bots/__init__.py": "", "bots/sma.py": "def handler(event, context):\n    return 1\n",
                     ".botshipignore": "bots/\n"})
    message = entry_problem(tmp_path, "bots.sma:handler")
    assert "its folder bots/ is left out by 'bots/' (.botshipignore line 1)" in message
