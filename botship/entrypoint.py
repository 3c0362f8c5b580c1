"""The bot's entry point (`module:attribute`), checked by reading source — the user's code is never imported."""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BotshipError
from .ignores import ShipRules

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


# Expressions whose value is never a function or an app: literals, containers, comprehensions, comparisons,
# and arithmetic on those.
_LITERALS = (ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp,
             ast.DictComp, ast.GeneratorExp, ast.Compare)


@dataclass(frozen=True)
class Binding:
    """What a module-level statement binds a name to, as far as reading the source can tell."""

    kind: str  # "def" | "class" | "call" | "lambda" | "alias" | "import" | "from-import" | "constant" | "annotation" | "other"
    line: int
    detail: str = ""  # the module imported, the literal's source, the aliased name

    @property
    def runnable(self) -> bool | None:
        """True when it is a function, class or built object; False when it never is; None when unknown."""
        if self.kind in ("import", "constant", "annotation"):
            return False
        if self.kind == "class" and self.detail == "run-method":
            return False
        if self.kind in ("def", "class", "call", "lambda"):
            return True
        return None


def _has_instance_run(node: ast.ClassDef) -> bool:
    """Whether the class defines run(self, …): the runtime would call it on the class, with no instance."""
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == "run":
            decorators = {d.id for d in item.decorator_list if isinstance(d, ast.Name)}
            return not decorators & {"staticmethod", "classmethod"}
    return False


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, _LITERALS):
        return True
    if isinstance(node, ast.BinOp):
        return _is_literal(node.left) and _is_literal(node.right)
    if isinstance(node, ast.UnaryOp):
        return _is_literal(node.operand)
    if isinstance(node, ast.BoolOp):
        return all(_is_literal(v) for v in node.values)
    return False


def _value_binding(value: ast.expr, line: int, source: str) -> Binding:
    if isinstance(value, ast.Lambda):
        return Binding("lambda", line)
    if isinstance(value, ast.Call):
        return Binding("call", line)
    if isinstance(value, ast.Name):
        return Binding("alias", line, value.id)
    if _is_literal(value):
        text = ast.get_source_segment(source, value) or ast.unparse(value)
        return Binding("constant", line, text if len(text) <= 40 else text[:37] + "...")
    return Binding("other", line)


def bindings_of(source: str, name: str, filename: str = "<bot>") -> list[Binding]:
    """Every binding of `name` the module may be left with after import (more than one behind if/try).

    Statements run in order, so a later binding at the top level replaces the earlier ones; a binding
    inside an if/try/with/loop block may or may not happen, so it joins them.
    """
    tree = ast.parse(source, filename=filename)

    def own(node: ast.stmt) -> Binding | None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return Binding("def", node.lineno)
        if isinstance(node, ast.ClassDef) and node.name == name:
            return Binding("class", node.lineno, "run-method" if _has_instance_run(node) else "")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (alias.asname or alias.name.split(".")[0]) == name:
                    return Binding("import", node.lineno, alias.name if alias.asname else alias.name.split(".")[0])
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    module = "." * node.level + (node.module or "")
                    return Binding("from-import", node.lineno, f"{module}:{alias.name}")
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    return _value_binding(node.value, node.lineno, source)
                if isinstance(target, ast.Tuple | ast.List) and any(
                        isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
                    elements = target.elts
                    value = node.value
                    if isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(elements):
                        for element, part in zip(elements, value.elts):
                            if isinstance(element, ast.Name) and element.id == name:
                                return _value_binding(part, node.lineno, source)
                    return Binding("other", node.lineno)
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            if node.value is None:
                return Binding("annotation", node.lineno)
            return _value_binding(node.value, node.lineno, source)
        return None

    def visit(body: list[ast.stmt], current: list[Binding]) -> list[Binding]:
        for node in body:
            found = own(node)
            if found is not None:
                current = [found]
                continue
            if isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While | ast.AsyncWith | ast.AsyncFor):
                inner: list[Binding] = []
                blocks = [getattr(node, part, []) for part in ("body", "orelse", "finalbody")]
                blocks += [handler.body for handler in getattr(node, "handlers", [])]
                for block in blocks:
                    inner += [b for b in visit(block, []) if b not in inner]
                current = current + [b for b in inner if b not in current]
            elif isinstance(node, ast.AugAssign | ast.Delete | ast.Global | ast.Nonlocal | ast.Expr):
                continue
            elif any(isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name) and n.target.id == name
                     for n in ast.walk(node)):
                current = current + [Binding("other", node.lineno)]
        return current

    return visit(tree.body, [])


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
    """Check that `module` exists in `project`, ships, and binds `attribute` to something runnable; return its file.

    Runnable: a function, a class or an object built by a call (an app). A module the file imports, a name
    imported from outside the project, a constant or a bare annotation never is, so those are refused here
    rather than on every run in the cloud.
    """
    path = module_file(project, module)
    if path is None:
        rel = Path(*module.split("."))
        raise ValueError(f"no {rel}.py or {rel}/__init__.py in the project folder")
    rel = path.relative_to(project).as_posix()
    source = _read(project, path)
    names = top_level_names(source, str(path.name))
    if attribute not in names:
        callables = sorted(n for n in names if not n.startswith("_"))[:8]
        found = f" (it defines: {', '.join(callables)})" if callables else ""
        raise ValueError(f"{rel} defines no '{attribute}'{found}")
    problem = _not_runnable(project, module, path, source, attribute, 0)
    if problem:
        runnable = [n for n in sorted(names) if not n.startswith("_") and n != attribute
                    and _not_runnable(project, module, path, source, n, 0) is None
                    and any(b.runnable for b in bindings_of(source, n))][:6]
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


