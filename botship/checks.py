"""Check results as lines any front end can draw: a mark, the check's name, what was found, what to do.

`botship doctor`, the line prompts and the wizard's credentials step all show checks the same way;
each only decides how a line is coloured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MARKS = {True: "✓", False: "✗", None: "!"}
COLOURS = {True: "green", False: "red", None: "yellow"}


@dataclass(frozen=True)
class CheckLine:
    """One line of a check report: `ok` is True, False or None (a warning); `indent` lines explain the one above."""

    ok: bool | None
    text: str
    name: str = ""
    indent: bool = False

    @property
    def mark(self) -> str:
        return "" if self.indent else MARKS[self.ok]

    @property
    def colour(self) -> str:
        return COLOURS[self.ok]


@dataclass
class CheckReport:
    """The result of running checks: each check, and the error that stopped them (if one did)."""

    checks: list[Any]
    error: Any = None  # a BotshipError

    @property
    def failed(self) -> bool:
        return self.error is not None or any(check.ok is False for check in self.checks)

    def lines(self, limit: int = 400) -> list[CheckLine]:
        return check_lines(self.checks, self.error, limit)

    @property
    def remedies(self) -> list[tuple[str, str]]:
        """What the provider could put right itself, with the user's consent: (remedy, how to offer it)."""
        found: dict[str, str] = {}
        for check in self.checks:
            if check.ok is not True and getattr(check, "remedy", ""):
                found.setdefault(check.remedy, check.remedy_title or check.remedy)
        return list(found.items())


def check_lines(checks: Iterable[Any], error: Any = None, limit: int = 400) -> list[CheckLine]:
    """Each check (anything with name, ok, detail, fix) as a line, its fix below it when it did not pass;
    then the error that stopped the checks, with why and what to do."""
    lines: list[CheckLine] = []
    for check in checks:
        lines.append(CheckLine(check.ok, check.detail, check.name))
        if check.fix and check.ok is not True:
            lines.append(CheckLine(check.ok, f"→ {check.fix[:limit]}", indent=True))
    if error is not None:
        lines.append(CheckLine(False, error.what))
        if error.why:
            lines.append(CheckLine(False, error.why[:limit], indent=True))
        if error.fix:
            lines.append(CheckLine(False, f"→ {error.fix}", indent=True))
    return lines

