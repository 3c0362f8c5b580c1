"""Where a bot's state lives: an S3 prefix, an Azure Blob container, or a local folder — one small interface.

Objects are stored by content hash (`objects/<sha256>`); `manifest.json` maps paths to
hashes and is written last, conditionally, so a save that dies half-way leaves the previous
manifest pointing at objects that all still exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
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


class NoHistory(Exception):
    """The store keeps no earlier generations of the manifest (or they cannot be read here)."""


class ManifestVersion:
    """One stored generation of the manifest: the store's id for it, when it was written, whether it is current."""

    def __init__(self, version_id: str, modified: float, current: bool) -> None:
        self.version_id, self.modified, self.current = version_id, modified, current

    def __repr__(self) -> str:
        return f"ManifestVersion({self.version_id!r}, {self.modified!r}, current={self.current})"


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

    def manifest_name(self) -> str:
        """The manifest's full name, for messages."""
        return f"{self.describe.rstrip('/')}/manifest.json"

    def is_missing(self, exc: BaseException) -> bool:
        """Whether `exc` (from download) means the object does not exist."""
        return isinstance(exc, FileNotFoundError)

    def lock_holder(self) -> dict[str, Any] | None:
        """What the lock records about whoever holds it (owner, host, started, expires), None if free."""
        return None

    # Earlier generations of the manifest, and the objects they list.
    def _no_history(self) -> NoHistory:
        return NoHistory(f"{self.describe} keeps no earlier generations of its state")

    def manifest_versions(self) -> list[ManifestVersion]:
        """Every stored version of the manifest, newest first; raises NoHistory where the store keeps none."""
        raise self._no_history()

    def read_manifest_version(self, version_id: str) -> bytes:
        raise self._no_history()

    def find_objects(self, digests: list[str]) -> dict[str, str | None]:
        """For each object: "current" if the store holds it, another token if it can be brought back, None if lost."""
        raise self._no_history()

    def revive(self, found: dict[str, str | None]) -> None:
        """Make the objects `find_objects` found as earlier versions current again."""
        raise self._no_history()


def _lock_body(owner: str, ttl_s: float) -> bytes:
    now = time.time()
    return json.dumps({"owner": owner, "host": socket.gethostname(), "pid": os.getpid(),
                       "started": now, "expires": now + ttl_s}).encode()


def _lock_record(body: bytes) -> dict[str, Any]:
    try:
        record = json.loads(body)
    except ValueError:
        return {"owner": "unknown (unreadable lock)"}
    return record if isinstance(record, dict) else {"owner": "unknown (unreadable lock)"}


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

    def is_missing(self, exc: BaseException) -> bool:
        return self._code(exc) in ("NoSuchKey", "404", "NotFound") or isinstance(exc, FileNotFoundError)

    def lock_holder(self) -> dict[str, Any] | None:
        try:
            return _lock_record(self.client.get_object(Bucket=self.bucket, Key=self._key("lock.json"))["Body"].read())
        except self.client.exceptions.NoSuchKey:
            return None

    def _versions(self, key: str) -> list[dict[str, Any]]:
        """The versions (not delete markers) of exactly `key`, newest first."""
        found = []
        for page in self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=key):
            found += [v for v in page.get("Versions", []) if v["Key"] == key]
        return sorted(found, key=lambda v: v["LastModified"], reverse=True)

    def manifest_versions(self) -> list[ManifestVersion]:
        return [ManifestVersion(v["VersionId"], v["LastModified"].timestamp(), bool(v.get("IsLatest")))
                for v in self._versions(self._key("manifest.json"))]

    def read_manifest_version(self, version_id: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key("manifest.json"),
                                      VersionId=version_id)["Body"].read()

    def find_objects(self, digests: list[str]) -> dict[str, str | None]:
        def find(digest: str) -> tuple[str, str | None]:
            key = self._key(f"objects/{digest}")
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
                return digest, "current"
            except self.client.exceptions.ClientError as exc:
                if not self.is_missing(exc):
                    raise
            versions = self._versions(key)
            return digest, versions[0]["VersionId"] if versions else None

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:
            return dict(pool.map(find, digests))

    def revive(self, found: dict[str, str | None]) -> None:
        for digest, version in found.items():
            if version and version != "current":
                key = self._key(f"objects/{digest}")
                self.client.copy_object(Bucket=self.bucket, Key=key,
                                        CopySource={"Bucket": self.bucket, "Key": key, "VersionId": version})


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
        try:  # who holds it, for a run that finds it taken (best effort: the lease is the lock)
            record = json.loads(_lock_body(owner, ttl_s))
            blob.set_blob_metadata({k: str(v) for k, v in record.items()}, lease=self._lease)
        except HttpResponseError:
            pass
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

    def is_missing(self, exc: BaseException) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        return isinstance(exc, ResourceNotFoundError | FileNotFoundError)

    def lock_holder(self) -> dict[str, Any] | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            properties = self._blob("lock").get_blob_properties()
        except ResourceNotFoundError:
            return None
        if properties.lease.state != "leased":
            return None
        record: dict[str, Any] = dict(properties.metadata or {})
        for name in ("started", "expires"):
            try:
                record[name] = float(record[name])
            except (KeyError, ValueError):
                record.pop(name, None)
        return record or {"owner": "unknown (a lease without a record)"}

    def compat_env(self) -> dict[str, str]:
        return {"AZURE_STORAGE_CONNECTION_STRING": self.connection_string,
                "AZURE_STORAGE_CONTAINER_NAME": self.container_name}


