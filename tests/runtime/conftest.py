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
