"""Benchmark: a first AWS deploy and an unchanged re-deploy, against moto's server (in its own process).

Run from the repository root:  .venv/bin/python bench/aws_deploy.py

Two views, each over 5 rounds with a fresh moto state per round, medians reported:

1. The cloud work, in-process: plan + run of a small bot (no requirements), first deploy then the same
   deploy again. Mutating API calls (anything not Get/List/Describe/Head) are counted with a botocore
   hook registered before any client exists. Target: 0 on the unchanged re-deploy.
2. What a user runs: `botship deploy --profile bench --yes` as a process, for a bot with requirements
   (pandas + requests, pinned), first on an empty botship dependency cache (pip's own download cache is
   left warm, so no network time is counted), then again unchanged. Target: the unchanged re-run under
   10% of the first deploy's wall time.

moto has no IAM propagation and no function activation wait, so a real first deploy is slower than
either figure here; loopback answers in ~4 ms where AWS takes 30–100 ms, which weighs on both runs.
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
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _servers import free_port, start_moto, stop  # noqa: E402

ROUNDS = 5
READS = ("Get", "List", "Describe", "Head")
REPO = Path(__file__).resolve().parents[1]
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
SMALL_BOT = '''import os

def handler(event, context):
    return {"market": os.environ.get("MARKET")}
'''
REQUIREMENTS = "pandas==2.2.3\nnumpy==2.2.6\nrequests==2.32.5\n"
PANDAS_BOT = '''import pandas
import requests


def handler(event, context):
    frame = pandas.DataFrame({"price": [1.0, 2.0, 3.0]})
    return {"mean": float(frame["price"].mean()), "requests": requests.__version__}
'''
PROFILE = f'''[profiles.bench]
platform = "aws"
bot_name = "bench-bot"
entry = "app:handler"
python = "{PYTHON}"
schedule = "rate(15 minutes)"
secrets = ["EXCHANGE_API_KEY"]

[profiles.bench.env]
MARKET = "bitvavo"

[profiles.bench.aws]
region = "eu-west-1"
'''


def reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def deploy_in_process(project: Path, spec) -> tuple[float, int, int]:
    """(seconds, mutating calls, steps changed) for one plan + run."""
    from botship.providers.aws.provider import AwsProvider
    from botship.providers.aws.session import AwsSession
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.secret_values import SecretValue, SecretValues

    started = time.perf_counter()
    session = AwsSession("eu-west-1")
    calls: list[str] = []
    session.session.events.register("before-call", lambda model, **kw: calls.append(model.name))
    context = DeployContext(project, "bench", SecretValues([SecretValue("EXCHANGE_API_KEY", "k-123456", "env")]))
    plan = AwsProvider(spec, session).plan(context)
    result = start_run(plan, lambda event: None).wait(300)
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"deploy failed: {result.failure}")
    return elapsed, sum(1 for c in calls if not c.startswith(READS)), result.changed


def deploy_command(project: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(REPO / ".venv" / "bin" / "botship"), "deploy", "--profile", "bench", "--yes"],
                          cwd=project, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"botship deploy failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def main() -> int:
    from botship.spec import build_spec

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = start_moto(port)
    scratch = Path(tempfile.mkdtemp(prefix="botship-bench-"))
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "eu-west-1", "BOTSHIP_CACHE_DIR": str(scratch / "cache"),
                       "EXCHANGE_API_KEY": "k-123456"})
    os.environ.pop("AWS_PROFILE", None)
    try:
        small = scratch / "small"
        small.mkdir()
        (small / "app.py").write_text(SMALL_BOT)
        spec = build_spec({"platform": "aws", "bot_name": "bench-bot", "entry": "app:handler", "python": PYTHON,
                           "schedule": "rate(15 minutes)", "env": {"MARKET": "bitvavo"},
                           "secrets": ["EXCHANGE_API_KEY"], "aws": {"region": "eu-west-1"}}, small)
        cloud_first, cloud_again = [], []
        for _ in range(ROUNDS):
            reset(endpoint)
            shutil.rmtree(small / ".botship", ignore_errors=True)
            cloud_first.append(deploy_in_process(small, spec))
            cloud_again.append(deploy_in_process(small, spec))

        bot = scratch / "pandas-bot"
        bot.mkdir()
        (bot / "app.py").write_text(PANDAS_BOT)
        (bot / "requirements.txt").write_text(REQUIREMENTS)
        (bot / "botship.toml").write_text(PROFILE)
        cli_first, cli_again = [], []
        for _ in range(ROUNDS):
            reset(endpoint)
            shutil.rmtree(bot / ".botship", ignore_errors=True)
            shutil.rmtree(scratch / "cache", ignore_errors=True)
            cli_first.append(deploy_command(bot))
            cli_again.append(deploy_command(bot))
    finally:
        stop(moto)
        shutil.rmtree(scratch, ignore_errors=True)

    first_s = statistics.median(t for t, _, _ in cloud_first)
    again_s = statistics.median(t for t, _, _ in cloud_again)
    again_calls = max(c for _, c, _ in cloud_again)
    print(f"\n1. cloud work in-process (plan + run), small bot, median of {ROUNDS}")
    print(f"{'scenario':<22}{'wall s':>9}{'mutating calls':>16}{'steps changed':>15}")
    print(f"{'first deploy':<22}{first_s:>9.3f}{max(c for _, c, _ in cloud_first):>16}"
          f"{max(n for _, _, n in cloud_first):>15}")
    print(f"{'unchanged redeploy':<22}{again_s:>9.3f}{again_calls:>16}{max(n for _, _, n in cloud_again):>15}")
    print(f"ratio {again_s / first_s:.1%}")

    cli_first_s, cli_again_s = statistics.median(cli_first), statistics.median(cli_again)
    ratio = cli_again_s / cli_first_s
    print(f"\n2. `botship deploy --profile bench --yes` as a process, pandas + requests bot, median of {ROUNDS}")
    print(f"{'first deploy':<22}{cli_first_s:>9.3f} s  (empty botship dependency cache)")
    print(f"{'unchanged redeploy':<22}{cli_again_s:>9.3f} s")
    print(f"\ntargets: 0 mutating calls on the unchanged redeploy: {'MET' if again_calls == 0 else 'MISSED'}; "
          f"its wall time under 10% of the first deploy's: {ratio:.1%} {'MET' if ratio < 0.10 else 'MISSED'} "
          f"(in-process cloud work alone: {again_s / first_s:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
