"""The bot's entry point (`module:attribute`), checked by reading source — the user's code is never imported."""

from __future__ import annotations

import ast
import builtins
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .bindings import Binding, ModuleNames, module_names, static_truth
from .errors import BotshipError
from .ignores import RUNTIME_PACKAGE, ShipRules

_ENTRY = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*)$")

# Top-level module names the function imports before the bot, or that the platform provides: a project module
# of the same name is shadowed by them (or shadows them, breaking botship's runtime), so it cannot be the entry.
# The standard library, the AWS SDK Lambda provides, botship's runtime package and Azure's entry file.
_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "awslambdaric",
             "bootstrap", RUNTIME_PACKAGE, "function_app", "azure")


def parse_entry(text: str) -> tuple[str, str]:
    """Split `module:attribute`; raise ValueError showing the expected form."""
    m = _ENTRY.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not module:attribute, e.g. 'app:handler' for handler in app.py")
    module, attribute = m.group(1), m.group(2)
    import keyword

    if bad := next((part for part in [*module.split("."), attribute] if keyword.iskeyword(part)), None):
        raise ValueError(f"'{text}': '{bad}' is a Python keyword, so no module or attribute can have that name")
    return module, attribute


def shadowed_name(module: str) -> str | None:
    """Why a project module of this dotted name cannot be imported as the project's own, or None."""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return (f"'{top}' is the name of a module of Python's standard library, which the function loads before "
                "the bot; rename the project's module (e.g. 'bot_" + top + "')")
    if top in _PROVIDED:
        return (f"'{top}' is the name of a module the cloud runtime or botship provides, which the function loads "
                f"before the bot; rename the project's module (e.g. 'bot_{top}')")
    return None


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
class _Source:
    """A project module read and parsed, or why it could not be (None when only a newer Python can tell)."""

    path: Path
    text: str = ""
    tree: ast.Module | None = None
    problem: str | None = None


class _Reader:
    """Reads the project's modules the way the target Python would, each once."""

    def __init__(self, project: Path, python: str | None) -> None:
        self.project = project
        self.target = _version(python)
        self.cache: dict[Path, _Source] = {}
        self.modules: dict[str, tuple[_Source, ModuleNames] | None] = {}

    def read(self, path: Path) -> _Source:
        if path not in self.cache:
            self.cache[path] = self._read(path)
        return self.cache[path]

    def _read(self, path: Path) -> _Source:
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
                return _Source(path)
            where = f" line {exc.lineno}" if exc.lineno else ""
            return _Source(path, problem=f"{rel}{where}: syntax error: {exc.msg}" + (
                f" (under Python {self.target[0]}.{self.target[1]}, the bot's version)" if feature else ""))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return _Source(path, problem=f"cannot read {rel}: {exc}")
        return _Source(path, text, tree)

    def names(self, module: str) -> tuple[_Source, ModuleNames] | None:
        """The module's source and what it binds, worked out once per check."""
        if module not in self.modules:
            # None while it is being worked out: a `from … import *` cycle back to it brings no known names.
            self.modules[module] = None
            self.modules[module] = self._names(module)
        return self.modules[module]

    def _names(self, module: str) -> tuple[_Source, ModuleNames] | None:
        path = module_file(self.project, module)
        if path is None:
            return None
        source = self.read(path)
        if source.tree is None:
            return None
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        return source, module_names(source.tree, source.text, lambda name, level: self.star(package, name, level))

    def star(self, package: str, name: str, level: int) -> set[str] | None:
        full = _absolute(package, name, level)
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


def _absolute(package: str, name: str, level: int) -> str | None:
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


