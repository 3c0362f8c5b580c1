"""Benchmark: the sandbox promise — a new bot deployed and run on the built-in emulator in under a minute.

Run from the repository root:  .venv/bin/python bench/sandbox_try.py

Each round, in a fresh folder and a fresh dependency cache:
1. `botship init DIR --template plain` (a CLI process, timed from outside);
2. one new Python process that starts the sandbox's emulator, deploys the bot's `sandbox` profile
   with the real AWS provider code, invokes it three times and reads back its state (timed from
   outside, with each phase timed inside);
3. the reference in the same run: `botship invoke --local --profile sandbox` in the same folder —
   one build and one run of the bot here with no emulator and no deploy (timed from outside).
Target: init + deploy + first result well under 60 s. Medians of 5 rounds; not part of the test suite.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 5
PROBE = """
import json, sys, time
started = time.perf_counter()
from pathlib import Path
from botship.profiles import ProfileStore
from botship.providers import provider_class
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.secret_values import SecretValues

project = Path(sys.argv[1])
spec = ProfileStore(project).spec("sandbox")
provider = provider_class("sandbox")(spec)
marks = {}
provider.emulator
marks["emulator"] = time.perf_counter()
context = DeployContext(project, "sandbox", SecretValues([]))
plan = provider.plan(context)
result = start_run(plan, lambda event: None).wait(300)
assert result.ok, result.failure
marks["deployed"] = time.perf_counter()
ticks = []
for n in range(3):
    body = provider.handle().invoke({"source": "bench"}).body
    assert body["status"] == "ok", body
    ticks.append(body["result"]["tick"])
    marks.setdefault("first_result", time.perf_counter())
marks["three_runs"] = time.perf_counter()
files = provider.handle().state_files().files
assert ticks == [1, 2, 3] and "state.db" in files, (ticks, files)
print(json.dumps({k: round(v - started, 4) for k, v in marks.items()}))
"""


def timed(command: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed: {done.stdout[-1500:]} {done.stderr[-1500:]}")
    return elapsed, done.stdout


def main() -> int:
    python, botship = str(REPO / ".venv" / "bin" / "python"), str(REPO / ".venv" / "bin" / "botship")
    rows: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="botship-bench-sandbox-") as tmp:
            env = {**os.environ, "BOTSHIP_CACHE_DIR": str(Path(tmp) / "cache"), "NO_COLOR": "1"}
            env.pop("BOTSHIP_SANDBOX_URL", None)
            project = Path(tmp) / "sma-demo"
            init_s, _ = timed([botship, "init", str(project), "--template", "plain"], env)
            sandbox_s, out = timed([python, "-c", PROBE, str(project)], env)
            phases = json.loads(out.strip().splitlines()[-1])
            local_s, _ = timed([botship, "invoke", "--local", "--profile", "sandbox", "--project", str(project)], env)
        for key, value in {"init (process)": init_s, "sandbox process": sandbox_s,
                           "  emulator started": phases["emulator"],
                           "  deployed": phases["deployed"], "  first result": phases["first_result"],
                           "  three runs done": phases["three_runs"],
                           "init + first sandbox result": init_s + phases["first_result"],
                           "reference: botship invoke --local": local_s}.items():
            rows.setdefault(key, []).append(value)
    print(f"\nsandbox try, plain template, median of {ROUNDS} rounds (fresh folder and dependency cache each)")
    print(f"{'measure':<40}{'median s':>10}{'min s':>9}{'max s':>9}")
    for key, values in rows.items():
        print(f"{key:<40}{statistics.median(values):>10.3f}{min(values):>9.3f}{max(values):>9.3f}")
    total = statistics.median(rows["init + first sandbox result"])
    local = statistics.median(rows["reference: botship invoke --local"])
    print(f"\ninit + deploy + first result: {total:.2f} s — target under 60 s: {'MET' if total < 60 else 'MISSED'}")
    print(f"the sandbox's first result vs a plain local invoke: "
          f"{statistics.median(rows['  first result']) / local:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
