"""Helpers shared by tests: the real `botship` command in a fresh process, and profile files."""

from __future__ import annotations

import os
import shutil
import textwrap
import subprocess
import sys
from pathlib import Path

HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
BOTS = Path(__file__).resolve().parent / "bots"


def run_botship(*args: str, project: Path, cache: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """`python -m botship ARGS --project PROJECT`, without colour, with an optional dependency cache and env."""
    environment = {**os.environ, "NO_COLOR": "1", **env}
    if cache is not None:
        environment["BOTSHIP_CACHE_DIR"] = str(cache)
    return subprocess.run([sys.executable, "-m", "botship", *args, "--project", str(project)],
                          capture_output=True, text=True, env=environment, timeout=300)


def bot_copy(name: str, folder: Path, monkeypatch, dependency_cache: Path) -> Path:
    """A copy of tests/bots/NAME at `folder`, built with the session's shared dependency cache."""
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    shutil.copytree(BOTS / name, folder)
    return folder


def write_aws_profile(project: Path, bot_name: str, *extra: str) -> None:
    """A `prod` profile deploying the counter bot to AWS eu-west-1; `extra` lines go into the profile table."""
    lines = "\n".join(extra)
    (project / "botship.toml").write_text(
        f'[profiles.prod]\nplatform = "aws"\nbot_name = "{bot_name}"\nentry = "app:handler"\n'
        f'python = "{HOST_PYTHON}"\n{lines}\n[profiles.prod.aws]\nregion = "eu-west-1"\n')


def counter_project(folder: Path, *extra: str) -> Path:
    """A copy of the counter bot at `folder` with its `prod` AWS profile (`extra` lines go into the table)."""
    shutil.copytree(BOTS / "counter", folder)
    write_aws_profile(folder, "counter", *extra)
    return folder


class RecordingReport:
    """What the artifact builder reports, kept for tests to read: log lines and progress calls."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.progress_seen: list[tuple] = []

    def log(self, message: str, level: str = "info") -> None:
        self.lines.append(message)

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        self.progress_seen.append((done, total, unit))


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write each `files` entry (relative path → dedented text) under `root`, making folders; returns `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def counter_spec(project: Path, **overrides):
    """The counter bot on AWS eu-west-1 with this interpreter's Python, validated against `project`."""
    from botship.spec import build_spec

    data = {"platform": "aws", "bot_name": "counter", "entry": "app:handler", "python": HOST_PYTHON,
            "aws": {"region": "eu-west-1"}, **overrides}
    return build_spec(data, project)


def zip_names(path: Path) -> list[str]:
    """The entries of a zip file, in order."""
    import zipfile

    return zipfile.ZipFile(path).namelist()


def tmpfs_prefix(folder: Path, size: str) -> list[str] | None:
    """A command prefix running what follows with a small, new file system (tmpfs of `size`) at `folder`: a real
    full disk, in a user namespace; None where this machine allows no such namespace."""
    unshare = shutil.which("unshare")
    if not unshare:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    probe = subprocess.run([unshare, "-rm", "sh", "-c", f"mount -t tmpfs -o size={size} tmpfs '{folder}'"],
                           capture_output=True)
    if probe.returncode != 0:
        return None
    return [unshare, "-rm", "sh", "-c", f"mount -t tmpfs -o size={size} tmpfs '{folder}' && exec \"$@\"", "sh"]


# A framework strategy that rests one limit buy 3% under the ask (paper exchange, control and fee tests).
LIMIT_STRATEGY = '''
from investing_algorithm_framework import DataSource, DataType, TimeUnit, TradingStrategy


class BuyThenClose(TradingStrategy):
    """Bids 3% under the ask once, and waits for the market to come down to it."""

    time_unit = TimeUnit.MINUTE
    interval = 5
    symbols = ["BTC"]
    trading_symbol = "EUR"
    data_sources = [
        DataSource(identifier="btc_eur_ohlcv", data_type=DataType.OHLCV, symbol="BTC/EUR", time_frame="5m",
                   market="BITVAVO", window_size=24, pandas=True),
        DataSource(identifier="btc_eur_ticker", data_type=DataType.TICKER, symbol="BTC/EUR", market="BITVAVO"),
    ]

    def run_strategy(self, context, data):
        if context.has_position("BTC") or context.has_open_orders(target_symbol="BTC"):
            return
        limit = round(data["btc_eur_ticker"]["ask"] * 0.97)
        context.create_limit_order(target_symbol="BTC", price=limit, order_side="BUY", amount=0.01)
'''
