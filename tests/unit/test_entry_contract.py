"""Entries that read as defined but are not there, or not callable as (event, context), when the runtime imports them.

Each case was accepted by `validate` before and failed on every run (or never ran the bot); the mirror cases
are legal Python that a reading of the source must not refuse.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from botship.errors import SpecInvalid
from botship.runtime.entry import call_entry
from botship.spec import build_spec, check_field

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
BASE = {"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler", "aws": {"region": "eu-west-1"},
        "python": HERE}
OK = "def handler(event, context):\n    return 1\n"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def problem(project: Path, entry: str = "app:handler", **extra) -> str:
    with pytest.raises(SpecInvalid) as info:
        build_spec({**BASE, "entry": entry, **extra}, project)
    found = {p.field: p.message for p in info.value.problems}
    assert set(found) == {"entry"}, found
    return found["entry"]


@pytest.mark.parametrize("files, says", [
    ({"app.py": "if __name__ == '__main__':\n    " + OK.replace("\n    ", "\n        ")},
     "defined only under the `if` on line 1"),
    ({"app.py": "if '__main__' == __name__:\n    handler = print\n"}, "defined only under the `if` on line 1"),
    ({"app.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from helper import handler\n",
      "helper.py": OK}, "defined only under the `if` on line 2"),
    ({"app.py": OK + "del handler\n"}, "'handler' is deleted (del handler, line 3)"),
    ({"app.py": "def handler():\n    return 1\n"}, "handler() takes no arguments, but the runtime passes two"),
    ({"app.py": "def handler(event):\n    return 1\n"}, "handler() takes (event), but the runtime passes two"),
    ({"app.py": "def handler(a, b, c):\n    return 1\n"}, "needs 3 arguments (a, b, c)"),
    ({"app.py": "def handler(event, context, *, key):\n    return 1\n"}, "needs the keyword argument key"),
    ({"app.py": "handler = lambda: 1\n"}, "the lambda takes no arguments"),
    ({"app.py": "class handler:\n    pass\n"}, "has no run() and takes no arguments"),
    ({"app.py": "class handler:\n    def __init__(self):\n        pass\n"}, "creating it takes no arguments"),
    ({"app.py": "def handler(event, context):\n    return (\n"}, "app.py line 2: syntax error"),
    ({"app.py": "import helper\n" + OK, "helper.py": "x = (\n"},
     "app.py imports helper (line 1), and helper.py line 1: syntax error"),
    ({"app.py": "from pkg.deep import tool\n" + OK, "pkg/__init__.py": "", "pkg/deep.py": "def tool(:\n"},
     "app.py imports pkg.deep (line 1), and pkg/deep.py line 1: syntax error"),
    ({"pkg/__init__.py": "x = )\n", "pkg/bot.py": OK}, "pkg/__init__.py line 1: syntax error"),
    ({"app.py": b"def handler(event, context):\n    return 1\n\x00"}, "cannot contain null bytes"),
    ({"json.py": OK}, "'json' is the name of a module of Python's standard library"),
    ({"boto3.py": OK}, "'boto3' is the name of a module the cloud runtime or botship provides"),
    ({"app.py": "x = 1\n", "app/__init__.py": "x = 1\n"}, "app/__init__.py defines no 'handler'"),
])
def test_entries_that_never_run_are_refused_naming_why(tmp_path, files, says):
    write(tmp_path, files)
    module = next(name for name in files if name.endswith(".py") and name not in ("helper.py", "pkg/deep.py",
                                                                                   "pkg/__init__.py"))
    if "pkg/bot.py" in files:
        module = "pkg/bot.py"
    entry = module.removesuffix(".py").removesuffix("/__init__").replace("/", ".") + ":handler"
    assert says in problem(tmp_path, entry)


@pytest.mark.parametrize("source", [
    "if __name__ == '__main__':\n    pass\nelse:\n    " + OK.replace("\n    ", "\n        "),
    "if __name__ != '__main__':\n    " + OK.replace("\n    ", "\n        "),
    "async def handler(event, context):\n    return 1\n",
    "def handler(event, context=None, *rest, key=1, **more):\n    return 1\n",
    "def handler(*args):\n    return 1\n",
    "import functools\n@functools.lru_cache\ndef handler():\n    return 1\n",
    "class Handler:\n    def __call__(self, event, context):\n        return 1\nhandler = Handler()\n",
    "class handler:\n    def __init__(self, event, context):\n        self.done = True\n",
    "class Base:\n    def __init__(self, event, context):\n        pass\nclass handler(Base):\n    pass\n",
    "for handler in [print]:\n    pass\n",
    "import contextlib\nwith contextlib.nullcontext(print) as handler:\n    pass\n",
    "match 1:\n    case 1:\n        " + OK.replace("\n    ", "\n            "),
    "(handler := print)\n",
    "globals()['handler'] = lambda event, context: 1\n",
    "def __getattr__(name):\n    return lambda event, context: 1\n",
    "from helper import *\n",
    "from os.path import *\nhandler = join\n",
    "\ufeff" + OK,
    "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n" + OK,
])
def test_legal_ways_to_define_the_entry_pass(tmp_path, source):
    write(tmp_path, {"app.py": source.encode("latin-1") if "latin-1" in source else source.encode(),
                     "helper.py": OK})
    assert build_spec(BASE, tmp_path).entry == "app:handler"


def test_a_star_import_names_what_the_other_module_exports(tmp_path):
    write(tmp_path, {"app.py": "from helper import *\n", "helper.py": "__all__ = ['other']\nother = 5\n" + OK})
    assert "defines no 'handler'" in problem(tmp_path)
    write(tmp_path, {"helper.py": "handler = 5\n"})
    assert "'handler' is helper:handler (line 1), and there 'handler' is a constant" in problem(tmp_path)


def test_two_modules_that_star_import_each_other_are_read_without_end(tmp_path):
    write(tmp_path, {"app.py": "from helper import *\n" + OK, "helper.py": "from app import *\n"})
    assert build_spec(BASE, tmp_path).entry == "app:handler"


def test_the_entry_is_kept_as_the_runtime_reads_it(tmp_path):
    write(tmp_path, {"app.py": OK})
    assert build_spec({**BASE, "entry": "  app:handler "}, tmp_path).entry == "app:handler"


def test_a_file_name_in_another_case_is_named(tmp_path):
    write(tmp_path, {"App.py": OK})
    assert "there is App.py, but the cloud's file names are case-sensitive" in problem(tmp_path)


def test_a_keyword_is_never_a_module_or_attribute(tmp_path):
    write(tmp_path, {"app.py": OK})
    assert "'class' is a Python keyword" in problem(tmp_path, "app:class")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_an_entry_behind_a_link_packaging_does_not_follow_is_refused(tmp_path):
    outside = tmp_path / "outside"
    write(outside, {"app.py": OK, "pkg/bot.py": OK})
    project = tmp_path / "bot"
    project.mkdir()
    (project / "app.py").symlink_to(outside / "app.py")
    (project / "pkg").symlink_to(outside / "pkg", target_is_directory=True)
    assert "outside the project, and only the project's files ship" in problem(project)
    assert "pkg/ is a link to a folder" in problem(project, "pkg.bot:handler")


def test_syntax_newer_than_this_python_is_left_to_the_import_check_but_older_targets_are_held_to_theirs(tmp_path):
    write(tmp_path, {"app.py": "type Price = float\n" + OK})
    newer = "3.13" if sys.version_info < (3, 12) else None
    if newer:  # this Python cannot read it; a 3.12+ bot may use it
        assert build_spec({**BASE, "python": newer}, tmp_path).entry == "app:handler"
    if sys.version_info >= (3, 12):  # this Python reads it, and knows 3.11 cannot
        assert "syntax error" in problem(tmp_path, python="3.11")
    else:
        assert "syntax error" in problem(tmp_path, python=HERE)


def test_the_wizard_field_check_says_the_same(tmp_path):
    write(tmp_path, {"app.py": "def handler():\n    return 1\n"})
    found = check_field("entry", "app:handler", {**BASE}, tmp_path)
    assert found and "takes no arguments" in found[0].message


def test_an_async_handler_is_run_to_its_end_by_the_runtime(tmp_path):
    ran = []

    async def handler(event, context):
        ran.append(event)
        return {"seen": event}

    class App:
        async def run(self, number_of_iterations=1):
            ran.append("app")
            return "done"

    assert call_entry(handler, {"n": 1}, None, str(tmp_path)) == {"seen": {"n": 1}}
    assert call_entry(App(), {}, None, str(tmp_path)) == "done"
    assert ran == [{"n": 1}, "app"]
