"""The bot's own files that go into an artifact: everything but what `.botshipignore`, the defaults and
botship's own outputs (its work folder, exported state, artifacts it built) leave out."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from botship.errors import BadInput
from botship.ignores import DEFAULT_IGNORES, IGNORE_FILE, ShipRules

__all__ = ["DEFAULT_IGNORES", "IGNORE_FILE", "ProjectFile", "ShipRules", "project_files"]


@dataclass(frozen=True)
class ProjectFile:
    """A file to ship: where it is on disk and its path inside the artifact (always with `/`)."""

    source: Path
    arcname: str
    size: int


def project_files(project: Path, rules: ShipRules | None = None) -> list[ProjectFile]:
    """The files to ship, sorted by their path in the artifact.

    Only regular files ship: symlinks are followed only to files inside the project; links to nowhere (or in a
    loop), fifos, sockets and devices are passed over (a fifo would block the build for ever). A file name that
    is not UTF-8 cannot be written into a zip and is refused, naming the file.
    """
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
            if rules.excludes_file(arcname):
                continue
            try:
                info = path.stat()  # follows a symlink
                target_inside = not path.is_symlink() or path.resolve(strict=True).is_relative_to(root)
            except (OSError, RuntimeError):
                continue  # a symlink to nowhere, or in a loop: nothing to ship
            if not stat.S_ISREG(info.st_mode) or not target_inside:
                continue
            _check_name(arcname, project)
            found.append(ProjectFile(path, arcname, info.st_size))
    return sorted(found, key=lambda f: f.arcname)


def _check_name(arcname: str, project: Path) -> None:
    try:
        arcname.encode("utf-8")
    except UnicodeEncodeError:
        shown = arcname.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise BadInput(f"the file name {shown} in {project} is not UTF-8",
                       "a package's file names must be UTF-8 text (zip and the cloud's file systems require it)",
                       f"rename the file, or add a line matching it to {IGNORE_FILE}") from None
