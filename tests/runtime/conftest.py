"""Stores for runtime tests: a local folder, an S3 prefix on moto's server, an Azurite container."""

from __future__ import annotations

import uuid

import boto3
import pytest

from botship.runtime.stores import open_store


@pytest.fixture
def state_url(request, tmp_path, monkeypatch):
    """A fresh state location of the kind the test is parametrized with (folder, s3 or azure)."""
    kind = getattr(request, "param", "folder")
    if kind == "folder":
        return f"file://{tmp_path / 'remote'}"
    if kind == "s3":
        request.getfixturevalue("aws")
        bucket = f"state-{uuid.uuid4().hex[:12]}"
        boto3.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        return f"s3://{bucket}/bots/sma-bot"
    connection = request.getfixturevalue("azurite")
    monkeypatch.setenv("BOTSHIP_STORAGE_CONNECTION_STRING", connection)
    container = f"state-{uuid.uuid4().hex[:12]}"
    from azure.storage.blob import ContainerClient

    ContainerClient.from_connection_string(connection, container).create_container()
    return f"azure://{container}"


ALL_STORES = pytest.mark.parametrize("state_url", ["folder", "s3", "azure"], indirect=True)


@pytest.fixture
def store(state_url):
    return open_store(state_url, "paper")


def live_objects(store) -> set[str]:
    """The objects a store holds for its current state. An Azure store also holds, in place, the objects only the
    earlier generations it keeps list (runtime/store_base.py KeptHistory: it has no object versions to fall back
    on), until those generations are trimmed; a folder sets them aside and S3 keeps them as old versions."""
    from botship.runtime.state import Manifest
    from botship.runtime.stores import AzureStore

    objects = set(store.list_objects())
    if not isinstance(store, AzureStore):
        return objects
    current = Manifest.parse(*store.read_manifest()).objects()
    earlier: set[str] = set()
    for version in store.manifest_versions():
        earlier |= Manifest.parse(store.read_manifest_version(version.version_id), None).objects()
    assert earlier - current <= objects  # kept generations keep their objects
    return {o for o in objects if o in current or o not in earlier}
