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
from botship.providers.base import BotStatus, BotSummary, Check, DeployContext, Provider
from botship.providers.plan import Action, Plan, Step


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


class FakeProvider(Provider):
    name: ClassVar[str] = "fake"
    title: ClassVar[str] = "Fake cloud"
    needs_account: ClassVar[bool] = False
    cloud: ClassVar[FakeCloud] = FakeCloud()

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
        return Plan(title=f"Deploy {self.spec.bot_name} to the fake cloud", mode=self.spec.mode,
                    summary=self.spec.describe(), steps=steps)

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
        return Plan(f"Destroy {self.spec.bot_name}", self.spec.mode, self.spec.describe(), steps)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        if f"{self.spec.bot_name}-function" not in self.cloud.resources:
            raise BotshipError(f"{self.spec.bot_name} is not deployed")
        return {"status": 200, "error": None, "result": {"ran": True, "event": event}}

    def list_bots(self) -> list[BotSummary]:
        names = sorted({rid.rsplit("-", 1)[0] for rid in self.cloud.resources})
        return [BotSummary(n, "fake", "fake", "paper", "active") for n in names]

    def bot_status(self) -> BotStatus:
        if f"{self.spec.bot_name}-function" not in self.cloud.resources:
            raise BotshipError(f"{self.spec.bot_name} is not deployed")
        return BotStatus(self.spec.bot_name, "fake", "fake", self.spec.mode, "active")
