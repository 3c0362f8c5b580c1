"""What paper mode means for a bot, read from its source: enforced for framework apps, announced to plain bots.

An investing-algorithm-framework app in paper mode gets botship's paper exchange (runtime/paper.py): orders
fill on paper, balances come from its books, and the profile's secrets are not sent unless the profile's
`[paper]` table asks for them. A plain bot can only be told the mode (BOTSHIP_MODE); whether it listens is
its own code's business, which `reads_mode` checks statically. The user's code is never imported here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from .entrypoint import module_file, parse_entry
from .errors import BotshipError

FRAMEWORK = "investing_algorithm_framework"
# add_market(market, trading_symbol, api_key, secret_key, initial_balance, fee_percentage, slippage_percentage)
_ADD_MARKET = ("market", "trading_symbol", "api_key", "secret_key", "initial_balance", "fee_percentage",
               "slippage_percentage")


@dataclass(frozen=True)
class Market:
    """One add_market(...) call of the app, with what could be read as literals (None: not a literal)."""

    market: str | None
    trading_symbol: str | None
    initial_balance: float | None
    fee_percentage: float | None
    slippage_percentage: float | None
    balance_in_code: bool = False  # initial_balance is given, but not as a literal (a variable, a call…)


@dataclass(frozen=True)
class FrameworkApp:
    """A bot that uses investing-algorithm-framework (its entry module, or any module it ships, imports it), and
    the markets its modules add."""

    markets: tuple[Market, ...]


def _source(project: Path, entry: str) -> ast.Module | None:
    """The entry module's syntax tree, or None when it cannot be found or read."""
    try:
        module, _ = parse_entry(entry)
        path = module_file(project, module)
        if path is None:
            return None
        return ast.parse(path.read_bytes(), filename=str(path))
    except (ValueError, OSError, SyntaxError):
        return None


