"""The deploy spec: one rule per field, every problem at once, each naming its field."""

from __future__ import annotations

import pytest

from botship.errors import SpecInvalid
from botship.spec import DeploySpec, build_spec, check_field, limits_for, looks_secret, to_profile

BASE = {"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler", "aws": {"region": "eu-west-1"}}


def problems(data, project=None) -> dict[str, str]:
    with pytest.raises(SpecInvalid) as info:
        build_spec(data, project)
    return {p.field: p.message for p in info.value.problems}


def test_a_minimal_spec_gets_safe_defaults():
    spec = build_spec(BASE)
    assert spec.mode == "paper"
    assert (spec.python, spec.packaging, spec.memory_mb, spec.timeout_s) == ("3.12", "zip", 512, 300)
    assert spec.schedule is None and spec.timezone == "UTC"
    assert spec.describe()[0] == ("mode", "PAPER")
    assert spec.where == "AWS Lambda (eu-west-1)"


@pytest.mark.parametrize("name, fragment", [
    ("a", "2–32 characters"),
    ("x" * 33, "2–32 characters"),
    ("SMA-bot", "use lower-case only, e.g. 'sma-bot'"),
    ("sma_bot", "not '_'"),
    ("1bot", "must start with a letter"),
    ("bot-", "must not end with a hyphen"),
    ("sma--bot", "two hyphens"),
])
def test_bot_name_rules(name, fragment):
    assert fragment in problems({**BASE, "bot_name": name})["bot_name"]


@pytest.mark.parametrize("text, normal", [
    ("rate(1 minute)", "rate(1 minute)"),
    ("rate(15  minutes)", "rate(15 minutes)"),
    ("cron(0 9 * * ? *)", "cron(0 9 * * ? *)"),
    ("cron(0/15 8-17 ? * MON-FRI *)", "cron(0/15 8-17 ? * MON-FRI *)"),
])
def test_valid_schedules_are_normalised(text, normal):
    assert build_spec({**BASE, "schedule": text}).schedule == normal


@pytest.mark.parametrize("text, fragment", [
    ("every 5 minutes", "neither rate(...) nor cron(...)"),
    ("rate(1 minutes)", "write 'rate(1 minute)'"),
    ("rate(5 minute)", "write 'rate(5 minutes)'"),
    ("rate(0 minutes)", "at least every 1"),
    ("rate(5 weeks)", "unknown unit"),
    ("cron(0 9 * * *)", "6 fields"),
    ("cron(0 9 * * * *)", "exactly one of day-of-month and day-of-week"),
    ("cron(61 9 * * ? *)", "outside 0–59"),
    ("cron(0 9 ? * FUNDAY *)", "not a number"),
])
def test_bad_schedules_say_how_to_write_them(text, fragment):
    assert fragment in problems({**BASE, "schedule": text})["schedule"]


def test_timezone_suggests_the_closest_name():
    assert "did you mean 'Europe/Amsterdam'" in problems({**BASE, "timezone": "Europe/Amsterdm"})["timezone"]


def test_toml_float_python_version_is_read_as_meant():
    assert build_spec({**BASE, "python": 3.13}).python == "3.13"
    assert "'3.11', '3.12' or '3.13'" in problems({**BASE, "python": "3.9"})["python"]


def test_env_values_become_strings_and_names_are_checked_one_by_one():
    spec = build_spec({**BASE, "env": {"MARKET": "bitvavo", "SIZE": 5, "DEBUG": True}})
    assert spec.env == {"MARKET": "bitvavo", "SIZE": "5", "DEBUG": "true"}
    found = problems({**BASE, "env": {"1X": "a", "MY-VAR": "b", "BOTSHIP_MODE": "c", "EXCHANGE_API_KEY": "d"}})
    assert set(found) == {"env.1X", "env.MY-VAR", "env.BOTSHIP_MODE", "env.EXCHANGE_API_KEY"}
    assert "reserved" in found["env.BOTSHIP_MODE"]
    assert "looks like a secret" in found["env.EXCHANGE_API_KEY"]


def test_env_must_fit_the_cloud_limit_with_room_for_botship():
    assert "bytes" in problems({**BASE, "env": {"BIG": "x" * 3400}})["env"]
    assert build_spec({**BASE, "env": {"BIG": "x" * 3000}}).env["BIG"]


def test_secrets_are_names_only():
    assert "values belong in .env" in problems({**BASE, "secrets": {"API_KEY": "hunter22"}})["secrets"]
    found = problems({**BASE, "secrets": ["API_KEY", "API_KEY", "bad-name"]})
    assert "secrets[2]" in found
    found = problems({**BASE, "secrets": ["API_KEY", "API_KEY"]})
    assert "listed more than once: API_KEY" in found["secrets"]
    assert "also listed in secrets" in problems({**BASE, "env": {"MARKET": "x"}, "secrets": ["MARKET"]})["env.MARKET"]


