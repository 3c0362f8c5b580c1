"""Files and folders botship cannot use: each real OS error gets a message naming the path and what to do.

Tests run as root in CI containers, where permission bits are ignored: the errors are made by other
means the OS enforces for everyone — a folder where a file belongs, a path under a regular file,
/dev/full for a full disk, and a read-only bind mount in a user namespace.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import tmpfs_prefix

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
PROFILES = f"""\
# the team's bots
[profiles.try]   # tried on the sandbox
platform = "sandbox"
bot_name = "files-bot"
entry = "app:handler"
python = "{PY}"

[profiles.other]
platform = "sandbox"
bot_name = "other-bot"
entry = "app:handler"
python = "{PY}"
"""


def botship(*args: str, project: Path, env: dict | None = None, prefix: list[str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real command in a fresh process, as a user or CI runs it."""
    command = [*(prefix or []), sys.executable, "-m", "botship", *args, "--project", str(project)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})})


def no_internal_error(result: subprocess.CompletedProcess) -> None:
    text = result.stdout + result.stderr
    assert "internal error" not in text and "this is a bug" not in text and "Traceback" not in text, text


@pytest.fixture
def project(make_project, dependency_cache, monkeypatch) -> Path:
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    monkeypatch.delenv("BOTSHIP_SANDBOX_URL", raising=False)
    return make_project(PROFILES)


def test_a_byte_order_mark_in_botship_toml_is_accepted_and_a_rewrite_stays_valid(project):
    path = project / "botship.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = botship("validate", project=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "profile 'try' is valid" in result.stdout and "profile 'other' is valid" in result.stdout

    result = botship("profiles", "delete", "other", "--yes", project=project)
    assert result.returncode == 0, result.stderr
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # saved as plain UTF-8, which every TOML reader takes
    assert set(tomllib.loads(raw.decode())["profiles"]) == {"try"}
    assert "# the team's bots" in raw.decode() and "# tried on the sandbox" in raw.decode()


def test_botship_toml_that_is_a_folder_is_named_as_bad_input(project):
    (project / "botship.toml").unlink()
    (project / "botship.toml").mkdir()
    for command in (["validate"], ["deploy", "--yes"], ["profiles"]):
        result = botship(*command, project=project)
        no_internal_error(result)
        assert result.returncode == 2, (command, result.stderr)
        assert f"{project / 'botship.toml'} is a folder" in result.stderr and "move or rename" in result.stderr


def test_a_folder_named_env_is_reported_by_validate(project):
    (project / ".env").mkdir()
    result = botship("validate", project=project)
    no_internal_error(result)
    assert result.returncode == 2
    assert ".env" in result.stdout and "is a folder" in result.stdout and "move or rename" in result.stdout


def test_a_records_folder_that_cannot_be_written_names_the_record_and_keeps_the_last_one(project):
    records = project / ".botship" / "records"
    records.mkdir(parents=True)
    last = '{"profile": "try", "platform": "sandbox", "bot_name": "files-bot", "mode": "paper", "where": "x", ' \
           '"status": "destroyed", "finished_at": "earlier"}'
    (records / "try.json").write_text(last)
    prefix = _read_only_prefix(records)
    if prefix is None:
        pytest.skip("no user namespaces here to mount the records folder read-only")
    result = botship("deploy", "--profile", "try", "--yes", project=project, prefix=prefix)
    no_internal_error(result)
    assert result.returncode == 1
    assert f"{records / 'try.json'} is on a read-only file system" in result.stderr
    assert "only this machine's note of it is missing" in result.stderr
    assert (records / "try.json").read_text() == last and [p.name for p in records.iterdir()] == ["try.json"]


