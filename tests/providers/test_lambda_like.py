"""Runs on this machine behave as Lambda does: the code folder is the working directory and read-only (its
dependencies too), only /tmp and the state folder can be written, Lambda's variables are set; the import
check keeps the same rules; a failure to reach the network says it met this machine's network."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest

from botship.errors import BotshipError
from botship.providers import provider_class
from botship.providers.artifact import build_artifact
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.providers.local import local_state_url, run_local
from botship.secret_values import SecretValues
from botship.spec import build_spec
from helpers import RecordingReport as Report
from helpers import bot_copy

BOTS = Path(__file__).resolve().parents[1] / "bots"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture
def bots(tmp_path, monkeypatch, dependency_cache) -> Path:
    """A project holding the small bots of tests/bots/lambda_like (each profile picks one as its entry)."""
    return bot_copy("lambda_like", tmp_path / "bots", monkeypatch, dependency_cache)


def spec_for(project: Path, entry: str, **changes):
    data = {"platform": "sandbox", "bot_name": "lambdalike", "entry": entry, "python": PYTHON, "timeout_s": 30,
            **changes}
    return build_spec(data, project)


def run(project: Path, spec, event=None, artifact=None, lines=None):
    artifact = artifact or build_artifact(spec, project, Report())
    lines = [] if lines is None else lines
    result = run_local(spec, artifact, project=project, profile="dev", secrets=SecretValues(),
                       state_url=local_state_url(project, "dev"), event=event or {}, on_line=lines.append)
    return result, lines


def written_anywhere(root: Path, name: str) -> list[Path]:
    return [p for p in root.rglob(name)]


# --- the import check ---------------------------------------------------------------------------------------

def test_a_bot_writing_a_log_file_into_its_code_folder_at_import_is_refused_at_build_naming_the_file(bots):
    with pytest.raises(BotshipError) as info:
        build_artifact(spec_for(bots, "logs_at_import:handler"), bots, Report())
    error = info.value
    assert error.what == "the bot writes app_logs.log into its code folder at import"
    assert "read-only" in error.why and "/var/task" in error.why
    assert "Unable to configure handler 'file'" in error.why  # what the import raised there
    assert "BOTSHIP_STATE_DIR" in error.fix and "/tmp" in error.fix and "console" in error.fix
    assert "requirements.txt" not in error.fix
    assert not written_anywhere(bots, "app_logs.log")
    assert not (bots / ".botship" / "build" / "lambdalike" / "lambda-zip.zip").exists()


def test_a_bot_failing_at_import_for_its_own_reason_gets_its_traceback_not_requirements_advice(bots):
    with pytest.raises(BotshipError) as info:
        build_artifact(spec_for(bots, "fails_at_import:handler"), bots, Report())
    error = info.value
    assert error.what == "the bot fails at import: KeyError: 'trading_symbol'"
    assert 'File "fails_at_import.py", line 4, in <module>' in error.why
    assert "botship_runtime" not in error.why and "importlib" not in error.why  # the bot's frames, not ours
    assert "requirements.txt" not in error.fix and "lacks" not in error.why


def test_a_module_missing_from_the_artifact_is_the_one_case_for_requirements_advice(bots):
    with pytest.raises(BotshipError) as info:
        build_artifact(spec_for(bots, "needs_package:handler"), bots, Report())
    error = info.value
    assert "No module named 'botship_test_not_a_real_package'" in error.what
    assert "add the missing package to requirements.txt" in error.fix


def test_a_module_of_the_project_that_does_not_ship_is_named_as_left_out_not_as_a_missing_package(bots):
    (bots / "helpers.py").write_text("FEE = 0.001\n")
    (bots / "uses_helpers.py").write_text("from helpers import FEE\n\n\ndef handler(event, context):\n"
                                          "    return {'fee': FEE}\n")
    spec = spec_for(bots, "uses_helpers:handler")  # validated while helpers.py still ships
    (bots / ".botshipignore").write_text("helpers.py\n")
    with pytest.raises(BotshipError) as info:
        build_artifact(spec, bots, Report())
    assert "'helpers' is in the project but not in the package" in info.value.why
    assert ".botshipignore" in info.value.fix and "requirements.txt" not in info.value.fix


def test_a_bot_that_reaches_the_network_at_import_and_fails_is_told_it_met_this_machines_network(bots):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (bots / "connects_at_import.py").write_text(
        "import os\nimport urllib.request\n\n"
        "MARKETS = urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['EXCHANGE_PORT']}/markets\", timeout=5)\n\n\n"
        "def handler(event, context):\n    return {}\n")
    with pytest.raises(BotshipError) as info:
        build_artifact(spec_for(bots, "connects_at_import:handler", env={"EXCHANGE_PORT": str(port)}), bots, Report())
    assert "fails at import reaching the network" in info.value.what and "Connection refused" in info.value.what
    assert "with this machine's network and DNS" in info.value.why
    assert "in the handler" in info.value.fix and "requirements.txt" not in info.value.fix


def test_a_bot_that_carries_on_past_a_refused_write_at_import_builds_with_a_note(bots):
    (bots / "careful.py").write_text("try:\n    open('notes.txt', 'w')\nexcept OSError:\n    pass\n\n\n"
                                     "def handler(event, context):\n    return {}\n")
    artifact = build_artifact(spec_for(bots, "careful:handler"), bots, Report())
    assert any("notes.txt into its code folder" in note and "carried on" in note for note in artifact.notes)


# --- a local run --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("packaging", ["zip", "image"])
def test_a_bot_writing_into_its_code_folder_at_run_time_fails_naming_the_file_and_the_fix(bots, packaging):
    spec = spec_for(bots, "writes_at_run:handler", packaging=packaging)
    artifact = build_artifact(spec, bots, Report())
    result, lines = run(bots, spec, artifact=artifact)

    assert result.status_code == 500
    error = result.body["error"]
    assert error["type"] == "PermissionError" and "Read-only file system" in error["message"]
    assert error["refused_writes"] == ["cache.json"]
    assert error["note"].startswith("the bot tried to write cache.json into its code folder; on Lambda")
    assert "BOTSHIP_STATE_DIR" in error["note"] and "/tmp" in error["note"] and "512 MB" in error["note"]
    assert "ran on this machine" not in error["note"]
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(record.get("refused_writes") == ["cache.json"] for record in logged)
    # Nothing reached the package: an image runs from its build folder, which stays as built.
    assert not written_anywhere(bots, "cache.json")
    if packaging == "image":
        assert not (artifact.path / "code" / "cache.json").exists()


def test_a_bot_writing_to_the_state_folder_and_tmp_runs_in_its_code_folder_with_lambdas_variables(bots):
    spec = spec_for(bots, "well_behaved:handler", memory_mb=1024)
    artifact = build_artifact(spec, bots, Report())
    first, _ = run(bots, spec, artifact=artifact)
    assert first.status_code == 200, first.body
    seen = first.body["result"]
    env = seen["env"]

    assert seen["cwd"] == seen["here"] == env["LAMBDA_TASK_ROOT"]  # the code folder is the working directory
    assert seen["tempdir"] == env["TMPDIR"] and not seen["tempdir"].startswith(seen["cwd"])
    assert seen["scratch"].startswith(seen["tempdir"]) and not os.path.exists(seen["scratch"])  # gone with the run
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == seen["context_name"] == "botship-lambdalike"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == seen["context_memory"] == "1024"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_python{PYTHON}"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/botship-lambdalike"
    assert "[$LATEST]" in env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert env["LANG"] == "en_US.UTF-8" and env["TZ"] == ":UTC" and seen["utc_offset"] == 0

    second, _ = run(bots, spec, artifact=artifact)
    assert second.body["result"]["seen"] == "run\nrun\n"  # the state folder is kept between runs


def test_a_bot_that_cannot_reach_its_exchange_is_told_it_ran_with_this_machines_network(bots):
    with socket.socket() as sock:  # a loopback port nothing listens on: the connection is refused here
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = spec_for(bots, "offline:handler")
    artifact = build_artifact(spec, bots, Report())

    refused, _ = run(bots, spec, {"port": port}, artifact=artifact)
    assert refused.status_code == 500
    assert "Connection refused" in refused.body["error"]["message"]
    assert "ran on this machine, with this machine's network and DNS" in refused.body["error"]["note"]

    unresolved, _ = run(bots, spec, {"dns": True}, artifact=artifact)
    assert unresolved.body["error"]["type"] == "gaierror"
    assert "ran on this machine" in unresolved.body["error"]["note"]


def test_an_image_builds_deps_as_hard_links_to_the_cache_and_a_run_cannot_write_into_them(bots):
    (bots / "requirements.txt").write_text("six==1.16.0\n")
    (bots / "writes_into_deps.py").write_text(
        "import os\nimport six\n\n\ndef handler(event, context):\n"
        "    with open(os.path.join(os.path.dirname(six.__file__), 'six.py'), 'a') as fh:\n"
        "        fh.write('# changed by a bot')\n")
    spec = spec_for(bots, "writes_into_deps:handler", packaging="image")
    artifact = build_artifact(spec, bots, Report())

    cached, built = artifact.deps.site / "six.py", artifact.path / "deps" / "six.py"
    assert built.stat().st_ino == cached.stat().st_ino and cached.stat().st_nlink >= 2
    before = cached.read_bytes()
    marker = artifact.path / "deps" / ".botship-deps"
    assert marker.is_file() and marker.stat().st_nlink == 1  # botship's own mark is no link into the cache

    result, _ = run(bots, spec, artifact=artifact)
    assert result.status_code == 500
    assert result.body["error"]["refused_writes"] == ["six.py"]
    assert "six.py into its installed dependencies" in result.body["error"]["note"]
    assert cached.read_bytes() == before


# --- the sandbox --------------------------------------------------------------------------------------------

def _deploy(project: Path, spec):
    provider = provider_class("sandbox")(spec)
    context = DeployContext(project, "sandbox", SecretValues())
    result = start_run(provider.plan(context), lambda event: None).wait(120)
    assert result.ok, result.failure
    return provider


def test_the_sandbox_runs_the_bot_as_lambda_would_and_keeps_its_emulator_variables(sandbox, bots):
    provider = _deploy(bots, spec_for(bots, "well_behaved:handler", memory_mb=256))
    answer = provider.handle().invoke({})
    assert answer.error is None, answer
    seen = answer.body["result"]
    env = seen["env"]
    assert seen["cwd"] == env["LAMBDA_TASK_ROOT"] == seen["here"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "botship-lambdalike"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == answer.extra["log_stream"]
    assert env["AWS_ENDPOINT_URL"] == sandbox  # the state still reaches the emulator
    assert env["TZ"] == ":UTC"

    provider = _deploy(bots, spec_for(bots, "writes_at_run:handler"))
    body = provider.handle().invoke({}).body
    assert body["error"]["refused_writes"] == ["cache.json"]
    assert "write to the state folder" in body["error"]["note"]


def test_invoke_local_ends_with_the_note_naming_the_refused_write(bots, dependency_cache):
    from helpers import run_botship

    (bots / "botship.toml").write_text(f'[profiles.dev]\nplatform = "sandbox"\nbot_name = "lambdalike"\n'
                                       f'entry = "writes_at_run:handler"\npython = "{PYTHON}"\n')
    run = run_botship("invoke", "--local", project=bots, cache=dependency_cache)
    assert run.returncode == 1
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("note: the bot tried to write cache.json into its code folder; on Lambda"), run.stdout
