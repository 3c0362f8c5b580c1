"""What never ships in a bot's package: botship's default ignore rules, the project's `.botshipignore`,
and whatever botship itself wrote into the project (its work folder, exported state, artifacts it built).

Both `validate` (is the entry module going to ship?) and the artifact builder read the rules from here.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

from .errors import BadInput
from .locations import WORK_DIR, work_dir

IGNORE_FILE = ".botshipignore"
# Where the run screen's "Export state" (key e) writes a bot's state, inside the project.
STATE_EXPORT_DIR = "state-export"
# Artifacts `botship package -o` wrote inside the project, by their path relative to it.
OUTPUTS_FILE = "outputs.json"
RUNTIME_PACKAGE = "botship_runtime"
# The marker file of an image build context (`deps/` of `botship package -o` for packaging = "image").
IMAGE_MARKER = "deps/.botship-deps"

# Never shipped: secrets, VCS and tool folders, environments, caches, tests, and everything botship writes
# into a project (its work folder with runs, records, builds and local state; exported state; temp folders).
DEFAULT_IGNORES = [
    ".env", ".env.*", "!.env.example", ".git/", ".hg/", ".svn/", f"{WORK_DIR}/", ".botship*", "botship.toml",
    IGNORE_FILE, f"{STATE_EXPORT_DIR}/",
    ".venv/", "venv/", "env/", ".tox/", ".nox/", "node_modules/", "__pycache__/", "*.py[cod]",
    ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", ".ipynb_checkpoints/", "tests/", "test/",
    "*.egg-info/", "build/", "dist/", ".DS_Store", ".idea/", ".vscode/",
]


# Never shipped, whatever `.botshipignore` says (a `!.env` line included): secrets and botship's own work folder
# (records, local state, builds) and version control (whose config may hold tokens).
NEVER_SHIP = [".env", ".env.*", "!.env.example", f"{WORK_DIR}/", ".git/"]
_NEVER = GitIgnoreSpec.from_lines(NEVER_SHIP)


@dataclass(frozen=True)
class Rule:
    """One ignore rule and where it comes from."""

    pattern: str
    origin: str  # "botship's default ignore rules" | ".botshipignore line 3"

    def __str__(self) -> str:
        return f"'{self.pattern}' ({self.origin})"


class ShipRules:
    """The project's ignore rules: the defaults, then `.botshipignore` (gitignore syntax, later lines win)."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.rules: list[Rule] = [Rule(p, "botship's default ignore rules") for p in DEFAULT_IGNORES]
        path = project / IGNORE_FILE
        if path.is_symlink() and not path.exists():
            raise BadInput(f"{path} is a symbolic link to {os.readlink(path)}, which does not exist",
                           fix=f"point the link at your ignore rules, or remove {IGNORE_FILE}")
        if path.exists() and not path.is_file():
            raise BadInput(f"{path} is not a regular file", fix=f"make {IGNORE_FILE} a text file (gitignore syntax), "
                                                                "or move it away")
        if path.exists():
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise BadInput(f"cannot read {path}: {exc}",
                               fix=f"make {IGNORE_FILE} a UTF-8 text file (gitignore syntax), or remove it") from None
            self.rules += [Rule(line, f"{IGNORE_FILE} line {n}") for n, line in enumerate(text.splitlines(), 1)
                           if line]
        # pathspec keeps a pattern (an inert one for comments) for every non-empty line, so a match's index
        # is its rule's index here.
        self.spec = GitIgnoreSpec.from_lines([r.pattern for r in self.rules])
        self.outputs = remembered_outputs(project)
        # Paths the project's rules would ship but NEVER_SHIP keeps out (a `!.env` line): said in the build log.
        self.withheld: list[str] = []

    def excludes_dir(self, rel: str) -> bool:
        """Whether the folder `rel` (relative, with `/`) is left out: by a rule, or as something botship wrote."""
        if _NEVER.match_file(f"{rel}/"):
            self._withheld(f"{rel}/")
            return True
        return (self.spec.match_file(f"{rel}/") or rel in self.outputs
                or (self.project / rel / IMAGE_MARKER).is_file())

    def excludes_file(self, rel: str) -> bool:
        if _NEVER.match_file(rel):
            self._withheld(rel)
            return True
        return self.spec.match_file(rel) or rel in self.outputs or is_botship_archive(self.project / rel)

    def _withheld(self, rel: str) -> None:
        """Note a path that `.botshipignore` would ship but that never ships (so the build can say so)."""
        if not self.spec.match_file(rel) and rel not in self.withheld:
            self.withheld.append(rel)

    def dropped_by(self, rel: str) -> Dropped | None:
        """Why the file `rel` does not ship (the rule, or botship's own output), or None when it ships."""
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            match = f"{path}/" if depth < len(parts) else path
            if _NEVER.match_file(match):
                return Dropped(f"{'its folder ' + match if depth < len(parts) else 'it'} never ships "
                               "(secrets, version control and botship's work folder stay out whatever "
                               f"{IGNORE_FILE} says)", "move the file out of there")
            result = self.spec.check_file(match)
            if result.include and result.index is not None:
                rule = self.rules[result.index]
                what = f"its folder {match}" if depth < len(parts) else "it"
                if rule.origin.startswith(IGNORE_FILE):
                    fix = f"remove or narrow line {rule.origin.rsplit(' ', 1)[-1]} of {IGNORE_FILE}"
                else:
                    fix = f"add the line '!{match}' to {IGNORE_FILE} to ship it anyway"
                return Dropped(f"{what} is left out by {rule}", fix)
            if path in self.outputs:
                return Dropped(f"botship wrote it as an artifact ({WORK_DIR}/{OUTPUTS_FILE})",
                               f"remove it from {WORK_DIR}/{OUTPUTS_FILE}")
        return None


@dataclass(frozen=True)
class Dropped:
    """Why a file stays out of the package, and how to ship it."""

    reason: str
    fix: str

    def __str__(self) -> str:
        return self.reason


def is_botship_archive(path: Path) -> bool:
    """A zip botship built (it holds botship's runtime package): never shipped inside the next one."""
    if path.suffix.lower() != ".zip" or not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.startswith(f"{RUNTIME_PACKAGE}/") for name in archive.namelist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def remembered_outputs(project: Path) -> set[str]:
    """Paths (relative to the project, with `/`) where `botship package -o` wrote an artifact."""
    try:
        data = json.loads((project / WORK_DIR / OUTPUTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {p for p in data.get("outputs", []) if isinstance(p, str)} if isinstance(data, dict) else set()


def remember_output(project: Path, output: Path) -> None:
    """Note an artifact written inside the project, so that no later build ships it (best effort)."""
    try:
        rel = Path(os.path.abspath(output)).relative_to(project.resolve()).as_posix()
    except ValueError:
        return  # outside the project: nothing to leave out
    outputs = remembered_outputs(project) | {rel}
    try:
        path = work_dir(project) / OUTPUTS_FILE
        path.write_text(json.dumps({"outputs": sorted(outputs)}, indent=2) + "\n", encoding="utf-8")
    except OSError:
        pass  # the archive is still recognised by its content
