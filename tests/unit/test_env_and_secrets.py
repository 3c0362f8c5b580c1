"""`.env` reading and where secret values come from; values never show up in messages or reprs."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring
from keyrings.alt.file import PlaintextKeyring

from botship.envfile import read_env_file
from botship.errors import BadInput, Cancelled
from botship.secret_values import keyring_remember, resolve_secrets

ENV = """\
# exchange credentials
export BITVAVO_API_KEY=from-dotenv-key
BITVAVO_SECRET_KEY='single quoted # not a comment'
MULTI="line one
line two"
BASE=https://api.example
URL=${BASE}/v2
1BAD=nope
GOOD-NAME=x
"""


def test_dotenv_values_and_bad_lines_with_numbers(tmp_path):
    (tmp_path / ".env").write_text(ENV)
    env = read_env_file(tmp_path / ".env")
    assert env.values["BITVAVO_API_KEY"] == "from-dotenv-key"
    assert env.values["BITVAVO_SECRET_KEY"] == "single quoted # not a comment"
    assert env.values["MULTI"] == "line one\nline two"
    assert env.values["URL"] == "https://api.example/v2"
    assert env.lines["MULTI"] == 4
    assert [(p.field, p.message.split(" is")[0]) for p in env.problems] == [
        (".env line 8", "'1BAD'"), (".env line 9", "'GOOD-NAME'")]


def test_unparseable_lines_are_reported_without_their_value(tmp_path):
    (tmp_path / ".env").write_text('OK=1\nBROKEN="unterminated-secret-value\n')
    env = read_env_file(tmp_path / ".env")
    assert env.problems and env.problems[0].field == ".env line 2"
    assert "unterminated-secret-value" not in str(env.problems)


def test_missing_env_file_reads_as_empty(tmp_path):
    env = read_env_file(tmp_path / ".env")
    assert not env.exists and env.values == {} and env.problems == []


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    """A real keyring backend (keyrings.alt's file keyring) in a temporary data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    keyring.set_keyring(PlaintextKeyring())


def test_secret_sources_in_order(tmp_path, file_keyring):
    (tmp_path / ".env").write_text("A_KEY=from-dotenv\nB_KEY=from-dotenv\n")
    assert keyring_remember("sma-bot", "C_KEY", "from-keyring")
    values = resolve_secrets(["A_KEY", "B_KEY", "C_KEY", "D_KEY"], project=tmp_path, bot_name="sma-bot",
                             environ={"A_KEY": "from-environment"}, interactive=True, ask=lambda n: "typed")
    assert dict(values) == {"A_KEY": "from-environment", "B_KEY": "from-dotenv",
                            "C_KEY": "from-keyring", "D_KEY": "typed"}
    assert [values.source(n) for n in values] == ["environment", ".env", "keyring", "prompt"]
    assert "from-" not in repr(values) and "typed" not in repr(values)
    assert values.masker().mask("key=from-keyring") == "key=***"


def test_missing_secrets_are_named_when_nobody_can_be_asked(tmp_path, monkeypatch):
    keyring.set_keyring(NoKeyring())  # no usable keyring: skipped quietly
    with pytest.raises(BadInput) as info:
        resolve_secrets(["X_KEY", "Y_TOKEN"], project=tmp_path, bot_name="b", environ={}, interactive=False)
    assert info.value.what == "no value for secrets X_KEY, Y_TOKEN"
    assert "never in botship.toml" in info.value.fix


def test_escape_at_the_prompt_cancels(tmp_path):
    with pytest.raises(Cancelled):
        resolve_secrets(["X_KEY"], project=tmp_path, bot_name="b", environ={}, interactive=True, ask=lambda n: None)


def test_asking_needs_the_front_ends_prompt(tmp_path, monkeypatch):
    # The domain never prompts: a caller that wants the terminal asked passes its masked prompt in.
    with pytest.raises(TypeError):
        resolve_secrets(["X_KEY"], project=tmp_path, bot_name="b", environ={}, interactive=True)
    keyring.set_keyring(NoKeyring())
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    with pytest.raises(BadInput):  # on a terminal but with no prompt given: nothing to ask with
        resolve_secrets(["X_KEY"], project=tmp_path, bot_name="b", environ={})


def test_a_missing_secret_points_at_unreadable_env_lines(tmp_path):
    (tmp_path / ".env").write_text('X_KEY="never closed\n')
    with pytest.raises(BadInput) as info:
        resolve_secrets(["X_KEY"], project=tmp_path, bot_name="b", environ={}, interactive=False)
    assert ".env line 1" in info.value.why and "never closed" not in str(info.value.lines())