def _imports_framework(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == FRAMEWORK for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == FRAMEWORK:
            return True
    return False


def _literal(node: ast.expr | None) -> object:
    try:
        return ast.literal_eval(node) if node is not None else None
    except ValueError:
        return None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _markets(tree: ast.Module) -> tuple[Market, ...]:
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_market"):
            continue
        given = dict(zip(_ADD_MARKET, node.args))
        given.update({k.arg: k.value for k in node.keywords if k.arg})
        values = {name: _literal(given.get(name)) for name in _ADD_MARKET}
        balance = given.get("initial_balance")
        found.append(Market(
            market=values["market"] if isinstance(values["market"], str) else None,
            trading_symbol=values["trading_symbol"] if isinstance(values["trading_symbol"], str) else None,
            initial_balance=_number(values["initial_balance"]),
            fee_percentage=_number(values["fee_percentage"]),
            slippage_percentage=_number(values["slippage_percentage"]),
            balance_in_code=balance is not None and values["initial_balance"] is None and not (
                isinstance(balance, ast.Constant) and balance.value is None)))
    return tuple(found)


def framework_app(project: Path, entry: str) -> FrameworkApp | None:
    """The bot as a framework app, or None when none of its code imports investing-algorithm-framework.

    The entry module is read first; an entry that reaches the app through another module (`from app import app`,
    a package re-exporting it, a function calling app.run()) is found through the modules the project ships.
    """
    tree = _source(project, entry)
    if tree is not None and _imports_framework(tree):
        return FrameworkApp(_markets(tree) or _shipped_markets(project))
    shipped = _shipped_framework_modules(project)
    return FrameworkApp(tuple(m for tree in shipped for m in _markets(tree))) if shipped else None


def _shipped_framework_modules(project: Path) -> list[ast.Module]:
    """The project's shipped .py files that import the framework (botship's shipping rules decide what ships)."""
    from .project import shipped_python

    try:
        files = shipped_python(project, FRAMEWORK.encode())
    except (BotshipError, OSError):
        return []
    found = []
    for arcname, _, data in files:
        try:
            tree = ast.parse(data, filename=arcname)
        except (SyntaxError, ValueError):
            continue
        if _imports_framework(tree):
            found.append(tree)
    return found


def _shipped_markets(project: Path) -> tuple[Market, ...]:
    return tuple(m for tree in _shipped_framework_modules(project) for m in _markets(tree))


def withholds_secrets(project: Path, *, mode: str | None, entry: str | None, send_secrets: bool = False) -> bool:
    """Whether a bot is kept from its secrets: a paper framework app that did not ask for them."""
    return (mode or "paper") == "paper" and not send_secrets and bool(entry) and framework_app(project, entry) is not None


def sends_secrets(spec, project: Path) -> bool:
    """Whether the profile's secret values reach the bot: always in live mode and for plain bots; for a paper
    framework app only when its profile asks for them (`[paper] send_secrets = true`)."""
    return not spec.secrets or not withholds_secrets(
        project, mode=spec.mode, entry=spec.entry, send_secrets=spec.paper is not None and spec.paper.send_secrets)


def sent_secrets(spec, project: Path) -> list[str]:
    """The secrets botship asks for, stores and gives the bot: none for a paper framework app that did not
    ask for them (it needs no keys), else all of the profile's."""
    return list(spec.secrets) if sends_secrets(spec, project) else []


def withheld_names(spec, project: Path) -> list[str]:
    """The variables a paper framework app must not inherit from this machine: the profile's secrets and the
    keys the framework reads for its markets (`<MARKET>_API_KEY`, `<MARKET>_SECRET_KEY`); none otherwise."""
    if not withholds_secrets(project, mode=spec.mode, entry=spec.entry,
                             send_secrets=spec.paper is not None and spec.paper.send_secrets):
        return []
    app = framework_app(project, spec.entry)
    markets = sorted({m.market.upper() for m in app.markets if m.market}) if app else []
    return [*spec.secrets, *(f"{m}_{kind}" for m in markets for kind in ("API_KEY", "SECRET_KEY"))]


def runtime_env(spec) -> dict[str, str]:
    """The variables the runtime reads to run a paper framework app (none in live mode)."""
    if spec.mode != "paper" or spec.paper is None:
        return {}
    paper = spec.paper
    values = {"BOTSHIP_PAPER_BALANCE": paper.balance, "BOTSHIP_PAPER_FEE_PCT": paper.fee_pct,
              "BOTSHIP_PAPER_SLIPPAGE_PCT": paper.slippage_pct}
    env = {name: _plain(value) for name, value in values.items() if value is not None}
    if paper.send_secrets:
        env["BOTSHIP_PAPER_SECRETS"] = "send"
    return env


def _plain(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else repr(float(value))


def _pct(value: float | None) -> str:
    return f"{value:g}%" if value is not None else "0%"


def summary(spec, project: Path) -> list[tuple[str, str]]:
    """The plan's lines on what paper mode does for this bot (nothing in live mode)."""
    if spec.mode != "paper":
        return []
    app = framework_app(project, spec.entry)
    if app is None:  # what botship can say of a plain bot: whether its code reads the mode it is told
        from .mode_check import paper_note

        note = paper_note(spec, project)
        return [("warning" if note.warning else "paper", f"plain bot: {note}")]
    paper = spec.paper
    lines = [("paper", "investing-algorithm-framework app: botship's paper exchange fills its orders and answers "
                       "its balance requests; no order or balance request reaches an exchange")]
    for market in app.markets or (Market(None, None, None, None, None),):
        name = f"{market.market or 'market'} ({market.trading_symbol or '?'})"
        if market.initial_balance is not None:
            start = f"{market.initial_balance:g} {market.trading_symbol or ''}".strip() + ", from add_market"
        elif market.balance_in_code:
            start = "add_market's initial_balance, set by the app's code when it runs"
        elif paper is not None and paper.balance is not None:
            start = f"{paper.balance:g} {market.trading_symbol or ''}".strip() + ", from [paper] balance"
        else:
            start = "none set: add initial_balance to add_market, or balance to the profile's [paper] table"
        fee = paper.fee_pct if paper is not None and paper.fee_pct is not None else market.fee_percentage
        slip = (paper.slippage_pct if paper is not None and paper.slippage_pct is not None
                else market.slippage_percentage)
        lines.append(("paper start", f"{name}: {start}; fee {_pct(fee)}, slippage {_pct(slip)}"))
    if spec.secrets:
        if paper is not None and paper.send_secrets:
            lines.append(("paper secrets", f"sent to the paper app ({', '.join(spec.secrets)}): "
                                           "[paper] send_secrets = true"))
        else:
            lines.append(("paper secrets", f"kept back ({', '.join(spec.secrets)}): not asked for, not stored, not "
                                           "sent; a paper framework app never holds keys that could trade "
                                           "(set [paper] send_secrets = true for private read-only data)"))
    return lines
