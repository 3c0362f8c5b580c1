"""Values a profile can hold that used to pass `validate` and then fail in the cloud, or read as something else.

Each refusal names its field and says what to write instead; the mirror cases show what stays accepted.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import pytest

from botship.errors import SpecInvalid
from botship.spec import build_spec

BASE = {"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler", "aws": {"region": "eu-west-1"}}
AZURE = {"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "rg", "location": "westeurope"}


def problems(data: dict) -> dict[str, str]:
    with pytest.raises(SpecInvalid) as info:
        build_spec(data)
    return {p.field: p.message for p in info.value.problems}


@pytest.mark.parametrize("extra, field, says", [
    # Regions that match the pattern but do not exist: the first cloud call would fail to connect.
    ({"aws": {"region": "eu-west-99"}}, "aws.region", "did you mean 'eu-west-"),
    ({"aws": {"region": "xx-yyyy-1"}}, "aws.region", "not an AWS region where Lambda and EventBridge Scheduler run"),
    # An AWS profile that is blank or written as in the config file's header.
    ({"aws": {"region": "eu-west-1", "profile": " "}}, "aws.profile", "leave the key out"),
    ({"aws": {"region": "eu-west-1", "profile": "[trading]"}}, "aws.profile", "e.g. 'trading'"),
    # Names that differ only in case are one variable where names ignore case (Azure app settings).
    ({"secrets": ["API_KEY", "api_key"]}, "secrets[1]", "'api_key' and 'API_KEY' (in secrets) differ only in case"),
    ({"env": {"Market": "x"}, "secrets": ["MARKET"]}, "secrets[0]", "differ only in case"),
    # Values with which the Python interpreter refuses to start.
    ({"env": {"PYTHONHASHSEED": "abc"}}, "env.PYTHONHASHSEED", "'random' or a number"),
    ({"env": {"PYTHONUTF8": "yes"}}, "env.PYTHONUTF8", "0 or 1"),
    ({"env": {"PYTHONMALLOC": "fast"}}, "env.PYTHONMALLOC", "an allocator it has"),
    ({"env": {"PYTHONIOENCODING": "utf-9"}}, "env.PYTHONIOENCODING", "unknown encoding ('utf-9')"),
    ({"env": {"PYTHONINTMAXSTRDIGITS": "10"}}, "env.PYTHONINTMAXSTRDIGITS", "0 (no limit) or a number from 640"),
    ({"env": {"PYTHONTRACEMALLOC": "many"}}, "env.PYTHONTRACEMALLOC", "0–65535"),
    # Settings of another platform are not silently ignored.
    ({"azure": AZURE}, "azure", "do not apply to AWS Lambda"),
    ({"platform": "sandbox", "azure": AZURE}, "azure", "do not apply to Sandbox"),
    # A base image of another Python than the one the dependencies are built for.
    ({"packaging": "image", "python": "3.12",
      "aws": {"region": "eu-west-1", "base_image": "public.ecr.aws/lambda/python:3.11"}},
     "aws.base_image", "is a Python 3.11 image, but python = \"3.12\""),
    ({"packaging": "image", "python": "3.13",
      "aws": {"region": "eu-west-1", "base_image": "public.ecr.aws/lambda/python:3.12-x86_64"}},
     "aws.base_image", "is a Python 3.12 image"),
    # TOML values of the wrong kind: what to write instead, in the file's words.
    ({"aws": "eu-west-1"}, "aws", 'a [profiles.NAME.aws] table with region = "eu-west-1" (got \'eu-west-1\', text)'),
    ({"env": {"START": datetime.date(2026, 1, 1)}}, "env.START", 'must be text in quotes, e.g. START = "2026-01-01"'),
    ({"tags": {"since": datetime.datetime(2026, 1, 1, 9, 0)}}, "tags.since", "(got 2026-01-01T09:00:00, a date or time)"),
    ({"secrets": [5]}, "secrets[0]", 'must be text in quotes, e.g. "5"'),
    ({"secrets": "API_KEY"}, "secrets", 'must be a list, e.g. secrets = ["API_KEY"]'),
    ({"env": "MARKET=bitvavo"}, "env", 'e.g. env = { MARKET = "bitvavo" }'),
    ({"mode": "Live"}, "mode", "did you mean 'live'?"),
    ({"platform": "AWS"}, "platform", "did you mean 'aws'?"),
    ({"python": "3.1"}, "python", "without them, TOML reads 3.10 as the number 3.1"),
    ({"state_retention_days": True}, "state_retention_days", "(got true, a boolean)"),
    ({"state_retention_days": 10**30}, "state_retention_days", "must be at most 3650"),
])
def test_refused_naming_the_field_and_what_to_write(extra, field, says):
    found = problems({**BASE, **extra})
    assert field in found and says in found[field], found
    assert "Input should be" not in found[field] and "AwsSettings" not in found[field]


@pytest.mark.parametrize("extra", [
    {"aws": {"region": "eu-west-1", "profile": "trading"}},
    {"aws": {"region": "ap-southeast-2"}},
    {"secrets": ["API_KEY"], "env": {"API_URL": "https://x"}},
    {"env": {"PYTHONHASHSEED": "random", "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8:replace",
             "PYTHONINTMAXSTRDIGITS": "0", "PYTHONUNBUFFERED": "1"}},
    {"platform": "sandbox", "aws": {"region": "eu-west-1"}},
    {"packaging": "image", "python": "3.12", "aws": {"region": "eu-west-1",
                                                      "base_image": "public.ecr.aws/lambda/python:3.12.2025.01.01"}},
    {"packaging": "image", "aws": {"region": "eu-west-1", "base_image": "registry.example:5000/team/base:2024.1"}},
])
def test_accepted(extra):
    assert build_spec({**BASE, **extra})


@pytest.mark.parametrize("value", ["abc", "4294967296", "-1"])
def test_the_refused_interpreter_values_really_stop_python(value):
    """The rule follows CPython: the value it refuses stops this interpreter too, the accepted one does not."""
    assert "env.PYTHONHASHSEED" in problems({**BASE, "env": {"PYTHONHASHSEED": value}})
    stopped = subprocess.run([sys.executable, "-c", "pass"], env={**os.environ, "PYTHONHASHSEED": value},
                             capture_output=True)
    assert stopped.returncode != 0
    assert subprocess.run([sys.executable, "-c", "pass"], env={**os.environ, "PYTHONHASHSEED": "7"}).returncode == 0


def test_a_broken_table_of_another_platform_is_named_as_not_applying():
    found = problems({**BASE, "platform": "sandbox", "azure": {"plan": "flex"}})
    assert "do not apply to Sandbox" in found["azure"]


@pytest.mark.parametrize("name", ["weird name!", "../../x", "Prod", ""])
def test_validate_refuses_a_profile_name_that_cannot_be_a_tag_or_a_file_name(tmp_path, name):
    """The name goes into the botship:profile tag of every resource and names local files (records, state)."""
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (tmp_path / "botship.toml").write_text(
        f'[profiles."{name}"]\nplatform = "sandbox"\nbot_name = "sma-bot"\nentry = "app:handler"\n')
    result = subprocess.run([sys.executable, "-m", "botship", "validate", "--project", str(tmp_path)],
                            capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "profile name: " in result.stdout and "rename the table, e.g. [profiles." in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
