"""State sync against hostile input: manifests damaged in every shape (sealed with a valid checksum, so only
the checks on their content catch them), objects whose content is not their hash, and a bot that leaves
symlinks, fifos, sockets, a replaced state folder or a file still being written in its state folder.
Nothing is ever written outside the state folder, nothing outside it is ever uploaded, and a damaged state
is reported as damaged (with the way back), never as a raw error."""

from __future__ import annotations

import errno
import io
import hashlib
import json
import os
import socket
import sys
import threading
from pathlib import Path

import pytest

from botship.runtime import invoke as runtime_invoke
from botship.runtime.state import (ManifestInvalid, StateFileUnsettled, StateFolderReplaced, StateObjectCorrupt,
                                   StateSync, seal_manifest, validate_manifest)
from botship.runtime.stores import open_store
from conftest import ALL_STORES

HI = hashlib.sha256(b"hi").hexdigest()


def _sealed(files: dict, packs: dict | None = None, generation: int = 2) -> bytes:
    return seal_manifest({"format": 1, "generation": generation, "files": files, "packs": packs or {}})


def _put_object(store, data: bytes, tmp_path: Path, name: str | None = None) -> str:
    digest = name or hashlib.sha256(data).hexdigest()
    source = tmp_path / f"object-{digest[:12]}"
    source.write_bytes(data)
    store.upload(digest, str(source))
    return digest


def _replace_manifest(store, data: bytes) -> None:
    store.write_manifest(data, store.read_manifest()[1])


DAMAGED = {
    "parent folder": {"../outside.txt": {"sha256": HI, "size": 2}},
    "deep parent folder": {"a/../../outside.txt": {"sha256": HI, "size": 2}},
    "absolute path": {"/tmp/outside.txt": {"sha256": HI, "size": 2}},
    "the folder itself": {".": {"sha256": HI, "size": 2}},
    "a dot inside": {"a/./b": {"sha256": HI, "size": 2}},
    "an empty part": {"a//b": {"sha256": HI, "size": 2}},
    "a trailing slash": {"a/": {"sha256": HI, "size": 2}},
    "a NUL byte": {"a\x00b": {"sha256": HI, "size": 2}},
    "a file and a folder": {"a": {"sha256": HI, "size": 2}, "a/b": {"sha256": HI, "size": 2}},
    "a negative size": {"a": {"sha256": HI, "size": -2}},
    "a size that is a string": {"a": {"sha256": HI, "size": "2"}},
    "a size that is true": {"a": {"sha256": HI, "size": True}},
    "an entry that is a list": {"a": [HI, 2]},
    "an upper-case hash": {"a": {"sha256": HI.upper(), "size": 2}},
}


@ALL_STORES
@pytest.mark.parametrize("kind", list(DAMAGED))
def test_a_sealed_manifest_with_a_hostile_entry_is_refused_and_nothing_is_written_outside(store, tmp_path, kind):
    _put_object(store, b"hi", tmp_path)
    folder = tmp_path / "box" / "state"
    folder.mkdir(parents=True)
    (folder / "keep.txt").write_text("mine")
    _replace_manifest(store, _sealed(DAMAGED[kind]))

    with pytest.raises(ManifestInvalid) as refused:
        StateSync(store, str(folder)).load()
    assert "is not a valid state manifest" in str(refused.value)
    assert (folder / "keep.txt").read_text() == "mine"  # the folder was not touched, let alone removed
    assert sorted(p.name for p in (tmp_path / "box").iterdir()) == ["state"]
    assert not Path("/tmp/outside.txt").exists()


def test_a_pack_entry_past_the_end_of_its_pack_and_json_nested_too_deep_are_refused():
    entry = {"sha256": HI, "size": 2, "pack": "pack-x", "offset": 9}
    with pytest.raises(ManifestInvalid, match="reaches past the end of its pack"):
        validate_manifest(_sealed({"a": entry}, {"pack-x": 10}))
    with pytest.raises(ManifestInvalid, match="nested too deeply"):
        validate_manifest(b"[" * 100_000)


