"""Benchmark: a first AWS deploy and an unchanged re-deploy of the example bot, against moto's server.

Run from the repository root:  .venv/bin/python bench/aws_deploy.py

For each of 5 rounds (a fresh moto state each time): plan + run a first deploy, then plan + run the
same deploy again. Reports median wall times and the number of mutating API calls (anything that is
not Get/List/Describe/Head), counted with a botocore hook on every client. Targets: 0 mutating calls
on the unchanged re-deploy, and its wall time under 10% of the first deploy's. The artifact build is
included in both (the second reuses it). Not part of the test suite.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _servers import free_port  # noqa: E402

ROUNDS = 5
READS = ("Get", "List", "Describe", "Head")
BOT = '''import os, json

def handler(event, context):
    return {"market": os.environ.get("MARKET")}
'''


def deploy_once(project: Path, spec) -> tuple[float, int, int]:
    """(seconds, mutating calls, steps changed) for one plan + run."""
    from botship.providers.aws.provider import AwsProvider
    from botship.providers.aws.session import AwsSession
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.secret_values import SecretValue, SecretValues

    session = AwsSession("eu-west-1")
    calls: list[str] = []
    session.session.events.register("before-call", lambda model, **kw: calls.append(model.name))
    started = time.perf_counter()
    context = DeployContext(project, "bench", SecretValues([SecretValue("EXCHANGE_API_KEY", "k-123456", "env")]))
    plan = AwsProvider(spec, session).plan(context)
    result = start_run(plan, lambda event: None, context.masker).wait(300)
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"deploy failed: {result.failure}")
    return elapsed, sum(1 for c in calls if not c.startswith(READS)), result.changed


def main() -> int:
    from moto.server import ThreadedMotoServer

    from botship.spec import build_spec

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    scratch = Path(tempfile.mkdtemp(prefix="botship-bench-"))
    os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "bench",
                       "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-1",
                       "BOTSHIP_CACHE_DIR": str(scratch / "cache")})
    os.environ.pop("AWS_PROFILE", None)
    try:
        project = scratch / "bot"
        project.mkdir()
        (project / "app.py").write_text(BOT)
        spec = build_spec({"platform": "aws", "bot_name": "bench-bot", "entry": "app:handler",
                           "python": f"{sys.version_info.major}.{sys.version_info.minor}",
                           "schedule": "rate(15 minutes)", "env": {"MARKET": "bitvavo"},
                           "secrets": ["EXCHANGE_API_KEY"], "aws": {"region": "eu-west-1"}}, project)
        first, again = [], []
        for _ in range(ROUNDS):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST")
            urllib.request.urlopen(request, timeout=10).close()
            shutil.rmtree(project / ".botship", ignore_errors=True)
            first.append(deploy_once(project, spec))
            again.append(deploy_once(project, spec))
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    first_s = statistics.median(t for t, _, _ in first)
    again_s = statistics.median(t for t, _, _ in again)
    print(f"\nAWS deploy against moto's server, example bot (zip), median of {ROUNDS}")
    print(f"{'scenario':<20}{'wall s':>9}{'mutating calls':>16}{'steps changed':>15}")
    print(f"{'first deploy':<20}{first_s:>9.3f}{max(c for _, c, _ in first):>16}{max(n for _, _, n in first):>15}")
    print(f"{'unchanged redeploy':<20}{again_s:>9.3f}{max(c for _, c, _ in again):>16}{max(n for _, _, n in again):>15}")
    ratio = again_s / first_s
    calls_ok = max(c for _, c, _ in again) == 0
    print(f"\ntargets: 0 mutating calls on the unchanged redeploy: {'MET' if calls_ok else 'MISSED'}; "
          f"its wall time under 10% of the first: {ratio:.1%} {'MET' if ratio < 0.10 else 'MISSED'}")
    print("notes: both include planning (reading the cloud) and the artifact build (reused the second time); "
          "moto answers on loopback, so real AWS latency would weigh more on both.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
