"""`botship validate` is the contract: what would break a deploy or a run is refused up front, exit 2, by field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from botship.errors import BadInput
from botship.secret_values import resolve_secrets

PROFILE = """\
[profiles.bad]
platform = "aws"
bot_name = "sma-bot"
entry = "app:handler"
{extra}
[profiles.bad.aws]
region = "eu-west-1"
"""


def botship(*args: str) -> subprocess.CompletedProcess:
    """The real command in a fresh process, as a user or CI runs it."""
    return subprocess.run([sys.executable, "-m", "botship", *args], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=60)


@pytest.mark.parametrize("extra, field, fragment", [
    ('schedule = "rate(99999999999 days)"', "schedule", "rates up to 365 days"),
    ('schedule = "cron(0/0 * * * ? *)"', "schedule", "a step of 0 never moves on"),
    ('schedule = "cron(0 9 30 2 ? *)"', "schedule", "never fires: February has no 30th"),
    ('schedule = "cron(0 9 * * ? 2020)"', "schedule", "years already past"),
    ("timeout_s = true", "timeout_s", "must be a whole number"),
    ('timezone = "localtime"', "timezone", "not a place"),
    ('env = { AWS_PROFILE = "other" }', "env.AWS_PROFILE", "configures the AWS SDK"),
    ('secrets = ["AWS_ENDPOINT_URL"]', "secrets[0]", "configures the AWS SDK"),
    ('env = { MARKET = "bit\\u0000vavo" }', "env.MARKET", "NUL character"),
    ('tags = { "cost!center" = "desk-1" }', "tags.cost!center", "characters a cloud refuses"),
])
def test_validate_refuses_by_field_with_exit_2(make_project, extra, field, fragment):
    project = make_project(PROFILE.format(extra=extra))
    result = botship("validate", "--profile", "bad", "--project", str(project))
    assert result.returncode == 2, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert len(problems) == 1 and f": {field}" in problems[0] and fragment in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr and "internal error" not in result.stdout + result.stderr


def test_validate_accepts_what_deploys(make_project):
    extra = ('schedule = "cron(0 9 ? * fri-mon *)"\ntimezone = "Europe/Amsterdam"\ntimeout_s = 60\n'
             'env = { PYTHONUNBUFFERED = "1" }\ntags = { "Cost Center" = "trading/eu" }')
    result = botship("validate", "--profile", "bad", "--project", str(make_project(PROFILE.format(extra=extra))))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_nul_in_a_secret_value_is_refused_naming_the_secret_and_where_it_came_from(tmp_path: Path):
    with pytest.raises(BadInput) as info:
        resolve_secrets(["OK_KEY", "EXCHANGE_API_KEY"], project=tmp_path, bot_name="sma-bot",
                        environ={"OK_KEY": "fine", "EXCHANGE_API_KEY": "abc\x00def"}, interactive=False)
    text = " ".join(info.value.lines())
    assert "EXCHANGE_API_KEY" in text and "NUL" in text and "process environment" in text
    assert "abc" not in text  # the value itself is never shown


def test_a_nul_in_a_secret_value_from_dotenv_is_named_too(tmp_path: Path):
    (tmp_path / ".env").write_bytes(b"EXCHANGE_API_KEY=abc\x00def\n")
    with pytest.raises(BadInput) as info:
        resolve_secrets(["EXCHANGE_API_KEY"], project=tmp_path, bot_name="sma-bot", environ={}, interactive=False)
    assert "EXCHANGE_API_KEY" in info.value.what and "project's .env" in info.value.why


@pytest.mark.parametrize("files, fragment", [
    ({"requirements.txt": "six==1.16.0  # pinned\n-r more.txt\n"}, "includes more.txt cannot be read"),
    ({"requirements.txt": "-r more.txt\n", "more.txt": "-e .\n"}, "editable install"),
    ({"requirements.txt": "-r more.txt\n", "more.txt": "-r requirements.txt\n"}, "requirements.txt"),
    ({"requirements.txt": "botship\n"}, "botship"),
])
def test_validate_refuses_requirements_the_build_is_sure_to_refuse(make_project, files, fragment):
    project = make_project(PROFILE.format(extra=""))
    for name, text in files.items():
        (project / name).write_text(text)
    result = botship("validate", "--profile", "bad", "--project", str(project))
    assert result.returncode == 2, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert len(problems) == 1 and ": requirements.txt:" in problems[0] and fragment in problems[0], result.stdout


def test_a_refusal_inside_a_build_step_exits_2_as_validate_does(make_project):
    project = make_project(PROFILE.format(extra=""))
    (project / "requirements.txt").write_text("-r more.txt\n")
    result = botship("package", "--profile", "bad", "--project", str(project))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "more.txt" in result.stdout + result.stderr and "Traceback" not in result.stdout + result.stderr
