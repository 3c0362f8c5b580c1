"""Where bots are looked for and how one is named (botship/bots.py), against moto's server: the places come from
the project's profiles plus the locations asked for; a bot is named by profile, by bot name, or found in the
clouds; an unknown or ambiguous name says where it looked and how to pick."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_flow import spec_for
from botship.bots import Source, find_bot, list_all, sources
from botship.errors import BadInput, BotshipError
from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.secret_values import SecretValue, SecretValues
from helpers import HOST_PYTHON


def deploy(project: Path, region: str, bot: str) -> None:
    spec = spec_for(project, bot_name=bot, aws={"region": region})
    plan = AwsProvider(spec, AwsSession(region)).plan(
        DeployContext(project, "prod", SecretValues([SecretValue("EXCHANGE_API_KEY", "k-1", "environment")])))
    assert start_run(plan, lambda event: None).wait(120).ok


def profiles(project: Path, *entries: tuple[str, str, str]) -> None:
    text = ""
    for profile, bot, region in entries:
        text += (f'[profiles.{profile}]\nplatform = "aws"\nbot_name = "{bot}"\nentry = "app:handler"\n'
                 f'python = "{HOST_PYTHON}"\n[profiles.{profile}.aws]\nregion = "{region}"\n\n')
    (project / "botship.toml").write_text(text)


def test_sources_come_from_the_profiles_and_the_locations_asked_for(project):
    profiles(project, ("prod", "alpha", "eu-west-1"), ("paper", "alpha", "eu-west-1"), ("eu", "beta", "eu-central-1"))
    found = sources(project)
    assert [(s.platform, dict(s.settings)) for s in found] == [  # profiles by name: eu, paper, prod
        ("aws", {"region": "eu-central-1"}), ("aws", {"region": "eu-west-1"})]
    assert found[1].title == "AWS Lambda · eu-west-1"
    asked = sources(project, {"region": ["us-east-1", "eu-west-1"], "nonsense": ["x"]})
    assert [s.settings["region"] for s in asked] == ["eu-central-1", "eu-west-1", "us-east-1"]
    # A folder without profiles looks only where it is asked to.
    empty = project / "empty"
    empty.mkdir()
    assert sources(empty) == [] and [s.settings["region"] for s in sources(empty, {"region": ["us-east-1"]})] == [
        "us-east-1"]


def test_every_source_answers_with_rows_as_they_come_and_a_failing_one_with_its_error(aws, project, monkeypatch):
    deploy(project, "eu-west-1", "alpha")
    deploy(project, "eu-central-1", "beta")
    answers: dict[int, list] = {}

    def seen(source, bots, error):
        answers.setdefault(id(source), []).append(error if error is not None else (list(bots), bots.complete))

    west, central = Source("aws", {"region": "eu-west-1"}), Source("aws", {"region": "eu-central-1"})
    broken = Source("aws", {"region": "eu-west-1", "profile": "no-such-profile"})
    list_all([west, central, broken], seen)
    west_rows, central_rows = answers[id(west)], answers[id(central)]
    assert west_rows[-1][1] is True and [b.bot_name for b in west_rows[-1][0]] == ["alpha"]
    assert all(done is False for _, done in west_rows[:-1]) and [b.bot_name for b in central_rows[-1][0]] == ["beta"]
    (failed,) = answers[id(broken)]
    assert "no-such-profile" in str(failed)


def test_a_bot_is_named_by_profile_by_bot_name_or_found_in_the_clouds(aws, project):
    deploy(project, "eu-west-1", "alpha")
    deploy(project, "eu-central-1", "beta")
    deploy(project, "eu-central-1", "twin")
    deploy(project, "eu-west-1", "twin")
    profiles(project, ("prod", "alpha", "eu-west-1"))

    by_profile = find_bot(project, "prod")
    assert by_profile.profile == "prod" and by_profile.spec.bot_name == "alpha"
    assert by_profile.handle.status().where == "eu-west-1"
    assert find_bot(project, "alpha").profile == "prod"
    # Not in a profile here: found in the clouds the user asks to look in.
    beta = find_bot(project, "beta", asked={"region": ["eu-central-1"]})
    assert beta.spec is None and beta.profile == "prod" and beta.handle.status().where == "eu-central-1"

    with pytest.raises(BadInput) as unknown:
        find_bot(project, "nobody")
    assert "no bot named nobody" in str(unknown.value) and "AWS Lambda · eu-west-1" in "\n".join(unknown.value.lines())
    with pytest.raises(BadInput, match="2 bots are named twin") as ambiguous:
        find_bot(project, "twin", asked={"region": ["eu-central-1"]})
    assert "--where" in "\n".join(ambiguous.value.lines())
    assert find_bot(project, "twin", where="eu-central-1", asked={"region": ["eu-central-1"]}
                    ).handle.status().where == "eu-central-1"


def test_a_place_that_cannot_be_looked_in_is_the_failure_said_not_an_unknown_name(aws, project, monkeypatch):
    """Not found, and a place could not be read (no sign-in there): the place's own message and fix, exit 1."""
    profiles(project, ("prod", "alpha", "eu-west-1"))
    with pytest.raises(BotshipError) as failed:
        find_bot(project, "beta", asked={"profile": ["no-such-profile"]})
    assert not isinstance(failed.value, BadInput) and failed.value.exit_code == 1
    assert "beta was not found, and AWS Lambda" in failed.value.what and "no-such-profile" in str(failed.value.lines())
