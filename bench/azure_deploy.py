"""Benchmark: an Azure deploy against the strict fake, first and unchanged; and the Azure package beside the AWS zip.

Run from the repository root:  .venv/bin/python bench/azure_deploy.py

1. Deploy, in-process, five rounds on a fresh fake (the tests' strict Azure fake, tests/azure_fake, over HTTPS
   with Azurite behind the storage account, both on loopback): plan + run of a small bot with a secret and a
   schedule, first deploy then the same deploy again. Mutating calls are counted by the fake itself
   (PUT/PATCH/DELETE and POSTs that change something). Target: 0 on the unchanged re-deploy.
2. Artifact build for the same bot (pandas + requests), cold (fresh botship dependency cache; pip's download
   cache warm) and unchanged, for Azure's layout and AWS's zip, three rounds each.

The fake answers long-running operations at once and has no role propagation delay, so a real first deploy is
much slower than the figure here (role assignments alone take Azure tens of seconds); the unchanged re-deploy
is all reads, and the mutating-call count is exact. Not part of the test suite.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from azure_env import AZURITE_KEY, start_azurite  # noqa: E402
from azure_fake import AzureFake  # noqa: E402

ROUNDS, BUILD_ROUNDS = 5, 3
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
SMALL_BOT = '''import os

def handler(event, context):
    return {"market": os.environ.get("MARKET")}
'''
PANDAS_BOT = '''import pandas
import requests


def handler(event, context):
    return {"mean": float(pandas.DataFrame({"p": [1.0, 2.0]})["p"].mean()), "requests": requests.__version__}
'''
REQUIREMENTS = "pandas==2.2.3\nnumpy==2.2.6\nrequests==2.32.5\n"


class Quiet:
    def log(self, message: str, level: str = "info") -> None:
        pass

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        pass


def fake_cloud(folder: Path):
    """A started fake and Azurite, with the environment botship reads (as the tests' azure_cloud fixture)."""
    import json

    fake = AzureFake(folder)
    azurite, blob_url = start_azurite(folder / "azurite", fake.cert_file, fake.key_file)
    fake.blob_url, fake.blob_key = blob_url, AZURITE_KEY
    fake.start()
    config = folder / "cloud.json"
    config.write_text(json.dumps({
        "name": "bench-fake", "resource_manager": fake.url, "authority": fake.url, "keyvault_suffix": "vault.azure.net",
        "storage_suffix": "core.windows.net", "app_service_suffix": "azurewebsites.net", "ca_bundle": fake.ca_bundle}))
    os.environ.update({"BOTSHIP_AZURE_CLOUD_CONFIG": str(config), "AZURE_TENANT_ID": fake.tenant_id,
                       "AZURE_CLIENT_ID": fake.client_id, "AZURE_CLIENT_SECRET": fake.client_secret,
                       "BOTSHIP_AZURE_MANAGED_IDENTITY": "off", "AZURE_CONFIG_DIR": str(folder / "az")})
    return fake, azurite


def spec_of(fake, project: Path):
    from botship.spec import build_spec

    return build_spec({"platform": "azure", "bot_name": "bench-bot", "entry": "app:handler", "python": PYTHON,
                       "memory_mb": 512, "schedule": "cron(0 9 * * ? *)", "timezone": "Europe/Amsterdam",
                       "env": {"MARKET": "bitvavo"}, "secrets": ["EXCHANGE_API_KEY"],
                       "azure": {"subscription_id": fake.subscription_id, "resource_group": "bench",
                                 "location": "westeurope"}}, project)


def deploy(fake, project: Path, spec) -> tuple[float, int, int]:
    """(seconds, mutating calls, steps changed) for one plan + run."""
    from botship.providers.azure.provider import AzureProvider
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.secret_values import SecretValue, SecretValues

    fake.reset_mutations()
    started = time.perf_counter()
    plan = AzureProvider(spec).plan(DeployContext(project, "bench", SecretValues(
        [SecretValue("EXCHANGE_API_KEY", "bench-secret-0123456789", "environment")])))
    result = start_run(plan, lambda event: None).wait(600)
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"deploy failed: {result.failure}")
    return elapsed, len(fake.mutations), len(plan.changes)


