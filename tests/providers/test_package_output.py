"""botship's own outputs never ship, and `botship package -o` puts the artifact where it is told.

Run as a user runs them: `botship package` in a fresh process, against a copy of the counter bot.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from botship.providers.artifact import build_artifact
from helpers import RecordingReport as Report
from helpers import counter_project, counter_spec, write_aws_profile

@pytest.fixture
def project(tmp_path, monkeypatch, dependency_cache) -> Path:
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    return counter_project(tmp_path / "counter")


def botship(project: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "botship", *args, "--project", str(project)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=cwd or project)


def build(project: Path, out: Path) -> bytes:
    spec = counter_spec(project)
    artifact = build_artifact(spec, project, Report(), out)
    assert not artifact.reused
    return artifact.path.read_bytes()


def test_two_builds_are_byte_identical_whatever_package_o_and_export_left_in_the_project(project, tmp_path):
    before = build(project, tmp_path / "first")

    for _ in range(2):  # the second run must not put the first zip into the second
        result = botship(project, "package", "-o", "bot.zip")
        assert result.returncode == 0, result.stdout + result.stderr
    assert zipfile.ZipFile(project / "bot.zip").namelist() == zipfile.ZipFile(io_bytes(before)).namelist()
    assert botship(project, "package", "-o", "dist/").returncode == 0
    assert (project / "dist" / "counter-lambda.zip").is_file()
    shutil.copyfile(project / "bot.zip", project / "copy of the bot.zip")  # renamed: known by its content
    # The run screen's Export state (key e), and a local run's state.
    export = project / "state-export" / "counter-paper-20250101-120000"
    (export / "databases").mkdir(parents=True)
    (export / "state.db").write_bytes(b"SQLite format 3\0" + b"\1" * 100)
    (export / "databases" / "bot.sqlite3").write_bytes(b"x")
    (project / ".botship" / "local-state" / "prod").mkdir(parents=True)
    (project / ".botship" / "local-state" / "prod" / "runs.txt").write_text("3")

    after = build(project, tmp_path / "second")
    assert hashlib.sha256(after).hexdigest() == hashlib.sha256(before).hexdigest()

    # A zip of the user's own (data, not a botship artifact) still ships.
    with zipfile.ZipFile(project / "prices.zip", "w") as archive:
        archive.writestr("prices.csv", "1,2,3\n")
    assert "prices.zip" in zipfile.ZipFile(io_bytes(build(project, tmp_path / "third"))).namelist()


def io_bytes(data: bytes):
    import io

    return io.BytesIO(data)


def test_an_image_build_context_written_with_o_never_ships(project, tmp_path):
    write_aws_profile(project, "counter", 'packaging = "image"')
    for _ in range(2):
        result = botship(project, "package", "-o", "context")
        assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "context" / "Dockerfile").is_file()
    assert not (project / "context" / "code" / "context").exists()
    assert not (project / "context" / "counter-image").exists()  # replaced, not nested
    files = {p.relative_to(project / "context" / "code").as_posix()
             for p in (project / "context" / "code").rglob("*") if p.is_file()}
    assert "app.py" in files and not any(f.startswith("context/") for f in files)


def test_o_creates_a_missing_folder_and_writes_into_an_existing_one(project, tmp_path):
    result = botship(project, "package", "-o", str(tmp_path / "new" / "deeper" / "bot.zip"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "app.py" in zipfile.ZipFile(tmp_path / "new" / "deeper" / "bot.zip").namelist()

    (tmp_path / "existing").mkdir()
    result = botship(project, "package", "-o", str(tmp_path / "existing"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(tmp_path / "existing" / "counter-lambda.zip") in result.stdout
    assert zipfile.is_zipfile(tmp_path / "existing" / "counter-lambda.zip")

    result = botship(project, "package", "-o", str(tmp_path / "fresh") + "/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert zipfile.is_zipfile(tmp_path / "fresh" / "counter-lambda.zip")

    # Relative to where botship runs, as any other path on the command line.
    result = botship(project, "package", "-o", "rel/bot.zip", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert zipfile.is_zipfile(tmp_path / "rel" / "bot.zip")


def test_an_output_path_that_cannot_be_written_is_named(project, tmp_path):
    (tmp_path / "a-file").write_text("in the way")
    result = botship(project, "package", "-o", str(tmp_path / "a-file" / "bot.zip"))
    assert result.returncode == 2
    out = result.stdout + result.stderr
    assert str(tmp_path / "a-file") in out and "internal error" not in out
