"""A local run's handler process lives and dies with the botship that started it, and a handler that ends
without answering is reported as it ended (the signal, or the exit code) with what it printed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from botship.providers.artifact import build_artifact
from botship.providers.local import HandlerFailed, run_local, sweep_stale_temp_dirs
from botship.secret_values import SecretValue, SecretValues
from botship.spec import build_spec
from helpers import RecordingReport as Report

BOTS = Path(__file__).resolve().parents[1] / "bots"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has stopped; only its parent's reaping is left


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", folder)
    (folder / "botship.toml").write_text(f'[profiles.dev]\nplatform = "sandbox"\nbot_name = "counter"\n'
                                         f'entry = "app:handler"\npython = "{PYTHON}"\ntimeout_s = 120\n')
    return folder


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_killing_botship_stops_the_handler_and_leaves_no_temporary_folder(project, dependency_cache, tmp_path, how):
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "NO_COLOR": "1", "BOTSHIP_CACHE_DIR": str(dependency_cache), "TMPDIR": str(temp)}
    botship = subprocess.Popen([sys.executable, "-m", "botship", "invoke", "--local", "--event", '{"sleep": 60}',
                                "--project", str(project)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        seen = []
        assert botship.stdout is not None
        for line in botship.stdout:  # the bot prints "saw" just before it sleeps
            seen.append(line)
            if '"saw"' in line:
                break
        else:
            pytest.fail("the bot never started: " + "".join(seen))
        handlers = _children(botship.pid)
        assert len(handlers) == 1
        assert [p.name for p in temp.iterdir() if p.name.startswith("botship-")]  # its package copy, while it runs

        botship.send_signal(how)
        botship.wait(10)
        deadline = time.monotonic() + 5
        while not _gone(handlers[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(handlers[0]), f"the handler outlived botship ({how.name})"
        deadline = time.monotonic() + 5
        while [p for p in temp.iterdir() if p.name.startswith("botship-")] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p.name for p in temp.iterdir() if p.name.startswith("botship-")]
    finally:
        if botship.poll() is None:
            botship.kill()
            botship.wait()


def test_stale_temporary_folders_of_a_dead_botship_are_swept(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"botship-sandbox-{dead.pid}-abc"
    (stale / "state").mkdir(parents=True)
    mine = tmp_path / f"botship-invoke-{os.getpid()}-xyz"
    mine.mkdir()
    other = tmp_path / "somebody-elses-1-folder"
    other.mkdir()
    assert sweep_stale_temp_dirs() == [str(stale)]
    assert not stale.exists() and mine.exists() and other.exists()


HARSH = '''\
import os, signal, sys


def killed(event, context):
    print("about to be killed, key " + os.environ["EXCHANGE_API_KEY"], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def leaves(event, context):
    print("the runtime is leaving", flush=True)
    sys.stderr.write("with a word on stderr\\n")
    raise SystemExit(3)
'''


@pytest.mark.parametrize("entry, expected", [
    ("harsh:killed", "the handler process was killed by signal SIGKILL (9) before it answered"),
    ("harsh:leaves", "the handler process exited with code 3 before it answered"),
])
def test_a_handler_that_ends_without_answering_is_reported_with_its_output(tmp_path, monkeypatch,
                                                                          dependency_cache, entry, expected):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "harsh"
    project.mkdir()
    (project / "harsh.py").write_text(HARSH)
    spec = build_spec({"platform": "sandbox", "bot_name": "harsh", "entry": entry, "python": PYTHON}, project)
    artifact = build_artifact(spec, project, Report())
    with pytest.raises(HandlerFailed) as failed:
        run_local(spec, artifact, project=project, profile="dev", secrets=_secrets(),
                  state_url=f"file://{tmp_path / 'remote'}", event={}, on_line=lambda line: None)
    shown = "\n".join(failed.value.lines())
    assert expected in shown
    assert "could not start" not in shown
    if entry == "harsh:killed":
        assert "about to be killed, key ***" in shown and "k3y-that-must-not-show" not in shown
    else:
        assert "the runtime is leaving" in shown and "with a word on stderr" in shown


def _secrets() -> SecretValues:
    return SecretValues([SecretValue("EXCHANGE_API_KEY", "k3y-that-must-not-show", "test")])