@ALL_STORES
def test_a_stored_object_whose_content_is_not_its_hash_is_reported_as_damaged_state(store, tmp_path):
    digest = _put_object(store, b"not what the hash says", tmp_path, name=HI)
    _replace_manifest(store, _sealed({"prices.csv": {"sha256": digest, "size": 22}}))
    folder = tmp_path / "state"
    with pytest.raises(StateObjectCorrupt) as corrupt:
        StateSync(store, str(folder)).load()
    assert "lists prices.csv" in str(corrupt.value) and "does not hold that file's content" in str(corrupt.value)
    assert not (folder / "prices.csv").exists()
    assert not [p for p in folder.rglob("*") if p.is_file()]  # no half-placed file stays behind


def _bot(tmp_path: Path, monkeypatch, body: str, url: str) -> None:
    """The runtime's environment for an in-process invoke of a one-function bot."""
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    name = f"hostile_{abs(hash(body)) % 10**8}"
    (code / f"{name}.py").write_text(body)
    monkeypatch.syspath_prepend(str(code))
    monkeypatch.setenv("BOTSHIP_ENTRY", f"{name}:handler")
    monkeypatch.setenv("BOTSHIP_STATE_URL", url)
    monkeypatch.setenv("BOTSHIP_STATE_DIR", str(tmp_path / "run" / "state"))
    monkeypatch.setenv("BOTSHIP_BOT_NAME", "hostile")
    monkeypatch.setenv("BOTSHIP_LOCK_WAIT_S", "0")


def _invoke() -> dict:
    response = runtime_invoke.invoke({}, None, 30)
    return {**json.loads(response["body"]), "code": response["statusCode"]}


WRITER = '''
import os
def handler(event, context):
    with open(os.path.join(os.environ["BOTSHIP_STATE_DIR"], "n.txt"), "a") as fh:
        fh.write("x")
    return {"ok": True}
'''


def test_a_corrupt_object_stops_the_run_with_the_last_good_generation(tmp_path, monkeypatch):
    url = f"file://{tmp_path / 'remote'}"
    _bot(tmp_path, monkeypatch, WRITER, url)
    for _ in range(3):
        assert _invoke()["code"] == 200
    store = open_store(url, "paper")
    digest = json.loads(store.read_manifest()[0])["files"]["n.txt"]["sha256"]
    (tmp_path / "remote" / "paper" / "objects" / digest).write_bytes(b"tampered")
    monkeypatch.setenv("BOTSHIP_STATE_DIR", str(tmp_path / "cold" / "state"))

    answer = _invoke()
    assert answer["code"] == 500 and answer["error"]["type"] == "StateDamaged", answer
    assert "does not hold that file's content" in answer["error"]["message"]
    assert "botship state restore hostile --generation 2" in answer["error"]["message"]


