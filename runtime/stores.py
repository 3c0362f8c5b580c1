"""Where a bot's state lives: an S3 prefix, an Azure Blob container, or a local folder — one small interface.

Objects are stored by content hash (`objects/<sha256>`); `manifest.json` maps paths to
hashes and is written last, conditionally, so a save that dies half-way leaves the previous
manifest pointing at objects that all still exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Below this an object goes up in one request; above it, in parts (S3 needs parts past 5 GB anyway).
MULTIPART_FROM = 16 * 1024 * 1024


class Conflict(Exception):
    """The manifest changed since it was read: another writer saved in between."""


class Store:
    """The operations state sync and locking need; keys are relative to the bot's mode prefix."""

    describe = "store"

    def read_manifest(self) -> tuple[bytes | None, str | None]:
        raise NotImplementedError

    def write_manifest(self, data: bytes, token: str | None) -> str:
        raise NotImplementedError

    def upload(self, digest: str, path: str) -> None:
        raise NotImplementedError

    def download(self, digest: str, path: str) -> None:
        raise NotImplementedError

    def delete(self, digests: list[str]) -> None:
        raise NotImplementedError

    def list_objects(self) -> Iterator[str]:
        raise NotImplementedError

    def try_lock(self, owner: str, ttl_s: float) -> bool:
        raise NotImplementedError

    def unlock(self, owner: str) -> None:
        raise NotImplementedError

    def compat_env(self) -> dict[str, str]:
        """Variables that bots written for investing-algorithm-framework read."""
        return {}


def _lock_body(owner: str, ttl_s: float) -> bytes:
    return json.dumps({"owner": owner, "expires": time.time() + ttl_s}).encode()


def _expired(body: bytes) -> bool:
    try:
        return float(json.loads(body)["expires"]) < time.time()
    except (ValueError, KeyError, TypeError):
        return True  # an unreadable lock protects nothing


# ---- S3 ---------------------------------------------------------------------------------

