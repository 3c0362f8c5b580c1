"""Where botship keeps things in a bot project: the profile file and the git-ignored `.botship/` folder."""

from __future__ import annotations

from pathlib import Path

PROFILE_FILE = "botship.toml"
WORK_DIR = ".botship"


def work_dir(project: Path) -> Path:
    """`.botship/` in the project, created with its own `.gitignore` so nothing in it is ever committed."""
    path = project / WORK_DIR
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# botship's local runs and records; never commit them\n*\n", encoding="utf-8")
    return path


def runs_dir(project: Path) -> Path:
    path = work_dir(project) / "runs"
    path.mkdir(exist_ok=True)
    return path


def records_dir(project: Path) -> Path:
    path = work_dir(project) / "records"
    path.mkdir(exist_ok=True)
    return path
