"""What a module binds at import time, read from its source (never run): each top-level name and what it may be
bound to — a function, a class, a built object, an import, a constant — for the entry point check."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field


# Expressions whose value is never a function or an app: literals, containers, comprehensions, comparisons,
# and arithmetic on those.
_LITERALS = (ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp,
             ast.DictComp, ast.GeneratorExp, ast.Compare)


@dataclass(frozen=True)
class Binding:
    """What a module-level statement binds a name to, as far as reading the source can tell."""

    # "def" | "class" | "call" | "lambda" | "alias" | "import" | "from-import" | "constant" | "annotation"
    # | "deleted" | "other"
    kind: str
    line: int
    detail: str = ""  # the module imported, the literal's source, the aliased name
    # Why the runtime's call `entry(event, context)` would fail on this function or class, when that is known.
    call_problem: str = ""

    @property
    def runnable(self) -> bool | None:
        """True when it is a function, class or built object; False when it never is; None when unknown."""
        if self.kind in ("import", "constant", "annotation", "deleted") or self.call_problem:
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


def _two_positional(args: ast.arguments, skip: int = 0) -> str:
    """Why a function with these parameters cannot be called as f(event, context), or ""."""
    positional = [*args.posonlyargs, *args.args][skip:]
    required = len(positional) - len(args.defaults)
    names = [a.arg for a in positional]
    if len(positional) < 2 and args.vararg is None:
        took = f"({', '.join(names)})" if names else "no arguments"
        return f"takes {took}, but the runtime passes two: (event, context)"
    if required > 2:
        return f"needs {required} arguments ({', '.join(names[:required])}), but the runtime passes two: (event, context)"
    kw_required = [a.arg for a, default in zip(args.kwonlyargs, args.kw_defaults) if default is None]
    if kw_required:
        return (f"needs the keyword argument{'s' if len(kw_required) > 1 else ''} {', '.join(kw_required)}, "
                "which the runtime never passes")
    return ""


def _def_binding(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Binding:
    if node.decorator_list:
        return Binding("def", node.lineno)  # a decorator may return anything: its signature is not this one
    if isinstance(node, ast.AsyncFunctionDef):
        return Binding("def", node.lineno, "async")
    problem = _two_positional(node.args)
    return Binding("def", node.lineno, call_problem=f"the function {node.name}() {problem}" if problem else "")


def _class_binding(node: ast.ClassDef) -> Binding:
    if _has_instance_run(node):
        return Binding("class", node.lineno, "run-method")
    if node.bases or node.keywords or node.decorator_list or any(
            isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name in ("run", "__new__", "__call__")
            for item in node.body):
        return Binding("class", node.lineno)  # inherited, replaced or static behaviour: not known from here
    init = next((item for item in node.body if isinstance(item, ast.FunctionDef) and item.name == "__init__"), None)
    if init is None:
        problem = f"the class {node.name} has no run() and takes no arguments, but the runtime calls " \
                  f"{node.name}(event, context)"
    elif init.decorator_list:
        problem = ""
    else:
        problem = _two_positional(init.args, skip=1)
        problem = f"the class {node.name} has no run(), and creating it {problem}" if problem else ""
    return Binding("class", node.lineno, call_problem=problem)


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
        problem = _two_positional(value.args)
        return Binding("lambda", line, call_problem=f"the lambda {problem}" if problem else "")
    if isinstance(value, ast.Call):
        return Binding("call", line)
    if isinstance(value, ast.Name):
        return Binding("alias", line, value.id)
    if _is_literal(value):
        text = ast.get_source_segment(source, value) or ast.unparse(value)
        return Binding("constant", line, text if len(text) <= 40 else text[:37] + "...")
    return Binding("other", line)


def static_truth(test: ast.expr) -> bool | None:
    """Whether an `if` test is always true or always false when the module is imported, or None."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = static_truth(test.operand)
        return None if inner is None else not inner
    # `if TYPE_CHECKING:` / `if typing.TYPE_CHECKING:` — only type checkers run these blocks.
    if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
        return False
    # `if __name__ == "__main__":` — only when the file is run as a script, never when the runtime imports it.
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq | ast.NotEq):
        sides = [test.left, test.comparators[0]]
        if any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
                isinstance(s, ast.Constant) and s.value == "__main__" for s in sides):
            return isinstance(test.ops[0], ast.NotEq)
    return None


@dataclass
class ModuleNames:
    """Every name a module may bind at import time, with what it may be bound to (more than one behind if/try)."""

    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    # The module may have names its source does not spell out: a module __getattr__, globals() writes, or a
    # `from X import *` of a module outside the project.
    open_ended: bool = False

    def names(self) -> set[str]:
        return {name for name, found in self.bindings.items() if any(b.kind != "deleted" for b in found)}

    def of(self, name: str) -> list[Binding]:
        return self.bindings.get(name, [])


StarNames = Callable[[str, int], "set[str] | None"]


