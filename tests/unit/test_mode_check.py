"""botship.mode_check: which shipped files read BOTSHIP_MODE (read, never imported), and what paper and live mean
for a bot — in the notes, `botship doctor` and the live confirmation."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from botship.cli.console import Console
from botship.cli.doctor import run_doctor
from botship.cli.prompts import require_live_confirmation
from botship.errors import BadInput, Cancelled
from botship.init import scaffold
from botship.mode_check import (
    ModeUse,
    live_switch_brief,
    live_switch_lines,
    mode_notes,
    names_mode,
    paper_note,
    reads_mode,
)
from botship.spec import build_spec

READS = {
    "subscript": 'import os\nLIVE = os.environ["BOTSHIP_MODE"] == "live"\n',
    "environ.get": 'import os\n\ndef handler(event, context):\n    return os.environ.get("BOTSHIP_MODE", "paper")\n',
    "getenv": 'from os import getenv\nmode = getenv("BOTSHIP_MODE")\n',
    "aliased environ": 'from os import environ as env\n\nclass Bot:\n    mode = env.get("BOTSHIP_MODE")\n',
    "through a name": 'import os\nVARIABLE = "BOTSHIP_MODE"\n\ndef mode():\n    return os.environ[VARIABLE]\n',
    "pieces": 'import os\nmode = os.environ.get("BOTSHIP_" + "MODE")\n',
    "f-string": 'import os\nprint(f"mode: {os.environ[\'BOTSHIP_MODE\']}")\n',
    "bytes": 'import os\nmode = os.environb[b"BOTSHIP_MODE"]\n',
    "default argument": 'import os\n\ndef run(mode=os.getenv("BOTSHIP_MODE", "paper")):\n    return mode\n',
}
NOT_READS = {
    "comment": '# set BOTSHIP_MODE to live to trade\nimport os\n',
    "module docstring": '"""This bot ignores BOTSHIP_MODE."""\nimport os\n',
    "exact docstring": '"""BOTSHIP_MODE"""\n',
    "function docstring": 'def handler(event, context):\n    """BOTSHIP_MODE"""\n    return 1\n',
    "bare string statement": 'x = 1\n"BOTSHIP_MODE"\n',
    "longer text": 'raise SystemExit("set BOTSHIP_MODE first")\n',
    "other variable": 'import os\nmode = os.environ.get("MODE")\n',
    "syntax error": 'mode = os.environ["BOTSHIP_MODE"\n',
}
PLAIN = 'def handler(event, context):\n    return {"ok": True}\n'
FRAMEWORK = textwrap.dedent('''\
    from investing_algorithm_framework import create_app

    app = create_app()
    app.add_market(market="BITVAVO", trading_symbol="EUR", initial_balance=1000)
    ''')


def project_with(tmp_path: Path, files: dict[str, str], toml: str = "") -> Path:
    project = tmp_path / "bot"
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    if toml:
        (project / "botship.toml").write_text(textwrap.dedent(toml))
    return project


def spec_for(project: Path, mode: str = "paper", entry: str = "app:handler", secrets: tuple[str, ...] = ()):
    return build_spec({"platform": "sandbox", "bot_name": "sma-bot", "entry": entry, "mode": mode,
                       "secrets": list(secrets)}, project)


@pytest.mark.parametrize("form", READS)
def test_each_way_of_reading_the_mode_counts(form):
    assert names_mode(READS[form]) is True


@pytest.mark.parametrize("form", NOT_READS)
def test_comments_docstrings_and_other_text_do_not_count(form):
    assert names_mode(NOT_READS[form]) is False


def test_reads_mode_names_the_shipped_files_that_read_it(tmp_path):
    project = project_with(tmp_path, {"app.py": PLAIN, "bot/__init__.py": "", "bot/config.py": READS["getenv"],
                                      "notes.py": NOT_READS["module docstring"]})
    use = reads_mode(project)
    assert use == ModeUse(("bot/config.py",)) and use and use.reads
    assert use.where == "bot/config.py"


def test_files_that_do_not_ship_do_not_count(tmp_path):
    project = project_with(tmp_path, {"app.py": PLAIN, "tests/test_app.py": READS["subscript"],
                                      ".venv/lib/site.py": READS["subscript"], "scripts/live.py": READS["getenv"],
                                      ".botshipignore": "scripts/\n"})
    use = reads_mode(project)
    assert not use and use.files == () and use.problem == ""
    (project / ".botshipignore").write_text("")
    assert reads_mode(project).files == ("scripts/live.py",)


def test_a_project_whose_files_cannot_be_listed_says_why(tmp_path):
    project = project_with(tmp_path, {"app.py": READS["subscript"] + PLAIN})
    (project / ".botshipignore").mkdir()
    use = reads_mode(project)
    assert not use and ".botshipignore is not a regular file" in use.problem
    note = paper_note({"entry": "app:handler"}, project)  # the spec refuses this project too
    assert note.warning and "could not check that it reads it" in note.text


def test_where_names_a_few_files_then_counts_the_rest():
    assert ModeUse(("a.py", "b.py")).where == "a.py and b.py"
    assert ModeUse(("a.py", "b.py", "c.py")).where == "a.py, b.py and c.py"
    assert ModeUse(("a.py", "b.py", "c.py", "d.py", "e.py")).where == "a.py, b.py, c.py and 2 more"


def test_the_plain_template_reads_the_mode_and_the_iaf_template_is_a_framework_app(tmp_path):
    plain, iaf = tmp_path / "plain-bot", tmp_path / "iaf-bot"
    scaffold(plain, "plain")
    scaffold(iaf, "iaf")
    assert reads_mode(plain).files == ("app.py",)
    note = paper_note(spec_for(plain), plain)
    assert not note.warning and note.text.startswith("botship tells the bot BOTSHIP_MODE=paper; app.py reads it")
    assert paper_note(spec_for(iaf, entry="app:app"), iaf).text.startswith("paper is enforced")


def test_paper_notes_for_each_kind_of_bot(tmp_path):
    framework = project_with(tmp_path, {"app.py": FRAMEWORK})
    assert mode_notes(spec_for(framework, entry="app:app"), framework) == [
        "paper is enforced: botship's paper exchange fills the orders of this investing-algorithm-framework app "
        "and answers its balance requests; no order reaches an exchange"]

    plain = project_with(tmp_path / "p", {"app.py": PLAIN})
    [warning] = mode_notes(spec_for(plain), plain)
    assert warning == (
        "WARNING: this bot never reads BOTSHIP_MODE: in paper mode it runs exactly as in live mode — botship cannot "
        "stop a plain bot's orders; read BOTSHIP_MODE in the bot (see app.py of `botship init --template plain`) "
        "or use an investing-algorithm-framework app")

    (plain / "app.py").write_text(READS["environ.get"])
    assert mode_notes(spec_for(plain), plain)[0].startswith("botship tells the bot BOTSHIP_MODE=paper; app.py reads it")


def test_the_notes_work_from_the_answers_so_far(tmp_path):
    """The wizard and --guided ask for the mode before any spec exists: a mapping of answers will do."""
    plain = project_with(tmp_path, {"app.py": PLAIN})
    assert paper_note({"entry": "app:handler"}, plain).warning
    assert paper_note({}, plain).warning  # no entry yet: a plain bot as far as anyone knows
    lines = live_switch_lines({"entry": "app:handler", "secrets": ["KEY"]}, plain)
    assert "BOTSHIP_MODE=live and the secrets (KEY)" in lines[1]


def test_switching_to_live_says_where_the_state_is_and_what_the_first_run_does(tmp_path):
    framework = project_with(tmp_path, {"app.py": FRAMEWORK})
    state, first = live_switch_lines(spec_for(framework, "live", "app:app", ("API_KEY", "SECRET_KEY")), framework)
    assert "paper state stays under paper/" in state and "empty live/ state" in state
    assert first == ("first live run: the framework syncs its portfolio from the exchange's balances using the keys "
                     "in secrets (API_KEY, SECRET_KEY), and its orders go to the exchange")
    _, first = live_switch_lines(spec_for(framework, "live", "app:app"), framework)
    assert "the profile lists no secrets" in first

    plain = project_with(tmp_path / "p", {"app.py": PLAIN})
    _, first = live_switch_lines(spec_for(plain, "live", secrets=("KEY",)), plain)
    assert first == ("first live run: the bot runs with BOTSHIP_MODE=live and the secrets (KEY); it never reads "
                     "BOTSHIP_MODE, so it does exactly what it did in paper mode")
    (plain / "app.py").write_text(READS["subscript"] + PLAIN)
    assert mode_notes(spec_for(plain, "live"), plain)[1] == (
        "first live run: the bot runs with BOTSHIP_MODE=live and no secrets; app.py decides what live means")


# ---- the live confirmation --------------------------------------------------------------------------

def test_a_live_deploy_without_a_terminal_says_briefly_what_going_live_means(tmp_path):
    plain = project_with(tmp_path, {"app.py": PLAIN})
    with pytest.raises(BadInput) as raised:
        require_live_confirmation(spec_for(plain, "live"), "prod", confirmed=False, interactive=False, project=plain)
    assert raised.value.why == ("a live deploy must be confirmed explicitly: the bot runs with BOTSHIP_MODE=live; "
                                "its first live run starts with an empty live/ state (the paper state stays under "
                                "paper/)")
    assert live_switch_brief(spec_for(plain, "live"), plain) in raised.value.why
    require_live_confirmation(spec_for(plain, "live"), "prod", confirmed=True, interactive=False, project=plain)


def test_the_typed_live_confirmation_shows_the_switch_first(tmp_path, monkeypatch, capsys):
    import questionary

    framework = project_with(tmp_path, {"app.py": FRAMEWORK})
    spec = spec_for(framework, "live", "app:app", ("API_KEY",))

    class Typed:
        def __init__(self, answer):
            self.answer = answer

        def unsafe_ask(self):
            return self.answer

    monkeypatch.setattr(questionary, "text", lambda message: Typed("sma-bot"))
    require_live_confirmation(spec, "prod", confirmed=False, interactive=True, project=framework)
    out = capsys.readouterr().out
    assert "Going live with sma-bot:" in out
    for line in live_switch_lines(spec, framework):
        assert f"  {line}\n" in out
    monkeypatch.setattr(questionary, "text", lambda message: Typed("sma-bo"))
    with pytest.raises(Cancelled):
        require_live_confirmation(spec, "prod", confirmed=False, interactive=True, project=framework)


# ---- botship doctor ---------------------------------------------------------------------------------

PROFILE = """\
[profiles.{mode}]
platform = "fake"
bot_name = "sma-bot"
entry = "{entry}"
mode = "{mode}"
"""


def doctor(project: Path, capsys) -> tuple[int, str]:
    code = run_doctor(project, None, Console())
    return code, capsys.readouterr().out


def test_doctor_warns_about_a_plain_bot_that_never_reads_the_mode(tmp_path, fake_cloud, capsys):
    project = project_with(tmp_path, {"app.py": PLAIN}, PROFILE.format(mode="paper", entry="app:handler"))
    code, out = doctor(project, capsys)
    assert code == 0, out  # a warning, not a failure
    assert ("! paper mode: this bot never reads BOTSHIP_MODE: in paper mode it runs exactly as in live mode — "
            "botship cannot stop a plain bot's orders\n") in out
    assert ("    → read BOTSHIP_MODE in the bot (see app.py of `botship init --template plain`) or use an "
            "investing-algorithm-framework app\n") in out
    assert "Ready to deploy." in out


def test_doctor_passes_a_plain_bot_that_reads_the_mode_and_a_framework_app(tmp_path, fake_cloud, capsys):
    plain = project_with(tmp_path, {"app.py": READS["environ.get"]}, PROFILE.format(mode="paper", entry="app:handler"))
    code, out = doctor(plain, capsys)
    assert code == 0 and "✓ paper mode: botship tells the bot BOTSHIP_MODE=paper; app.py reads it" in out

    framework = project_with(tmp_path / "f", {"app.py": FRAMEWORK}, PROFILE.format(mode="paper", entry="app:app"))
    code, out = doctor(framework, capsys)
    assert code == 0 and "✓ paper mode: paper is enforced: botship's paper exchange fills the orders" in out


def test_doctor_on_a_live_profile_says_what_the_live_run_does(tmp_path, fake_cloud, capsys):
    project = project_with(tmp_path, {"app.py": PLAIN}, PROFILE.format(mode="live", entry="app:handler"))
    code, out = doctor(project, capsys)
    assert code == 0
    assert "✓ live mode: state: paper and live never share it" in out
    assert "first live run: the bot runs with BOTSHIP_MODE=live and no secrets" in out
