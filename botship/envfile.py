"""The project's `.env`: values read with python-dotenv, bad lines reported by line number."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv.main import resolve_variables
from dotenv.parser import parse_stream

from .errors import Problem
from .spec import ENV_NAME

ENV_FILE = ".env"


@dataclass
class EnvFile:
    """Variables from one `.env` file, with the line each was set on and the lines that were wrong."""

    path: Path
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.path.is_file()


def read_env_file(path: Path) -> EnvFile:
    """Read `path` (a missing file reads as empty). Values are never put into problem messages."""
    env = EnvFile(path)
    if path.is_dir():
        env.problems.append(Problem(path.name, f"{path} is a folder, not a file of NAME=value lines; move or rename "
                                               "the folder (botship reads .env as a file, and it is optional)"))
        return env
    if path.is_symlink() and not path.exists():
        env.problems.append(Problem(path.name, f"{path} is a symbolic link to {os.readlink(path)}, which does not "
                                               "exist; point the link at your .env file, or remove it"))
        return env
    if not path.exists():
        return env
    if not path.is_file():
        env.problems.append(Problem(path.name, f"{path} is not a regular file (a pipe, socket or device); "
                                               "make it a file of NAME=value lines, or remove it"))
        return env
    try:
        # utf-8-sig: a byte-order mark some editors write is read as nothing, not as part of the first name.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        env.problems.append(Problem(path.name, f"{path} is not UTF-8 text; save it as UTF-8"))
        return env
    except OSError as exc:
        env.problems.append(Problem(path.name, f"{path} cannot be read: {exc.strerror or exc}; "
                                               "check that it is a file you may read"))
        return env
    good: list[tuple[str, str | None]] = []
    for binding in parse_stream(io.StringIO(text)):
        where = f"{path.name} line {binding.original.line}"
        if binding.error:
            env.problems.append(Problem(where, "cannot be read as NAME=value; check the quotes and the '='"))
        elif binding.key is None:
            continue
        elif not ENV_NAME.fullmatch(binding.key):
            env.problems.append(Problem(
                where, f"'{binding.key}' is not a valid variable name: start with a letter, then letters, digits or '_'"))
        elif binding.value is None:
            env.problems.append(Problem(where, f"{binding.key} has no '='; write {binding.key}=value"))
        else:
            env.lines[binding.key] = binding.original.line
            good.append((binding.key, binding.value))
    env.values = {k: v or "" for k, v in resolve_variables(good, override=True).items()}
    return env
