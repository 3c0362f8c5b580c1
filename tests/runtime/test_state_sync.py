"""State sync against real stores: only what changed moves, deletions propagate, a conflicting writer is caught."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from botship.runtime.state import StateSync
from botship.runtime.stores import Conflict, open_store
from conftest import ALL_STORES, live_objects


def write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@ALL_STORES
def test_save_then_cold_load_restores_the_same_folder(store, tmp_path):
    first = tmp_path / "warm"
    sync = StateSync(store, str(first))
    sync.load()
    write(first, {"algorithm_control.json": b"{}", "data/prices.csv": b"t,close\n1,2\n"})
    db = sqlite3.connect(first / "databases" / "bot.sqlite3") if (first / "databases").mkdir() is None else None
    db.execute("create table runs (n integer)")
    db.execute("insert into runs values (1)")
    db.commit()
    db.close()
    saved = sync.save("run-1")
    assert saved.files == 3 and saved.bytes > 0

    cold = tmp_path / "cold"
    loaded = StateSync(store, str(cold)).load()
    assert loaded.files == 3
    assert tree(cold) == tree(first)
    assert sqlite3.connect(cold / "databases" / "bot.sqlite3").execute("select count(*) from runs").fetchone() == (1,)


@ALL_STORES
def test_a_warm_container_with_nothing_changed_downloads_and_uploads_nothing(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    write(folder, {f"f{i}.txt": str(i).encode() for i in range(20)})
    sync.save("run-1")

    again = StateSync(store, str(folder))
    assert again.load().files == 0
    assert again.save("run-2").skipped


def test_warm_load_makes_one_request_and_no_object_downloads(aws, tmp_path):
    import boto3

    boto3.client("s3").create_bucket(Bucket="count", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    folder = tmp_path / "state"
    sync = StateSync(open_store("s3://count", "paper"), str(folder))
    sync.load()
    write(folder, {f"f{i}.txt": str(i).encode() * 100 for i in range(10)})
    sync.save("run-1")

    store = open_store("s3://count", "paper")
    calls: list[str] = []
    store.client.meta.events.register("before-call.s3", lambda model, **kw: calls.append(model.name))
    assert StateSync(store, str(folder)).load().files == 0
    assert calls == ["GetObject"]  # the manifest, nothing else


@ALL_STORES
def test_one_changed_file_uploads_one_object_and_deletes_the_old_one(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    write(folder, {f"f{i}.txt": f"v1-{i}".encode() for i in range(10)})
    sync.save("run-1")
    before = set(store.list_objects())

    write(folder, {"f3.txt": b"v2"})
    report = sync.save("run-2")
    after = live_objects(store)
    assert (report.files, report.deleted) == (1, 1)
    assert len(after) == 10 and len(after - before) == 1


@ALL_STORES
def test_thousands_of_files_and_local_deletions_that_propagate(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    write(folder, {f"d{i % 7}/file-{i}.txt": f"content {i}".encode() for i in range(1500)})
    write(folder, {"big.bin": os.urandom(200_000)})
    assert sync.save("run-1").files == 1501
    # The small files travel as one pack; the large one as its own object.
    assert len(set(store.list_objects())) == 2

    os.remove(folder / "d3" / "file-3.txt")
    os.remove(folder / "big.bin")
    report = sync.save("run-2")
    assert report.deleted == 1  # big.bin's object; the pack still holds 1,499 live files
    assert len(live_objects(store)) == 1

    cold = tmp_path / "cold"
    loaded = StateSync(store, str(cold)).load()
    assert loaded.files == 1499
    assert not (cold / "d3" / "file-3.txt").exists() and not (cold / "big.bin").exists()
    assert (cold / "d5" / "file-5.txt").read_bytes() == b"content 5"


@ALL_STORES
def test_a_cold_load_of_many_small_files_is_a_few_requests(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    write(folder, {f"f{i}.json": b"{}" * (i + 1) for i in range(300)})
    sync.save("run-1")
    write(folder, {"f7.json": b"changed"})
    assert sync.save("run-2").files == 1  # a single change goes up on its own, not as a new pack

    fetched: list[str] = []
    original = store.download
    store.download = lambda digest, path: (fetched.append(digest), original(digest, path))[1]
    cold = tmp_path / "cold"
    assert StateSync(store, str(cold)).load().files == 300
    assert len(fetched) == 2  # the pack and the one changed file
    assert tree(cold) == tree(folder)


@ALL_STORES
def test_files_gone_from_the_manifest_are_removed_locally(store, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    sync_a = StateSync(store, str(a))
    sync_a.load()
    write(a, {"keep.txt": b"1", "old/gone.txt": b"2"})
    sync_a.save("run-1")
    sync_b = StateSync(store, str(b))
    sync_b.load()
    os.remove(b / "old" / "gone.txt")
    sync_b.save("run-2")

    report = sync_a.load()
    assert report.deleted == 1
    assert tree(a) == {"keep.txt": b"1"}
    assert not (a / "old").exists()


@ALL_STORES
def test_a_conflicting_writer_is_detected_not_overwritten(store, tmp_path):
    one, two = StateSync(store, str(tmp_path / "one")), StateSync(store, str(tmp_path / "two"))
    one.load()
    two.load()
    write(tmp_path / "one", {"x.txt": b"one"})
    write(tmp_path / "two", {"x.txt": b"two"})
    one.save("run-1")
    with pytest.raises(Conflict):
        two.save("run-2")
    cold = tmp_path / "cold"
    StateSync(store, str(cold)).load()
    assert tree(cold) == {"x.txt": b"one"}


@ALL_STORES
def test_paper_and_live_never_share_state(state_url, tmp_path):
    paper = StateSync(open_store(state_url, "paper"), str(tmp_path / "paper"))
    paper.load()
    write(tmp_path / "paper", {"positions.json": b"paper"})
    paper.save("run-1")
    live = StateSync(open_store(state_url, "live"), str(tmp_path / "live"))
    assert live.load().files == 0
    assert tree(tmp_path / "live") == {}


@ALL_STORES
def test_a_same_size_rewrite_within_one_clock_tick_is_still_saved(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    write(folder, {"position.json": b'{"qty":1}'})
    sync.save("run-1")
    stamp = (folder / "position.json").stat().st_mtime_ns
    write(folder, {"position.json": b'{"qty":0}'})
    os.utime(folder / "position.json", ns=(stamp, stamp))  # a coarse clock: same size, same mtime
    assert sync.save("run-2").files == 1
    assert tree(cold_folder(store, tmp_path)) == {"position.json": b'{"qty":0}'}


@ALL_STORES
def test_a_file_that_became_a_folder_elsewhere_loads_in_a_warm_container(store, tmp_path):
    warm, other = tmp_path / "warm", tmp_path / "other"
    first = StateSync(store, str(warm))
    first.load()
    write(warm, {"cache": b"flat"})
    first.save("run-1")
    second = StateSync(store, str(other))
    second.load()
    os.remove(other / "cache")
    write(other, {"cache/prices.csv": b"1,2"})
    second.save("run-2")

    first.load()
    assert tree(warm) == {"cache/prices.csv": b"1,2"}
    os.remove(other / "cache" / "prices.csv")
    os.rmdir(other / "cache")
    write(other, {"cache": b"flat again"})
    second.save("run-3")
    first.load()
    assert tree(warm) == {"cache": b"flat again"}


@ALL_STORES
def test_a_mostly_dead_pack_is_repacked_and_removed(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    write(folder, {f"f{i}.txt": f"data {i} ".encode() * 50 for i in range(300)})
    sync.save("run-1")
    (first_pack,) = set(store.list_objects())
    for i in range(250):
        os.remove(folder / f"f{i}.txt")
    sync.save("run-2")

    objects = live_objects(store)
    assert first_pack not in objects and len(objects) == 1  # the 50 live files, in a new pack
    cold = cold_folder(store, tmp_path)
    assert tree(cold) == tree(folder)


def test_pack_files_never_outlive_a_failed_save(aws, tmp_path):
    import boto3

    boto3.client("s3").create_bucket(Bucket="gone", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    folder = tmp_path / "state"
    sync = StateSync(open_store("s3://gone", "paper"), str(folder))
    sync.load()
    boto3.client("s3").delete_bucket(Bucket="gone")
    write(folder, {f"f{i}.txt": b"x" * (i + 1) for i in range(40)})
    with pytest.raises(Exception):
        sync.save("run-1")
    assert not list(tmp_path.glob(".botship-pack-*"))


def cold_folder(store, tmp_path: Path) -> Path:
    folder = tmp_path / f"cold-{os.urandom(4).hex()}"
    StateSync(store, str(folder)).load()
    return folder


@pytest.mark.parametrize("stale", [False, True])
def test_only_one_of_many_racing_runs_gets_the_folder_lock(tmp_path, stale):
    import threading

    store = open_store(f"file://{tmp_path / 'remote'}", "paper")
    if stale:
        assert store.try_lock("crashed", 0.01)
        threading.Event().wait(0.05)
    start = threading.Barrier(12)
    winners: list[str] = []

    def race(owner: str) -> None:
        start.wait()
        if store.try_lock(owner, 60):
            winners.append(owner)

    threads = [threading.Thread(target=race, args=(f"run-{i}",)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(winners) == 1
