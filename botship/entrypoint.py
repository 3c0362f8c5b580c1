"""The bot's entry point (`module:attribute`), checked by reading source — the user's code is never imported."""

from __future__ import annotations

import ast
import re
from pathlib import Path

_ENTRY = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*)$")


def parse_entry(text: str) -> tuple[str, str]:
    """Split `module:attribute`; raise ValueError showing the expected form."""
    m = _ENTRY.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not module:attribute, e.g. 'app:handler' for handler in app.py")
    return m.group(1), m.group(2)


def module_file(project: Path, module: str) -> Path | None:
    """The source file that defines `module` in the project, if there is one."""
    base = project.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def top_level_names(source: str, filename: str = "<bot>") -> set[str]:
    """Names a module binds at import time: defs, classes, assignments and imports (inside if/try too)."""
    tree = ast.parse(source, filename=filename)
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for part in ("body", "orelse", "finalbody"):
                    visit(getattr(node, part, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return names


def check_entry_in_project(project: Path, module: str, attribute: str) -> Path:
    """Check that `module` exists in `project` and defines `attribute`; return its file."""
    path = module_file(project, module)
    if path is None:
        rel = Path(*module.split("."))
        raise ValueError(f"no {rel}.py or {rel}/__init__.py in the project folder")
    try:
        names = top_level_names(path.read_text(encoding="utf-8"), str(path.name))
    except SyntaxError as exc:
        raise ValueError(f"{path.relative_to(project)} line {exc.lineno}: syntax error: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path.relative_to(project)}: {exc}") from None
    if attribute not in names:
        callables = sorted(n for n in names if not n.startswith("_"))[:8]
        found = f" (it defines: {', '.join(callables)})" if callables else ""
        raise ValueError(f"{path.relative_to(project)} defines no '{attribute}'{found}")
    return path
