"""Helpers shared by tests: the real `botship` command in a fresh process, and profile files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def run_botship(*args: str, project: Path, cache: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """`python -m botship ARGS --project PROJECT`, without colour, with an optional dependency cache and env."""
    environment = {**os.environ, "NO_COLOR": "1", **env}
    if cache is not None:
        environment["BOTSHIP_CACHE_DIR"] = str(cache)
    return subprocess.run([sys.executable, "-m", "botship", *args, "--project", str(project)],
                          capture_output=True, text=True, env=environment, timeout=300)


def write_aws_profile(project: Path, bot_name: str, *extra: str) -> None:
    """A `prod` profile deploying the counter bot to AWS eu-west-1; `extra` lines go into the profile table."""
    lines = "\n".join(extra)
    (project / "botship.toml").write_text(
        f'[profiles.prod]\nplatform = "aws"\nbot_name = "{bot_name}"\nentry = "app:handler"\n'
        f'python = "{HOST_PYTHON}"\n{lines}\n[profiles.prod.aws]\nregion = "eu-west-1"\n')
