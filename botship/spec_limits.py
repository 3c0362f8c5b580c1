"""Sizing limits per platform (memory, timeout, /tmp space): the Limit type, the data, and `limits_for`."""

from __future__ import annotations

from dataclasses import dataclass

from . import providers as platforms


@dataclass(frozen=True)
class Limit:
    """An allowed range, or a set of allowed values, for one sizing field on one platform."""

    low: int = 0
    high: int = 0
    choices: tuple[int, ...] = ()

    def check(self, value: int) -> str | None:
        if self.choices:
            return None if value in self.choices else f"must be one of {', '.join(map(str, self.choices))}"
        return None if self.low <= value <= self.high else f"must be between {self.low} and {self.high}"


_AWS_LIMITS = {"memory_mb": Limit(128, 10240), "timeout_s": Limit(1, 900), "ephemeral_mb": Limit(512, 10240)}
_LIMITS: dict[str, dict[str, Limit]] = {
    "aws": _AWS_LIMITS,
    "azure/flex": {"memory_mb": Limit(choices=(512, 2048, 4096)), "timeout_s": Limit(1, 14400)},
    "azure/consumption": {"timeout_s": Limit(1, 600)},
}

# Python versions a platform (plan) runs, where it runs fewer than the spec allows: Linux Consumption gets no new
# language versions (Microsoft's runtime support policy), so no 3.13 there.
_PYTHONS: dict[str, tuple[str, ...]] = {"azure/consumption": ("3.11", "3.12")}


def pythons_for(platform: str, plan: str | None = None) -> tuple[str, ...] | None:
    """The Python versions a platform on `plan` runs; None where it runs every version the spec allows."""
    found = platforms.platform(platform)
    key = (found.limits or found.name) if found else platform
    return _PYTHONS.get(f"{key}/{plan or found.plans[0]}" if found and found.plans else key)


def limits_for(platform: str, plan: str | None = None) -> dict[str, Limit]:
    """The sizing limits on a platform (on its hosting `plan`, default its first); a field missing here does not
    apply there."""
    found = platforms.platform(platform)
    if found is None:
        return _LIMITS[platform]
    key = found.limits or found.name
    return _LIMITS[f"{key}/{plan or found.plans[0]}" if found.plans else key]


def hosting_plan(platform: str, table: object) -> str | None:
    """The hosting plan a platform's settings table names (its `plan`), its default without one; None where the
    platform has no plans. `table` is the table as a model or as a dict."""
    found = platforms.platform(platform)
    if found is None or not found.plans:
        return None
    plan = table.get("plan") if isinstance(table, dict) else getattr(table, "plan", None)
    return plan or found.plans[0]



def limits_of(answers: dict) -> dict[str, Limit]:
    """The sizing limits for answers as a profile holds them (platform, and its hosting plan where it has one);
    no platform chosen yet reads as the first one offered."""
    platform = answers.get("platform") or platforms.platforms()[0].name
    found = platforms.platform(platform)
    table = answers.get(found.required_table) if found and found.required_table else None
    return limits_for(platform, hosting_plan(platform, table))


def limits_text(name: str) -> str:
    """Where a size applies and its allowed values, from the data above — what a field's help says of it."""
    parts = []
    for key, limits in _LIMITS.items():
        limit = limits.get(name)
        if limit is None:
            continue
        platform, _, plan = key.partition("/")
        users = [p.title for p in platforms.platforms() if (p.limits or p.name) == platform]
        where = " and ".join(users or [platform]) + (f" ({plan} plan)" if plan else "")
        parts.append(f"{where}: " + (f"one of {', '.join(map(str, limit.choices))}" if limit.choices
                                     else f"{limit.low}–{limit.high}"))
    return "; ".join(parts)
