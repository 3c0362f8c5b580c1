"""The bot's own files that go into an artifact: everything but what `.botshipignore` and the defaults leave out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

IGNORE_FILE = ".botshipignore"
# Never shipped: secrets, VCS and tool folders, environments, caches, tests, botship's own work folder.
DEFAULT_IGNORES = [
    ".env", ".env.*", "!.env.example", ".git/", ".hg/", ".svn/", ".botship/", "botship.toml", IGNORE_FILE,
    ".venv/", "venv/", "env/", ".tox/", ".nox/", "node_modules/", "__pycache__/", "*.py[cod]",
    ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", ".ipynb_checkpoints/", "tests/", "test/",
    "*.egg-info/", "build/", "dist/", ".DS_Store", ".idea/", ".vscode/",
]


@dataclass(frozen=True)
class ProjectFile:
    """A file to ship: where it is on disk and its path inside the artifact (always with `/`)."""

    source: Path
    arcname: str
    size: int


def project_files(project: Path) -> list[ProjectFile]:
    """The files to ship, sorted by their path in the artifact; symlinks are followed only inside the project."""
    rules = list(DEFAULT_IGNORES)
    ignore = project / IGNORE_FILE
    if ignore.is_file():
        rules += ignore.read_text(encoding="utf-8").splitlines()
    spec = GitIgnoreSpec.from_lines(rules)
    found: list[ProjectFile] = []
    root = project.resolve()
    for base, dirs, files in os.walk(root):
        rel_base = os.path.relpath(base, root)
        rel_base = "" if rel_base == "." else rel_base.replace(os.sep, "/") + "/"
        dirs[:] = sorted(d for d in dirs if not spec.match_file(f"{rel_base}{d}/"))
        for name in sorted(files):
            arcname = f"{rel_base}{name}"
            path = Path(base) / name
            if spec.match_file(arcname) or (path.is_symlink() and not path.resolve().is_relative_to(root)):
                continue
            found.append(ProjectFile(path, arcname, path.stat().st_size))
    return sorted(found, key=lambda f: f.arcname)
