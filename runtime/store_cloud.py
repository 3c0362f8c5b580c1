"""State in the cloud: an S3 prefix (AWS) or an Azure Blob container, with conditional writes and a lock."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from .store_base import Conflict, KeptHistory, ManifestVersion, Store, lock_body, lock_expired, lock_record

# Below this an object goes up in one request; above it, in parts (S3 needs parts past 5 GB anyway).
MULTIPART_FROM = 16 * 1024 * 1024
# What S3 answers a conditional write whose condition failed.
CONFLICT = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")


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
            if self._code(exc) in CONFLICT:
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
            self.client.put_object(Bucket=self.bucket, Key=key, Body=lock_body(owner, ttl_s), IfNoneMatch="*")
            return True
        except self.client.exceptions.ClientError as exc:
            if self._code(exc) not in CONFLICT:
                raise
        try:
            held = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return False  # released just now; the caller polls again
        if not lock_expired(held["Body"].read()):
            return False
        try:  # take over a crashed run's lock, unless someone else just did
            self.client.put_object(Bucket=self.bucket, Key=key, Body=lock_body(owner, ttl_s), IfMatch=held["ETag"])
            return True
        except self.client.exceptions.ClientError as exc:
            if self._code(exc) in (*CONFLICT, "NoSuchKey"):
                return False
            raise

    def unlock(self, owner: str) -> None:
        held = self.read_extra("lock.json")
        if held is not None and json.loads(held).get("owner") == owner:
            self.client.delete_object(Bucket=self.bucket, Key=self._key("lock.json"))

    def read_extra(self, name: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def write_extra(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)

    def compat_env(self) -> dict[str, str]:
        return {"AWS_S3_STATE_BUCKET_NAME": self.bucket}

    def is_missing(self, exc: BaseException) -> bool:
        return self._code(exc) in ("NoSuchKey", "404", "NotFound") or isinstance(exc, FileNotFoundError)

    def lock_holder(self) -> dict[str, Any] | None:
        held = self.read_extra("lock.json")
        return None if held is None else lock_record(held)

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


class AzureStore(KeptHistory):
    """State in a Blob container; the last HISTORY generations are kept beside the manifest (KeptHistory)."""

    LEASE_S = 60

    def __init__(self, container: str, prefix: str, connection_string: str | None = None, *,
                 account_url: str | None = None, credential: Any = None, **options: Any) -> None:
        """A connection string (an account key), or `account_url` and a token `credential` (a managed identity
        on Azure; the user's sign-in when botship reads a bot's state); `options` go to the client."""
        from azure.storage.blob import ContainerClient

        self.container_name, self.prefix, self.connection_string = container, prefix, connection_string
        if connection_string:
            self.container = ContainerClient.from_connection_string(connection_string, container, **options)
        else:
            self.container = ContainerClient(account_url, container, credential=credential, **options)
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
        self._keep(data)
        return result["etag"]

    def upload(self, digest: str, path: str) -> None:
        with open(path, "rb") as fh:
            self._blob(f"objects/{digest}").upload_blob(fh, overwrite=True)

    def read_extra(self, name: str) -> bytes | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self._blob(name).download_blob().readall()
        except ResourceNotFoundError:
            return None

    def write_extra(self, name: str, data: bytes) -> None:
        self._blob(name).upload_blob(data, overwrite=True)

    def download(self, digest: str, path: str) -> None:
        with open(path, "wb") as fh:
            self._blob(f"objects/{digest}").download_blob().readinto(fh)

    def _remove(self, names: list[str]) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        for name in names:
            try:
                self._blob(name).delete_blob()
            except ResourceNotFoundError:
                pass

    def _history(self) -> dict[str, float]:
        base = f"{self.prefix}history/"
        return {b.name[len(base):]: b.last_modified.timestamp() for b in self.container.list_blobs(name_starts_with=base)}

    def _when(self, name: str) -> float:
        return self._blob(name).get_blob_properties().last_modified.timestamp()

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
            record = json.loads(lock_body(owner, ttl_s))
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
        # The connection string only where the store has one (an identity-based store has no key to hand on).
        return {**({"AZURE_STORAGE_CONNECTION_STRING": self.connection_string} if self.connection_string else {}),
                "AZURE_STORAGE_CONTAINER_NAME": self.container_name}


class ManagedIdentity:
    """The function app's managed identity as a token credential, from the endpoint App Service gives every
    app (IDENTITY_ENDPOINT + IDENTITY_HEADER): the runtime needs no azure-identity for it."""

    API_VERSION = "2019-08-01"

    def __init__(self, endpoint: str, header: str) -> None:
        self.endpoint, self.header = endpoint, header
        self._tokens: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **_: Any) -> Any:
        import time
        import urllib.parse
        import urllib.request

        from azure.core.credentials import AccessToken

        resource = scopes[0].removesuffix("/.default") if scopes else "https://storage.azure.com"
        with self._lock:
            cached = self._tokens.get(resource)
            if cached is not None and cached.expires_on - 300 > time.time():
                return cached
            query = urllib.parse.urlencode({"resource": resource, "api-version": self.API_VERSION})
            request = urllib.request.Request(f"{self.endpoint}?{query}", headers={"X-IDENTITY-HEADER": self.header})
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the platform's endpoint
                data = json.loads(response.read())
            token = AccessToken(data["access_token"], int(float(data["expires_on"])))
            self._tokens[resource] = token
            return token


def azure_store_from_environment(container: str, prefix: str) -> "AzureStore":
    """The Azure store as the function app's settings describe it: a connection string (Consumption), or the
    storage account's blob endpoint and the app's managed identity (Flex: no account key anywhere)."""
    env = os.environ
    connection = env.get("BOTSHIP_STORAGE_CONNECTION_STRING") or env.get("AzureWebJobsStorage", "")
    if connection:
        return AzureStore(container, prefix, connection)
    account_url = env.get("AzureWebJobsStorage__blobServiceUri") or (
        f"https://{env['AzureWebJobsStorage__accountName']}.blob.{env.get('BOTSHIP_STORAGE_SUFFIX', 'core.windows.net')}"
        if env.get("AzureWebJobsStorage__accountName") else "")
    if not account_url:
        raise ValueError("azure state needs BOTSHIP_STORAGE_CONNECTION_STRING, AzureWebJobsStorage, or "
                         "AzureWebJobsStorage__blobServiceUri / __accountName with a managed identity")
    if not (env.get("IDENTITY_ENDPOINT") and env.get("IDENTITY_HEADER")):
        raise ValueError("identity-based azure state needs the app's managed identity (IDENTITY_ENDPOINT is not set)")
    return AzureStore(container, prefix, account_url=account_url,
                      credential=ManagedIdentity(env["IDENTITY_ENDPOINT"], env["IDENTITY_HEADER"]))
