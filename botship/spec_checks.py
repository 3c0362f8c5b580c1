"""The deploy spec's cross-field rules: what a field may hold given the others (platform, zone, variables, tables)."""

from __future__ import annotations

import re
from typing import Any

from . import providers as platforms
from .schedule import check_fires, parse_schedule
from .spec_limits import hosting_plan, limits_for, pythons_for


def _python_setting_problem(name: str, value: str) -> str | None:
    """Why Python would refuse to start with this variable set (CPython's own checks), or None."""
    import codecs

    name = name.upper()
    if name == "PYTHONHASHSEED" and value and value != "random" and not (
            value.strip().isdigit() and int(value) <= 4294967295):
        return "Python starts only with PYTHONHASHSEED set to 'random' or a number 0–4294967295"
    if name == "PYTHONUTF8" and value not in ("", "0", "1"):
        return "Python starts only with PYTHONUTF8 set to 0 or 1"
    if name == "PYTHONMALLOC" and value and value not in (
            "default", "debug", "malloc", "malloc_debug", "pymalloc", "pymalloc_debug", "mimalloc", "mimalloc_debug"):
        return "Python starts only with PYTHONMALLOC set to an allocator it has, e.g. 'malloc' or 'pymalloc'"
    if name == "PYTHONIOENCODING" and (encoding := value.partition(":")[0]):
        try:
            codecs.lookup(encoding)
        except LookupError:
            return f"Python does not start with PYTHONIOENCODING naming an unknown encoding ('{encoding}'); use e.g. 'utf-8'"
    if name == "PYTHONINTMAXSTRDIGITS" and value and not (value.isdigit() and (int(value) == 0 or int(value) >= 640)):
        return "Python starts only with PYTHONINTMAXSTRDIGITS set to 0 (no limit) or a number from 640"
    if name == "PYTHONTRACEMALLOC" and value and not (value.isdigit() and int(value) <= 65535):
        return "Python starts only with PYTHONTRACEMALLOC set to a number of frames 0–65535"
    return None


def cross_field_problems(values: dict[str, Any], given: set[str]) -> list[tuple[tuple, str]]:
    """(field path, message) for each rule between fields that `values` (the fields valid on their own) break.

    `given` is the keys the answers set, as opposed to defaults: a setting that does not apply is refused only then.
    """
    problems: list[tuple[tuple, str]] = []
    platform = values.get("platform")
    info = platforms.platform(platform) if platform else None
    if info:
        plan = hosting_plan(platform, values.get(info.required_table) if info.required_table else None)
        where = info.title + (f" ({plan} plan)" if plan else "")
        limits = limits_for(platform, plan)
        for name in ("memory_mb", "timeout_s", "ephemeral_mb"):
            if name not in values:
                continue
            limit = limits.get(name)
            if limit is None:
                if name in given:
                    problems.append(((name,), f"does not apply to {where}; remove it"))
            elif (msg := limit.check(values[name])) is not None:
                problems.append(((name,), f"{msg} on {where} (got {values[name]})"))
        pythons = pythons_for(platform, plan)
        if pythons and values.get("python") and values["python"] not in pythons:
            problems.append((("python",), f"{where} runs Python {' or '.join(pythons)} only (got {values['python']}); "
                                          "choose one of those, or another hosting plan"))
        if values.get("packaging") and values["packaging"] not in info.packagings:
            only = " or ".join(info.packagings)
            problems.append((("packaging",), f"{info.title} deploys {only} packages only; use packaging = "
                                             f"\"{info.packagings[0]}\""))
        aws = values.get("aws")
        if aws is not None and aws.base_image and values.get("packaging") != "image":
            problems.append((("aws", "base_image"), "applies to container images only: set packaging = \"image\" "
                                                    "or remove it"))
        table = info.required_table
        if table and table in values and values[table] is None:
            problems.append(((table,), f"required for platform '{platform}': add a [profiles.NAME.{table}] table with "
                                       f"{info.required_keys}"))
    schedule, zone = values.get("schedule"), values.get("timezone")
    if schedule and zone and zone != "UTC":
        # The schedule fires in UTC (checked on its own); the zone's daylight-saving gaps can still skip
        # every time it names.
        try:
            check_fires(parse_schedule(schedule), zone)
        except ValueError as exc:
            problems.append((("schedule",), str(exc)))
    env, secrets = values.get("env", {}), values.get("secrets", [])
    both = sorted(set(env) & set(secrets))
    for name in both:
        problems.append((("env", name), "also listed in secrets; keep it in one place (secrets, if it is sensitive)"))
    # Azure's app settings (and Windows) ignore case: API_KEY and api_key would be one variable there.
    seen: dict[str, tuple[tuple, str]] = {}
    for loc, name in [*((("env", n), n) for n in env), *((("secrets", i), n) for i, n in enumerate(secrets))]:
        first = seen.setdefault(name.upper(), (loc, name))
        if first[1] != name:
            where = "env" if first[0][0] == "env" else "secrets"
            problems.append((loc, f"'{name}' and '{first[1]}' (in {where}) differ only in case; the cloud may treat "
                                  "them as one variable — keep one name"))
    for name, value in env.items():
        if problem := _python_setting_problem(name, value):
            problems.append((("env", name), f"{problem}; with {value!r} the function never starts"))
    if info:
        owners = {p.required_table: p.name for p in platforms.platforms() if p.required_table}
        for other, owner in owners.items():
            # Given, and not an explicit empty value (an invalid table is not in `values` and counts as given).
            if other in given and values.get(other, ...) is not None and other not in info.tables:
                problems.append(((other,), f"the [{other}] settings do not apply to {info.title}; remove "
                                           f"them, or set platform = \"{owner}\""))
    aws = values.get("aws")
    base = aws.base_image if aws is not None else None
    python = values.get("python")
    if base and python and values.get("packaging") == "image" and (
            m := re.search(r":(3\.\d+)(?![\d.]*\d)(?:[-_.]|$)", base.partition("@")[0].rsplit("/", 1)[-1])):
        if m.group(1) != python:
            problems.append((("aws", "base_image"), f"is a Python {m.group(1)} image, but python = \"{python}\": the "
                                                    f"dependencies are built for {python} and would not import; use "
                                                    f"the {python} image or set python = \"{m.group(1)}\""))
    return problems

