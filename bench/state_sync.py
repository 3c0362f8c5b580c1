"""Benchmark: botship's StateSync against investing-algorithm-framework's own S3 and Azure state handlers.

Run from the repository root:  .venv/bin/python bench/state_sync.py

State: 500 small files (1-4 KB, in subfolders) plus a 5 MB SQLite database. Backends run locally:
moto's S3 server and Azurite, both on 127.0.0.1, started and stopped here. For each backend and
tool (separate buckets/containers per tool), medians of 5 timed save()/load() calls for: first save
(empty remote), save after one small file changed, cold load (new empty folder), warm load (same
folder, nothing changed). Each tool runs in its own subprocess (botship with this venv, the framework's
AWSS3StorageStateHandler / AzureBlobStorageStateHandler with bench/.venv-peers), so neither shares a
process with the moto server; imports are never timed.
Also: import time of botship_runtime.aws_handler in a fresh interpreter, and the runtime's size.
Not part of the test suite.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPS = 5
SMALL_FILES = 500
DB_BYTES = 5 * 1024 * 1024
SCENARIOS = ("first save", "save, 1 change", "cold load", "warm load")
TARGETS = {"save, 1 change": 0.05, "cold load": 0.50, "warm load": 0.02}  # botship / theirs, at most
REPO = Path(__file__).resolve().parent.parent


def small_path(folder: Path, i: int) -> Path:
    parts = [f"group-{i % 10}"] + ([f"sub-{i % 3}"] if i % 2 else []) + [f"item-{i:03d}.json"]
    return folder.joinpath(*parts)


def make_data(folder: Path) -> None:
    rng = random.Random(42)
    for i in range(SMALL_FILES):
        path = small_path(folder, i)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(rng.randint(1024, 4096)))
    (folder / "databases").mkdir()
    with sqlite3.connect(folder / "databases" / "prod-database.sqlite3") as db:
        db.execute("CREATE TABLE trades (id INTEGER PRIMARY KEY, symbol TEXT, price REAL, payload BLOB)")
        rows = [(i, f"SYM{i % 50}", rng.random() * 100, rng.randbytes(1000)) for i in range(DB_BYTES // 1000)]
        db.executemany("INSERT INTO trades VALUES (?, ?, ?, ?)", rows)


def change_one(folder: Path, mark: int) -> None:
    with open(small_path(folder, (mark * 37) % SMALL_FILES), "ab") as fh:
        fh.write(f"\nchange {mark}\n".encode())


def listing(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run_scenarios(tool, data: Path, scratch: Path, first_locations: list[str], main: str) -> dict[str, list[float]]:
    """The four scenarios for one tool on one backend; `tool` has first_save, save_after and load."""
    result: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    for run, location in enumerate(first_locations):  # a fresh bucket/container each time
        folder = scratch / f"first-{run}"
        shutil.copytree(data, folder)
        result["first save"].append(tool.first_save(folder, location))
        shutil.rmtree(folder)
    work = scratch / "work"
    shutil.copytree(data, work)
    tool.first_save(work, main)
    for run in range(REPS):
        result["save, 1 change"].append(tool.save_after(work, main, lambda: change_one(work, run)))
    expected = listing(work)
    for run in range(REPS):
        result["cold load"].append(tool.load(scratch / f"cold-{run}", main))
        if listing(scratch / f"cold-{run}") != expected:
            raise RuntimeError(f"{type(tool).__name__}: cold load {run} does not match the saved folder")
    for run in range(REPS):
        result["warm load"].append(tool.load(work, main))
    if listing(work) != expected:
        raise RuntimeError(f"{type(tool).__name__}: warm load changed the folder")
    return result


class BotshipTool:
    """botship's StateSync; a new StateSync per call, as each invocation makes one."""

    def __init__(self, backend: str) -> None:
        from botship.runtime.state import StateSync
        from botship.runtime.stores import open_store

        self.sync = lambda location, folder: StateSync(open_store(f"{backend}://{location}", "paper"), str(folder))

    def first_save(self, folder: Path, location: str) -> float:
        sync = self.sync(location, folder)
        return timed(lambda: sync.save("first"))

    def save_after(self, folder: Path, location: str, change) -> float:
        sync = self.sync(location, folder)
        sync.load()  # as an invocation does: load, the bot changes a file, save
        change()
        return timed(lambda: sync.save("change"))

    def load(self, folder: Path, location: str) -> float:
        sync = self.sync(location, folder)
        return timed(sync.load)


class FrameworkTool:
    """investing-algorithm-framework's handlers (runs in bench/.venv-peers); initialize() is not timed."""

    def __init__(self, backend: str) -> None:
        from investing_algorithm_framework import AWSS3StorageStateHandler, AzureBlobStorageStateHandler

        connection = os.environ["BOTSHIP_STORAGE_CONNECTION_STRING"]
        self.make = (lambda loc: AWSS3StorageStateHandler(bucket_name=loc)) if backend == "s3" else (
            lambda loc: AzureBlobStorageStateHandler(connection_string=connection, container_name=loc))

    def _handler(self, location: str):
        handler = self.make(location)
        handler.initialize()
        return handler

    def first_save(self, folder: Path, location: str) -> float:
        return timed(lambda handler=self._handler(location): handler.save(str(folder)))

    def save_after(self, folder: Path, location: str, change) -> float:
        handler = self._handler(location)
        change()
        return timed(lambda: handler.save(str(folder)))

    def load(self, folder: Path, location: str) -> float:
        return timed(lambda handler=self._handler(location): handler.load(str(folder)))


def create_location(backend: str, name: str) -> str:
    import boto3
    from azure.storage.blob import BlobServiceClient

    if backend == "s3":
        boto3.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    else:
        BlobServiceClient.from_connection_string(os.environ["BOTSHIP_STORAGE_CONNECTION_STRING"]).create_container(name)
    return name