def module_names(tree: ast.Module, source: str, star_names: StarNames | None = None) -> ModuleNames:
    """What each name of a module may be bound to after import, statement by statement.

    Statements run in order, so a later binding at the top level replaces the earlier ones; a binding in a
    block that may or may not run (if, try, loops, match) joins them. Blocks that never run on import
    (`if __name__ == "__main__":`, `if TYPE_CHECKING:`) are skipped. `star_names(module, level)` gives the
    names a `from module import *` brings, or None when they cannot be known.
    """
    result = ModuleNames()
    Env = dict[str, list[Binding]]

    def bind(env: Env, name: str, binding: Binding) -> None:
        env[name] = [binding]

    def join(*envs: Env) -> Env:
        out: Env = {}
        for env in envs:
            for name, found in env.items():
                out.setdefault(name, [])
                out[name] += [b for b in found if b not in out[name]]
        return out

    def targets(env: Env, target: ast.expr, value: ast.expr | None, line: int) -> None:
        if isinstance(target, ast.Name):
            bind(env, target.id, _value_binding(value, line, source) if value is not None else Binding("other", line))
        elif isinstance(target, ast.Tuple | ast.List):
            values = value.elts if isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(target.elts) \
                and not any(isinstance(e, ast.Starred) for e in target.elts) else None
            for n, element in enumerate(target.elts):
                targets(env, element, values[n] if values else None, line)
        elif isinstance(target, ast.Starred):
            targets(env, target.value, None, line)
        elif isinstance(target, ast.Subscript) and _is_globals_call(target.value):
            result.open_ended = True

    def walrus(env: Env, node: ast.AST) -> None:
        for sub in _walk_same_scope(node):
            if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                bind(env, sub.target.id, Binding("other", sub.lineno))
            elif isinstance(sub, ast.Call) and _is_globals_call(sub):
                result.open_ended = True

    def visit(body: list[ast.stmt], env: Env) -> Env:
        for node in body:
            env = statement(node, env)
        return env

    def statement(node: ast.stmt, env: Env) -> Env:
        env = dict(env)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            bind(env, node.name, _def_binding(node))
            if node.name == "__getattr__":
                result.open_ended = True
        elif isinstance(node, ast.ClassDef):
            bind(env, node.name, _class_binding(node))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                bind(env, bound, Binding("import", node.lineno, alias.name if alias.asname else bound))
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    found = star_names(node.module or "", node.level) if star_names else None
                    if found is None:
                        result.open_ended = True
                    for name in found or ():
                        bind(env, name, Binding("from-import", node.lineno, f"{module}:{name}"))
                else:
                    bind(env, alias.asname or alias.name, Binding("from-import", node.lineno, f"{module}:{alias.name}"))
        elif isinstance(node, ast.Assign):
            walrus(env, node.value)
            for target in node.targets:
                targets(env, target, node.value, node.lineno)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                walrus(env, node.value)
            if isinstance(node.target, ast.Name):
                bind(env, node.target.id, Binding("annotation", node.lineno) if node.value is None
                     else _value_binding(node.value, node.lineno, source))
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        bind(env, sub.id, Binding("deleted", node.lineno))
        elif isinstance(node, ast.If):
            walrus(env, node.test)
            truth = static_truth(node.test)
            if truth is True:
                return visit(node.body, env)
            if truth is False:
                return visit(node.orelse, env)
            return join(visit(node.body, env), visit(node.orelse, env))
        elif isinstance(node, ast.For | ast.AsyncFor):
            walrus(env, node.iter)
            looped = dict(env)
            targets(looped, node.target, None, node.lineno)
            looped = visit(node.body, looped)
            return visit(node.orelse, join(env, looped))
        elif isinstance(node, ast.While):
            walrus(env, node.test)
            return visit(node.orelse, join(env, visit(node.body, env)))
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                walrus(env, item.context_expr)
                if item.optional_vars is not None:
                    targets(env, item.optional_vars, None, node.lineno)
            return visit(node.body, env)
        elif isinstance(node, ast.Try | getattr(ast, "TryStar", ast.Try)):
            tried = visit(node.body, env)
            handled = [visit(handler.body, join(env, tried)) for handler in node.handlers]
            after = join(visit(node.orelse, tried), *handled) if handled else visit(node.orelse, tried)
            return visit(node.finalbody, after)
        elif isinstance(node, ast.Match):
            walrus(env, node.subject)
            cases = []
            for case in node.cases:
                matched = dict(env)
                for sub in ast.walk(case.pattern):
                    for name in (getattr(sub, "name", None), getattr(sub, "rest", None)):
                        if isinstance(name, str):
                            bind(matched, name, Binding("other", node.lineno))
                cases.append(visit(case.body, matched))
            return join(env, *cases)
        elif type(node).__name__ == "TypeAlias":
            bind(env, node.name.id, Binding("other", node.lineno))  # type: ignore[attr-defined]
        else:
            walrus(env, node)
        return env

    result.bindings = visit(tree.body, {})
    return result


def _walk_same_scope(node: ast.AST):
    """ast.walk, without descending into functions, lambdas and classes (their names are their own)."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                todo.append(child)


def _is_globals_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("globals", "vars")
