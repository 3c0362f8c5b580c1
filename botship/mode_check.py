"""Whether a bot hears its mode, and what paper and live mean for it — the one source of that text.

botship enforces paper only for investing-algorithm-framework apps (botship.paper). A plain bot is told the
mode through BOTSHIP_MODE and nothing more: `reads_mode` reads the project's shipped Python files (their
syntax tree; the user's code is never imported or run) to see whether any of them names that variable.
The wizard, `--guided`, `botship doctor` and the live confirmation all take their words from here.

Paper and live never share state: the runtime opens the bot's state store under a `paper/` or a `live/`
prefix (a sub-folder for local state), so a switch to live leaves the paper state where it is and the
first live run starts with an empty live state.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BotshipError
from .paper import framework_app

MODE_VAR = "BOTSHIP_MODE"
_NAMES = (MODE_VAR, MODE_VAR.encode())

# What each mode choice says, in the wizard and `--guided`.
MODE_TITLES = {
    "paper": "Paper — what it means for this bot: below",
    "live": "Live — trades real money",
}
PLAIN_TEMPLATE_HINT = "see app.py of `botship init --template plain`"


@dataclass(frozen=True)
class ModeUse:
    """Which shipped Python files name BOTSHIP_MODE (paths relative to the project, with `/`).

    `problem` says why the project's files could not be listed (then nothing is known and `files` is empty).
    """

    files: tuple[str, ...] = ()
    problem: str = ""

    @property
    def reads(self) -> bool:
        return bool(self.files)

    def __bool__(self) -> bool:
        return self.reads

    @property
    def where(self) -> str:
        """The files in words: "app.py", "app.py and bot/run.py", "a.py, b.py, c.py and 2 more"."""
        shown = list(self.files[:3])
        more = len(self.files) - len(shown)
        if more:
            return f"{', '.join(shown)} and {more} more"
        return " and ".join(shown) if len(shown) < 3 else f"{', '.join(shown[:2])} and {shown[2]}"


def _expression_statements(tree: ast.AST) -> set[int]:
    """The nodes of strings that are whole statements (docstrings, bare strings): they read nothing."""
    return {id(part) for node in ast.walk(tree) if isinstance(node, ast.Expr) and _folded(node.value) is not None
            for part in ast.walk(node.value)}


def _folded(node: ast.expr) -> str | bytes | None:
    """A string built from literals only ("BOTSHIP_" + "MODE"), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _folded(node.left), _folded(node.right)
        if isinstance(left, str) and isinstance(right, str) or isinstance(left, bytes) and isinstance(right, bytes):
            return left + right  # type: ignore[operator]
    return None