# ---- a local folder (local invoke before the first deploy, and tests) -----------------------

class FolderStore(Store):
    """State in a folder: `manifest.json`, `objects/`, and the last HISTORY manifests under `history/`.

    An object an earlier kept manifest still lists is moved to `retired/` rather than deleted, so
    any kept generation can be restored; it goes once no kept manifest lists it.
    """

    HISTORY = 10

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
            token = hashlib.sha256(data).hexdigest()
            self._keep(data, token)
        return token

    def _keep(self, data: bytes, digest: str) -> None:
        """Add a written manifest to the history; drop the oldest beyond HISTORY and what only they listed."""
        history = self._path("history")
        os.makedirs(history, exist_ok=True)
        name = f"{time.time_ns():020d}-{digest[:12]}.json"
        tmp = os.path.join(history, f".{name}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, os.path.join(history, name))
        kept = self._history()
        for old in kept[self.HISTORY:]:
            os.remove(os.path.join(history, old))
        retired = self._path("retired")
        if os.path.isdir(retired):
            listed = self._listed()
            for digest in os.listdir(retired):
                if digest not in listed:
                    os.remove(os.path.join(retired, digest))

    def _history(self) -> list[str]:
        """The kept manifests' file names, newest first."""
        try:
            names = os.listdir(self._path("history"))
        except FileNotFoundError:
            return []
        return sorted((n for n in names if n.endswith(".json") and not n.startswith(".")), reverse=True)

    def _listed(self) -> set[str]:
        """Every object some kept manifest lists."""
        listed: set[str] = set()
        for name in self._history():
            try:
                with open(os.path.join(self._path("history"), name), "rb") as fh:
                    doc = json.loads(fh.read())
                listed |= {e.get("pack") or e.get("sha256") for e in doc.get("files", {}).values()}
            except (OSError, ValueError, AttributeError):
                continue
        return listed

    def lock_holder(self) -> dict[str, Any] | None:
        try:
            with open(self._path("lock.json"), "rb") as fh:
                return _lock_record(fh.read())
        except FileNotFoundError:
            return None

    def manifest_versions(self) -> list[ManifestVersion]:
        current, _ = self.read_manifest()
        versions = []
        for name in self._history():
            path = os.path.join(self._path("history"), name)
            with open(path, "rb") as fh:
                same = fh.read() == current
            versions.append(ManifestVersion(name, os.path.getmtime(path), same and not versions))
        if current is not None and not any(v.current for v in versions):  # written by something else
            versions.insert(0, ManifestVersion("manifest.json", os.path.getmtime(self._path("manifest.json")), True))
        return versions

    def read_manifest_version(self, version_id: str) -> bytes:
        if version_id == "manifest.json":
            return self.read_manifest()[0] or b""
        if os.sep in version_id or "/" in version_id or version_id.startswith("."):
            raise ValueError(f"no manifest version {version_id!r}")
        with open(os.path.join(self._path("history"), version_id), "rb") as fh:
            return fh.read()

    def find_objects(self, digests: list[str]) -> dict[str, str | None]:
        return {d: "current" if os.path.isfile(self._path(f"objects/{d}"))
                else "retired" if os.path.isfile(self._path(f"retired/{d}")) else None for d in digests}

    def revive(self, found: dict[str, str | None]) -> None:
        import shutil

        for digest, where in found.items():
            if where == "retired":
                tmp = self._path(f"objects/.{digest}.{uuid.uuid4().hex}.tmp")
                shutil.copyfile(self._path(f"retired/{digest}"), tmp)
                os.replace(tmp, self._path(f"objects/{digest}"))

    def upload(self, digest: str, path: str) -> None:
        import shutil

        tmp = self._path(f"objects/.{digest}.{uuid.uuid4().hex}.tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, self._path(f"objects/{digest}"))

    def download(self, digest: str, path: str) -> None:
        import shutil

        shutil.copyfile(self._path(f"objects/{digest}"), path)

    def delete(self, digests: list[str]) -> None:
        listed = self._listed() if digests else set()
        for digest in digests:
            try:
                if digest in listed:  # a kept generation lists it: keep it where a restore finds it
                    os.makedirs(self._path("retired"), exist_ok=True)
                    os.replace(self._path(f"objects/{digest}"), self._path(f"retired/{digest}"))
                else:
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