def check_entry_in_project(project: Path, module: str, attribute: str, python: str | None = None) -> Path:
    """Check that `module` exists in `project`, ships, imports, and binds `attribute` to something the runtime can
    call as (event, context) or run as an app; return its file.

    Refused: a module named like one the runtime loads first, a syntax error in it or in a project module it
    imports, a module the file imports, a name imported from outside the project, a constant, a bare annotation,
    a deleted name, a name bound only under `if __name__ == "__main__":`, and a function or class whose
    parameters do not take (event, context).
    """
    if reason := shadowed_name(module):
        raise ValueError(reason)
    path = module_file(project, module)
    if path is None:
        rel = Path(*module.split("."))
        raise ValueError(f"no {rel}.py or {rel}/__init__.py in the project folder" + _case_hint(project, module))
    rel = path.relative_to(project).as_posix()
    if link := _link_that_does_not_ship(project, path):
        raise ValueError(f"{rel} would not be in the package: {link}; copy it into the project")
    reader = _Reader(project, python)
    source = reader.read(path)
    if source.problem:
        raise ValueError(source.problem)
    if problem := _imports_problem(reader, module, path):
        raise ValueError(problem)
    if source.tree is not None:
        found = reader.names(module)
        assert found is not None
        names = found[1]
        if attribute not in names.bindings and not names.open_ended:
            callables = sorted(n for n in names.names() if not n.startswith("_"))[:8]
            defined = f" (it defines: {', '.join(callables)})" if callables else ""
            main_only = _only_under_main(source.tree, attribute)
            raise ValueError(f"{rel} defines no '{attribute}'" + (main_only or defined))
        problem = _not_runnable(reader, module, attribute, 0)
        if problem:
            runnable = [n for n in sorted(names.names()) if not n.startswith("_") and n != attribute
                        and any(b.runnable for b in names.of(n)) and _not_runnable(reader, module, n, 0) is None][:6]
            hint = f" such as {', '.join(f'{module}:{n}' for n in runnable)}" if runnable else ""
            raise ValueError(f"{rel}: {problem}; point entry at a function taking (event, context) or an app "
                             f"object with .run() that the project defines{hint}")
    try:
        dropped = ShipRules(project).dropped_by(rel)
    except BotshipError as exc:
        raise ValueError(exc.what) from None
    if dropped:
        raise ValueError(f"{rel} would not be in the package: {dropped.reason}; {dropped.fix}, or point entry "
                         "at a module that ships")
    return path


def _link_that_does_not_ship(project: Path, path: Path) -> str | None:
    """A symbolic link on the way to `path` that packaging does not follow: a folder link, or a file link out of the project."""
    current = project
    parts = path.relative_to(project).parts
    for n, part in enumerate(parts):
        current = current / part
        if not current.is_symlink():
            continue
        shown = current.relative_to(project).as_posix()
        if n < len(parts) - 1:
            return f"{shown}/ is a link to a folder, and packaging does not follow folder links"
        if not current.resolve().is_relative_to(project.resolve()):
            return f"it is a link to {current.resolve()}, outside the project, and only the project's files ship"
    return None


def _case_hint(project: Path, module: str) -> str:
    """A did-you-mean when the module exists under another case (`App.py` for `app`), which Linux does not find."""
    parts = module.split(".")
    folder = project
    for n, part in enumerate(parts):
        try:
            names = os.listdir(folder)
        except OSError:
            return ""
        last = n == len(parts) - 1
        wanted = [part, f"{part}.py"] if last else [part]
        match = next((name for name in names if name.lower() in {w.lower() for w in wanted}), None)
        if match is None:
            return ""
        if match not in wanted:
            shown = (folder / match).relative_to(project).as_posix()
            return (f"; there is {shown}, but the cloud's file names are case-sensitive — rename it or write the "
                    "entry with the same case")
        folder = folder / match
    return ""


def _only_under_main(tree: ast.Module, attribute: str) -> str:
    for node in tree.body:
        if isinstance(node, ast.If) and static_truth(node.test) is False:
            hidden = module_names(ast.Module(body=node.body, type_ignores=[]), "")
            if attribute in hidden.names():
                return (f" when imported: it is defined only under the `if` on line {node.lineno}, which runs when "
                        "the file is run as a script (or by a type checker), never when the runtime imports it — "
                        "move the definition out of that block")
    return ""


