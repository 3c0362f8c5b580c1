"""Benchmark: botship's artifact build against `sam build` (AWS SAM CLI) for the same example bot.

Run from the repository root:  .venv/bin/python bench/artifact_build.py

The bot imports pandas and requests (Python 3.11, Linux x86_64 wheels). Scenarios, medians:
  cold       botship: fresh BOTSHIP_CACHE_DIR and out dir   sam: .aws-sam removed, `sam build`
  unchanged  botship: same cache and out dir               sam: `sam build --cached`
  code-only  one comment appended to app.py, then as "unchanged"
SAM runs from bench/.venv-peers (created on first use). pip's HTTP cache (~/.cache/pip) is shared by
both tools, and one untimed cold build of each runs first so that neither pays the downloads alone.
Not part of the test suite.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peers import peers_venv  # noqa: E402

COLD_RUNS, WARM_RUNS = 3, 5
# Pinned to releases with cp311 manylinux2014 wheels: SAM's pip builder accepts no newer glibc tag.
REQUIREMENTS = "pandas==2.2.3\nnumpy==2.2.6\nrequests==2.32.5\n"
APP = '''import pandas
import requests


def handler(event, context):
    frame = pandas.DataFrame({"price": [1.0, 2.0, 3.0]})
    return {"mean": float(frame["price"].mean()), "requests": requests.__version__}
'''
TEMPLATE = '''AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  BenchBot:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: .
      Timeout: 60
'''
SPEC = {"platform": "aws", "bot_name": "bench-bot", "entry": "app:handler", "python": "3.11",
        "aws": {"region": "eu-west-1"}}


class QuietReport:
    """What build_artifact reports to: kept, not printed."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, message: str, level: str = "info") -> None:
        self.lines.append(f"{level}: {message}")

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        pass


def write_bot(folder: Path, sam: bool) -> Path:
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(APP)
    (folder / "requirements.txt").write_text(REQUIREMENTS)
    if sam:  # a separate copy: botship would otherwise ship template.yaml and .aws-sam/
        (folder / "template.yaml").write_text(TEMPLATE)
    return folder


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


class Botship:
    def __init__(self, project: Path, scratch: Path) -> None:
        from botship.spec import build_spec

        self.project, self.scratch, self.runs = project, scratch, 0
        self.spec = build_spec(dict(SPEC), project)
        self.cache = self.out = scratch
        self.artifact = None

    def fresh(self) -> None:
        """A new cache dir and out dir: the next build is cold."""
        self.runs += 1
        self.cache = self.scratch / f"cache-{self.runs}"
        self.out = self.scratch / f"out-{self.runs}"

    def build(self) -> float:
        from botship.providers.artifact import build_artifact

        os.environ["BOTSHIP_CACHE_DIR"] = str(self.cache)
        start = time.perf_counter()
        self.artifact = build_artifact(self.spec, self.project, QuietReport(), self.out)
        return time.perf_counter() - start