def _read(project: Path, path: Path) -> str:
    try:
        source = path.read_text(encoding="utf-8")
        ast.parse(source, filename=str(path.name))
    except SyntaxError as exc:
        raise ValueError(f"{path.relative_to(project)} line {exc.lineno}: syntax error: {exc.msg}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"cannot read {path.relative_to(project)}: {exc}") from None
    return source


def _not_runnable(project: Path, module: str, path: Path, source: str, attribute: str, depth: int) -> str | None:
    """Why `attribute` of `module` is never a function or an app, or None when it is (or may be)."""
    found = bindings_of(source, attribute, str(path.name))
    reasons = [_judge(project, module, path, source, attribute, b, depth) for b in found]
    if found and all(reason is not None for reason in reasons):
        return reasons[-1]
    return None


def _judge(project: Path, module: str, path: Path, source: str, attribute: str, binding: Binding,
           depth: int) -> str | None:
    where = f"line {binding.line}"
    if binding.kind == "import":
        return f"'{attribute}' is the module {binding.detail} that it imports ({where}), not the bot"
    if binding.kind == "constant":
        return f"'{attribute}' is a constant ({attribute} = {binding.detail}, {where}), not a function or an app"
    if binding.kind == "class" and binding.detail == "run-method":
        return (f"'{attribute}' is a class whose run() needs an instance ({where}): the runtime would call "
                f"{attribute}.run() on the class itself; create the app (e.g. bot = {attribute}()) and point entry "
                "at that")
    if binding.kind == "annotation":
        return f"'{attribute}' is only annotated, never assigned ({where}), so the module has no such attribute"
    if depth > 8:
        return None
    if binding.kind == "alias":
        target = binding.detail
        if target != attribute and target in top_level_names(source, str(path.name)):
            inner = _not_runnable(project, module, path, source, target, depth + 1)
            return f"'{attribute}' is '{target}', and {inner}" if inner else None
        if target not in top_level_names(source) and hasattr(builtins, target):
            if not callable(getattr(builtins, target)):
                return f"'{attribute}' is the built-in constant {target} ({where}), not a function or an app"
        return None
    if binding.kind == "from-import":
        return _judge_from_import(project, module, path, attribute, binding, depth)
    return None


def _judge_from_import(project: Path, module: str, path: Path, attribute: str, binding: Binding,
                       depth: int) -> str | None:
    imported, _, name = binding.detail.partition(":")
    level = len(imported) - len(imported.lstrip("."))
    full = imported.lstrip(".")
    if level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        if level - 1 > len(package):
            return None  # an import error, which the artifact's import check reports
        base = package[:len(package) - (level - 1)]
        full = ".".join(base + ([full] if full else []))
    source_file = module_file(project, full) if full else None
    if source_file is None:
        if level:
            return None
        return (f"'{attribute}' is imported from {full} (line {binding.line}), outside the project, so botship "
                "cannot check that it is the bot (to run it, wrap it: def handler(event, context) that calls it)")
    try:
        source = source_file.read_text(encoding="utf-8")
        names = top_level_names(source, source_file.name)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    if name in names:
        inner = _not_runnable(project, full, source_file, source, name, depth + 1)
        return f"'{attribute}' is {full}:{name} (line {binding.line}), and there {inner}" if inner else None
    if module_file(project, f"{full}.{name}") is not None:
        return f"'{attribute}' is the module {full}.{name} that it imports (line {binding.line}), not the bot"
    return None
