"""The bot's entry point (`module:attribute`), checked by reading source — the user's code is never imported.

How the project's modules are found and read is `entry_modules`; why an attribute is not runnable, `entry_runnable`.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

from .bindings import module_names, static_truth
from .entry_modules import Reader, imports_problem, module_file
from .entry_runnable import not_runnable
from .errors import BotshipError
from .ignores import RUNTIME_PACKAGE, ShipRules

__all__ = ["check_entry_in_project", "module_file", "parse_entry", "shadowed_name"]

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
    reader = Reader(project, python)
    source = reader.read(path)
    if source.problem:
        raise ValueError(source.problem)
    if problem := imports_problem(reader, module, path):
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
        problem = not_runnable(reader, module, attribute, 0)
        if problem:
            runnable = [n for n in sorted(names.names()) if not n.startswith("_") and n != attribute
                        and any(b.runnable for b in names.of(n)) and not_runnable(reader, module, n, 0) is None][:6]
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
