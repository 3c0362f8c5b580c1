"""The deploy lock of one Azure bot: a blob lease in its own storage account, renewed while a deploy runs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botship.errors import BotshipError

from .errors import translate
from .group import is_missing
from .names import AzureNames

if TYPE_CHECKING:
    from .cloud import AzureCloud

LOCK_BLOB = "_botship/deploy.lock"
LEASE_S = 60  # the longest finite blob lease; a deploy that dies frees the lock within this
LOCK_POLL_S = 3.0


class AzureDeployLock:
    """The deploy lock of one bot (providers.plan.DeployLock): a lease on `_botship/deploy.lock` in the bot's
    `packages` container, taken and renewed with the deploying identity's sign-in.

    Azure keeps the lease's time: a deploy killed outright frees it within LEASE_S seconds, with no clock of
    ours to trust. The holder (user, host, profile, when) is the blob's metadata. A bot's first deploy has no
    storage account yet: there is nothing to lock then (two first deploys of one bot still converge: every
    step reads before it writes)."""

    def __init__(self, cloud: AzureCloud, names: AzureNames, profile: str, *, poll_s: float = LOCK_POLL_S) -> None:
        import uuid

        self.cloud, self.names, self.profile = cloud, names, profile
        self.ttl_s = float(LEASE_S)
        self.refresh_every_s = self.ttl_s / 4
        self.poll_s = poll_s
        self.no_wait = False
        self.no_access = False  # this identity may not write the bot's blobs (yet): no lease to take
        self.owner = str(uuid.uuid4())
        self.took_over: dict[str, Any] | None = None
        self._lease: Any = None
        self._blob_client: Any = None
        self._written = time.monotonic()

    @property
    def describe(self) -> str:
        return f"azure://{self.names.storage_account}/{self.names.packages_container}/{LOCK_BLOB}"

    @property
    def unrefreshed_s(self) -> float:
        return time.monotonic() - self._written

    def _blob(self) -> Any | None:
        """The lock blob's client, or None when the bot has no storage account (or package container) yet."""
        names = self.names
        try:
            account = self.cloud.clients.storage.storage_accounts.get_properties(names.resource_group,
                                                                                 names.storage_account)
        except Exception as exc:  # noqa: BLE001
            if is_missing(exc):
                return None
            raise translate(exc, f"reading storage account {names.storage_account} for the deploy lock") from None
        endpoint = getattr(getattr(account.properties, "primary_endpoints", None), "blob", None)
        if not endpoint:
            return None
        return self.cloud.clients.blob_service(str(endpoint)).get_blob_client(names.packages_container, LOCK_BLOB)

    def _metadata(self) -> dict[str, str]:
        import getpass
        import os
        import socket

        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - who we are is information; the lock works without it
            user = ""
        return {"owner": self.owner, "user": user, "host": socket.gethostname(), "profile": self.profile,
                "bot": self.names.bot, "pid": str(os.getpid()), "started": str(time.time())}

    def holder(self) -> dict[str, Any] | None:
        """Who holds the lock now, or None when nobody does (no lease, or nothing to lock yet)."""
        from azure.core.exceptions import ResourceNotFoundError

        blob = self._blob()
        if blob is None:
            return None
        try:
            props = blob.get_blob_properties()
        except ResourceNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001
            if getattr(exc, "status_code", None) in (401, 403):
                raise BotshipError(f"the deploy lock of {self.names.bot} cannot be read with this sign-in",
                                   "it has no blob data role on the bot's storage account (a deploy by this "
                                   "identity gives it one)",
                                   "deploy once with this identity, or unlock with the identity that "
                                   "deployed") from None
            raise translate(exc, "reading the deploy lock") from None
        if str(getattr(props.lease, "state", "") or "").lower() != "leased":
            return None
        holder: dict[str, Any] = dict(props.metadata or {})
        try:
            holder["started"] = float(holder.get("started", ""))
        except ValueError:
            holder.pop("started", None)
        return {**holder, "etag": props.etag, "expires": None}

    @staticmethod
    def explain(holder: dict[str, Any]) -> str:
        from ..aws.lock import describe_holder

        return describe_holder(holder) + "; Azure frees it within a minute of that deploy stopping"

    @staticmethod
    def expired(holder: dict[str, Any]) -> bool:
        return False  # a lease Azure still holds has not expired (an expired one is no holder)

    def _try(self, blob: Any) -> dict[str, Any] | None:
        """Take the lease if free; None when taken, else who holds it ({} when it was freed just now)."""
        from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

        try:
            blob.upload_blob(b"", overwrite=False)
        except ResourceExistsError:
            pass
        except ResourceNotFoundError:
            return None  # no package container yet: nothing to lock
        except HttpResponseError as exc:
            if exc.status_code in (401, 403):  # no data role on the account yet: the deploy gives this identity one
                self.no_access = True
                return None
            if exc.status_code != 412:  # a lease held on it refuses the write: it exists
                raise translate(exc, "making the deploy lock") from None
        try:
            self._lease = blob.acquire_lease(lease_duration=LEASE_S, lease_id=self.owner)
        except (ResourceExistsError, HttpResponseError) as exc:
            if getattr(exc, "status_code", None) in (401, 403):
                self.no_access = True
                return None
            if getattr(exc, "status_code", None) != 409:
                raise translate(exc, "taking the deploy lock") from None
            return self.holder() or {}
        self._written = time.monotonic()
        self._blob_client = blob
        try:
            blob.set_blob_metadata(self._metadata(), lease=self._lease)
        except Exception:  # noqa: BLE001 - the holder's description is information; the lease is the lock
            pass
        return None

    def acquire(self, ctx: Any) -> None:
        """Take the lock, waiting (cancellably) while another deploy holds it."""
        self.took_over = None
        blob = self._blob()
        if blob is None:
            ctx.log("first deploy of this bot: no storage account yet, so nothing to lock")
            return
        announced = None
        while True:
            ctx.check_cancelled()
            holder = self._try(blob)
            if holder is None:
                if self._lease is None and self.no_access:
                    # An interrupted first deploy, or a second identity (CI after a laptop): its blob data role on
                    # the account comes from this deploy's roles step, so the lock cannot be held before it.
                    ctx.log("this identity may not write blobs in the bot's storage account yet (the deploy gives "
                            "it that role): going on without the deploy lock", "warning")
                elif self._lease is None:
                    ctx.log("no package container yet: nothing to lock")
                else:
                    ctx.log(f"lock taken ({self.describe}, a {LEASE_S} s lease renewed while the deploy runs)")
                return
            if not holder:
                continue
            if self.no_wait:
                raise BotshipError(f"another deploy of {self.names.bot} is running: {self.explain(holder)}",
                                   "--no-wait: botship does not wait for it",
                                   "re-run when it is done (or without --no-wait to wait); if that deploy died, "
                                   "its lease ends within a minute, or `botship unlock` removes it now")
            if announced != holder.get("owner"):
                announced = holder.get("owner")
                ctx.log(f"waiting for {self.explain(holder)} — Ctrl-C to stop", "warning")
            ctx.wait(self.poll_s)

    def refresh(self) -> None:
        if self._lease is None:
            return
        try:
            self._lease.renew()
        except Exception:  # noqa: BLE001 - a lease we cannot renew is no longer ours
            self._lost()
        self._written = time.monotonic()

    def verify(self) -> None:
        """Before a step writes: the lease is still ours (one read that names it)."""
        if self._lease is None:
            return
        try:
            self._blob_client.get_blob_properties(lease=self._lease)
        except Exception:  # noqa: BLE001
            self._lost()

    def _lost(self) -> None:
        from ..plan import LockLost

        self._lease = None
        raise LockLost(f"the deploy lock of {self.names.bot} was taken away while this deploy ran",
                       "its lease was broken (`botship unlock`?) or ended; this deploy stopped before its next write",
                       "re-run the deploy: it waits for any other deploy, re-reads what is deployed and finishes "
                       "the job")

    def release(self) -> None:
        lease, self._lease = self._lease, None
        if lease is None:
            return
        try:
            lease.release()
        except Exception:  # noqa: BLE001 - taken since, or gone with the account: it ends by itself
            pass

    def break_lock(self, holder: dict[str, Any]) -> bool:
        """`botship unlock`: end the lease `holder` describes — not one taken since it was shown."""
        from azure.storage.blob import BlobLeaseClient

        now = self.holder()
        if now is None or now.get("owner") != holder.get("owner"):
            return False
        blob = self._blob()
        if blob is None:
            return False
        BlobLeaseClient(blob).break_lease(lease_break_period=0)
        return True