def names_mode(source: bytes | str) -> bool:
    """Whether Python source names BOTSHIP_MODE as a string literal its code uses.

    Every use of the literal counts — os.environ["BOTSHIP_MODE"], os.getenv("BOTSHIP_MODE"), environ.get through
    any alias, a constant `MODE_VAR = "BOTSHIP_MODE"` read later through the name — since reading the variable
    needs its name somewhere. Comments, docstrings and other bare string statements do not count; neither does
    source that does not parse.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    inert = _expression_statements(tree)
    for node in ast.walk(tree):
        if id(node) in inert:
            continue
        if isinstance(node, ast.Constant | ast.BinOp) and _folded(node) in _NAMES:
            return True
    return False


def reads_mode(project: Path) -> ModeUse:
    """Which of the project's shipped .py files name BOTSHIP_MODE (botship's own shipping rules decide what ships)."""
    from .project import shipped_python

    try:
        files = shipped_python(project, b"MODE")
    except BotshipError as exc:
        return ModeUse(problem=exc.what)
    except OSError as exc:
        return ModeUse(problem=f"cannot read the project's files: {exc}")
    return ModeUse(tuple(arcname for arcname, _, data in files if names_mode(data)))


# ---- what the modes mean for this bot -----------------------------------------------------------------

def _get(spec: Any, key: str, default: Any = None) -> Any:
    """A field of a DeploySpec, or of the answers so far (a mapping) where no spec exists yet."""
    if isinstance(spec, Mapping):
        value = spec.get(key)
        return default if value is None else value
    return getattr(spec, key, default)


@dataclass(frozen=True)
class Note:
    """One line about a mode; a warning is something the user should act on, and `fix` says how."""

    text: str
    warning: bool = False
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.text}; {self.fix}" if self.fix else self.text
        return f"WARNING: {text}" if self.warning else text


READ_THE_MODE = f"read {MODE_VAR} in the bot ({PLAIN_TEMPLATE_HINT}) or use an investing-algorithm-framework app"


def paper_note(spec: Any, project: Path) -> Note:
    """What paper mode does for this bot, whichever mode is chosen now."""
    if framework_app(project, str(_get(spec, "entry", ""))) is not None:
        return Note("paper is enforced: botship's paper exchange fills the orders of this "
                    "investing-algorithm-framework app and answers its balance requests; no order reaches an exchange")
    use = reads_mode(project)
    if use.problem:
        return Note(f"botship tells the bot {MODE_VAR}=paper, but could not check that it reads it ({use.problem}); "
                    "botship cannot stop a plain bot's orders", warning=True,
                    fix="fix that, then check again with `botship doctor`")
    if use:
        return Note(f"botship tells the bot {MODE_VAR}=paper; {use.where} reads it (what paper means is up to the "
                    "bot's own code: botship cannot stop a plain bot's orders)")
    return Note(f"this bot never reads {MODE_VAR}: in paper mode it runs exactly as in live mode — botship cannot "
                "stop a plain bot's orders", warning=True, fix=READ_THE_MODE)


def _secrets(spec: Any) -> list[str]:
    return [str(name) for name in _get(spec, "secrets", []) or []]


def live_switch_lines(spec: Any, project: Path) -> list[str]:
    """What going from paper to live means for this bot: where each mode's state is, what the first live run does."""
    lines = ["state: paper and live never share it — the paper state stays under paper/ in the bot's state store, "
             "and the first live run starts with an empty live/ state (nothing carries over from paper)"]
    secrets = _secrets(spec)
    if framework_app(project, str(_get(spec, "entry", ""))) is not None:
        if secrets:
            lines.append(f"first live run: the framework syncs its portfolio from the exchange's balances using the "
                         f"keys in secrets ({', '.join(secrets)}), and its orders go to the exchange")
        else:
            lines.append("first live run: the framework syncs its portfolio from the exchange's balances and its "
                         "orders go to the exchange — but the profile lists no secrets, so it holds no exchange "
                         "keys: add them to `secrets`")
        return lines
    given = f"the secrets ({', '.join(secrets)})" if secrets else "no secrets"
    use = reads_mode(project)
    if use:
        lines.append(f"first live run: the bot runs with {MODE_VAR}=live and {given}; {use.where} decides what "
                     "live means")
    else:
        lines.append(f"first live run: the bot runs with {MODE_VAR}=live and {given}"
                     + ("" if use.problem else f"; it never reads {MODE_VAR}, so it does exactly what it did in "
                                               "paper mode"))
    return lines


def live_switch_brief(spec: Any, project: Path) -> str:
    """The switch in one sentence, for an error message."""
    kind = ("the framework app's orders go to the exchange" if framework_app(project, str(_get(spec, "entry", "")))
            else f"the bot runs with {MODE_VAR}=live")
    return f"{kind}; its first live run starts with an empty live/ state (the paper state stays under paper/)"


def mode_notes(spec: Any, project: Path) -> list[str]:
    """The lines on the chosen mode: paper's note, or what switching to live means."""
    if _get(spec, "mode", "paper") == "live":
        return live_switch_lines(spec, project)
    return [str(paper_note(spec, project))]
