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


# ---- what validate accepts must deploy and run (issue 11, class 1) --------------------------------

@pytest.mark.parametrize("text, fragment", [
    ("rate(99999999999 days)", "botship takes rates up to 365 days (one year)"),
    ("rate(525601 minutes)", "up to 525,600 minutes"),
    ("cron(0/0 * * * ? *)", "a step of 0 never moves on"),
    ("cron(0 */0 * * ? *)", "a step of 0 never moves on"),
    ("cron(0/99 * * * ? *)", "step after '/' must be 1–59"),
    ("cron(5- 9 * * ? *)", "'5-' is not a range"),
    ("cron(-5 9 * * ? *)", "'-5' is not a range"),
    ("cron(1-2-3 9 * * ? *)", "'1-2-3' is not a range"),
    ("cron(a-b 9 * * ? *)", "'A' is not a number"),
    ("cron(*-5 9 * * ? *)", "'*' cannot be part of a range"),
    ("cron(0,,5 9 * * ? *)", "empty item"),
    ("cron(0 9 ? * MON#6 *)", "no month has more than five of a weekday"),
    ("cron(0 9 ? * MON#0 *)", "write #1 to #5"),
    ("cron(0 9 ? * 3#1,6#3 *)", "'#' takes one day and one number"),
    ("cron(0 9 ? * MON-FRIL *)", "'L' takes one day"),
    ("cron(0 9 ? * MON/2 *)", "AWS takes no '/' steps here"),
    ("cron(0 9 L/2 * ? *)", "L and W stand alone"),
    ("cron(0 9 1,L * ? *)", "L and W stand alone"),
    ("cron(0 9 5W-10 * ? *)", "L and W stand alone"),
    ("cron(0 9 32W * ? *)", "W follows one day of the month (1–31)"),
    ("cron(0 9 30 2 ? *)", "this schedule never fires: February has no 30th"),
    ("cron(0 9 30-31 FEB ? *)", "February has no 30th or 31st"),
    ("cron(0 9 31 APR,JUN,SEP,NOV ? *)", "April, June, September and November have no 31st"),
    ("cron(0 9 31W 2 ? *)", "February has no 31st"),
    ("cron(0 9 * * ? 2020)", "names only years already past (2020)"),
    ("cron(0 9 * * ? 1970-2025)", "names only years already past (1970–2025)"),
    ("cron(0 9 * * ? 2199)", "more than five years away"),
    ("cron(0 9 * * ? 2035-2030)", "runs backwards"),
    ("cron(0 9 29 2 ? 2029-2030)", "February 29th comes only in leap years"),
    ("cron(" + ",".join(["1"] * 130) + " 9 * * ? *)", "AWS takes at most 256"),
])
def test_schedules_that_aws_refuses_or_that_never_fire_are_refused(text, fragment):
    assert fragment in problems({**BASE, "schedule": text})["schedule"]


def test_a_schedule_whose_only_time_falls_in_the_spring_gap_never_fires_there():
    # 02:30 on 28 March 2027 does not exist in Amsterdam (the clocks jump from 02:00 to 03:00); in UTC it does.
    data = {**BASE, "schedule": "cron(30 2 28 3 ? 2027)"}
    assert build_spec(data).schedule == "cron(30 2 28 3 ? 2027)"
    assert "skipped when the clocks go forward" in problems({**data, "timezone": "Europe/Amsterdam"})["schedule"]
    problem = check_field("schedule", "cron(30 2 28 3 ? 2027)", {**BASE, "timezone": "Europe/Amsterdam"})
    assert [p.field for p in problem] == ["schedule"]


@pytest.mark.parametrize("text, normal", [
    ("cron(0 9 ? * fri-mon *)", "cron(0 9 ? * FRI-MON *)"),   # wrap-around ranges, as AWS takes them
    ("cron(0 22-2 * * ? *)", "cron(0 22-2 * * ? *)"),
    ("cron(0 9 28-3 * ? *)", "cron(0 9 28-3 * ? *)"),
    ("cron(0 9 ? * 6#3 *)", "cron(0 9 ? * 6#3 *)"),
    ("cron(0 9 ? * 5#5 *)", "cron(0 9 ? * 5#5 *)"),
    ("cron(0 9 LW * ? *)", "cron(0 9 LW * ? *)"),
    ("cron(0 9 29 2 ? *)", "cron(0 9 29 2 ? *)"),          # every leap year
    ("cron(0 9 31 * ? *)", "cron(0 9 31 * ? *)"),
    ("cron(0 9 * * ? 2026-2199)", "cron(0 9 * * ? 2026-2199)"),
    ("rate(365 days)", "rate(365 days)"),
])
def test_schedules_that_fire_are_kept(text, normal):
    assert build_spec({**BASE, "schedule": text}).schedule == normal


@pytest.mark.parametrize("field, value, fragment", [
    ("timeout_s", True, "must be a whole number, e.g. timeout_s = 300 (got true, a boolean)"),
    ("memory_mb", False, "(got false, a boolean)"),
    ("memory_mb", "1024", "(got '1024', text); write it without quotes"),
    ("ephemeral_mb", 1024.0, "(got 1024.0, float)"),
])
def test_sizes_are_whole_numbers_never_booleans_or_text(field, value, fragment):
    assert fragment in problems({**BASE, field: value})[field]


