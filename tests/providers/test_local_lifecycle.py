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


ESCAPING = '''\
import os, signal, subprocess, sys, time


def _daemon():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
    with open(os.environ["PIDS_FILE"], "a") as fh:
        fh.write(f"{os.getpid()} {child.pid}\\n")


def daemon(event, context):
    _daemon()  # holds the output pipe open, in a session of its own
    return {"ok": True}


def stubborn(event, context):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the runtime's own handler is gone
    _daemon()
    print("stubborn", flush=True)
    time.sleep(120)


def noisy(event, context):
    sys.stdout.write("x" * (20 * 1024 * 1024))
    sys.stdout.write("\\nafter\\n")
    return {"ok": True}
'''


def _escaping(tmp_path, monkeypatch, dependency_cache, entry):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    monkeypatch.setenv("PIDS_FILE", str(tmp_path / "pids"))
    project = tmp_path / "escaping"
    project.mkdir()
    (project / "escaping.py").write_text(ESCAPING)
    (project / "botship.toml").write_text(f'[profiles.dev]\nplatform = "sandbox"\nbot_name = "escaping"\n'
                                          f'entry = "escaping:{entry}"\npython = "{PYTHON}"\ntimeout_s = 60\n')
    spec = build_spec({"platform": "sandbox", "bot_name": "escaping", "entry": f"escaping:{entry}",
                       "python": PYTHON, "timeout_s": 60}, project)
    return project, spec, build_artifact(spec, project, Report())


def _all_gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + 5
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return all(_gone(pid) for pid in pids)


def test_a_daemon_the_bot_started_neither_holds_the_run_open_nor_outlives_it(tmp_path, monkeypatch,
                                                                             dependency_cache):
    project, spec, artifact = _escaping(tmp_path, monkeypatch, dependency_cache, "daemon")
    started = time.monotonic()
    result = run_local(spec, artifact, project=project, profile="dev", secrets=SecretValues(),
                       state_url=f"file://{tmp_path / 'remote'}", event={}, on_line=lambda line: None)
    assert result.status_code == 200 and result.body["result"] == {"ok": True}
    assert time.monotonic() - started < 30, "the run waited for the daemon's end (the output pipe it holds)"
    pids = [int(p) for p in (tmp_path / "pids").read_text().split()]
    assert _all_gone(pids), "the bot's daemon outlived its run"


def test_killing_botship_stops_a_bot_that_ignores_sigterm_and_its_daemon(tmp_path, monkeypatch, dependency_cache):
    project, _, _ = _escaping(tmp_path, monkeypatch, dependency_cache, "stubborn")
    env = {**os.environ, "NO_COLOR": "1"}
    botship = subprocess.Popen([sys.executable, "-m", "botship", "invoke", "--local", "--project", str(project)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert botship.stdout is not None
        seen = []
        for line in botship.stdout:
            seen.append(line)
            if "stubborn" in line:
                break
        else:
            pytest.fail("the bot never started: " + "".join(seen))
        botship.kill()
        botship.wait(10)
        pids = [int(p) for p in (tmp_path / "pids").read_text().split()]
        assert _all_gone(pids), "the handler or its daemon outlived botship"
    finally:
        if botship.poll() is None:
            botship.kill()
            botship.wait()


def test_a_line_of_megabytes_is_cut_and_the_run_goes_on(tmp_path, monkeypatch, dependency_cache):
    project, spec, artifact = _escaping(tmp_path, monkeypatch, dependency_cache, "noisy")
    lines: list[str] = []
    result = run_local(spec, artifact, project=project, profile="dev", secrets=SecretValues(),
                       state_url=f"file://{tmp_path / 'remote'}", event={}, on_line=lines.append)
    assert result.status_code == 200
    assert max(len(line) for line in lines) < 20_000
    assert any("more bytes of this line not shown" in line for line in lines) and "after" in lines
