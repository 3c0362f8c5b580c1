"""Why an entry's attribute is not a function or app the runtime can run, read from the source (never imported)."""

from __future__ import annotations

import builtins

from .bindings import Binding, ModuleNames
from .entry_modules import Reader, Source, absolute_name, module_file

def not_runnable(reader: Reader, module: str, attribute: str, depth: int) -> str | None:
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


def _judge(reader: Reader, module: str, source: Source, names: ModuleNames, attribute: str, binding: Binding,
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
            inner = not_runnable(reader, module, target, depth + 1)
            return f"'{attribute}' is '{target}', and {inner}" if inner else None
        if target not in names.names() and hasattr(builtins, target):
            if not callable(getattr(builtins, target)):
                return f"'{attribute}' is the built-in constant {target} ({where}), not a function or an app"
        return None
    if binding.kind == "from-import":
        return _judge_from_import(reader, module, source, attribute, binding, depth)
    return None


def _judge_from_import(reader: Reader, module: str, source: Source, attribute: str, binding: Binding,
                       depth: int) -> str | None:
    imported, _, name = binding.detail.partition(":")
    level = len(imported) - len(imported.lstrip("."))
    package = module if source.path.name == "__init__.py" else module.rpartition(".")[0]
    full = absolute_name(package, imported.lstrip("."), level)
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
        inner = not_runnable(reader, full, name, depth + 1)
        return f"'{attribute}' is {full}:{name} (line {binding.line}), and there {inner}" if inner else None
    return None
