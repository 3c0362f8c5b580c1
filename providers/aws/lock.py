"""One deploy of a bot at a time: a lock object in the bot's state bucket, written with S3 conditional writes.

The lock is `_botship/deploy.lock`, created with `If-None-Match: *` (only one writer can create it),
refreshed with `If-Match: <etag>` while the deploy runs, and deleted with `If-Match` when it ends.
It names its holder (user, host, identity, profile) and carries a time-to-live, so a deploy killed
outright blocks others only until it expires; then the next deploy takes it over — again with
`If-Match`, so two waiting deploys never both take over the same dead lock.

Expiry is judged by S3's clock alone: the lock's LastModified (when its holder last wrote it) plus its
time-to-live, against the Date of S3's answer. A holder whose clock runs slow or fast never makes its
lock look expired early (taken over mid-deploy) or late (blocking others long after it died).
A lock whose holder ran on this machine, in this boot and process namespace, and whose process is
gone, is taken over at once: that deploy was killed (a SIGKILL, a closed laptop lid that rebooted).

On a bot's first deploy the bucket does not exist yet: taking the lock creates it (just the bucket;
the bucket step then sets its protections). Two first deploys both creating it is harmless — the
second create answers "already owned by you" — and the conditional write still picks one holder.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from botship.errors import BotshipError

from ..base import utc_time
from ..pids import alive
from ..plan import LockLost
from .names import DEPLOY_LOCK_KEY, AwsNames
from .session import AwsSession, error_code, translate

TTL_S = 15 * 60
MAX_TTL_S = 4 * TTL_S  # a lock claiming longer is held no longer than this
POLL_S = 3.0
CONFLICT = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")
GONE = ("NoSuchKey", "404", "NotFound")


def describe_holder(holder: dict[str, Any]) -> str:
    """'the deploy by ann on host ci-7 (profile prod, arn…) started at …; expires at …'."""
    who = holder.get("user") or "someone"
    where = f" on host {holder['host']}" if holder.get("host") else ""
    extra = ", ".join(x for x in (f"profile {holder['profile']}" if holder.get("profile") else "",
                                  holder.get("identity") or "") if x)
    started = f" started at {utc_time(holder['started'])}" if holder.get("started") else ""
    expires = f"; expires at {utc_time(holder['expires'])}" if holder.get("expires") else ""
    return f"the deploy by {who}{where}{f' ({extra})' if extra else ''}{started}{expires}"


class DeployLock:
    """The deploy lock of one bot; `acquire` waits (or, with `no_wait`, refuses) while another deploy holds it."""

    key = DEPLOY_LOCK_KEY

    def __init__(self, session: AwsSession, names: AwsNames, profile: str, *, ttl_s: float = TTL_S,
                 poll_s: float = POLL_S, create_bucket: bool = True) -> None:
        """`create_bucket=False` (destroy): with no bucket there is nothing to lock, and none is made."""
        self.session = session
        self.s3 = session.client("s3")
        self.names = names
        self.profile = profile
        self.ttl_s = ttl_s
        self.poll_s = poll_s
        self.no_wait = False
        self.create_bucket = create_bucket
        self.owner = uuid.uuid4().hex
        self.took_over: dict[str, Any] | None = None
        self._etag: str | None = None
        self._written = time.monotonic()
        self._started: float | None = None

    @property
    def describe(self) -> str:
        return f"s3://{self.names.bucket}/{self.key}"

    @property
    def refresh_every_s(self) -> float:
        return self.ttl_s / 5

    # ---- reading ------------------------------------------------------------------------------------

    def holder(self) -> dict[str, Any] | None:
        """Who holds the lock now (with its `etag`), or None when nobody does (or the bucket is not there)."""
        try:
            held = self.s3.get_object(Bucket=self.names.bucket, Key=self.key)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) in GONE + ("NoSuchBucket",):
                return None
            raise translate(exc, f"reading the deploy lock in {self.names.bucket}") from None
        try:
            body = json.loads(held["Body"].read())
            body = body if isinstance(body, dict) else {}
        except ValueError:
            body = {}  # unreadable: it still expires its time-to-live after it was written
        written = _epoch(held.get("LastModified"))
        server_now = _server_now(held) or time.time()
        try:
            ttl = min(max(float(body.get("ttl_s", TTL_S)), 1.0), MAX_TTL_S)
        except (TypeError, ValueError):
            ttl = TTL_S
        # The holder's own "expires" is what its clock said; S3's clock decides.
        expires = (written + ttl) if written is not None else _number(body.get("expires"))
        return {**body, "etag": held["ETag"], "expires": expires, "server_now": server_now,
                "dead_here": _dead_here(body)}

    @staticmethod
    def explain(holder: dict[str, Any]) -> str:
        return describe_holder(holder)

    @staticmethod
    def expired(holder: dict[str, Any]) -> bool:
        """Past its expiry by S3's clock (LastModified + time-to-live against the answer's Date)."""
        try:
            return float(holder["expires"]) < float(holder.get("server_now") or time.time())
        except (KeyError, TypeError, ValueError):
            return True

    # ---- holding ------------------------------------------------------------------------------------

    def _body(self) -> bytes:
        now = time.time()
        try:
            identity = self.session.identity().arn
        except Exception:  # noqa: BLE001 - who we are is information; the lock works without it
            identity = ""
        return json.dumps({"owner": self.owner, "user": _user(), "host": socket.gethostname(), "identity": identity,
                           "profile": self.profile, "bot": self.names.bot, "pid": os.getpid(), **_process_ids(),
                           "started": self._started or now, "expires": now + self.ttl_s,
                           "ttl_s": self.ttl_s}).encode()

    def _put(self, condition: dict[str, str]) -> bool:
        """One conditional write of our lock body; False when the condition did not hold."""
        try:
            answer = self.s3.put_object(Bucket=self.names.bucket, Key=self.key, Body=self._body(),
                                        ContentType="application/json", **condition)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) in CONFLICT + GONE:
                return False
            if error_code(exc) == "NoSuchBucket":
                raise
            raise translate(exc, f"writing the deploy lock in {self.names.bucket}") from None
        self._etag = answer["ETag"]
        self._written = time.monotonic()
        return True

    def _create_bucket(self) -> None:
        bucket = self.names.bucket
        config = {} if self.names.region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": self.names.region}}
        try:
            self.s3.create_bucket(Bucket=bucket, **config)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) == "BucketAlreadyOwnedByYou":
                return  # another first deploy of this bot made it a moment ago
            if error_code(exc) == "BucketAlreadyExists":
                raise BotshipError(f"the bucket name {bucket} is taken by another AWS account",
                                   fix="choose another bot_name") from None
            raise translate(exc, f"creating bucket {bucket} for the deploy lock") from None

    def try_acquire(self) -> dict[str, Any] | None:
        """Take the lock if free or expired; None when taken, else the holder that keeps it."""
        self._started = self._started or time.time()
        try:
            if self._put({"IfNoneMatch": "*"}):
                return None
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) != "NoSuchBucket":
                raise
            if not self.create_bucket:
                return None  # nothing holds state here, so nothing to lock (and no bucket is made)
            self._create_bucket()
            if self._put_new_bucket():
                return None
        holder = self.holder()
        if holder is None:
            return {}  # released just now: try again at once
        if (self.expired(holder) or holder.get("dead_here")) and self._put({"IfMatch": holder["etag"]}):
            self.took_over = holder
            return None
        return holder

    def _put_new_bucket(self) -> bool:
        """The first write into a bucket just made: S3 may answer NoSuchBucket for a moment after creating it."""
        for attempt in range(10):
            try:
                return self._put({"IfNoneMatch": "*"})
            except Exception as exc:  # noqa: BLE001
                if error_code(exc) != "NoSuchBucket":
                    raise
                if attempt == 9:
                    raise translate(exc, f"writing the deploy lock in {self.names.bucket}") from None
                time.sleep(min(0.5 * (attempt + 1), 3.0))
        return False

    def acquire(self, ctx) -> None:
        """Take the lock, waiting for another deploy to finish (its messages go to `ctx.log`)."""
        self.took_over = None
        announced = None
        while True:
            ctx.check_cancelled()
            holder = self.try_acquire()
            if holder is None:
                if self.took_over and self.took_over.get("dead_here") and not self.expired(self.took_over):
                    ctx.log(f"took over the lock of a deploy on this machine that is no longer running "
                            f"(process {self.took_over.get('pid')}): {describe_holder(self.took_over)}", "warning")
                elif self.took_over:
                    ctx.log(f"took over an expired lock: {describe_holder(self.took_over)}", "warning")
                if self._etag is None:
                    ctx.log("no state bucket: nothing to lock")
                    return
                ctx.log(f"lock taken ({self.describe}, held for at most {self.ttl_s / 60:.0f} min at a time)")
                return
            if not holder:
                continue
            if self.no_wait:
                raise BotshipError(f"another deploy of {self.names.bot} is running: {describe_holder(holder)}",
                                   "--no-wait: botship does not wait for it",
                                   "re-run when it is done (or without --no-wait to wait); if that deploy died, "
                                   "`botship unlock` removes its lock")
            if announced != holder.get("owner"):
                announced = holder.get("owner")
                ctx.log(f"waiting for {describe_holder(holder)} — Ctrl-C to stop; if that deploy died, "
                        "`botship unlock` removes its lock", "warning")
            ctx.wait(self.poll_s)

    def refresh(self) -> None:
        """Push the expiry forward; raises LockLost when the lock is no longer ours."""
        if self._etag is None:
            return
        if not self._put({"IfMatch": self._etag}):
            self._lost()

    def verify(self) -> None:
        """Before a step writes: the lock is still ours (one read); raises LockLost when it is not.

        A lock removed by `botship unlock`, or taken over, stops this deploy before its next write
        rather than at the next refresh, minutes later, while another deploy may already be writing.
        """
        if self._etag is None:
            return
        try:
            head = self.s3.head_object(Bucket=self.names.bucket, Key=self.key)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) in GONE + ("NoSuchBucket",):
                self._lost()
            raise translate(exc, f"reading the deploy lock in {self.names.bucket}") from None
        if head.get("ETag") != self._etag:
            self._lost()

    @property
    def unrefreshed_s(self) -> float:
        """Seconds since this deploy last wrote its lock."""
        return time.monotonic() - self._written

    def _lost(self) -> None:
        holder = self.holder()
        self._etag = None
        raise LockLost(f"the deploy lock of {self.names.bot} was taken away while this deploy ran",
                       (f"it is now held by {describe_holder(holder)}; this deploy stopped before its next write"
                        if holder else "it was removed (`botship unlock`?); this deploy stopped before its next write"),
                       "re-run the deploy: it waits for any other deploy, re-reads what is deployed and finishes "
                       "the job")

    def release(self) -> None:
        """Remove the lock if it is still ours (a lock taken over from us is left to its new holder)."""
        if self._etag is None:
            return
        etag, self._etag = self._etag, None
        self._delete(etag)

    def _delete(self, etag: str) -> bool:
        try:
            self.s3.delete_object(Bucket=self.names.bucket, Key=self.key, IfMatch=etag)
            return True
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) in CONFLICT + GONE + ("NoSuchBucket",):
                return False  # taken since, or gone (a purge deletes the bucket with the lock in it)
            raise translate(exc, f"removing the deploy lock in {self.names.bucket}") from None

    def break_lock(self, holder: dict[str, Any]) -> bool:
        """`botship unlock`: remove the lock `holder` describes — not one taken since it was shown."""
        return self._delete(holder["etag"])


def _epoch(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _server_now(answer: dict[str, Any]) -> float | None:
    """S3's clock: the Date header of its answer."""
    date = (answer.get("ResponseMetadata") or {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError):
        return None


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _process_ids() -> dict[str, str]:
    """What tells, on this machine, whether the lock's process still runs: this boot, this process namespace."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return {"boot": _read("/proc/sys/kernel/random/boot_id"), "pidns": namespace}


def _dead_here(body: dict[str, Any]) -> bool:
    """The holder ran on this machine, in this boot and process namespace, and its process is gone.

    Only then is a missing process proof of a dead deploy: another container with the same host name,
    or a machine without /proc, proves nothing, and its lock is left to expire.
    """
    ours = _process_ids()
    if not ours["boot"] or not ours["pidns"] or body.get("host") != socket.gethostname():
        return False
    if body.get("boot") != ours["boot"] or body.get("pidns") != ours["pidns"]:
        return False
    pid = body.get("pid")
    return isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 and pid != os.getpid() and not alive(pid)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return ""