class Sam:
    def __init__(self, project: Path, bin_dir: Path) -> None:
        self.project, self.sam = project, str(bin_dir / "sam")
        # SAM's pip builder looks for `python3.11` on PATH: use the peers venv's.
        self.env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def fresh(self) -> None:
        shutil.rmtree(self.project / ".aws-sam", ignore_errors=True)

    def run(self, *args: str) -> float:
        start = time.perf_counter()
        result = subprocess.run([self.sam, *args], cwd=self.project, env=self.env, capture_output=True, text=True,
                                timeout=900)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            raise RuntimeError(f"sam {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        return elapsed

    def build(self, cached: bool) -> float:
        return self.run("build", *(["--cached"] if cached else []))


def touch_code(*projects: Path, mark: int) -> None:
    for project in projects:
        with open(project / "app.py", "a", encoding="utf-8") as fh:
            fh.write(f"# bench change {mark}\n")


def main() -> int:
    bin_dir = peers_venv()
    tmp = Path(tempfile.mkdtemp(prefix="botship-bench-build-"))
    try:
        ours = Botship(write_bot(tmp / "bot-botship", sam=False), tmp / "botship")
        sam = Sam(write_bot(tmp / "bot-sam", sam=True), bin_dir)
        times: dict[str, dict[str, list[float]]] = {s: {"botship": [], "sam": []}
                                                    for s in ("cold", "unchanged", "code-only")}
        print("warm-up: one untimed cold build of each (fills pip's shared HTTP cache) ...", flush=True)
        ours.fresh()
        ours.build()
        sam.fresh()
        sam.build(cached=False)
        for run in range(COLD_RUNS):
            ours.fresh()
            times["cold"]["botship"].append(ours.build())
            sam.fresh()
            times["cold"]["sam"].append(sam.build(cached=False))
            print(f"  cold {run + 1}/{COLD_RUNS}: botship {times['cold']['botship'][-1]:.2f}s, "
                  f"sam {times['cold']['sam'][-1]:.2f}s", flush=True)
        sam.build(cached=True)  # the first --cached after a plain build fills SAM's cache: untimed, in SAM's favour
        for run in range(WARM_RUNS):
            times["unchanged"]["botship"].append(ours.build())
            assert ours.artifact.reused, "botship rebuilt although nothing changed"
            times["unchanged"]["sam"].append(sam.build(cached=True))
        for run in range(WARM_RUNS):
            touch_code(ours.project, sam.project, mark=run)
            times["code-only"]["botship"].append(ours.build())
            assert not ours.artifact.reused, "botship reused the artifact although app.py changed"
            times["code-only"]["sam"].append(sam.build(cached=True))
        startup = statistics.median(sam.run("build", "--help") for _ in range(3))
        report(times, ours, sam, startup)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def report(times: dict[str, dict[str, list[float]]], ours: Botship, sam: Sam, sam_startup: float) -> None:
    med = {s: {tool: statistics.median(v) for tool, v in per.items()} for s, per in times.items()}
    cold = med["cold"]["botship"]
    runs = {"cold": COLD_RUNS, "unchanged": WARM_RUNS, "code-only": WARM_RUNS}
    print("\nArtifact build: botship vs sam build (same bot: pandas + requests, Python 3.11, x86_64)")
    print(f"{'scenario':<11} {'runs':>4} {'botship s':>10} {'sam s':>8} {'botship/sam':>12} {'% of botship cold':>18}")
    for scenario, m in med.items():
        share = f"{100 * m['botship'] / cold:.1f}%" if scenario != "cold" else "100%"
        print(f"{scenario:<11} {runs[scenario]:>4} {m['botship']:>10.3f} {m['sam']:>8.3f} "
              f"{m['botship'] / m['sam']:>12.3f} {share:>18}")
    checks = [("cold no slower than sam", med["cold"]["botship"] <= med["cold"]["sam"]),
              ("unchanged < 5% of cold", med["unchanged"]["botship"] < 0.05 * cold),
              ("code-only < 10% of cold", med["code-only"]["botship"] < 0.10 * cold)]
    print("\ntargets: " + "; ".join(f"{name}: {'MET' if ok else 'MISSED'}" for name, ok in checks))
    artifact = ours.artifact
    sam_dir = sam.project / ".aws-sam" / "build" / "BenchBot"
    print(f"botship zip: {artifact.path.stat().st_size / 1e6:.1f} MB zipped, {artifact.unzipped_size / 1e6:.1f} MB "
          f"unzipped, {artifact.files} files")
    print(f"sam build dir (not zipped; zipping happens at sam package/deploy): {tree_size(sam_dir) / 1e6:.1f} MB")
    print("notes: pip's HTTP cache (~/.cache/pip) is shared by both tools (warmed by one untimed build each); "
          "botship's times include writing the zip and its import check, sam's do not zip;")
    print(f"       botship is timed in-process via build_artifact(), sam as a CLI process "
          f"(`sam build --help` alone takes {sam_startup:.2f}s here).")


if __name__ == "__main__":
    sys.exit(main())