def test_only_regular_files_inside_the_folder_are_saved_and_a_fifo_does_not_hang_the_save(store, tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0")
    outside = tmp_path / "outside-dir"
    outside.mkdir()
    (outside / "key.pem").write_text("KEY")
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    (folder / "real.txt").write_text("state")
    (folder / "empty.txt").write_bytes(b"")
    os.symlink(secret, folder / "passwd-link")
    os.symlink(outside, folder / "dir-link")
    os.mkfifo(folder / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock"))
    (folder / "left.txt.botship-0123abcd.part").write_text("a load killed half-way")

    done: dict = {}
    saver = threading.Thread(target=lambda: done.update(report=sync.save("run-1")), daemon=True)
    saver.start()
    saver.join(20)
    sock.close()
    assert not saver.is_alive(), "saving a state folder with a fifo in it hangs"
    assert sorted(sync.manifest.files) == ["empty.txt", "real.txt"]
    assert sorted(sync.local.skipped) == ["dir-link", "passwd-link", "pipe", "sock"]
    assert not (folder / "left.txt.botship-0123abcd.part").exists()

    cold = tmp_path / "cold"
    StateSync(store, str(cold)).load()
    assert sorted(p.name for p in cold.iterdir()) == ["empty.txt", "real.txt"]
    assert (cold / "empty.txt").read_bytes() == b""


def test_a_load_never_writes_through_a_symlink_the_bot_left(store, tmp_path):
    first = tmp_path / "first"
    sync = StateSync(store, str(first))
    sync.load()
    (first / "sub").mkdir()
    (first / "sub" / "x.txt").write_text("state")
    sync.save("run-1")

    outside = tmp_path / "outside"
    outside.mkdir()
    warm = tmp_path / "warm"
    warm.mkdir()
    os.symlink(outside, warm / "sub")  # e.g. a bot that linked a folder of its own into the state folder
    StateSync(store, str(warm)).load()
    assert list(outside.iterdir()) == []
    assert not (warm / "sub").is_symlink() and (warm / "sub" / "x.txt").read_text() == "state"


def test_a_state_folder_replaced_by_a_symlink_is_not_followed_or_saved(store, tmp_path):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    (folder / "a.txt").write_text("1")
    sync.save("run-1")
    (folder / "a.txt").unlink()
    folder.rmdir()
    os.symlink("/etc", folder)
    with pytest.raises(StateFolderReplaced, match="replaced its state folder .* with a symlink"):
        sync.save("run-2")
    assert json.loads(store.read_manifest()[0])["generation"] == 1
    assert set(json.loads(store.read_manifest()[0])["files"]) == {"a.txt"}


@ALL_STORES
def test_a_file_changed_between_its_hash_and_its_upload_is_never_stored_under_the_wrong_hash(store, tmp_path,
                                                                                              monkeypatch):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    (folder / "log.txt").write_bytes(b"a" * 100_000)  # loose, not packed
    upload = store.upload
    writes = iter([b"b" * 100_001])

    def racing_upload(digest, path):  # a thread the bot left running appends while the save uploads
        data = next(writes, None)
        if data is not None:
            Path(path).write_bytes(data)
        upload(digest, path)

    monkeypatch.setattr(store, "upload", racing_upload)
    sync.save("run-1")
    cold = tmp_path / "cold"
    StateSync(store, str(cold)).load()  # every object matches its hash (or this raises StateObjectCorrupt)
    assert (cold / "log.txt").read_bytes() == b"b" * 100_001


def test_a_file_that_never_stops_changing_fails_the_save_and_keeps_the_stored_state(store, tmp_path, monkeypatch):
    folder = tmp_path / "state"
    sync = StateSync(store, str(folder))
    sync.load()
    (folder / "log.txt").write_bytes(b"a" * 100_000)
    sync.save("run-1")
    (folder / "log.txt").write_bytes(b"c" * 100_000)
    upload = store.upload
    counter = iter(range(10**6))

    def always_changing(digest, path):
        upload(digest, path)
        Path(path).write_bytes(b"d" * (100_000 + next(counter)))

    monkeypatch.setattr(store, "upload", always_changing)
    with pytest.raises(StateFileUnsettled, match="log.txt in the state folder kept changing"):
        sync.save("run-2")
    assert json.loads(store.read_manifest()[0])["generation"] == 1


@pytest.mark.parametrize("code, kind", [(errno.ENOSPC, "StateFolderFull"), (errno.EROFS, "StateFolderUnwritable")])
def test_a_full_or_read_only_state_folder_is_named_with_what_to_do(tmp_path, monkeypatch, code, kind):
    url = f"file://{tmp_path / 'remote'}"
    _bot(tmp_path, monkeypatch, WRITER, url)
    assert _invoke()["code"] == 200
    monkeypatch.setenv("BOTSHIP_STATE_DIR", str(tmp_path / "cold" / "state"))
    real = runtime_invoke.open_store

    def failing_store(*args):
        store = real(*args)

        def download(digest, path):
            with open(path, "wb") as fh:
                fh.write(b"half")
            raise OSError(code, os.strerror(code), path)

        store.download = download
        return store

    monkeypatch.setattr(runtime_invoke, "open_store", failing_store)
    answer = _invoke()
    assert answer["code"] == 500 and answer["error"]["type"] == kind, answer
    message = answer["error"]["message"]
    assert str(tmp_path / "cold" / "state") in message and "the bot did not run" in message
    assert ("ephemeral_mb" in message) == (code == errno.ENOSPC)
    assert not [p for p in (tmp_path / "cold").rglob("*.part")]  # nothing half-written stays to fill the disk
    assert json.loads(open_store(url, "paper").read_manifest()[0])["generation"] == 1


def test_a_bot_that_closes_stdout_still_gets_its_result(tmp_path, monkeypatch):
    body = '''
import sys
def handler(event, context):
    sys.stdout.close()
    return {"ok": True}
'''
    _bot(tmp_path, monkeypatch, body, f"file://{tmp_path / 'remote'}")
    stdout = sys.stdout
    sys.stdout = io.TextIOWrapper(io.BytesIO())  # the bot closes this one
    try:
        answer = _invoke()
    finally:
        sys.stdout = stdout
    assert answer["code"] == 200 and answer["result"] == {"ok": True}