def deploy_rounds(work: Path) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"first s": [], "first mutations": [], "unchanged s": [],
                                       "unchanged mutations": [], "unchanged steps changed": []}
    project = work / "small"
    project.mkdir()
    (project / "app.py").write_text(SMALL_BOT)
    os.environ["BOTSHIP_CACHE_DIR"] = str(work / "cache-small")
    for round_ in range(ROUNDS):
        fake, azurite = fake_cloud(work / f"fake-{round_}")
        try:
            fake.lro_polls = 0
            spec = spec_of(fake, project)
            seconds, mutations, _ = deploy(fake, project, spec)
            figures["first s"].append(seconds)
            figures["first mutations"].append(mutations)
            seconds, mutations, changed = deploy(fake, project, spec)
            figures["unchanged s"].append(seconds)
            figures["unchanged mutations"].append(mutations)
            figures["unchanged steps changed"].append(changed)
        finally:
            fake.stop()
            azurite.terminate()
            azurite.wait(10)
    return figures


def build_rounds(work: Path) -> dict[str, list[float]]:
    from botship.providers.artifact import build_artifact
    from botship.spec import build_spec

    project = work / "pandas"
    project.mkdir()
    (project / "app.py").write_text(PANDAS_BOT)
    (project / "requirements.txt").write_text(REQUIREMENTS)
    common = {"bot_name": "bench-bot", "entry": "app:handler", "python": PYTHON}
    specs = {"azure": build_spec({**common, "platform": "azure", "memory_mb": 512, "azure": {
        "subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "bench",
        "location": "westeurope"}}, project),
             "aws": build_spec({**common, "platform": "aws", "aws": {"region": "eu-west-1"}}, project)}
    figures: dict[str, list[float]] = {}
    for warm_up in ("azure", "aws"):  # pip's own download cache filled once, so no round pays the network
        os.environ["BOTSHIP_CACHE_DIR"] = str(work / f"warm-{warm_up}")
        build_artifact(specs[warm_up], project, Quiet(), out_dir=work / f"out-warm-{warm_up}")
    for name, spec in specs.items():
        for round_ in range(BUILD_ROUNDS):
            cache, out = work / f"cache-{name}-{round_}", work / f"out-{name}-{round_}"
            os.environ["BOTSHIP_CACHE_DIR"] = str(cache)
            started = time.perf_counter()
            artifact = build_artifact(spec, project, Quiet(), out_dir=out)
            figures.setdefault(f"{name} cold s", []).append(time.perf_counter() - started)
            started = time.perf_counter()
            build_artifact(spec, project, Quiet(), out_dir=out)
            figures.setdefault(f"{name} unchanged s", []).append(time.perf_counter() - started)
            figures.setdefault(f"{name} unzipped MB", []).append(artifact.unzipped_size / 1e6)
            shutil.rmtree(cache, ignore_errors=True)
    return figures


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="botship-bench-azure-"))
    try:
        deploys = deploy_rounds(work)
        builds = build_rounds(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    median = {name: statistics.median(values) for name, values in {**deploys, **builds}.items()}
    print(f"\nAzure deploy against the strict fake ({ROUNDS} rounds, medians)")
    for name in deploys:
        print(f"  {name:<26} {median[name]:8.2f}")
    ratio = median["unchanged s"] / median["first s"]
    print(f"  unchanged / first          {ratio:8.2%}")
    print(f"  target: 0 mutating calls on the unchanged re-deploy — "
          f"{'MET' if max(deploys['unchanged mutations']) == 0 else 'MISSED'}")
    print(f"\nArtifact build, pandas + requests bot ({BUILD_ROUNDS} rounds, medians)")
    for name in builds:
        print(f"  {name:<26} {median[name]:8.2f}")
    print(f"  azure cold / aws cold      {median['azure cold s'] / median['aws cold s']:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
