"""`botship init`: a new bot project from a template — entry point, strategy, price feed, ignores and a profile."""

from __future__ import annotations

import contextlib
import os
import sys
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .answers import suggest_name
from .errors import BadInput, file_error

# Template name → what it makes, in one line (the CLI's choices and help come from here).
TEMPLATES: dict[str, str] = {
    "plain": "a moving-average bot in plain Python (stdlib only) on a price feed shipped with it; "
             "positions and trades in SQLite",
    "iaf": "an investing-algorithm-framework app: the same strategy, a replayed price feed and a paper "
           "exchange, so it runs offline; ships as a container image",
}
PROFILE = "sandbox"
BOT_NAME_MARK = "{{bot_name}}"
PYTHON_MARK = "{{python}}"
DEFAULT_BOT_NAME = "my-bot"
# Dotfiles are stored without their dot (packaging tools drop dotfiles all too easily) and renamed here.
_RENAMES = {"gitignore": ".gitignore", "env.example": ".env.example", "botshipignore": ".botshipignore"}
_NOT_TEMPLATE_FILES = {"__init__.py", "__pycache__"}
_SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")


def _check_template(template: str) -> str:
    if template not in TEMPLATES:
        raise BadInput(f"there is no template '{template}'", f"templates: {', '.join(TEMPLATES)}",
                       "pass --template " + " or --template ".join(TEMPLATES))
    return template


def _template_files(template: str) -> list[tuple[str, Traversable]]:
    """(name in a project, resource) of each of the template's files."""
    folder = resources.files(f"botship.templates.project.{_check_template(template)}")
    return sorted((_RENAMES.get(item.name, item.name), item) for item in folder.iterdir()
                  if item.is_file() and item.name not in _NOT_TEMPLATE_FILES and not item.name.endswith((".pyc", ".pyo")))


def default_python() -> str:
    """The Python the profile targets: this one when the cloud runs it, so `invoke --local` runs what ships."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    return here if here in _SUPPORTED_PYTHONS else "3.12"


def bot_name_for(dest: Path, bot_name: str | None = None) -> str:
    """The bot's name: the one given (checked like any profile's), else one derived from the folder's name."""
    from .spec import check_field

    if bot_name is not None:
        problems = check_field("bot_name", bot_name, {})
        if problems:
            raise BadInput(f"'{bot_name}' cannot be a bot's name: {problems[0].message}",
                           fix="pass --name with 2–32 lower-case letters, digits and hyphens, starting with a letter")
        return bot_name
    suggested = suggest_name(dest.resolve().name)
    return DEFAULT_BOT_NAME if check_field("bot_name", suggested, {}) else suggested


def planned_files(dest: Path, template: str, bot_name: str | None = None) -> list[tuple[Path, str]]:
    """(path relative to `dest`, content) of every file the template makes, sorted by path."""
    items = _template_files(template)
    values = {BOT_NAME_MARK: bot_name_for(dest, bot_name), PYTHON_MARK: default_python()}
    files: list[tuple[Path, str]] = []
    for name, item in items:
        text = item.read_text(encoding="utf-8")
        for mark, value in values.items():
            text = text.replace(mark, value)
        files.append((Path(name), text))
    return files


def conflicts(dest: Path, template: str) -> list[Path]:
    """The template's files that already exist in `dest` (relative paths): what scaffolding would replace."""
    return [Path(name) for name, _ in _template_files(template)
            if (dest / name).exists() or (dest / name).is_symlink()]


def scaffold(dest: Path, template: str, *, force: bool = False, bot_name: str | None = None) -> list[Path]:
    """Write the template's files into `dest` (created if missing); return their paths.

    Nothing is written when a file would be replaced and `force` is not set: BadInput lists them.
    """
    if dest.exists() and not dest.is_dir():
        raise BadInput(f"{dest} is a file, not a folder", fix="choose a folder for the new bot project")
    files = planned_files(dest, template, bot_name)
    existing = conflicts(dest, template)
    folders = [path for path in existing if (dest / path).is_dir() and not (dest / path).is_symlink()]
    if folders:
        raise BadInput(f"{dest / folders[0]} is a folder where the template writes a file",
                       fix="move it away, or choose another folder for the new bot project")
    if existing and not force:
        noun = "file" if len(existing) == 1 else "files"
        raise BadInput(f"{len(existing)} {noun} in {dest} would be replaced; nothing was written",
                       "\n".join(f"  • {path.as_posix()}" for path in existing),
                       "add --force to replace them, or choose another folder")
    # Every file is written beside its place first, and only then are they all renamed into place: a full disk
    # or a folder that cannot be written leaves no cut-short template file behind.
    staged: list[tuple[Path, Path]] = []
    try:
        for relative, text in files:
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.botship-tmp{os.getpid()}")
            staged.append((tmp, target))
            tmp.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        named = exc.filename and not any(os.fsdecode(exc.filename) == str(tmp) for tmp, _ in staged)
        raise file_error(exc if named else OSError(exc.errno, exc.strerror, str(dest)),
                         "writing the new project (nothing was written)") from None
    for tmp, target in staged:
        os.replace(tmp, target)  # replaces a link itself, never the file it points to
    return [target for _, target in staged]
