"""A test provider over an in-memory cloud, used to exercise the engine and the CLI.

It behaves as the real providers must: planning reads the cloud, every step reads again
before it writes, so a re-run after a failure or a cancel converges and an unchanged
re-run makes no write. Its cloud records every write so tests can prove that.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from botship.errors import BotshipError
from botship.masking import Masker
from botship.providers.base import INVOKE, BotHandle, Check, Cloud, DeployContext, Provider
from botship.providers.plan import Action, Plan, Step
from botship.providers.results import BotStatus, BotSummary, InvokeResult


# How the fake is registered as a platform of its own (never as "sandbox": a test that reads "sandbox"
# tests the real sandbox).
FAKE_PLATFORM = {"title": "Fake cloud", "needs": "nothing: an in-memory cloud inside the test", "limits": "aws",
                 "local": True}


@dataclass
class FakeCloud:
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[tuple[str, str]] = field(default_factory=list)
    fail: dict[str, Exception] = field(default_factory=dict)
    # A step whose resource is in `hold` waits (cancellably) until the event is set.
    hold: dict[str, threading.Event] = field(default_factory=dict)
    entered: dict[str, threading.Event] = field(default_factory=dict)

    def write(self, rid: str, config: dict[str, Any] | None) -> None:
        if rid in self.fail:
            raise self.fail[rid]
        self.writes.append(("delete" if config is None else "put", rid))
        if config is None:
            self.resources.pop(rid, None)
        else:
            self.resources[rid] = dict(config)

    def __call__(self) -> FakeSignIn:
        """`provider.cloud()`: the fake provider keeps its in-memory cloud as `cloud`, so calling it opens it."""
        return FakeSignIn(store=self)


class FakeSignIn(Cloud):
    """The fake cloud as a `Cloud`: the bots its in-memory resources hold, and a handle on one."""

    name: ClassVar[str] = "fake"
    title: ClassVar[str] = "Fake cloud"
    capabilities: ClassVar[frozenset[str]] = frozenset({INVOKE})

    def __init__(self, settings: dict[str, Any] | None = None, store: FakeCloud | None = None) -> None:
        super().__init__(settings)
        self.store = store if store is not None else FakeProvider.cloud

    def list_bots(self, locations: list[str] | None = None) -> list[BotSummary]:
        names = sorted({rid.rsplit("-", 1)[0] for rid in self.store.resources if rid.endswith("-function")})
        return [BotSummary(n, "fake", "fake", self.store.resources[f"{n}-state"]["mode"]
                           if f"{n}-state" in self.store.resources else "paper", "active") for n in names]

    def bot(self, name: str, mode: str = "paper") -> FakeHandle:
        return FakeHandle(self, name, mode)


class FakeHandle(BotHandle):
    cloud: FakeSignIn

    def _deployed(self) -> None:
        if f"{self.bot_name}-function" not in self.cloud.store.resources:
            raise BotshipError(f"{self.bot_name} is not deployed")

    def status(self) -> BotStatus:
        self._deployed()
        schedule = self.cloud.store.resources.get(f"{self.bot_name}-schedule")
        return BotStatus(self.bot_name, "fake", "fake", self.mode, "active",
                         schedule=schedule["expr"] if schedule else None)

    def invoke(self, event: dict[str, Any], on_line=None) -> InvokeResult:
        self._deployed()
        return InvokeResult(200, None, {"ran": True, "event": event})


class FakeProvider(Provider):
    name: ClassVar[str] = "fake"
    title: ClassVar[str] = "Fake cloud"
    cloud_class: ClassVar[type[Cloud]] = FakeSignIn
    # The in-memory cloud (tests swap it); calling it is `Provider.cloud()`.
    cloud: ClassVar[FakeCloud] = FakeCloud()  # type: ignore[assignment]

    def _desired(self, context: DeployContext) -> dict[str, dict[str, Any]]:
        spec = self.spec
        digest = hashlib.sha256("".join(f"{k}={context.secrets[k]}" for k in sorted(context.secrets)).encode())
        desired = {
            f"{spec.bot_name}-state": {"kind": "bucket", "mode": spec.mode},
            f"{spec.bot_name}-secret": {"kind": "secret", "hash": digest.hexdigest()},
            f"{spec.bot_name}-function": {"kind": "function", "memory": spec.memory_mb, "env": dict(spec.env)},
        }
        if spec.schedule:
            desired[f"{spec.bot_name}-schedule"] = {"kind": "schedule", "expr": spec.schedule, "tz": spec.timezone}
        return desired

    def check_credentials(self) -> list[Check]:
        return [Check("identity", True, "fake account")]

    def plan(self, context: DeployContext) -> Plan:
        steps = []
        for rid, want in self._desired(context).items():
            have = self.cloud.resources.get(rid)
            action = Action.CREATE if have is None else Action.NO_CHANGE if have == want else Action.UPDATE
            steps.append(Step(id=rid, title=f"{want['kind'].capitalize()}", resource=rid, action=action,
                              run=self._writer(rid, want, context), outputs={"id": f"fake:{rid}"}))
        for rid in sorted(self.cloud.resources):
            if rid.startswith(self.spec.bot_name + "-") and rid not in {s.id for s in steps}:
                steps.append(Step(id=rid, title="Remove " + rid, resource=rid, action=Action.DELETE,
                                  run=self._writer(rid, None, context)))
        plan = Plan(title=f"Deploy {self.spec.bot_name} to the fake cloud", mode=self.spec.mode,
                    summary=self.spec.describe(), steps=steps)
        plan.masker = context.secrets.masker()
        return plan

    def _writer(self, rid: str, want: dict[str, Any] | None, context: DeployContext):
        def run(ctx) -> dict[str, Any]:
            if rid in self.cloud.entered:
                self.cloud.entered[rid].set()
            if rid in self.cloud.hold:
                while not self.cloud.hold[rid].is_set():
                    ctx.wait(0.01)
            ctx.check_cancelled()
            if self.cloud.resources.get(rid) == want:  # read before write: already converged
                return {"id": f"fake:{rid}"}
            if want and want["kind"] == "secret":
                for name in context.secrets:
                    # A careless provider line; the engine must mask the value everywhere.
                    ctx.log(f"storing {name}={context.secrets[name]}")
            if want and want["kind"] == "function":
                for done in range(0, 101, 25):
                    ctx.progress(done, 100, "KB")
            self.cloud.write(rid, want)
            return {"id": f"fake:{rid}"}
        return run

    def plan_destroy(self, *, purge_state: bool = False) -> Plan:
        steps = [Step(id=rid, title="Remove " + rid, resource=rid, action=Action.DELETE,
                      run=self._writer(rid, None, DeployContext(None, "")))  # type: ignore[arg-type]
                 for rid in sorted(self.cloud.resources)
                 if rid.startswith(self.spec.bot_name + "-") and (purge_state or not rid.endswith("-state"))]
        plan = Plan(f"Destroy {self.spec.bot_name}", self.spec.mode, self.spec.describe(), steps)
        plan.masker = Masker()
        return plan
