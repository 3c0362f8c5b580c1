"""The deploy session both front ends draw: what is asked, what a platform switch clears, where secret values
come from, what the credentials check is given.

Secret values are asked for only when the bot will be given them: a paper framework app is given none
(botship keeps its keys back), so its review plans without asking; live, or a plain bot, it asks."""

from __future__ import annotations

from pathlib import Path

from botship.session import DeploySession, Variable

FRAMEWORK = 'from investing_algorithm_framework import create_app\n\napp = create_app()\n'
PLAIN = 'def app(event, context):\n    return 1\n'


def state(tmp_path: Path, source: str, **answers) -> DeploySession:
    (tmp_path / "app.py").write_text(source)
    return DeploySession(tmp_path, {"mode": "paper", "entry": "app:app", **answers},
                         [Variable("BITVAVO_API_KEY", "", True), Variable("MARKET", "bitvavo", False)])


def test_a_paper_framework_app_needs_no_secret_values(tmp_path):
    assert state(tmp_path, FRAMEWORK).missing_secrets() == []


def test_live_or_asked_for_secrets_need_their_values(tmp_path):
    assert state(tmp_path, FRAMEWORK, mode="live").missing_secrets() == ["BITVAVO_API_KEY"]
    assert state(tmp_path, FRAMEWORK, paper={"send_secrets": True}).missing_secrets() == ["BITVAVO_API_KEY"]


def test_a_plain_bot_needs_its_secret_values_in_paper_mode(tmp_path):
    assert state(tmp_path, PLAIN).missing_secrets() == ["BITVAVO_API_KEY"]


# ---- one session for both front ends --------------------------------------------------------------------

def test_switching_platform_drops_every_other_clouds_settings(tmp_path):
    session = DeploySession.new(tmp_path)
    session.answers.update(platform="aws", aws={"region": "eu-west-1"}, azure={"plan": "flex"}, packaging="image")
    session.set_platform("sandbox")
    # Neither the AWS table nor the Azure one (a cloud not built yet) is saved into a sandbox profile.
    assert "aws" not in session.answers and "azure" not in session.answers
    assert session.answers["packaging"] == "image"  # the sandbox builds images too
    session.set_platform("aws")
    assert session.answers["platform"] == "aws" and not session.credentials_ok


def test_a_profiles_secret_values_are_found_in_one_order_for_every_front_end(tmp_path, monkeypatch):
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    ring = PlaintextKeyring()
    ring.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(ring)
    (tmp_path / ".env").write_text("FROM_ENV=dotenv-value\nFROM_DOTENV=dotenv-value\n")
    keyring.set_password("botship", "sma-bot/FROM_ENV", "keyring-value")
    keyring.set_password("botship", "sma-bot/FROM_KEYRING", "keyring-value")
    monkeypatch.setenv("FROM_ENV", "environment-value")
    raw = {"platform": "sandbox", "bot_name": "sma-bot", "entry": "app:handler",
           "secrets": ["FROM_ENV", "FROM_DOTENV", "FROM_KEYRING", "NOWHERE"]}
    session = DeploySession.from_profile(tmp_path, "paper", raw)
    found = {v.name: (v.value, v.source) for v in session.variables}
    assert found == {"FROM_ENV": ("environment-value", "environment"), "FROM_DOTENV": ("dotenv-value", ".env"),
                     "FROM_KEYRING": ("keyring-value", "keyring"), "NOWHERE": ("", "profile 'paper'")}
    assert session.missing_secrets() == ["NOWHERE"]


def test_the_credentials_check_is_given_placeholders_for_what_it_does_not_need(tmp_path):
    session = DeploySession.new(tmp_path, "sandbox")
    spec = session.credentials_spec()
    assert (spec.platform, spec.bot_name, spec.entry, spec.secrets) == ("sandbox", "credentials-check",
                                                                        "app:handler", [])
    assert session.credentials_key() == ("sandbox",)


def test_the_deploy_questions_check_with_the_specs_rules_and_limits(tmp_path):
    session = DeploySession.new(tmp_path, "sandbox")
    assert session.problem("bot_name", "Bad_Name").startswith("only lower-case letters")
    assert session.problem("memory_mb", "99999") == "must be between 128 and 10240 on Sandbox (got 99999)"
    assert session.problem("memory_mb", "lots") == "enter a whole number"
    assert session.problem("memory_mb", "1024") is None
    from botship.deploy_questions import limit_text

    assert limit_text("memory_mb", session.answers) == "128–10240 on Sandbox"
    titles = {c.value: c.disabled for c in session.question("platform").options(session.answers)}
    assert titles["azure"] == "" and titles["sandbox"] == ""


def test_what_going_live_means_is_said_once_for_both_front_ends(tmp_path):
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n")
    session = DeploySession(tmp_path, {"platform": "sandbox", "bot_name": "sma-bot", "entry": "app:handler",
                                       "schedule": "rate(5 minutes)"}, [Variable("KEY", "", True)])
    headline, switch = session.live_summary()
    assert headline == ("sma-bot will trade real money on Sandbox, on rate(5 minutes), with the secrets KEY.")
    assert switch and all(isinstance(line, str) for line in switch)
    assert session.suggested_profile_name() == "paper"


def test_a_switch_keeps_what_the_spec_allows_of_another_clouds_table(tmp_path):
    session = DeploySession.new(tmp_path, "aws")
    session.answers.update(aws={"region": "eu-west-1", "profile": "prod", "base_image": "public.ecr.aws/x:1"},
                           packaging="image")
    session.set_platform("sandbox")
    # The sign-in and the region are AWS's own; an image's base stays (the sandbox builds the same images).
    assert session.answers["aws"] == {"base_image": "public.ecr.aws/x:1"}
    session.set_platform("aws")
    assert session.platform_changes == 3  # new(…, "aws"), sandbox, aws: a form drawn before each is stale


def test_a_new_session_finds_a_secrets_value_where_a_deploy_does(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("EXCHANGE_API_KEY=from-dotenv\nMARKET=x\n")
    monkeypatch.setenv("EXCHANGE_API_KEY", "from-environment")
    monkeypatch.setenv("MARKET", "not-a-secret-so-env-file-wins")
    found = {v.name: (v.value, v.secret, v.source) for v in DeploySession.new(tmp_path).variables}
    assert found == {"EXCHANGE_API_KEY": ("from-environment", True, "environment"), "MARKET": ("x", False, ".env")}


def test_an_empty_answer_gets_its_own_fields_message(tmp_path):
    session = DeploySession.new(tmp_path, "sandbox")
    assert session.problem("memory_mb", "") == "enter a whole number"
    assert session.problem("bot_name", "") not in (None, "an answer is needed")
    # A malformed schedule is the schedule field's problem, not the time zone's.
    session.answers["schedule"] = "invalid"
    assert session.problem("timezone", "Europe/Amsterdam") is None
