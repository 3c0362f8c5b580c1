"""What paper mode means for a bot, read from its source and profile: the [paper] table, framework apps found
statically, whether secrets are sent, what the plan says and what the runtime is told."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from botship import paper
from botship.spec import DeploySpec, to_profile

BASE = {"platform": "sandbox", "bot_name": "sma-bot", "entry": "app:app"}


def spec(**fields) -> DeploySpec:
    return DeploySpec.model_validate({**BASE, **fields})


def project(tmp_path: Path, source: str, name: str = "app.py") -> Path:
    (tmp_path / name).write_text(textwrap.dedent(source))
    return tmp_path


FRAMEWORK_APP = """
    from investing_algorithm_framework import create_app

    app = create_app()
    app.add_market(market="BITVAVO", trading_symbol="EUR", initial_balance=1000, fee_percentage=0.25)
"""


def test_paper_table_is_checked_key_by_key():
    with pytest.raises(ValidationError) as raised:
        spec(paper={"balance": "1000", "fee_pct": 11, "slippage": 1, "send_secrets": "yes"})
    text = str(raised.value)
    assert "paper.balance" in text and "paper.fee_pct" in text and "paper.send_secrets" in text
    assert "did you mean 'slippage_pct'" in text
    with pytest.raises(ValidationError, match="paper.balance"):
        spec(paper={"balance": -1})
    with pytest.raises(ValidationError, match="paper.slippage_pct"):
        spec(paper={"slippage_pct": float("nan")})
    assert spec(paper={"balance": 500, "fee_pct": 0.1}).paper.balance == 500.0


def test_paper_table_round_trips_through_a_profile():
    given = spec(paper={"balance": 250, "send_secrets": True})
    assert to_profile(given)["paper"] == {"balance": 250.0, "send_secrets": True}
    assert DeploySpec.model_validate(to_profile(given)) == given


@pytest.mark.parametrize("source", [
    FRAMEWORK_APP,
    "import investing_algorithm_framework as iaf\napp = iaf.create_app()\n",
    "from investing_algorithm_framework.app import App\napp = App()\n",
    "def build():\n    from investing_algorithm_framework import create_app\n    return create_app()\napp = build()\n",
])
def test_framework_apps_are_found_by_their_imports(tmp_path, source):
    assert paper.framework_app(project(tmp_path, source), "app:app") is not None


@pytest.mark.parametrize("source", [
    "def app(event, context):\n    return 'investing_algorithm_framework'\n",
    "# from investing_algorithm_framework import create_app\ndef app(event, context): ...\n",
    "from .investing_algorithm_framework import thing\napp = thing\n",
    "def app(:\n",
])
def test_plain_bots_are_not_framework_apps(tmp_path, source):
    assert paper.framework_app(project(tmp_path, source), "app:app") is None


def test_a_missing_entry_module_is_no_framework_app(tmp_path):
    assert paper.framework_app(tmp_path, "app:app") is None


def test_add_market_literals_are_read_by_keyword_and_position(tmp_path):
    source = """
        from investing_algorithm_framework import create_app
        app = create_app()
        app.add_market("BITVAVO", "EUR", None, None, 750)
        app.add_market(market="BINANCE", trading_symbol="USDT", initial_balance=BALANCE, slippage_percentage=0.1)
    """
    found = paper.framework_app(project(tmp_path, source), "app:app")
    assert [(m.market, m.trading_symbol, m.initial_balance, m.slippage_percentage) for m in found.markets] == [
        ("BITVAVO", "EUR", 750.0, None), ("BINANCE", "USDT", None, 0.1)]


def test_a_paper_framework_app_gets_no_secrets_unless_its_profile_asks(tmp_path):
    app = project(tmp_path, FRAMEWORK_APP)
    keys = ["BITVAVO_API_KEY", "BITVAVO_SECRET_KEY"]
    assert paper.sends_secrets(spec(secrets=keys), app) is False
    assert paper.sends_secrets(spec(secrets=keys, paper={"send_secrets": True}), app) is True
    assert paper.sends_secrets(spec(secrets=keys, mode="live"), app) is True


def test_plain_bots_receive_their_secrets_in_either_mode(tmp_path):
    plain = project(tmp_path, "import os\ndef app(event, context):\n    return os.environ['BOTSHIP_MODE']\n")
    assert paper.sends_secrets(spec(secrets=["API_KEY"]), plain) is True
    assert paper.sends_secrets(spec(secrets=["API_KEY"], mode="live"), plain) is True


def test_the_plan_says_what_paper_means_for_a_framework_app(tmp_path):
    lines = dict(paper.summary(spec(secrets=["BITVAVO_API_KEY"]), project(tmp_path, FRAMEWORK_APP)))
    assert "paper exchange fills its orders" in lines["paper"]
    assert lines["paper start"] == "BITVAVO (EUR): 1000 EUR, from add_market; fee 0.25%, slippage 0%"
    assert lines["paper secrets"].startswith("kept back")


def test_the_profile_balance_applies_when_add_market_has_none(tmp_path):
    source = FRAMEWORK_APP.replace("initial_balance=1000, ", "")
    lines = dict(paper.summary(spec(paper={"balance": 300, "slippage_pct": 0.05}), project(tmp_path, source)))
    assert lines["paper start"] == "BITVAVO (EUR): 300 EUR, from [paper] balance; fee 0.25%, slippage 0.05%"
    lines = dict(paper.summary(spec(), project(tmp_path, source)))
    assert "none set" in lines["paper start"]


def test_the_plan_is_truthful_about_plain_bots_and_silent_in_live_mode(tmp_path):
    plain = project(tmp_path, "def app(event, context):\n    return 1\n")
    (line,) = paper.summary(spec(), plain)
    assert line[0] == "warning" and "this bot never reads BOTSHIP_MODE" in line[1]
    (tmp_path / "app.py").write_text("import os\ndef app(event, context):\n    return os.environ['BOTSHIP_MODE']\n")
    (line,) = paper.summary(spec(), plain)
    assert line == ("paper", "plain bot: botship tells the bot BOTSHIP_MODE=paper; app.py reads it (what paper means "
                             "is up to the bot's own code: botship cannot stop a plain bot's orders)")
    assert paper.summary(spec(mode="live"), project(tmp_path, FRAMEWORK_APP)) == []


def test_the_runtime_is_told_the_profile_paper_settings_in_paper_mode_only():
    given = {"balance": 1000, "fee_pct": 0.25, "slippage_pct": 0.1}
    assert paper.runtime_env(spec(paper=given)) == {
        "BOTSHIP_PAPER_BALANCE": "1000", "BOTSHIP_PAPER_FEE_PCT": "0.25", "BOTSHIP_PAPER_SLIPPAGE_PCT": "0.1"}
    assert paper.runtime_env(spec(paper=given, mode="live")) == {}
    assert paper.runtime_env(spec()) == {}


def test_an_entry_reaching_the_app_through_another_module_is_a_framework_app(tmp_path):
    project(tmp_path, FRAMEWORK_APP, name="trading.py")
    project(tmp_path, "from trading import app\n\ndef handler(event, context):\n    app.run(number_of_iterations=1)\n",
            name="main.py")
    found = paper.framework_app(tmp_path, "main:handler")
    assert found is not None and [m.market for m in found.markets] == ["BITVAVO"]
    assert paper.sends_secrets(spec(entry="main:handler", secrets=["BITVAVO_API_KEY"]), tmp_path) is False
    # A module that does not ship (tests/ never does) makes nothing a framework app.
    (tmp_path / "trading.py").unlink()
    (tmp_path / "tests").mkdir()
    project(tmp_path / "tests", FRAMEWORK_APP, name="test_app.py")
    assert paper.framework_app(tmp_path, "main:handler") is None


def test_a_starting_balance_set_in_code_is_named_not_reported_missing(tmp_path):
    source = FRAMEWORK_APP.replace("initial_balance=1000", "initial_balance=START")
    lines = dict(paper.summary(spec(), project(tmp_path, source)))
    assert lines["paper start"].startswith("BITVAVO (EUR): add_market's initial_balance, set by the app's code")


def test_a_paper_framework_app_inherits_neither_its_secrets_nor_its_markets_keys(tmp_path):
    app = project(tmp_path, FRAMEWORK_APP)
    assert paper.withheld_names(spec(secrets=["MY_KEY"]), app) == ["MY_KEY", "BITVAVO_API_KEY", "BITVAVO_SECRET_KEY"]
    assert paper.withheld_names(spec(secrets=["MY_KEY"], paper={"send_secrets": True}), app) == []
    assert paper.withheld_names(spec(mode="live"), app) == []
    assert paper.runtime_env(spec(paper={"send_secrets": True})) == {"BOTSHIP_PAPER_SECRETS": "send"}
