"""What the bots commands' tests share: a profile for the sandbox, the CLI run in this process (where the sandbox's
emulator runs), its JSON Lines records, deploys to the sandbox and moto, and bots deployed for the tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_flow import spec_for
from botship.cli import main
from botship.providers import provider_class
from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.secret_values import SecretValue, SecretValues
from botship.spec import build_spec
from helpers import HOST_PYTHON

SANDBOX_PROFILE = f"""\
[profiles.try]
platform = "sandbox"
bot_name = "counter"
entry = "app:handler"
python = "{HOST_PYTHON}"
schedule = "rate(5 minutes)"
timezone = "Europe/Amsterdam"
"""


def cli(capsys, project: Path, *args: str) -> tuple[int, str, str]:
    """`botship ARGS --project PROJECT` in this process (where the sandbox's emulator runs): exit code, out, err."""
    capsys.readouterr()
    code = main([*args, "--project", str(project)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def records(out: str, kind: str | None = None) -> list[dict]:
    found = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [r for r in found if kind is None or r["type"] == kind]


def deploy_sandbox(project: Path, **changes) -> None:
    spec = build_spec({"platform": "sandbox", "bot_name": "counter", "entry": "app:handler", "python": HOST_PYTHON,
                       "schedule": "rate(5 minutes)", "timezone": "Europe/Amsterdam", **changes}, project)
    result = start_run(provider_class("sandbox")(spec).plan(DeployContext(project, "try", SecretValues([]))),
                       lambda event: None).wait(120)
    assert result.ok, result.failure


def deploy_aws(project: Path, region: str, bot: str, **changes) -> None:
    spec = spec_for(project, bot_name=bot, aws={"region": region}, **changes)
    secrets = SecretValues([SecretValue("EXCHANGE_API_KEY", "key-4321", "environment")])
    result = start_run(AwsProvider(spec, AwsSession(region)).plan(DeployContext(project, "prod", secrets)),
                       lambda event: None).wait(120)
    assert result.ok, result.failure


@pytest.fixture
def counter(sandbox, project) -> Path:
    """The counter bot deployed to the sandbox by its profile `try`, run twice."""
    from botship.providers import cloud_class

    (project / "botship.toml").write_text(SANDBOX_PROFILE)
    deploy_sandbox(project)
    bot = cloud_class("sandbox")().bot("counter")
    assert bot.invoke({}).ok and bot.invoke({}).ok
    return project


@pytest.fixture
def plain_bot(sandbox, tmp_path, dependency_cache, monkeypatch) -> Path:
    """A bot made by `botship init` (the plain template, its books in state.db), deployed to the sandbox by its
    `sandbox` profile and run 30 times."""
    from botship.profiles import ProfileStore
    from botship.providers import cloud_class

    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "sma-demo"
    assert main(["init", str(project), "--template", "plain"]) == 0
    spec = ProfileStore(project).spec("sandbox")
    result = start_run(provider_class("sandbox")(spec).plan(DeployContext(project, "sandbox", SecretValues([]))),
                       lambda event: None).wait(120)
    assert result.ok, result.failure
    bot = cloud_class("sandbox")().bot("sma-demo")
    for _ in range(30):
        assert bot.invoke({}).ok
    return project