@pytest.mark.parametrize("zone, fragment", [
    ("localtime", "not a place the cloud knows"),
    ("Factory", "not a place the cloud knows"),
    ("posixrules", "not a place the cloud knows"),
    ("posix/Europe/Amsterdam", "not a place the cloud knows"),
    ("right/UTC", "not a place the cloud knows"),
    ("SystemV/EST5", "not a place the cloud knows"),
    ("EST5EDT", "e.g. 'America/New_York'"),
    ("CET", "e.g. 'Europe/Paris'"),
    ("Europe/Amsterdm", "did you mean 'Europe/Amsterdam'"),
])
def test_time_zones_are_places(zone, fragment):
    assert fragment in problems({**BASE, "timezone": zone})["timezone"]


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "Etc/GMT+5", "Europe/Amsterdam", "America/Argentina/Buenos_Aires",
                                  "US/Eastern"])
def test_real_time_zones_are_kept(zone):
    assert build_spec({**BASE, "timezone": zone}).timezone == zone


@pytest.mark.parametrize("name", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                                  "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE", "AWS_MAX_ATTEMPTS",
                                  "AWS_RETRY_MODE", "AWS_USE_FIPS_ENDPOINT", "AWS_METADATA_SERVICE_TIMEOUT",
                                  "AWS_EC2_METADATA_DISABLED", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                  "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_SDK_UA_APP_ID", "aws_data_path",
                                  "AWS_REQUEST_CHECKSUM_CALCULATION"])
def test_the_aws_sdks_own_variables_are_refused_in_env_and_secrets(name):
    found = problems({**BASE, "env": {name: "x"}, "secrets": [name]})
    assert "configures the AWS SDK that syncs the bot's state" in found[f"env.{name}"]
    assert "breaks the runtime" in found["secrets[0]"]


@pytest.mark.parametrize("name", ["PATH", "PYTHONPATH", "PYTHONHOME", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT",
                                  "LAMBDA_TASK_ROOT", "WEBSITE_TIME_ZONE", "APPSETTING_X", "AZURE_STORAGE_ACCOUNT"])
def test_variables_the_interpreter_or_the_cloud_runtime_need_are_refused(name):
    message = problems({**BASE, "env": {name: "x"}})[f"env.{name}"]
    assert "breaks the cloud runtime" in message or "reserved by botship or the cloud runtime" in message


def test_plain_names_a_bot_may_use_are_kept():
    spec = build_spec({**BASE, "env": {"MARKET": "bitvavo", "PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8",
                                       "AZURE_CLIENT_ID": "x"}})
    assert set(spec.env) == {"MARKET", "PYTHONUNBUFFERED", "LANG", "AZURE_CLIENT_ID"}


def test_a_nul_character_in_an_env_value_is_refused_naming_the_variable():
    assert "NUL character" in problems({**BASE, "env": {"MARKET": "bit\x00vavo"}})["env.MARKET"]


@pytest.mark.parametrize("tags, field, fragment", [
    ({"cost!center": "a"}, "tags.cost!center", "characters a cloud refuses ('!')"),
    ({"team/x": "a"}, "tags.team/x", "('/')"),
    ({"a<b": "a"}, "tags.a<b", "('<')"),
    ({"tab\tkey": "a"}, "tags.tab\tkey", "U+0009"),
    ({" team": "a"}, "tags. team", "starts or ends with a space"),
    ({"team": "a\x00b"}, "tags.team", "U+0000"),
    ({"team": "café#1"}, "tags.team", "('#')"),
    ({"team": "x" * 257}, "tags.team", "at most 256"),
    ({"k" * 129: "a"}, "tags." + "k" * 129, "1–128 characters"),
    ({"Team": "a", "team": "b"}, "tags", "differ only in case"),
    ({f"k{i}": "v" for i in range(41)}, "tags", "41 tags; botship takes at most 40"),
])
def test_tags_follow_the_strictest_rule_of_the_services_botship_tags(tags, field, fragment):
    assert fragment in problems({**BASE, "tags": tags})[field]


def test_tags_every_service_accepts_are_kept():
    tags = {"Cost Center": "trading/eu-1", "owner@team": "a.b+c=d:e_f-g", "ünïcode 日本": "値", "empty": ""}
    assert build_spec({**BASE, "tags": tags}).tags == tags


def test_linux_consumption_runs_no_python_newer_than_3_12():
    """Linux Consumption gets no new language versions: 3.13 is refused there, naming the field; Flex takes it."""
    from botship.errors import SpecInvalid

    where = {"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "bots",
             "location": "westeurope"}
    base = {"platform": "azure", "bot_name": "sma-bot", "entry": "app:handler", "python": "3.13"}
    with pytest.raises(SpecInvalid) as raised:
        build_spec({**base, "azure": {**where, "plan": "consumption"}})
    assert [p.field for p in raised.value.problems] == ["python"]
    assert "3.11 or 3.12 only (got 3.13)" in raised.value.problems[0].message
    assert build_spec({**base, "memory_mb": 512, "azure": {**where, "plan": "flex"}}).python == "3.13"
    assert build_spec({**base, "python": "3.12", "azure": {**where, "plan": "consumption"}}).python == "3.12"
