"""What botship finds in a bot project folder — entry points, requirements, .env names, profiles — by reading it."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from .envfile import ENV_FILE, read_env_file
from .errors import BadInput
from .profiles import ProfileStore
from .record import load_records
from .spec import DeploySpec

# Folders that hold no entry point: tests and virtualenvs (dot-folders such as .venv and .botship are skipped too).
_SKIP_DIRS = {"tests", "test", "venv", "__pycache__"}
_APP_NAMES = {"app", "bot", "application"}


@dataclass(frozen=True)
class EntryCandidate:
    """A possible `entry`: a module-level (event, context) function or an app object."""

    entry: str  # "module:attribute"
    kind: str  # "handler" | "app"
    file: str  # relative to the project, with forward slashes


@dataclass(frozen=True)
class ProfileSummary:
    """One profile as the home screen lists it; "?" where the profile lacks a value."""

    name: str
    platform: str
    bot_name: str
    mode: str
    last_deployed: str | None
    where: str | None
    # How the last deploy stands now: "deployed", "destroyed", "ended" (its sandbox emulator stopped) or "absent".
    last_status: str | None = None


@dataclass
class ProjectScan:
    """Everything found in a project folder."""

    root: Path
    entries: list[EntryCandidate]
    requirements: list[str]
    env_names: list[str]
    has_env_file: bool
    has_profiles_file: bool
    profiles: list[ProfileSummary]

    @property
    def empty(self) -> bool:
        """No Python file at the top level and no botship.toml: probably not a bot project (yet)."""
        return not self.has_profiles_file and not any(self.root.glob("*.py"))


def scan_project(root: Path) -> ProjectScan:
    """Scan `root`; unreadable or broken files are passed over, never raised."""
    store = ProfileStore(root)
    return ProjectScan(
        root=root,
        entries=find_entries(root),
        requirements=_requirements(root / "requirements.txt"),
        env_names=list(read_env_file(root / ENV_FILE).values),
        has_env_file=(root / ENV_FILE).is_file(),
        has_profiles_file=store.path.is_file(),
        profiles=_profiles(store),
    )


def find_entries(root: Path) -> list[EntryCandidate]:
    """Entry candidates in the top-level modules and one level of packages: apps, then `handler`s, then others."""
    found: list[EntryCandidate] = []
    for path in _modules(root):
        relative = path.relative_to(root)
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        for attribute, kind in _candidates(path).items():
            found.append(EntryCandidate(f"{module}:{attribute}", kind, relative.as_posix()))
    # sorted() is stable, so each group keeps file order and source order.
    return sorted(found, key=lambda c: 0 if c.kind == "app" else 1 if c.entry.endswith(":handler") else 2)


def _modules(root: Path) -> list[Path]:
    files = [p for p in sorted(root.glob("*.py")) if not _is_test_file(p)]
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        if folder.name.startswith(".") or folder.name in _SKIP_DIRS or not (folder / "__init__.py").is_file():
            continue
        files += [p for p in sorted(folder.glob("*.py")) if not _is_test_file(p)]
    return files


def _is_test_file(path: Path) -> bool:
    return path.name.startswith("test_") or path.stem.endswith("_test") or path.name == "conftest.py"


def _candidates(path: Path) -> dict[str, str]:
    """attribute → kind for each entry point the file defines at module level, in source order."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return {}
    # A name bound twice keeps its first place but its last kind, as importing the module would leave it.
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and _takes_two(node.args):
            found[node.name] = "handler"
        elif isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            called = _called_name(node.value.func)
            for target in targets:
                if isinstance(target, ast.Name) and (target.id in _APP_NAMES or called.endswith("App")):
                    found[target.id] = "app"
    return found


def _takes_two(args: ast.arguments) -> bool:
    """Whether the function can be called as f(event, context) and takes nothing else it needs."""
    required_keywords = [d for d in args.kw_defaults if d is None]
    return len(args.posonlyargs) + len(args.args) == 2 and args.vararg is None and not required_keywords


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _requirements(path: Path) -> list[str]:
    """The file's requirement and option lines as pip reads them (comments dropped, continuations joined)."""
    if not path.is_file():
        return []
    from pip_requirements_parser import RequirementsFile

    try:
        parsed = RequirementsFile.from_file(str(path), include_nested=False)
    except Exception:  # noqa: BLE001 - an unreadable file lists nothing here; the build names the problem
        return []
    lines = [*parsed.requirements, *parsed.options, *parsed.invalid_lines]
    located = sorted((line.requirement_line.line_number or 0, line.requirement_line.line or "") for line in lines)
    return [text.strip() for _, text in located if text.strip()]


def _profiles(store: ProfileStore) -> list[ProfileSummary]:
    try:
        names = store.names()
    except BadInput:
        return []
    records = load_records(store.project)
    summaries = []
    for name in names:
        try:
            raw = store.raw(name)
        except BadInput:
            raw = {}
        record = records.get(name)
        summaries.append(ProfileSummary(
            name=name,
            platform=_shown(raw, "platform"),
            bot_name=_shown(raw, "bot_name"),
            mode=_shown(raw, "mode"),
            last_deployed=record.finished_at if record else None,
            where=record.where if record else None,
            last_status=_standing(record),
        ))
    return summaries


def _standing(record) -> str | None:
    if record is None:
        return None
    if record.deployed:
        return "deployed"
    return "ended" if record.ended else "destroyed" if record.status == "destroyed" else "absent"


def _shown(raw: dict, key: str) -> str:
    """The profile's value for `key` as text; the spec's default when it has one, else "?"."""
    if key in raw and raw[key] not in (None, ""):
        return str(raw[key])
    default = DeploySpec.model_fields[key].default
    return default if isinstance(default, str) else "?"


def shipped_python(project: Path, needle: bytes) -> list[tuple[str, Path, bytes]]:
    """The project's shipped .py files whose bytes contain `needle`, as (path in the package, file, bytes):
    botship's shipping rules decide what ships. Raises BotshipError or OSError when the files cannot be listed."""
    from botship.providers.artifact.files import project_files

    found = []
    for item in project_files(project):
        if not item.arcname.endswith(".py"):
            continue
        try:
            data = item.source.read_bytes()
        except OSError:
            continue
        if needle in data:  # the cheap test spares parsing files that cannot match
            found.append((item.arcname, item.source, data))
    return found
