"""Benchmark: how fast botship answers — the wizard's home screen, and `botship --help` against `sam --help`.

Run from the repository root:  .venv/bin/python bench/startup.py

1. Process start → home screen ready: a process runs the wizard headless in a project folder and
   exits as soon as the home screen has painted its first frame; the wall time of the whole process
   is measured from outside (interpreter start and shutdown included). Target: under 0.5 s.
2. `botship --help` and `sam --help` (aws-sam-cli, from bench/.venv-peers), each run 15 times
   alternately in this same run. Target: botship's median ≤ 0.8× sam's.
Medians; not part of the test suite.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peers import peers_venv  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 15
PROBE = """
from pathlib import Path
import sys
from botship.tui.app import BotshipApp
from botship.tui.home import HomeScreen


class Probe(BotshipApp):
    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self.ready)

    def ready(self) -> None:
        assert isinstance(self.screen, HomeScreen) and self.screen.query_one("#profiles-table").row_count == 1
        self.exit()


Probe(Path(sys.argv[1])).run(headless=True)
"""


def timed(command: list[str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr[-2000:]}")
    return elapsed


def main() -> int:
    python = str(REPO / ".venv" / "bin" / "python")
    botship = str(REPO / ".venv" / "bin" / "botship")
    sam = str(peers_venv() / "sam")
    scratch = Path(tempfile.mkdtemp(prefix="botship-bench-"))
    try:
        project = scratch / "bot"
        shutil.copytree(REPO / "tests" / "bots" / "counter", project)
        (project / "botship.toml").write_text('[profiles.prod]\nplatform = "aws"\nbot_name = "counter"\n'
                                              'entry = "app:handler"\n[profiles.prod.aws]\nregion = "eu-west-1"\n')
        timed([python, "-c", PROBE, str(project)])  # warm the OS file cache and .pyc files once
        home = [timed([python, "-c", PROBE, str(project)]) for _ in range(ROUNDS)]
        ours, theirs = [], []
        for _ in range(ROUNDS):
            ours.append(timed([botship, "--help"]))
            theirs.append(timed([sam, "--help"]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    home_s, ours_s, theirs_s = statistics.median(home), statistics.median(ours), statistics.median(theirs)
    print(f"\nstartup, median of {ROUNDS}")
    print(f"{'process start → home screen ready':<36}{home_s:>8.3f} s   target < 0.5 s: "
          f"{'MET' if home_s < 0.5 else 'MISSED'}")
    print(f"{'botship --help':<36}{ours_s:>8.3f} s")
    print(f"{'sam --help':<36}{theirs_s:>8.3f} s")
    ratio = ours_s / theirs_s
    print(f"ratio {ratio:.2f}×   target ≤ 0.8×: {'MET' if ratio <= 0.8 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
