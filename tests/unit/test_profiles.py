"""Profiles in botship.toml: read, validated, saved without losing the user's comments, never with secrets."""

from __future__ import annotations

import pytest

from botship.errors import BadInput, SpecInvalid
from botship.masking import Masker
from botship.profiles import ProfileStore

PROFILES = """\
# Bots of the trading desk — keep this comment
[profiles.prod]
platform = "aws"   # the real thing
bot_name = "sma-bot"
entry = "app:handler"
python = "3.12"
packaging = "zip"
schedule = "rate(15 minutes)"
timezone = "Europe/Amsterdam"
memory_mb = 512  # enough for pandas
timeout_s = 120
env = { MARKET = "bitvavo" }
mode = "paper"
secrets = ["BITVAVO_API_KEY", "BITVAVO_SECRET_KEY"]
[profiles.prod.aws]
region = "eu-west-1"

[profiles.try]
platform = "sandbox"
bot_name = "sma-bot"
entry = "app:handler"
"""


def test_the_documented_example_loads(make_project):
    store = ProfileStore(make_project(PROFILES))
    assert store.names() == ["prod", "try"]
    spec = store.spec("prod")
    assert (spec.bot_name, spec.schedule, spec.aws.region, spec.secrets) == (
        "sma-bot", "rate(15 minutes)", "eu-west-1", ["BITVAVO_API_KEY", "BITVAVO_SECRET_KEY"])


def test_saving_keeps_comments_and_untouched_lines(make_project):
    project = make_project(PROFILES)
    store = ProfileStore(project)
    spec = store.spec("prod")
    store.save("prod", spec.model_copy(update={"memory_mb": 1024, "env": {"MARKET": "bitvavo", "SYMBOL": "BTC"}}))
    text = (project / "botship.toml").read_text()
    assert "# Bots of the trading desk — keep this comment" in text
    assert 'platform = "aws"   # the real thing' in text
    assert "memory_mb = 1024  # enough for pandas" in text
    assert "[profiles.try]" in text
    assert store.spec("prod").env == {"MARKET": "bitvavo", "SYMBOL": "BTC"}
    before = text
    store.save("prod", store.spec("prod"))
    assert (project / "botship.toml").read_text() == before


def test_a_new_profile_is_added_and_round_trips(make_project):
    project = make_project(PROFILES)
    store = ProfileStore(project)
    spec = store.spec("prod").model_copy(update={"tags": {"team": "quant"}, "mode": "live"})
    store.save("live-eu", spec)
    assert store.names() == ["live-eu", "prod", "try"]
    assert store.spec("live-eu") == spec
    assert "[profiles.live-eu.aws]" in (project / "botship.toml").read_text()


def test_a_profile_file_is_created_when_missing(make_project):
    project = make_project()
    spec = ProfileStore(make_project(PROFILES, name="other")).spec("try")
    ProfileStore(project).save("try", spec)
    assert ProfileStore(project).spec("try") == spec


@pytest.mark.parametrize("secret", ["hunter2-the-key", 'abc"defgh', "C:\\keys\\prod", "tab\tinside", "ünïcode-key"])
def test_secret_values_are_refused_however_toml_would_escape_them(make_project, secret):
    project = make_project(PROFILES)
    store = ProfileStore(project)
    spec = store.spec("prod").model_copy(update={"env": {"MARKET": f"x-{secret}-y"}})
    before = (project / "botship.toml").read_text()
    with pytest.raises(BadInput, match="would contain a secret value"):
        store.save("prod", spec, Masker([secret]))
    assert (project / "botship.toml").read_text() == before


def test_delete_removes_only_that_profile(make_project):
    project = make_project(PROFILES)
    store = ProfileStore(project)
    store.delete("try")
    assert store.names() == ["prod"]
    assert "# Bots of the trading desk" in (project / "botship.toml").read_text()
    with pytest.raises(BadInput, match="no profile 'try'"):
        store.delete("try")


def test_unknown_profile_lists_the_known_ones(make_project):
    with pytest.raises(BadInput) as info:
        ProfileStore(make_project(PROFILES)).raw("staging")
    assert "prod, try" in info.value.why


def test_broken_toml_names_its_line(make_project):
    project = make_project('[profiles.prod]\nplatform = "aws\n')
    with pytest.raises(BadInput, match="botship.toml line 2"):
        ProfileStore(project).names()


def test_invalid_profile_names_its_source(make_project):
    project = make_project('[profiles.prod]\nplatform = "aws"\nbot_name = "X"\nentry = "app:nope"\n')
    with pytest.raises(SpecInvalid) as info:
        ProfileStore(project).spec("prod")
    assert info.value.source == "profile 'prod' in botship.toml"
    assert {p.field for p in info.value.problems} == {"bot_name", "entry", "aws"}


@pytest.mark.parametrize("name", ["Prod", "", "a b", "x" * 33])
def test_profile_names_are_checked(make_project, name):
    store = ProfileStore(make_project(PROFILES))
    with pytest.raises(BadInput, match="not a valid profile name"):
        store.save(name, store.spec("try"))


def test_pick_uses_the_only_profile_or_asks_for_one(make_project):
    assert ProfileStore(make_project('[profiles.solo]\nplatform = "sandbox"\n', name="a")).pick(None) == "solo"
    with pytest.raises(BadInput, match="which profile"):
        ProfileStore(make_project(PROFILES, name="b")).pick(None)
    with pytest.raises(BadInput, match="no profiles"):
        ProfileStore(make_project(name="c")).pick(None)


OUT_OF_ORDER = """\
[profiles.paper]
platform = "sandbox"
bot_name = "sma-bot"
entry = "app:handler"

[profiles.live]
platform = "sandbox"
bot_name = "sma-bot-live"
entry = "app:handler"
mode = "live"

# Valid TOML: a profile's sub-table may come after another profile.
[profiles.paper.paper]
balance = 500
"""


def test_a_profile_whose_sub_table_comes_later_in_the_file_loads_and_saves(make_project):
    project = make_project(OUT_OF_ORDER)
    store = ProfileStore(project)
    assert store.names() == ["live", "paper"]
    spec = store.spec("paper")
    assert spec.paper.balance == 500.0
    store.save("paper", spec.model_copy(update={"memory_mb": 1024}))
    assert store.spec("paper") == spec.model_copy(update={"memory_mb": 1024})
    assert "# Valid TOML: a profile's sub-table may come after another profile." in (project / "botship.toml").read_text()
    assert store.spec("live").mode == "live"


def test_profiles_written_inline_are_refused_with_the_format(make_project):
    store = ProfileStore(make_project('profiles = { prod = { platform = "sandbox" } }\n'))
    with pytest.raises(BadInput, match="must be a table of"):
        store.names()
