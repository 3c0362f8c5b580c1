"""Errors a user can act on: each says what failed, why, and what to do next."""

from __future__ import annotations

from dataclasses import dataclass


class BotshipError(Exception):
    """A failure with a message meant for the user, never shown as a traceback."""

    exit_code = 1

    def __init__(self, what: str, why: str = "", fix: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.why = why
        self.fix = fix

    def lines(self) -> list[str]:
        """The message as lines: what, why, and what to do."""
        out = [self.what]
        if self.why:
            out.append(self.why)
        if self.fix:
            out.append(f"→ {self.fix}")
        return out

    def as_dict(self) -> dict[str, str]:
        return {"what": self.what, "why": self.why, "fix": self.fix}


class BadInput(BotshipError):
    """Input the user gave (a flag, a profile, a file) cannot be used."""

    exit_code = 2


class Cancelled(BotshipError):
    """The user cancelled; what was done so far stays done and a re-run converges."""

    exit_code = 130

    def __init__(self, what: str = "cancelled", why: str = "", fix: str = "") -> None:
        super().__init__(what, why, fix or "re-run the same command to continue where it stopped")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field: its dotted path and the rule it breaks."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class SpecInvalid(BadInput):
    """A deploy spec (profile, wizard answers, flags) breaks one or more rules."""

    def __init__(self, problems: list[Problem], source: str = "the deploy spec") -> None:
        self.problems = list(problems)
        self.source = source
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(
            f"{source} has {len(self.problems)} {noun}",
            "\n".join(f"  • {p}" for p in self.problems),
            "fix each field above, then run `botship validate` again",
        )
