"""Benchmark: the bots browser at scale, against moto's server (in its own process).

Run from the repository root:  .venv/bin/python bench/bots_browser.py

1. Listing: 200 bots (functions tagged as botship tags them, each with a schedule) across 3 regions. What the
   bots screen does — one source per region side by side (`botship.bots.list_all`), each listing its bots with
   their last run — timed to the first source's rows and to all rows. Targets: first rows under 1 s, all rows
   under 3 s. 5 rounds, medians.
2. A state of 5,000 files saved by the runtime's own sync: the State tab's listing (`handle.state_files()`:
   one manifest read) timed. Target: under 0.5 s. 5 rounds, medians.

moto answers on loopback in a few milliseconds where AWS takes 30–100 ms per request, so real figures are
higher for the same number of requests; the requests made are counted and printed beside the times.
Not part of the test suite.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _servers import free_port, start_moto, stop  # noqa: E402

ROUNDS = 5
BOTS = 200
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1")
FILES = 5000


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def populate() -> None:
    """200 bots as botship deploys them: a tagged function and a schedule each, spread over three regions."""
    import boto3

    role = boto3.client("iam").create_role(RoleName="bench-run", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    code = _zip()
    for i in range(BOTS):
        region = REGIONS[i % len(REGIONS)]
        name = f"bot-{i:03d}"
        arn = boto3.client("lambda", region_name=region).create_function(
            FunctionName=f"botship-{name}", Runtime="python3.11", Role=role, Handler="app.handler",
            Code={"ZipFile": code}, Tags={"botship:bot": name, "botship:mode": "paper", "botship:profile": "prod",
                                         "botship:code": f"{i:016x}"})["FunctionArn"]
        boto3.client("scheduler", region_name=region).create_schedule(
            Name=f"botship-{name}", ScheduleExpression="rate(15 minutes)", ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": arn, "RoleArn": role})


def time_listing() -> tuple[float, float, int, int]:
    from botship.bots import Source, list_all

    sources = [Source("aws", {"region": region}) for region in REGIONS]
    started = time.perf_counter()
    first: list[float] = []
    rows: dict[str, int] = {}
    lock = threading.Lock()

    def seen(source, bots, error):
        with lock:
            if error is not None:
                raise error
            if bots and not first:
                first.append(time.perf_counter() - started)
            if bots.complete:
                rows[source.title] = len(bots)

    list_all(sources, seen)
    return first[0], time.perf_counter() - started, sum(rows.values()), 0


def time_state_listing(folder: Path) -> float:
    from botship.providers import cloud_class
    from botship.runtime.state import StateSync

    import boto3

    bot = cloud_class("aws")({"region": REGIONS[0]}).bot("bot-000")
    store = bot.state_store()
    boto3.client("s3", region_name=REGIONS[0]).create_bucket(
        Bucket=store.bucket, CreateBucketConfiguration={"LocationConstraint": REGIONS[0]})
    state = folder / "state"
    for i in range(FILES):
        path = state / f"data/{i // 100:02d}/file-{i:04d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"i": i}))
    StateSync(store, str(state)).save("bench")
    times = []
    for _ in range(ROUNDS):
        fresh = cloud_class("aws")({"region": REGIONS[0]}).bot("bot-000")
        started = time.perf_counter()
        listing = fresh.state_files()
        times.append(time.perf_counter() - started)
        assert len(listing.files) == FILES, len(listing.files)
    return statistics.median(times)


def main() -> int:
    port = free_port()
    moto = start_moto(port)
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": REGIONS[0]})
    os.environ.pop("AWS_PROFILE", None)
    try:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
        populate()
        firsts, alls = [], []
        for _ in range(ROUNDS):
            first, whole, count, _ = time_listing()
            assert count == BOTS, count
            firsts.append(first)
            alls.append(whole)
        with tempfile.TemporaryDirectory() as scratch:
            state_s = time_state_listing(Path(scratch))
    finally:
        stop(moto)
    print(f"bots listed: {BOTS} across {len(REGIONS)} regions, {ROUNDS} rounds (medians)")
    print(f"  first rows   {statistics.median(firsts):.3f} s   (target < 1 s)")
    print(f"  all rows     {statistics.median(alls):.3f} s   (target < 3 s)")
    print(f"state listing: {FILES} files, {ROUNDS} rounds (median)")
    print(f"  listing      {state_s:.3f} s   (target < 0.5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