class S3Store(Store):
    def __init__(self, bucket: str, prefix: str, client=None) -> None:
        """`client` is an S3 client to use instead of one from the environment (botship reading state)."""
        import boto3

        self.bucket, self.prefix = bucket, prefix
        self.client = client or boto3.client("s3")
        self.describe = f"s3://{bucket}/{prefix}"

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @staticmethod
    def _code(exc: Exception) -> str:
        return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))

    def read_manifest(self) -> tuple[bytes | None, str | None]:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key("manifest.json"))
        except self.client.exceptions.NoSuchKey:
            return None, None
        return response["Body"].read(), response["ETag"]

    def write_manifest(self, data: bytes, token: str | None) -> str:
        condition = {"IfMatch": token} if token else {"IfNoneMatch": "*"}
        try:
            response = self.client.put_object(Bucket=self.bucket, Key=self._key("manifest.json"), Body=data,
                                              ContentType="application/json", **condition)
        except self.client.exceptions.ClientError as exc:
            if self._code(exc) in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                raise Conflict(str(exc)) from None
            raise
        return response["ETag"]

    def upload(self, digest: str, path: str) -> None:
        key = self._key(f"objects/{digest}")
        if os.path.getsize(path) >= MULTIPART_FROM:
            self.client.upload_file(path, self.bucket, key)  # multipart, streamed from disk
            return
        with open(path, "rb") as fh:  # one request; the body streams from the file
            self.client.put_object(Bucket=self.bucket, Key=key, Body=fh)

    def download(self, digest: str, path: str) -> None:
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(f"objects/{digest}"))["Body"]
        with open(path, "wb") as fh:
            for chunk in body.iter_chunks(1024 * 1024):
                fh.write(chunk)

    def delete(self, digests: list[str]) -> None:
        for start in range(0, len(digests), 1000):
            batch = [{"Key": self._key(f"objects/{d}")} for d in digests[start:start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def list_objects(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        base = self._key("objects/")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=base):
            for item in page.get("Contents", []):
                yield item["Key"][len(base):]

    def try_lock(self, owner: str, ttl_s: float) -> bool:
        key = self._key("lock.json")
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=_lock_body(owner, ttl_s), IfNoneMatch="*")
            return True
        except self.client.exceptions.ClientError as exc:
            if self._code(exc) not in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                raise
        try:
            held = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return False  # released just now; the caller polls again
        if not _expired(held["Body"].read()):
            return False
        try:  # take over a crashed run's lock, unless someone else just did
            self.client.put_object(Bucket=self.bucket, Key=key, Body=_lock_body(owner, ttl_s), IfMatch=held["ETag"])
            return True
        except self.client.exceptions.ClientError as exc:
            if self._code(exc) in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409", "NoSuchKey"):
                return False
            raise

    def unlock(self, owner: str) -> None:
        key = self._key("lock.json")
        try:
            held = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return
        if json.loads(held["Body"].read()).get("owner") == owner:
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def compat_env(self) -> dict[str, str]:
        return {"AWS_S3_STATE_BUCKET_NAME": self.bucket}


# ---- Azure Blob Storage ------------------------------------------------------------------

class AzureStore(Store):
    LEASE_S = 60

    def __init__(self, container: str, prefix: str, connection_string: str) -> None:
        from azure.storage.blob import ContainerClient

        self.container_name, self.prefix, self.connection_string = container, prefix, connection_string
        self.container = ContainerClient.from_connection_string(connection_string, container)
        self.describe = f"azure://{container}/{prefix}"
        self._lease: Any = None
        self._renewer: threading.Thread | None = None
        self._stop_renewing = threading.Event()

    def _blob(self, name: str):
        return self.container.get_blob_client(f"{self.prefix}{name}")

    def _ensure_container(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        try:
            self.container.create_container()
        except ResourceExistsError:
            pass

    def read_manifest(self) -> tuple[bytes | None, str | None]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            downloader = self._blob("manifest.json").download_blob()
        except ResourceNotFoundError:
            return None, None
        return downloader.readall(), downloader.properties.etag

    def write_manifest(self, data: bytes, token: str | None) -> str:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

        blob = self._blob("manifest.json")
        try:
            if token:
                result = blob.upload_blob(data, overwrite=True, etag=token, match_condition=MatchConditions.IfNotModified)
            else:
                result = blob.upload_blob(data, overwrite=False)
        except (ResourceModifiedError, ResourceExistsError) as exc:
            raise Conflict(str(exc).splitlines()[0]) from None
        return result["etag"]

    def upload(self, digest: str, path: str) -> None:
        with open(path, "rb") as fh:
            self._blob(f"objects/{digest}").upload_blob(fh, overwrite=True)

    def download(self, digest: str, path: str) -> None:
        with open(path, "wb") as fh:
            self._blob(f"objects/{digest}").download_blob().readinto(fh)

    def delete(self, digests: list[str]) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        for digest in digests:
            try:
                self._blob(f"objects/{digest}").delete_blob()
            except ResourceNotFoundError:
                pass

    def list_objects(self) -> Iterator[str]:
        base = f"{self.prefix}objects/"
        for item in self.container.list_blobs(name_starts_with=base):
            yield item.name[len(base):]

    def try_lock(self, owner: str, ttl_s: float) -> bool:
        from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

        blob = self._blob("lock")
        try:
            blob.upload_blob(b"", overwrite=False)
        except ResourceExistsError:
            pass
        except ResourceNotFoundError:
            self._ensure_container()
            return self.try_lock(owner, ttl_s)
        try:
            self._lease = blob.acquire_lease(lease_duration=self.LEASE_S, lease_id=str(uuid.uuid5(uuid.NAMESPACE_URL, owner)))
        except HttpResponseError as exc:
            if exc.status_code == 409:  # LeaseAlreadyPresent: another run holds it
                return False
            raise
        # A lease lasts at most 60 s: renew it while the run goes on; a crashed run's lease simply lapses.
        self._stop_renewing.clear()
        self._renewer = threading.Thread(target=self._renew, daemon=True, name="botship-lease")
        self._renewer.start()
        return True

    def _renew(self) -> None:
        # Renew every 20 s; after a failure, retry every 2 s until the run ends. If the lease was lost
        # anyway, the manifest's conditional write still stops a second writer from overwriting state.
        delay = self.LEASE_S / 3
        while not self._stop_renewing.wait(delay):
            try:
                self._lease.renew()
                delay = self.LEASE_S / 3
            except Exception:  # noqa: BLE001 - transient errors are retried; see above
                delay = 2.0

    def unlock(self, owner: str) -> None:
        self._stop_renewing.set()
        if self._lease is not None:
            try:
                self._lease.release()
            finally:
                self._lease = None

    def compat_env(self) -> dict[str, str]:
        return {"AZURE_STORAGE_CONNECTION_STRING": self.connection_string,
                "AZURE_STORAGE_CONTAINER_NAME": self.container_name}


# ---- a local folder (local invoke before the first deploy, and tests) -----------------------

class FolderStore(Store):
    def __init__(self, root: str) -> None:
        self.root = root
        os.makedirs(os.path.join(root, "objects"), exist_ok=True)
        self.describe = root

    def _path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def read_manifest(self) -> tuple[bytes | None, str | None]:
        try:
            with open(self._path("manifest.json"), "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return None, None
        return data, hashlib.sha256(data).hexdigest()

    def write_manifest(self, data: bytes, token: str | None) -> str:
        with self._guard(".manifest.guard"):
            if self.read_manifest()[1] != token:
                raise Conflict("manifest.json changed since it was read")
            tmp = self._path(f".manifest.{uuid.uuid4().hex}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._path("manifest.json"))
        return hashlib.sha256(data).hexdigest()

    def upload(self, digest: str, path: str) -> None:
        import shutil

        tmp = self._path(f"objects/.{digest}.{uuid.uuid4().hex}.tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, self._path(f"objects/{digest}"))

    def download(self, digest: str, path: str) -> None:
        import shutil

        shutil.copyfile(self._path(f"objects/{digest}"), path)

    def delete(self, digests: list[str]) -> None:
        for digest in digests:
            try:
                os.remove(self._path(f"objects/{digest}"))
            except FileNotFoundError:
                pass

    def list_objects(self) -> Iterator[str]:
        return (n for n in os.listdir(self._path("objects")) if not n.startswith("."))

    @contextmanager
    def _guard(self, name: str) -> Iterator[None]:
        """An exclusive flock on a guard file: one check-then-write at a time, across processes."""
        import fcntl

        with open(self._path(name), "w") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            yield

    def try_lock(self, owner: str, ttl_s: float) -> bool:
        lock = self._path("lock.json")
        with self._guard(".lock.guard"):
            try:
                with open(lock, "rb") as fh:
                    if not _expired(fh.read()):
                        return False
            except FileNotFoundError:
                pass
            tmp = f"{lock}.{uuid.uuid4().hex}.tmp"
            with open(tmp, "wb") as fh:
                fh.write(_lock_body(owner, ttl_s))
            os.replace(tmp, lock)
            return True

    def unlock(self, owner: str) -> None:
        lock = self._path("lock.json")
        with self._guard(".lock.guard"):
            try:
                with open(lock, "rb") as fh:
                    if json.loads(fh.read()).get("owner") == owner:
                        os.remove(lock)
            except (FileNotFoundError, ValueError):
                pass


def open_store(url: str, mode: str) -> Store:
    """The store for a state URL (`s3://bucket/prefix`, `azure://container/prefix`, `file:///path`), one prefix per mode."""
    scheme, _, rest = url.partition("://")
    if scheme == "file":
        return FolderStore(os.path.join(rest, mode))
    location, _, prefix = rest.partition("/")
    prefix = f"{prefix.strip('/')}/{mode}/" if prefix.strip("/") else f"{mode}/"
    if scheme == "s3":
        return S3Store(location, prefix)
    if scheme == "azure":
        connection = os.environ.get("BOTSHIP_STORAGE_CONNECTION_STRING") or os.environ.get("AzureWebJobsStorage", "")
        if not connection:
            raise ValueError("azure state needs BOTSHIP_STORAGE_CONNECTION_STRING or AzureWebJobsStorage")
        return AzureStore(location, prefix, connection)
    raise ValueError(f"unknown state location '{url}': use s3://, azure:// or file://")