def run_worker(python: str, job: dict) -> dict[str, list[float]]:
    result = subprocess.run([python, __file__, "--worker", json.dumps(job)], capture_output=True, text=True,
                            timeout=1200)
    if result.returncode != 0:
        raise RuntimeError(f"{job['tool']} worker failed ({job['backend']}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def import_time_ms(scratch: Path, write_bytecode: bool) -> float:
    """Median cumulative -X importtime of botship_runtime.aws_handler over 5 fresh interpreters (after a warm-up)."""
    root = scratch / ("import-pyc" if write_bytecode else "import-nopyc")
    (root / "botship_runtime").mkdir(parents=True)
    for source in sorted((REPO / "runtime").glob("*.py")):
        shutil.copy(source, root / "botship_runtime" / source.name)
    command = [sys.executable, "-X", "importtime", "-S", *([] if write_bytecode else ["-B"]),
               "-c", "import botship_runtime.aws_handler"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # the -B flag decides

    def once() -> float:
        result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=60, check=True)
        for line in result.stderr.splitlines():
            fields = line.split("|")
            if line.startswith("import time:") and fields[-1].strip() == "botship_runtime.aws_handler":
                return int(fields[1]) / 1000
        raise RuntimeError("botship_runtime.aws_handler not in -X importtime output")

    once()
    if write_bytecode and not (root / "botship_runtime" / "__pycache__").is_dir():
        raise RuntimeError("the warm-up import wrote no __pycache__")
    return statistics.median(once() for _ in range(5))


def report(results: dict, pyc_ms: float, nopyc_ms: float, runtime_bytes: int) -> None:
    for backend, label in (("s3", "S3 (moto server)"), ("azure", "Azure Blob (Azurite)")):
        ours, theirs = results[(backend, "botship")], results[(backend, "framework")]
        print(f"\nState sync, {label}: 500 files of 1-4 KB + 5 MB SQLite; median of {REPS}, milliseconds")
        print(f"{'scenario':<16} {'botship':>9} {'IAF':>9} {'botship/IAF':>12}  target")
        for scenario in SCENARIOS:
            a, b = statistics.median(ours[scenario]) * 1000, statistics.median(theirs[scenario]) * 1000
            limit = TARGETS.get(scenario)
            verdict = f"<= {limit:.0%}: {'MET' if a / b <= limit else 'MISSED'}" if limit else "-"
            print(f"{scenario:<16} {a:>9.1f} {b:>9.1f} {a / b:>11.1%}  {verdict}")
    print("\nimport botship_runtime.aws_handler (-X importtime -S, cumulative, median of 5 after a warm-up):\n"
          f"  with __pycache__ from the warm-up: {pyc_ms:.1f} ms (target < 30 ms: {'MET' if pyc_ms < 30 else 'MISSED'})\n"
          f"  compiled every time (-B; the artifact ships no .pyc and /var/task is read-only): {nopyc_ms:.1f} ms\n"
          f"runtime/*.py (shipped as botship_runtime/): {runtime_bytes} bytes "
          f"(target < 100 KB: {'MET' if runtime_bytes < 100_000 else 'MISSED'})")
    print("notes: IAF has no warm path (every load downloads everything) and no change detection (every save "
          "uploads everything); botship's timings include StateSync() construction (reads its index).")


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _peers import peers_venv
    from _servers import AZURITE_KEY, free_port, start_azurite, stop
    from moto.server import ThreadedMotoServer

    python = str(peers_venv() / "python")
    tmp = Path(tempfile.mkdtemp(prefix="botship-bench-state-"))
    moto = azurite = None
    try:
        data = tmp / "data"
        make_data(data)
        moto_port, azurite_port = free_port(), free_port()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        moto.start()
        azurite = start_azurite(REPO / "node_modules" / ".bin" / "azurite-blob", tmp / "azurite", azurite_port)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            os.environ.pop(name, None)
        os.environ.update({
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}", "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1",
            "BOTSHIP_STORAGE_CONNECTION_STRING": (
                f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
                f"BlobEndpoint=http://127.0.0.1:{azurite_port}/devstoreaccount1;")})
        results = {}
        for backend in ("s3", "azure"):
            for tool in ("botship", "framework"):
                print(f"running {backend} / {tool} ...", flush=True)
                firsts = [create_location(backend, f"bench-{tool}-first-{run}") for run in range(REPS)]
                main_location = create_location(backend, f"bench-{tool}-main")
                job = {"tool": tool, "backend": backend, "data": str(data), "scratch": str(tmp / f"{backend}-{tool}"),
                       "firsts": firsts, "main": main_location}
                results[(backend, tool)] = run_worker(sys.executable if tool == "botship" else python, job)
        pyc_ms, nopyc_ms = import_time_ms(tmp, True), import_time_ms(tmp, False)
        runtime_bytes = sum(p.stat().st_size for p in (REPO / "runtime").glob("*.py"))
        report(results, pyc_ms, nopyc_ms, runtime_bytes)
    finally:
        if azurite is not None:
            stop(azurite)
        if moto is not None:
            moto.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def worker(job: dict) -> int:
    tool = (BotshipTool if job["tool"] == "botship" else FrameworkTool)(job["backend"])  # imports: not timed
    Path(job["scratch"]).mkdir()
    print(json.dumps(run_scenarios(tool, Path(job["data"]), Path(job["scratch"]), job["firsts"], job["main"])))
    return 0


if __name__ == "__main__":
    sys.exit(worker(json.loads(sys.argv[2])) if sys.argv[1:2] == ["--worker"] else main())
