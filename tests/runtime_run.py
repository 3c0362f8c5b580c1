"""botship's runtime run once in a fresh Python, as a function host calls it: `invoke(event)` → its response.

By default the runtime is the installed `botship.runtime` and the process inherits the test's environment (its
moto or Azurite endpoints). With `isolated`, the process starts with no site-packages (`python -S`) and only
the given import paths, where a folder holding the runtime as `botship_runtime` (as an artifact ships it) and
a framework's install go.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CALL = """\
import json, sys
from {package}.invoke import invoke
response = invoke(json.loads(sys.argv[1]), None, 120)
print("BOTSHIP-TEST-RESPONSE " + json.dumps(response))
"""


@dataclass
class Run:
    status_code: int
    body: dict[str, Any]
    lines: list[str] = field(default_factory=list)

    @property
    def logged(self) -> list[dict[str, Any]]:
        """The runtime's own JSON log lines."""
        return [json.loads(line) for line in self.lines if line.startswith("{") and '"logger": "botship"' in line]


def runtime_package(folder: Path) -> Path:
    """A folder holding botship's runtime as the package `botship_runtime` (a link to runtime/), for `paths`."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "botship_runtime"
    if not link.exists():
        link.symlink_to(Path(__file__).resolve().parents[1] / "runtime", target_is_directory=True)
    return folder


def run_once(project: Path, state_url: str, *, entry: str = "app:handler", event: dict | None = None,
             env: dict[str, str] | None = None, state_dir: Path | None = None, paths: tuple[Path, ...] = (),
             isolated: bool = False, timeout: float = 300) -> Run:
    """Invoke the runtime once for the bot in `project` with its state at `state_url` (paper mode)."""
    base = ({"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")} if isolated else
            {k: v for k, v in os.environ.items() if k not in ("BOTSHIP_CONTROL", "BOTSHIP_TRIGGER")})
    environment = {**base, "BOTSHIP_ENTRY": entry, "BOTSHIP_STATE_URL": state_url, "BOTSHIP_MODE": "paper",
                   "BOTSHIP_STATE_DIR": str(state_dir or project.parent / f"{project.name}-state"),
                   "BOTSHIP_TIMEOUT_S": "120", "PYTHONDONTWRITEBYTECODE": "1",
                   "PYTHONPATH": os.pathsep.join(map(str, (project, *paths))), **(env or {})}
    command = [sys.executable, *(["-S"] if isolated else []), "-c",
               CALL.format(package="botship_runtime" if isolated else "botship.runtime"), json.dumps(event or {})]
    run = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=timeout)
    lines = run.stdout.splitlines()
    answer = [line for line in lines if line.startswith("BOTSHIP-TEST-RESPONSE ")]
    assert run.returncode == 0 and answer, (run.stdout + run.stderr)[-4000:]
    response = json.loads(answer[-1].split(" ", 1)[1])
    return Run(response["statusCode"], json.loads(response["body"]), [line for line in lines if line not in answer])
