"""Earlier generations kept by the store itself (runtime/store_base.py KeptHistory): a local folder and an Azurite
container keep the manifests of the last HISTORY generations beside the manifest, never delete an object one of
them lists, and trim older generations with the objects only they listed. Listed newest first, restored under
the bot's lock, seen by the next load."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from botship.runtime.history import LockHeld, RestoreRefused, list_generations, restore_generation
from botship.runtime.state import Manifest, StateSync
from botship.runtime.store_base import KeptHistory
from botship.runtime.stores import AzureStore, FolderStore

KEPT = pytest.mark.parametrize("state_url", ["folder", "azure"], indirect=True)
N = KeptHistory.HISTORY


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def save(sync: StateSync, folder: Path, files: dict[str, bytes | None], run: str) -> None:
    for rel, data in files.items():
        path = folder / rel
        if data is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    sync.save(run)


def stored(store) -> set[str]:
    """Every object the store holds, wherever it keeps it (a folder sets aside what only kept generations list)."""
    if isinstance(store, FolderStore):
        return {n for where in ("objects", "retired") if os.path.isdir(os.path.join(store.root, where))
                for n in os.listdir(os.path.join(store.root, where)) if not n.startswith(".")}
    return set(store.list_objects())


def history_entries(store) -> list[str]:
    """The kept manifests as the store holds them: files under history/, or blobs under <prefix>history/."""
    if isinstance(store, FolderStore):
        return sorted(os.listdir(os.path.join(store.root, "history")))
    return sorted(b.name for b in store.container.list_blobs(name_starts_with=f"{store.prefix}history/"))


def objects_of(store, version_id: str) -> set[str]:
    return Manifest.parse(store.read_manifest_version(version_id), None).objects()


@KEPT
def test_generations_are_listed_newest_first_and_an_earlier_one_restored_is_seen_by_the_next_load(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    for n in (1, 2, 3):
        save(sync, folder, {"runs.txt": str(n).encode(), f"only-{n}.txt": b"x" * n}, f"run-{n}")

    listed = list_generations(store)
    assert [g["generation"] for g in listed] == [3, 2, 1]
    assert [g["current"] for g in listed] == [True, False, False] and all(g["valid"] for g in listed)
    assert [g["files"] for g in listed] == [4, 3, 2]
    assert len(history_entries(store)) == 3

    done = restore_generation(store, 1)
    assert (done["restored"], done["generation"], done["files"]) == (1, 4, 2)
    # Azure never deleted runs.txt's first object (nothing to revive); the folder brings it back from retired/.
    assert done["revived"] == ([] if isinstance(store, AzureStore) else [hashlib.sha256(b"1").hexdigest()])
    assert list_generations(store)[0]["generation"] == 4 and list_generations(store)[0]["current"]
    # The warm folder of the next run, and a cold one, both see generation 1's files.
    sync.load()
    assert tree(folder) == {"only-1.txt": b"x", "runs.txt": b"1"}
    cold = tmp_path / "cold"
    StateSync(open_store_like(store), str(cold)).load()
    assert tree(cold) == {"only-1.txt": b"x", "runs.txt": b"1"}


def open_store_like(store):
    """The same store opened again (a new process: nothing cached on the instance)."""
    if isinstance(store, FolderStore):
        return FolderStore(store.root)
    return AzureStore(store.container_name, store.prefix, store.connection_string)


@KEPT
def test_objects_a_kept_generation_lists_survive_saves_that_drop_them(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    save(sync, folder, {"model.bin": b"weights-v1" * 100, "runs.txt": b"1"}, "run-1")
    first = Manifest.parse(*store.read_manifest()).objects()
    save(sync, folder, {"model.bin": None, "runs.txt": b"2"}, "run-2")
    save(sync, folder, {"runs.txt": b"3"}, "run-3")

    assert first <= stored(store)  # the current state no longer lists model.bin's object; generation 1 does
    assert all(where for where in store.find_objects(sorted(first)).values())
    restore_generation(store, 1)
    cold = tmp_path / "cold"
    StateSync(open_store_like(store), str(cold)).load()
    assert tree(cold) == {"model.bin": b"weights-v1" * 100, "runs.txt": b"1"}


@KEPT
def test_generations_beyond_the_kept_ones_are_trimmed_with_the_objects_only_they_listed(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    shared = b"the same in every generation" * 50
    for n in range(1, N + 4):
        save(sync, folder, {"shared.bin": shared, "n.bin": str(n).encode() * 500}, f"run-{n}")
    assert sync.manifest.generation == N + 3

    listed = list_generations(store)
    assert [g["generation"] for g in listed] == list(range(N + 3, 3, -1))
    assert len(history_entries(store)) == N
    kept: set[str] = set()
    for version in store.manifest_versions():
        kept |= objects_of(store, version.version_id)
    assert stored(store) == kept  # generations 1-3's own n.bin objects are gone; shared.bin stays
    assert len(kept) == N + 1
    with pytest.raises(RestoreRefused, match=f"no valid generation 2; kept: {', '.join(map(str, range(4, N + 4)))}"):
        restore_generation(store, 2)
    restore_generation(store, 4)  # the oldest kept one still has all it lists
    cold = tmp_path / "cold"
    StateSync(open_store_like(store), str(cold)).load()
    assert tree(cold)["n.bin"] == b"4" * 500
    assert len(history_entries(store)) == N  # the restore's new generation pushed generation 4's copy out


@KEPT
def test_a_restore_is_refused_while_a_run_holds_the_lock_and_changes_nothing(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    for n in (1, 2):
        save(sync, folder, {"runs.txt": str(n).encode()}, f"run-{n}")
    before = store.read_manifest()[0]
    run = open_store_like(store)
    assert run.try_lock("busy-run", 60)
    try:
        with pytest.raises(LockHeld) as held:
            restore_generation(open_store_like(store), 1)
        assert held.value.holder["owner"] == "busy-run"
        assert store.read_manifest()[0] == before and len(history_entries(store)) == 2
    finally:
        run.unlock("busy-run")
    assert restore_generation(open_store_like(store), 1)["generation"] == 3


@KEPT
def test_a_manifest_written_by_an_older_runtime_is_listed_as_the_current_generation(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    save(sync, folder, {"runs.txt": b"1"}, "run-1")
    # An older runtime kept no copies: it writes manifest.json alone (here: generation 2, its objects uploaded).
    save(sync, folder, {"runs.txt": b"2"}, "run-2")
    for name in history_entries(store):
        if name.split("/")[-1].startswith(f"g{2:012d}"):
            remove_entry(store, name)
    listed = list_generations(store)
    assert [(g["generation"], g["current"], g["version_id"]) for g in listed] == [
        (2, True, "manifest.json"), (1, False, listed[1]["version_id"])]
    restore_generation(store, 1)
    assert list_generations(store)[0]["generation"] == 3


def remove_entry(store, name: str) -> None:
    if isinstance(store, FolderStore):
        os.remove(os.path.join(store.root, "history", name))
    else:
        store.container.delete_blob(name)


# ---- any sequence of saves and restores keeps exactly what the kept generations list --------------------------

FILES = ("a.txt", "b.txt", "big.bin")
STEP = st.one_of(
    st.tuples(st.just("save"), st.dictionaries(st.sampled_from(FILES), st.one_of(st.none(), st.integers(0, 3)),
                                               min_size=1)),
    st.tuples(st.just("restore"), st.integers(0, 5)))


def content(rel: str, n: int) -> bytes:
    return f"{rel}-{n}".encode() * (2000 if rel == "big.bin" else 1)


@pytest.fixture(scope="module")
def azure_container(azurite):
    from azure.storage.blob import ContainerClient

    name = f"history-{uuid.uuid4().hex[:12]}"
    ContainerClient.from_connection_string(azurite, name).create_container()
    return azurite, name


@pytest.mark.parametrize("kind", ["folder", "azure"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=9))
def test_any_saves_and_restores_keep_every_kept_generation_whole_and_nothing_else(kind, steps, tmp_path_factory,
                                                                                    request, monkeypatch):
    monkeypatch.setattr(KeptHistory, "HISTORY", 3)  # trimmed within a few steps
    root = tmp_path_factory.mktemp("history")
    if kind == "folder":
        store = FolderStore(str(root / "remote"))
    else:
        connection, container = request.getfixturevalue("azure_container")
        store = AzureStore(container, f"{uuid.uuid4().hex}/paper/", connection)
    folder = root / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    trees: dict[int, dict[str, bytes]] = {0: {}}
    for n, (action, arg) in enumerate(steps):
        if action == "save":  # None: delete the file (when it is there); a number: write that content
            save(sync, folder, {rel: None if v is None else content(rel, v) for rel, v in arg.items()
                                if v is not None or (folder / rel).exists()}, f"run-{n}")
        else:
            kept = [g["generation"] for g in list_generations(store)]
            if not kept:
                continue
            chosen = kept[arg % len(kept)]
            restore_generation(store, chosen)
            sync.load()
        trees[sync.manifest.generation] = tree(folder)

    versions = store.manifest_versions()
    generations = [json.loads(store.read_manifest_version(v.version_id))["generation"] for v in versions]
    newest = sync.manifest.generation
    assert generations == list(range(newest, max(0, newest - 3), -1))
    assert [v.current for v in versions] == [True, False, False][:len(versions)]
    listed: set[str] = set()
    for version in versions:
        listed |= objects_of(store, version.version_id)
    assert stored(store) == listed  # every kept generation whole; nothing only a trimmed one listed
    for generation in reversed(generations):  # each kept one restores to what it held (oldest first: a restore
        restore_generation(store, generation)  # is a new generation, which pushes the oldest kept one out)
        cold = root / f"cold-{generation}"
        StateSync(open_store_like(store), str(cold)).load()
        assert tree(cold) == trees[generation]
