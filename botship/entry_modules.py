"""The project's modules as the bot's Python reads them: found by dotted name, parsed once each, with what they bind."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .bindings import ModuleNames, module_names

def module_file(project: Path, module: str) -> Path | None:
    """The source file that defines `module` in the project, if there is one.

    Names are compared exactly, as on the cloud's case-sensitive Linux: on a case-insensitive disk `App.py` is
    not `app.py`. A package (`app/__init__.py`) comes before a module (`app.py`), as Python's import does.
    """
    parts = module.split(".")
    folder = project
    for part in parts[:-1]:
        if not _has_entry(folder, part, directory=True):
            return None
        folder = folder / part
    last = parts[-1]
    if _has_entry(folder, last, directory=True) and _has_entry(folder / last, "__init__.py"):
        return folder / last / "__init__.py"
    if _has_entry(folder, f"{last}.py"):
        return folder / f"{last}.py"
    return None


def _has_entry(folder: Path, name: str, directory: bool = False) -> bool:
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    if name not in names:
        return False
    return (folder / name).is_dir() if directory else (folder / name).is_file()


def _version(python: str | None) -> tuple[int, int] | None:
    m = re.fullmatch(r"3\.(\d+)", str(python or ""))
    return (3, int(m.group(1))) if m else None


@dataclass
class Source:
    """A project module read and parsed, or why it could not be (None when only a newer Python can tell)."""

    path: Path
    text: str = ""
    tree: ast.Module | None = None
    problem: str | None = None


class Reader:
    """Reads the project's modules the way the target Python would, each once."""

    def __init__(self, project: Path, python: str | None) -> None:
        self.project = project
        self.target = _version(python)
        self.cache: dict[Path, Source] = {}
        self.modules: dict[str, tuple[Source, ModuleNames] | None] = {}

    def read(self, path: Path) -> Source:
        if path not in self.cache:
            self.cache[path] = self._read(path)
        return self.cache[path]

    def _read(self, path: Path) -> Source:
        rel = path.relative_to(self.project).as_posix()
        here = sys.version_info[:2]
        data = b""
        try:
            data = path.read_bytes()
            # From bytes, as the import system reads a file: a UTF-8 BOM and `# coding:` lines are honoured.
            text = importlib.util.decode_source(data)
            feature = self.target if self.target and self.target < here else None
            tree = ast.parse(data, filename=path.name, feature_version=feature)
        except SyntaxError as exc:
            if self.target and self.target > here and _maybe_newer_syntax(exc, data):
                # Syntax newer than this Python (`type X = …`, `def f[T]()`, 3.12's f-strings) cannot be judged
                # here: the import check and the cloud do.
                return Source(path)
            where = f" line {exc.lineno}" if exc.lineno else ""
            return Source(path, problem=f"{rel}{where}: syntax error: {exc.msg}" + (
                f" (under Python {self.target[0]}.{self.target[1]}, the bot's version)" if feature else ""))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return Source(path, problem=f"cannot read {rel}: {exc}")
        return Source(path, text, tree)

    def names(self, module: str) -> tuple[Source, ModuleNames] | None:
        """The module's source and what it binds, worked out once per check."""
        if module not in self.modules:
            # None while it is being worked out: a `from … import *` cycle back to it brings no known names.
            self.modules[module] = None
            self.modules[module] = self._names(module)
        return self.modules[module]

    def _names(self, module: str) -> tuple[Source, ModuleNames] | None:
        path = module_file(self.project, module)
        if path is None:
            return None
        source = self.read(path)
        if source.tree is None:
            return None
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        return source, module_names(source.tree, source.text, lambda name, level: self.star(package, name, level))

    def star(self, package: str, name: str, level: int) -> set[str] | None:
        full = absolute_name(package, name, level)
        if full is None or module_file(self.project, full) is None:
            return None
        found = self.names(full)
        if found is None:
            return None
        source, names = found
        exported = _literal_all(source.tree)
        return exported if exported is not None else {n for n in names.names() if not n.startswith("_")}


# What Python 3.12 and 3.13 added to the grammar: type aliases, type parameters, and f-strings that nest quotes.
_NEWER_SYNTAX = re.compile(r"^\s*type\s+\w+|\b(?:def|class)\s+\w+\s*\[|(?<![\w'\"])(?:[rRbB]?[fF]|[fF][rR])['\"]")


def _maybe_newer_syntax(exc: SyntaxError, data: bytes) -> bool:
    """Whether a syntax error found by this (older) Python may be syntax a newer one accepts."""
    if exc.lineno is None:
        return False  # a NUL byte, or an encoding no Python reads
    lines = data.decode("utf-8", errors="replace").splitlines()
    nearby = lines[max(exc.lineno - 3, 0):exc.lineno + 2] or [exc.text or ""]
    return any(_NEWER_SYNTAX.search(line) for line in nearby)


def absolute_name(package: str, name: str, level: int) -> str | None:
    """The absolute module name of `from <level dots><name> import …` inside `package`."""
    if not level:
        return name or None
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[:len(parts) - (level - 1)]
    full = ".".join(base + ([name] if name else []))
    return full or None


def _literal_all(tree: ast.Module | None) -> set[str] | None:
    for node in tree.body if tree else ():
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            return {v for v in value if isinstance(v, str)} if isinstance(value, list | tuple) else None
    return None


def imports_problem(reader: Reader, module: str, path: Path) -> str | None:
    """A syntax error in a project module that importing the entry runs: its parent packages, then what it imports."""
    parts = module.split(".")
    todo: list[tuple[str, str]] = [(".".join(parts[:n]), "") for n in range(1, len(parts))]
    todo.append((module, ""))
    seen: set[str] = set()
    while todo:
        name, via = todo.pop(0)
        if name in seen or len(seen) > 500:
            continue
        seen.add(name)
        file = module_file(reader.project, name)
        if file is None:
            continue
        source = reader.read(file)
        if source.problem:
            return f"{via}{source.problem}" if via else source.problem
        if source.tree is None:
            continue
        package = name if file.name == "__init__.py" else name.rpartition(".")[0]
        rel = file.relative_to(reader.project).as_posix()
        for node in ast.walk(source.tree):
            imported: list[str] = []
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = absolute_name(package, node.module or "", node.level)
                if base:
                    imported = [base, *(f"{base}.{a.name}" for a in node.names if a.name != "*")]
            for target in imported:
                pieces = target.split(".")
                for n in range(1, len(pieces) + 1):
                    todo.append((".".join(pieces[:n]), f"{rel} imports {target} (line {node.lineno}), and "))
    return None