def test_sizes_follow_each_platform():
    assert "between 128 and 10240 on AWS Lambda" in problems({**BASE, "memory_mb": 64})["memory_mb"]
    assert "between 1 and 900" in problems({**BASE, "timeout_s": 901})["timeout_s"]
    assert "between 512 and 10240" in problems({**BASE, "ephemeral_mb": 100})["ephemeral_mb"]
    azure = {**BASE, "platform": "azure", "aws": None,
             "azure": {"subscription_id": "00000000-0000-0000-0000-000000000000",
                       "resource_group": "bots", "location": "westeurope"}}
    assert build_spec({**azure, "memory_mb": 2048}).azure.plan == "flex"
    assert "one of 512, 2048, 4096" in problems({**azure, "memory_mb": 1024})["memory_mb"]
    assert "does not apply" in problems({**azure, "ephemeral_mb": 1024})["ephemeral_mb"]
    consumption = {**azure, "azure": {**azure["azure"], "plan": "consumption"}}
    assert "between 1 and 600" in problems({**consumption, "timeout_s": 900})["timeout_s"]
    assert "zip packages only" in problems({**azure, "packaging": "image"})["packaging"]
    assert limits_for("azure", "consumption").get("memory_mb") is None


def test_platform_settings_are_required_where_they_apply():
    assert "add a [profiles.NAME.aws] table" in problems({**BASE, "aws": None})["aws"]
    found = problems({**BASE, "platform": "azure", "azure": {"subscription_id": "nope", "location": "West Europe"}})
    assert set(found) >= {"azure.subscription_id", "azure.resource_group", "azure.location"}
    assert build_spec({k: v for k, v in BASE.items() if k != "aws"} | {"platform": "sandbox"}).where.startswith("Sandbox")


def test_regions_outside_the_commercial_partition_are_refused():
    assert "GovCloud" in problems({**BASE, "aws": {"region": "us-gov-west-1"}})["aws.region"]
    assert build_spec({**BASE, "aws": {"region": "ap-southeast-3"}}).aws.region == "ap-southeast-3"


def test_unknown_keys_suggest_the_intended_one():
    assert "did you mean 'memory_mb'" in problems({**BASE, "memory": 1024})["memory"]
    assert "did you mean 'region'" in problems({**BASE, "aws": {"regoin": "eu-west-1"}})["aws.regoin"]


def test_entry_is_checked_against_the_source_without_importing_it(tmp_path):
    (tmp_path / "app.py").write_text("raise SystemExit('imported!')\ndef handler(e, c):\n    pass\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("try:\n    from .x import app\nexcept ImportError:\n    app = None\n")
    (tmp_path / "broken.py").write_text("def handler(:\n")
    assert build_spec({**BASE, "entry": "app:handler"}, tmp_path).entry == "app:handler"
    assert build_spec({**BASE, "entry": "pkg:app"}, tmp_path).entry == "pkg:app"
    assert "defines no 'run' (it defines: handler)" in problems({**BASE, "entry": "app:run"}, tmp_path)["entry"]
    assert "no bot.py or bot/__init__.py" in problems({**BASE, "entry": "bot:handler"}, tmp_path)["entry"]
    assert "broken.py line 1: syntax error" in problems({**BASE, "entry": "broken:handler"}, tmp_path)["entry"]
    assert "not module:attribute" in problems({**BASE, "entry": "app.handler"})["entry"]


def test_every_problem_is_reported_at_once():
    found = problems({"platform": "aws", "bot_name": "Bad_Name", "entry": "x", "python": "2.7",
                      "memory_mb": 99999, "mode": "real", "aws": {"region": "europe"}})
    assert set(found) == {"bot_name", "entry", "python", "memory_mb", "mode", "aws.region"}


def test_check_field_validates_one_answer_in_the_context_of_the_others():
    assert check_field("memory_mb", 2048, {"platform": "aws"}) == []
    assert [p.field for p in check_field("memory_mb", 64, {"platform": "aws"})] == ["memory_mb"]
    assert [p.field for p in check_field("env", {"a-b": "1"}, {})] == ["env.a-b"]
    assert check_field("schedule", "rate(1 minutes)", {})[0].message.startswith("write 'rate(1 minute)'")


def test_every_field_has_help_text_for_the_wizard_and_the_cli():
    for name, info in DeploySpec.model_fields.items():
        assert info.description, name
    schema = DeploySpec.model_json_schema()
    assert schema["properties"]["mode"]["default"] == "paper"


def test_to_profile_keeps_what_matters_and_drops_defaults():
    data = to_profile(build_spec({**BASE, "schedule": "rate(1 hour)", "memory_mb": 1024}))
    assert data == {"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler", "python": "3.12",
                    "memory_mb": 1024, "schedule": "rate(1 hour)", "mode": "paper", "aws": {"region": "eu-west-1"}}


def test_secret_name_hints():
    assert all(map(looks_secret, ["BITVAVO_API_KEY", "X_SECRET", "GH_TOKEN", "DB_PASSWORD"]))
    assert not any(map(looks_secret, ["MARKET", "SYMBOLS", "KEYBOARD"]))


def test_messages_show_the_wrong_value_as_given():
    assert problems({**BASE, "memory_mb": {"x": 1}})["memory_mb"] == (
        "must be a whole number, e.g. memory_mb = 512 (got {'x': 1}, dict)")