def _imports_problem(reader: _Reader, module: str, path: Path) -> str | None:
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
                base = _absolute(package, node.module or "", node.level)
                if base:
                    imported = [base, *(f"{base}.{a.name}" for a in node.names if a.name != "*")]
            for target in imported:
                pieces = target.split(".")
                for n in range(1, len(pieces) + 1):
                    todo.append((".".join(pieces[:n]), f"{rel} imports {target} (line {node.lineno}), and "))
    return None


def _not_runnable(reader: _Reader, module: str, attribute: str, depth: int) -> str | None:
    """Why `attribute` of `module` is never a function or an app, or None when it is (or may be)."""
    found = reader.names(module)
    if found is None:
        return None
    source, names = found
    bindings = names.of(attribute)
    if not bindings:
        return None
    reasons = [_judge(reader, module, source, names, attribute, b, depth) for b in bindings]
    if all(reason is not None for reason in reasons):
        return reasons[-1]
    return None


def _judge(reader: _Reader, module: str, source: _Source, names: ModuleNames, attribute: str, binding: Binding,
           depth: int) -> str | None:
    where = f"line {binding.line}"
    if binding.kind == "import":
        return f"'{attribute}' is the module {binding.detail} that it imports ({where}), not the bot"
    if binding.kind == "constant":
        return f"'{attribute}' is a constant ({attribute} = {binding.detail}, {where}), not a function or an app"
    if binding.kind == "deleted":
        return f"'{attribute}' is deleted (del {attribute}, {where}) before the module finishes loading"
    if binding.kind == "class" and binding.detail == "run-method":
        return (f"'{attribute}' is a class whose run() needs an instance ({where}): the runtime would call "
                f"{attribute}.run() on the class itself; create the app (e.g. bot = {attribute}()) and point entry "
                "at that")
    if binding.call_problem:
        return f"{binding.call_problem} ({where}); give it the parameters (event, context)"
    if binding.kind == "annotation":
        return f"'{attribute}' is only annotated, never assigned ({where}), so the module has no such attribute"
    if depth > 8:
        return None
    if binding.kind == "alias":
        target = binding.detail
        if target != attribute and target in names.names():
            inner = _not_runnable(reader, module, target, depth + 1)
            return f"'{attribute}' is '{target}', and {inner}" if inner else None
        if target not in names.names() and hasattr(builtins, target):
            if not callable(getattr(builtins, target)):
                return f"'{attribute}' is the built-in constant {target} ({where}), not a function or an app"
        return None
    if binding.kind == "from-import":
        return _judge_from_import(reader, module, source, attribute, binding, depth)
    return None


def _judge_from_import(reader: _Reader, module: str, source: _Source, attribute: str, binding: Binding,
                       depth: int) -> str | None:
    imported, _, name = binding.detail.partition(":")
    level = len(imported) - len(imported.lstrip("."))
    package = module if source.path.name == "__init__.py" else module.rpartition(".")[0]
    full = _absolute(package, imported.lstrip("."), level)
    if full is None:
        return None  # an import error, which the artifact's import check reports
    if module_file(reader.project, f"{full}.{name}") is not None and (
            module_file(reader.project, full) is None or name not in (reader.names(full) or (None, ModuleNames()))[1].names()):
        return f"'{attribute}' is the module {full}.{name} that it imports (line {binding.line}), not the bot"
    if module_file(reader.project, full) is None:
        if level:
            return None
        return (f"'{attribute}' is imported from {full} (line {binding.line}), outside the project, so botship "
                "cannot check that it is the bot (to run it, wrap it: def handler(event, context) that calls it)")
    found = reader.names(full)
    if found is None:
        return None
    if name in found[1].bindings:
        inner = _not_runnable(reader, full, name, depth + 1)
        return f"'{attribute}' is {full}:{name} (line {binding.line}), and there {inner}" if inner else None
    return None
