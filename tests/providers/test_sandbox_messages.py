"""What a new user reads on the sandbox path: true summaries, the emulator's own words, records that do not lie.

Every command runs in its own process, as a user types them one after another; the sandbox is either
the emulator each command starts inside itself, or an external one named by BOTSHIP_SANDBOX_URL
(moto's server, run here).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from botship.errors import BotshipError
from botship.providers import provider_class
from botship.providers.aws.session import translate
from botship.spec import build_spec

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
PROFILE = f"""\
[profiles.sandbox]
platform = "sandbox"
bot_name = "msg-bot"
entry = "app:handler"
python = "{PY}"
schedule = "rate(5 minutes)"
"""
AWS_WORDS = ("AWS credentials", "cannot reach AWS", "AWS rejected", "AWS refused", "aws configure", "aws sso",
             "forgets its bots", "forgot")


def botship(*args: str, project: Path, url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BOTSHIP_SANDBOX_URL"}
    if url:
        env["BOTSHIP_SANDBOX_URL"] = url
    result = subprocess.run([sys.executable, "-m", "botship", *args, "--project", str(project)], capture_output=True,
                            text=True, timeout=120, env={**env, "NO_COLOR": "1"})
    text = result.stdout + result.stderr
    assert "internal error" not in text and "Traceback" not in text, text
    assert not [w for w in AWS_WORDS if w in text], text
    return result


@pytest.fixture
def bot(make_project, dependency_cache, monkeypatch) -> Path:
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    return make_project(PROFILE)


@pytest.fixture
def external(moto_server) -> str:
    """moto's server as an emulator that outlives commands, emptied first."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10).close()
    return moto_server


def test_a_headless_deploy_says_its_emulator_ends_and_the_next_commands_agree(bot):
    deployed = botship("deploy", "--yes", project=bot)
    assert deployed.returncode == 0, deployed.stderr
    assert "ran inside this command and ended with it" in deployed.stdout
    assert "BOTSHIP_SANDBOX_URL=http://127.0.0.1:5000" in deployed.stdout and "botship sandbox" in deployed.stdout

    invoked = botship("invoke", project=bot)
    assert invoked.returncode == 1
    assert "msg-bot is not deployed on the sandbox emulator this command started" in invoked.stderr
    assert "BOTSHIP_SANDBOX_URL" in invoked.stderr and "botship sandbox" in invoked.stderr

    listed = botship("profiles", project=bot)
    assert "ended: the emulator that held it has stopped" in listed.stdout

    destroyed = botship("destroy", "--yes", project=bot)
    assert destroyed.returncode == 0
    assert "msg-bot is not deployed on Sandbox" in destroyed.stdout and "Nothing of it is left there" in destroyed.stdout
    assert "kept:" not in destroyed.stdout.lower()  # this emulator holds no state bucket to keep
    assert "none (no state bucket)" in destroyed.stdout


def test_destroy_on_a_kept_emulator_says_what_went_and_what_stays(bot, external):
    dry = botship("deploy", "--dry-run", project=bot, url=external)
    assert dry.returncode == 0 and "Plan:" in dry.stdout
    assert not [line for line in dry.stdout.splitlines() if line.split()[:1] == ["account"]]  # the emulator's, not yours
    assert botship("deploy", "--yes", project=bot, url=external).returncode == 0
    listed = botship("profiles", project=bot, url=external)
    assert "on Sandbox" in listed.stdout and "ended" not in listed.stdout and "destroyed" not in listed.stdout
    assert botship("invoke", project=bot, url=external).returncode == 0

    destroyed = botship("destroy", "--yes", project=bot, url=external)
    assert destroyed.returncode == 0, destroyed.stderr
    out = destroyed.stdout
    assert "msg-bot is no longer deployed on Sandbox" in out and "function" in out.split("no longer deployed")[1]
    assert "Kept: the state bucket botship-msg-bot-" in out and "--purge-state` deletes it" in out
    assert "Nothing of this bot is deployed" not in out

    again = botship("destroy", "--yes", project=bot, url=external)
    assert "msg-bot is not deployed on Sandbox" in again.stdout and "Kept: the state bucket" in again.stdout
    assert "state     kept: botship-msg-bot-" in again.stdout  # the plan says kept because it is there

    listed = botship("profiles", project=bot, url=external)
    assert "destroyed" in listed.stdout and "kept: state bucket botship-msg-bot-" in listed.stdout
    shown = botship("profiles", "show", "sandbox", project=bot, url=external)
    assert "destroyed" in shown.stdout

    invoked = botship("invoke", project=bot, url=external)
    assert invoked.returncode == 1
    assert f"msg-bot is not deployed on the sandbox emulator at {external}" in invoked.stderr
    assert "botship deploy" in invoked.stderr

    purged = botship("destroy", "--yes", "--purge-state", project=bot, url=external)
    assert purged.returncode == 0 and "deleted too (--purge-state)" in purged.stdout


def test_an_emulator_that_stopped_answering_is_named_not_aws(bot):
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for command in (["deploy", "--yes"], ["destroy", "--yes"], ["invoke"], ["doctor"]):
        result = botship(*command, project=bot, url=dead)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert f"the sandbox emulator at {dead} does not answer" in result.stdout + result.stderr


def test_errors_from_the_emulator_speak_of_the_emulator(bot, sandbox, monkeypatch):
    from botship.providers.sandbox import emulator

    spec = build_spec({"platform": "sandbox", "bot_name": "msg-bot", "entry": "app:handler", "python": PY}, bot)
    provider = provider_class("sandbox")(spec)
    lam = provider.session.client("lambda")
    try:
        lam.get_function(FunctionName="botship-nothing-here")
    except Exception as exc:  # noqa: BLE001
        refused = translate(exc, "reading botship-nothing-here")
    assert refused.what == (f"the sandbox emulator at {sandbox} refused while reading botship-nothing-here: "
                            "ResourceNotFoundException")

    emulator.stop()  # the emulator ends under a provider still holding its clients
    try:
        lam.list_functions()
    except Exception as exc:  # noqa: BLE001
        unreachable = translate(exc, "listing functions")
    assert unreachable.what == f"cannot reach the sandbox emulator at {sandbox} while listing functions"
    assert unreachable.fix.startswith("restart botship")
    assert not [w for w in AWS_WORDS if w in " ".join(unreachable.lines() + refused.lines())]


def test_aws_errors_still_speak_of_aws(moto_server):
    from botship.providers.aws.session import AwsSession

    session = AwsSession("us-east-1", endpoint_url="http://127.0.0.1:9", keys=("a", "b"), max_attempts=1)
    with pytest.raises(BotshipError, match="cannot reach AWS while checking your AWS credentials"):
        session.identity()
