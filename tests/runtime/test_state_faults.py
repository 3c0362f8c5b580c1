"""State faults inside the function: a damaged manifest or a missing object stops the run with the way back,
never a raw error and never a reset; earlier generations are listed and restored; a held lock is named."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from pathlib import Path

import boto3
import pytest

from botship.providers.artifact import build_artifact
from botship.providers.local import run_local
from botship.runtime.history import LockHeld, RestoreRefused, list_generations, restore_generation
from botship.runtime.state import ManifestInvalid, StateSync, validate_manifest
from botship.runtime.stores import open_store
from botship.secret_values import SecretValues
from botship.spec import build_spec
from helpers import RecordingReport as Report

BOTS = Path(__file__).resolve().parents[1] / "bots"


@pytest.fixture
def counter(tmp_path, monkeypatch, dependency_cache):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", project)
    spec = build_spec({"platform": "sandbox", "bot_name": "counter", "entry": "app:handler", "timeout_s": 8,
                       "python": f"{sys.version_info.major}.{sys.version_info.minor}"}, project)
    return project, spec, build_artifact(spec, project, Report())


def run(counter, url, event=None, profile="test", cold=False):
    project, spec, artifact = counter
    lines: list[str] = []
    result = run_local(spec, artifact, project=project, profile=profile, secrets=SecretValues(), state_url=url,
                       event=event or {}, on_line=lines.append, cold=cold)
    return result, lines


@pytest.fixture
def versioned(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="faults", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket="faults", VersioningConfiguration={"Status": "Enabled"})
    return "s3://faults"


DAMAGED = {
    "garbage": b"\x00\x01 not json",
    "truncated": None,  # the current manifest cut in half
    "null": b"null",
    "empty object": b"{}",
    "a list": b"[]",
    "checksum mismatch": None,  # the current manifest with a file's size changed by hand
}


def _damage(kind: str, current: bytes) -> bytes:
    if kind == "truncated":
        return current[: len(current) // 2]
    if kind == "checksum mismatch":
        doc = json.loads(current)
        doc["files"]["runs.txt"]["size"] += 1
        return json.dumps(doc).encode()
    return DAMAGED[kind]


@pytest.mark.parametrize("kind", list(DAMAGED))
def test_a_damaged_manifest_stops_the_run_names_the_way_back_and_keeps_the_state(counter, versioned, kind):
    s3 = boto3.client("s3")
    for expected in (1, 2, 3):
        assert run(counter, versioned)[0].body["result"]["runs"] == expected
    current = s3.get_object(Bucket="faults", Key="paper/manifest.json")["Body"].read()
    s3.put_object(Bucket="faults", Key="paper/manifest.json", Body=_damage(kind, current))

    for cold in (False, True):  # a warm container and a new one alike
        result, lines = run(counter, versioned, cold=cold)
        assert result.status_code == 500, result.body
        message = result.body["error"]["message"]
        assert result.body["error"]["type"] == "StateDamaged"
        assert "s3://faults/paper/manifest.json is not a valid state manifest" in message
        assert "the last good generation is 3" in message
        assert "`botship state restore counter --generation 3`" in message
        assert "JSONDecodeError" not in message and "Traceback" not in "\n".join(lines)
        assert "run started" not in "\n".join(lines)  # the bot did not run
    # Nothing was written over the damaged manifest: it is still the current version.
    assert s3.get_object(Bucket="faults", Key="paper/manifest.json")["Body"].read() == _damage(kind, current)

    store = open_store(versioned, "paper")
    listed = list_generations(store)
    assert listed[0]["current"] and not listed[0]["valid"]
    assert [g["generation"] for g in listed[1:]] == [3, 2, 1] and all(g["valid"] for g in listed[1:])
    restored = restore_generation(store, 3)
    assert restored["generation"] == 4

    result, _ = run(counter, versioned, cold=True)
    assert result.status_code == 200 and result.body["result"]["before"] == 3  # continues where it was


def test_a_manifest_without_a_checksum_from_an_older_botship_is_still_read(counter, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    run(counter, url)
    path = tmp_path / "remote" / "paper" / "manifest.json"
    doc = json.loads(path.read_bytes())
    assert doc["checksum"].startswith("sha256:")
    del doc["checksum"]
    path.write_text(json.dumps(doc))
    result, _ = run(counter, url, cold=True)
    assert result.status_code == 200 and result.body["result"]["before"] == 1


def test_a_missing_object_names_the_file_and_the_last_generation_that_had_everything(counter, versioned):
    s3 = boto3.client("s3")
    for _ in range(3):
        run(counter, versioned)
    manifest = json.loads(s3.get_object(Bucket="faults", Key="paper/manifest.json")["Body"].read())
    digest = manifest["files"]["runs.txt"]["sha256"]
    s3.delete_object(Bucket="faults", Key=f"paper/objects/{digest}")

    result, _ = run(counter, versioned, cold=True)
    message = result.body["error"]["message"]
    assert result.status_code == 500 and result.body["error"]["type"] == "StateDamaged"
    assert f"lists runs.txt, whose stored object {digest} is missing" in message
    assert "botship state restore counter --generation 2" in message

    # Restoring the current generation brings the deleted object back from its earlier version.
    restored = restore_generation(open_store(versioned, "paper"), 3)
    assert digest in restored["revived"]
    result, _ = run(counter, versioned, cold=True)
    assert result.body["result"]["before"] == 3


def test_an_empty_store_starts_empty_but_a_store_with_history_and_no_valid_manifest_does_not(tmp_path):
    store = open_store(f"file://{tmp_path / 'remote'}", "paper")
    assert StateSync(store, str(tmp_path / "a")).load().files == 0
    (tmp_path / "remote" / "paper" / "manifest.json").write_text("{}")
    with pytest.raises(ManifestInvalid):
        StateSync(store, str(tmp_path / "b")).load()


def test_the_folder_store_keeps_the_last_ten_generations_and_their_objects(tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    folder = tmp_path / "state"
    sync = StateSync(open_store(url, "paper"), str(folder))
    sync.load()
    for n in range(1, 15):
        (folder / "n.txt").write_text(str(n) * n)
        sync.save(f"run-{n}")
    store = open_store(url, "paper")
    listed = list_generations(store)
    assert [g["generation"] for g in listed] == list(range(14, 4, -1))
    assert listed[0]["current"] and all(g["valid"] for g in listed)
    assert set(store.list_objects()) == {sync.manifest.files["n.txt"]["sha256"]}  # old ones are retired, not live

    restore_generation(store, 6)
    cold = tmp_path / "cold"
    StateSync(open_store(url, "paper"), str(cold)).load()
    assert (cold / "n.txt").read_text() == "666666"
    with pytest.raises(RestoreRefused, match="no valid generation 2; kept: 6, 7"):
        restore_generation(store, 2)
    # Objects only generations no longer kept listed are gone from the folder.
    retired = tmp_path / "remote" / "paper" / "retired"
    assert len(list(retired.iterdir())) <= 10


def test_a_restore_waits_for_no_run_and_names_the_lock_holder(tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    folder = tmp_path / "state"
    sync = StateSync(open_store(url, "paper"), str(folder))
    sync.load()
    for n in (1, 2):
        (folder / "n.txt").write_text(str(n))
        sync.save(f"run-{n}")
    store = open_store(url, "paper")
    assert store.try_lock("busy-run", 60)
    with pytest.raises(LockHeld) as held:
        restore_generation(open_store(url, "paper"), 1)
    assert held.value.holder["owner"] == "busy-run" and held.value.holder["host"]
    # botship's command says it in the runtime's own words: whose lock, since when, until when.
    from botship.errors import BotshipError
    from botship.providers.base import restore_state_generation

    with pytest.raises(BotshipError) as said:
        restore_state_generation(open_store(url, "paper"), 1, "counter")
    assert said.value.what.startswith("counter's state cannot be restored while a run uses it: the bot's lock is "
                                      "held by run busy-run on ") and " expires at " in said.value.what
    assert validate_manifest((tmp_path / "remote" / "paper" / "manifest.json").read_bytes())["generation"] == 2


def test_a_skipped_run_says_whose_lock_it_is_and_when_it_expires(counter, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    results = {}
    thread = threading.Thread(target=lambda: results.update(slow=run(counter, url, {"sleep": 4}, profile="slow")))
    thread.start()
    store = open_store(url, "paper")
    for _ in range(200):
        if store.lock_holder():
            break
        threading.Event().wait(0.05)
    quick, _ = run(counter, url, profile="quick")
    thread.join(30)
    assert quick.body["status"] == "skipped"
    assert quick.body["lock"]["owner"] == results["slow"][0].body["run_id"]
    assert "the bot's lock is held by run " in quick.body["message"] and " expires at " in quick.body["message"]
    assert quick.body["lock"]["host"] in quick.body["message"]
