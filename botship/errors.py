"""Errors a user can act on: each says what failed, why, and what to do next."""

from __future__ import annotations

import errno
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



# A file-system error by errno name: what it means for `{path}`, what to do, and whether the user's input is
# at fault (a folder where a file belongs is bad input, exit 2) or the machine (a full disk fails, exit 1).
_OS_ERRORS = {
    "EACCES": ("botship is not allowed to use {path}", "give your user access to it, or run botship where you may write", False),
    "EPERM": ("botship is not allowed to use {path}", "give your user access to it, or run botship where you may write", False),
    "EROFS": ("{path} is on a read-only file system", "run botship where it may write (a writable copy of the project)", False),
    "ENOSPC": ("the disk holding {path} is full", "free some space on that disk", False),
    "EDQUOT": ("your disk quota is used up where {path} is", "free some space there", False),
    "EISDIR": ("{path} is a folder where botship expects a file", "move or rename the folder", True),
    "ENOTDIR": ("{path} cannot be used: part of that path is a file where a folder belongs",
                "move or rename that file", True),
    "EEXIST": ("{path} is in the way: something of that name already exists", "move or rename it", True),
    "ENOENT": ("{path} does not exist", "check the path", True),
    "ENAMETOOLONG": ("the path {path} is too long for the file system", "use a shorter path", True),
    "ELOOP": ("{path} is a symbolic link that loops", "fix or remove the link", True),
    "EMFILE": ("too many open files while using {path}", "raise the open-file limit (ulimit -n)", False),
}
# A file-system error is only ever "internal" when it names nothing; these paths say where botship writes.
_WHERE_HINTS = (
    ("cache", "botship keeps built dependencies in its cache folder: set BOTSHIP_CACHE_DIR (or XDG_CACHE_HOME) "
              "to a writable folder to move it"),
    (".botship", "botship keeps its run journals, records and builds in the project's .botship/ folder"),
    ("botship.toml", "botship saves profiles in the project's botship.toml (written beside it, then renamed)"),
)


# Errors of the disk itself: worth explaining even when the failing call did not name its file.
DISK_ERRNOS = frozenset(n for n in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EROFS) if n is not None)


def file_error(exc: OSError, doing: str = "") -> BotshipError:
    """A file-system error (no permission, read-only or full disk, a folder where a file belongs, …) as a
    message that names the path and what to do — never an "internal error"."""
    import os

    code = errno.errorcode.get(exc.errno or 0, "")
    path = os.fsdecode(exc.filename) if isinstance(exc.filename, bytes | str) else ""
    other = os.fsdecode(exc.filename2) if isinstance(exc.filename2, bytes | str) else ""
    if other and exc.errno in DISK_ERRNOS:
        # A copy (src → dst) that fails for a full or read-only disk fails on the disk being written: name that.
        path, other = other, path
    what, fix, users_input = _OS_ERRORS.get(code, ("{path} could not be used", "check the path and its disk", False))
    what = what.format(path=path or "a file or folder")
    if doing:
        what = f"{what} while {doing}"
    why = exc.strerror or str(exc)
    if other:
        why += f" ({other})"
    hints = [hint for marker, hint in _WHERE_HINTS if marker in path]
    if hints:
        why += f"; {hints[0]}"
    return (BadInput if users_input else BotshipError)(what, why, f"{fix}, then re-run")
