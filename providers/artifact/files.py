"""The bot's own files that go into an artifact: everything but what `.botshipignore`, the defaults and
botship's own outputs (its work folder, exported state, artifacts it built) leave out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from botship.ignores import DEFAULT_IGNORES, IGNORE_FILE, ShipRules

__all__ = ["DEFAULT_IGNORES", "IGNORE_FILE", "ProjectFile", "ShipRules", "project_files"]


@dataclass(frozen=True)
class ProjectFile:
    """A file to ship: where it is on disk and its path inside the artifact (always with `/`)."""

    source: Path
    arcname: str
    size: int


def project_files(project: Path, rules: ShipRules | None = None) -> list[ProjectFile]:
    """The files to ship, sorted by their path in the artifact; symlinks are followed only inside the project."""
    root = project.resolve()
    rules = rules or ShipRules(root)
    found: list[ProjectFile] = []
    for base, dirs, files in os.walk(root):
        rel_base = os.path.relpath(base, root)
        rel_base = "" if rel_base == "." else rel_base.replace(os.sep, "/") + "/"
        dirs[:] = sorted(d for d in dirs if not rules.excludes_dir(f"{rel_base}{d}"))
        for name in sorted(files):
            arcname = f"{rel_base}{name}"
            path = Path(base) / name
            if rules.excludes_file(arcname) or (path.is_symlink() and not path.resolve().is_relative_to(root)):
                continue
            found.append(ProjectFile(path, arcname, path.stat().st_size))
    return sorted(found, key=lambda f: f.arcname)