def test_a_full_disk_never_leaves_a_cut_short_record_in_place_of_the_last_good_one(project):
    records = project / ".botship" / "records"
    prefix = tmpfs_prefix(records, "8k")
    if prefix is None:
        pytest.skip("no user namespaces here to mount a small file system")
    script = """
import json, sys
from pathlib import Path
from botship.errors import BotshipError
from botship.record import DeployRecord, save_record
project = Path(sys.argv[1])
save_record(project, DeployRecord("try", "sandbox", "files-bot", "paper", "the sandbox", "ok", "earlier"))
try:
    save_record(project, DeployRecord("try", "sandbox", "files-bot", "paper", "x" * 50000, "ok", "now"))
except BotshipError as exc:
    print("refused:", exc.what)
folder = project / ".botship" / "records"
print("kept:", json.loads((folder / "try.json").read_text())["finished_at"])
print("files:", sorted(p.name for p in folder.iterdir()))
"""
    result = subprocess.run([*prefix, sys.executable, "-c", script, str(project)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"refused: the disk holding {records / 'try.json'} is full" in result.stdout
    assert "kept: earlier" in result.stdout and "files: ['try.json']" in result.stdout


def test_a_full_disk_at_the_output_path_names_it_and_leaves_nothing_there(project, tmp_path):
    out = tmp_path / "out"
    prefix = tmpfs_prefix(out, "12k")
    if prefix is None:
        pytest.skip("no user namespaces here to mount a small file system")
    result = subprocess.run([*prefix, "sh", "-c", f"{sys.executable} -m botship package --profile try --project "
                             f"'{project}' -o '{out}/bot.zip'; echo rc=$?; ls -A '{out}'"],
                            capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    no_internal_error(result)
    assert "rc=1" in result.stdout
    assert f"the disk holding {out / 'bot.zip'} is full while copying the artifact" in result.stderr
    assert result.stdout.strip().endswith("rc=1")  # nothing listed after it: no half-written zip in the folder


def test_a_full_disk_in_the_build_folder_names_it_and_leaves_no_temporary_file(project):
    build = project / ".botship" / "build"
    prefix = tmpfs_prefix(build, "12k")
    if prefix is None:
        pytest.skip("no user namespaces here to mount a small file system")
    result = subprocess.run([*prefix, "sh", "-c", f"{sys.executable} -m botship package --profile try --project "
                             f"'{project}'; echo rc=$?; find '{build}' -type f"],
                            capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    no_internal_error(result)
    assert "rc=1" in result.stdout and result.stdout.strip().endswith("rc=1"), result.stdout
    # the file being written is named (not the cached layer it was copied from), and nothing half-written stays
    assert f"the disk holding {build / 'files-bot' / 'lambda-zip.zip'} is full" in result.stdout
    assert "cache" not in next(line for line in result.stdout.splitlines() if "is full" in line)


def test_a_file_where_the_journal_folder_belongs_refuses_before_any_step(project):
    runs = project / ".botship" / "runs"
    runs.parent.mkdir(parents=True)
    runs.write_text("a file where botship keeps a folder")
    result = botship("deploy", "--profile", "try", "--yes", project=project)
    no_internal_error(result)
    assert result.returncode == 2
    assert f"{runs} is in the way" in result.stderr and "move or rename it" in result.stderr
    assert "Done in" not in result.stdout  # nothing ran without its journal


def test_a_cache_folder_under_a_file_names_the_cache(project, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    cache = blocker / "cache"
    result = botship("package", "--profile", "try", project=project, env={"BOTSHIP_CACHE_DIR": str(cache)})
    no_internal_error(result)
    assert result.returncode == 2  # a path the user chose cannot be used: bad input, as deploy says below
    assert str(cache) in result.stdout and "part of that path is a file" in result.stdout
    assert "BOTSHIP_CACHE_DIR" in result.stdout

    result = botship("deploy", "--profile", "try", "--yes", project=project, env={"BOTSHIP_CACHE_DIR": str(cache)})
    no_internal_error(result)
    assert result.returncode == 2 and str(cache) in result.stderr and "BOTSHIP_CACHE_DIR" in result.stderr


def test_a_home_under_a_file_names_the_cache_it_would_use(project, tmp_path):
    blocker = tmp_path / "home-file"
    blocker.write_text("")
    env = {"HOME": str(blocker / "home"), "BOTSHIP_CACHE_DIR": "", "XDG_CACHE_HOME": ""}
    result = botship("package", "--profile", "try", project=project, env=env)
    no_internal_error(result)
    assert result.returncode == 2
    assert str(blocker / "home" / ".cache" / "botship") in result.stdout and "BOTSHIP_CACHE_DIR" in result.stdout


def _read_only_prefix(folder: Path) -> list[str] | None:
    """A command prefix running what follows with `folder` bind-mounted read-only (a user namespace, no root
    needed), or None where this machine allows no such namespace."""
    unshare = shutil.which("unshare")
    if not unshare:
        return None
    probe = subprocess.run([unshare, "-rm", "sh", "-c", f"mount --bind -o ro '{folder}' '{folder}' && "
                            f"! touch '{folder}/.probe' 2>/dev/null"], capture_output=True)
    if probe.returncode != 0:
        return None
    return [unshare, "-rm", "sh", "-c", f"mount --bind -o ro '{folder}' '{folder}' && exec \"$@\"", "sh"]


def test_a_read_only_project_folder_names_the_folder(project):
    prefix = _read_only_prefix(project)
    if prefix is None:
        pytest.skip("no user namespaces here to mount the project read-only")
    result = botship("profiles", "delete", "other", "--yes", project=project, prefix=prefix)
    no_internal_error(result)
    assert result.returncode == 1
    assert f"{project} is on a read-only file system while saving botship.toml" in result.stderr
    assert "nothing was changed" in result.stderr

    result = botship("deploy", "--profile", "try", "--yes", project=project, prefix=prefix)
    no_internal_error(result)
    assert result.returncode == 1
    assert f"{project / '.botship'} is on a read-only file system" in result.stderr
    assert "Done in" not in result.stdout


@pytest.mark.parametrize("name", ["botship.toml", ".env", ".botshipignore"])
def test_a_link_to_nowhere_is_named_never_taken_for_a_missing_file(project, name):
    path = project / name
    if path.exists():
        path.rename(project / f"{name}.moved")
    path.symlink_to(project / "moved-away" / name)
    result = botship("validate", project=project)
    no_internal_error(result)
    assert result.returncode == 2, result.stdout + result.stderr
    text = result.stdout + result.stderr
    assert f"{path} is a symbolic link to {project / 'moved-away' / name}, which does not exist" in text
    assert "no profiles" not in text


@pytest.mark.parametrize("name", ["botship.toml", ".env", ".botshipignore"])
def test_a_pipe_where_a_file_belongs_is_refused_not_read_for_ever(project, name):
    path = project / name
    if path.exists():
        path.unlink()
    os.mkfifo(path)
    result = botship("validate", project=project)  # reading a fifo would block: the 120 s timeout would fail it
    no_internal_error(result)
    assert result.returncode == 2
    assert f"{path} is not a regular file" in result.stdout + result.stderr


def test_saving_through_a_linked_botship_toml_keeps_the_link(project, tmp_path):
    shared = tmp_path / "dotfiles" / "botship.toml"
    shared.parent.mkdir()
    (project / "botship.toml").rename(shared)
    (project / "botship.toml").symlink_to(shared)
    result = botship("profiles", "delete", "other", "--yes", project=project)
    assert result.returncode == 0, result.stderr
    assert (project / "botship.toml").is_symlink()
    assert set(tomllib.loads(shared.read_text())["profiles"]) == {"try"}


def test_init_on_a_full_disk_names_the_folder_and_leaves_no_cut_short_file(tmp_path):
    dest = tmp_path / "newbot"
    prefix = tmpfs_prefix(dest, "8k")
    if prefix is None:
        pytest.skip("no user namespaces here to mount a small file system")
    result = subprocess.run([*prefix, "sh", "-c", f"{sys.executable} -m botship init '{dest}' --template plain; "
                             f"echo rc=$?; ls -A '{dest}'"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "NO_COLOR": "1"})
    no_internal_error(result)
    assert "is full while writing the new project (nothing was written)" in result.stderr, result.stderr
    assert result.stdout.strip().endswith("rc=1"), result.stdout  # the folder is empty: no half-written file
