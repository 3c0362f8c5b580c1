"""The benchmarks' own virtualenv (bench/.venv-peers) holding the tools botship is compared with.

Created on first use with `python -m venv` + `pip install`; never touches the project's .venv.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PEERS = ["aws-sam-cli==1.170.0", "investing-algorithm-framework==8.10.0"]
VENV = Path(__file__).resolve().parent / ".venv-peers"
MARKER = VENV / ".bench-ready"


def peers_venv() -> Path:
    """The peers venv's bin folder, installing the peers first if they are missing or out of date."""
    wanted = "\n".join(PEERS)
    if MARKER.is_file() and MARKER.read_text() == wanted:
        return VENV / "bin"
    print(f"setting up {VENV} with {', '.join(PEERS)} (first run only, takes a minute or two) ...", flush=True)
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
    result = subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                             "--disable-pip-version-check", *PEERS], capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        sys.exit(f"installing the peers failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    MARKER.write_text(wanted)
    return VENV / "bin"
