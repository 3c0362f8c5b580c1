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


def limits_for(platform: str, azure_plan: str = "flex") -> dict[str, Limit]:
    """The sizing limits on a platform; a field missing here does not apply there."""
    if platform == "azure":
        return _LIMITS[f"azure/{azure_plan}"]
    found = platforms.platform(platform)
    return _LIMITS[(found.limits or found.name) if found else platform]



def limits_of(answers: dict) -> dict[str, Limit]:
    """The sizing limits for answers as a profile holds them (platform, and its hosting plan where it has one);
    no platform chosen yet reads as the first one offered."""
    platform = answers.get("platform") or platforms.platforms()[0].name
    return limits_for(platform, (answers.get("azure") or {}).get("plan", "flex"))


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
