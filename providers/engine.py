"""The step engine: runs a plan in a worker thread, reports typed events, and stops cleanly when cancelled."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botship.errors import DISK_ERRNOS, BotshipError, Cancelled, file_error
from botship.masking import Masker

from .events import (
    Event,
    LogLine,
    PlanChanged,
    Progress,
    RunFinished,
    RunStarted,
    StepCancelled,
    StepFailed,
    StepFinished,
    StepStarted,
)
from .plan import Action, DeployLock, LockLost, Plan, Step

EventSink = Callable[[Event], None]
# Progress faster than this is folded: a fast upload must not flood the screen or the journal.
PROGRESS_INTERVAL_S = 0.1


@dataclass
class RunResult:
    """How a run ended, with every step's outputs (secret values masked, as in its events)."""

    status: str
    duration_s: float
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: int = 0
    failure: StepFailed | None = None
    # What a sink (the journal, a screen) could not take, one line per distinct error: the run went on
    # without it, so its journal (or display) misses events. Front ends show these.
    sink_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class StepContext:
    """What a running step may do: log, report progress, read earlier outputs, and honour cancellation."""

    def __init__(self, run: _Run, step: Step) -> None:
        self._run = run
        self.step = step
        self._last_progress = 0.0

    @property
    def outputs(self) -> Mapping[str, dict[str, Any]]:
        """Outputs of the steps before this one, by step id."""
        return self._run.outputs

    @property
    def cancelled(self) -> bool:
        return self._run.cancel_event.is_set()

    def log(self, message: str, level: str = "info") -> None:
        self._run.emit(LogLine(step=self.step.id, message=message, level=level))

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        now = time.monotonic()
        if done == total or now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self._run.emit(Progress(step=self.step.id, done=done, total=total, unit=unit))

    def check_cancelled(self) -> None:
        """Call between cloud calls: raises Cancelled once the user asked to stop."""
        if self.cancelled:
            raise Cancelled(f"cancelled during '{self.step.title}'")

    def wait(self, seconds: float) -> None:
        """Sleep that ends early — raising Cancelled — when the run is cancelled."""
        if self._run.cancel_event.wait(seconds):
            self.check_cancelled()


class _Run:
    def __init__(self, plan: Plan, on_event: EventSink, masker: Masker) -> None:
        self.plan = plan
        self.on_event = on_event
        self.masker = masker
        self.cancel_event = threading.Event()
        self.outputs: dict[str, dict[str, Any]] = {}
        self.sink_errors: list[str] = []

    def emit(self, event: Event) -> None:
        try:
            self.on_event(event.masked(self.masker))
        except Exception as exc:  # noqa: BLE001 - a failing display or journal must not abort cloud work half-way
            for error in exc.exceptions if isinstance(exc, ExceptionGroup) else (exc,):
                text = self.masker.mask(_error_text(error))
                if text not in self.sink_errors:
                    self.sink_errors.append(text)

    def execute(self) -> RunResult:
        started = time.monotonic()
        plan = self.plan
        lock = _lock_of(plan)
        self.emit(RunStarted(title=plan.title, mode=plan.mode, steps=_step_list(plan, lock)))
        keeper = None
        if lock is not None:
            plan, status, failure = self._take_lock(plan, lock)
            if status != "ok":
                return self._finished(started, status, failure, 0, "lock" if failure else None)
            keeper = _LockKeeper(lock, self)
        try:
            status, failure, changed, failed_step = self._steps(plan, keeper)
        finally:
            if keeper is not None:
                keeper.stop()
                self._release(lock)
        return self._finished(started, status, failure, changed, failed_step)

    def _finished(self, started: float, status: str, failure: StepFailed | None, changed: int,
                  failed_step: str | None) -> RunResult:
        duration = time.monotonic() - started
        self.emit(RunFinished(status=status, duration_s=duration, changed=changed, failed_step=failed_step,
                              sink_errors=list(self.sink_errors)))
        return RunResult(status, duration, self.masker.mask_data(self.outputs), changed, failure,
                         list(self.sink_errors))

    def _take_lock(self, plan: Plan, lock: DeployLock) -> tuple[Plan, str, StepFailed | None]:
        """Take the plan's lock as a step of its own, then plan again: another deploy may have run meanwhile."""
        step = Step("lock", "Deploy lock", lock.describe, Action.CREATE, lambda ctx: None)
        self.emit(StepStarted(step="lock", title=step.title, action="take", index=0, total=len(plan.steps)))
        t0 = time.monotonic()
        ctx = StepContext(self, step)
        try:
            lock.acquire(ctx)
        except Cancelled:
            self.emit(StepCancelled(step="lock", title=step.title, duration_s=time.monotonic() - t0))
            return plan, "cancelled", None
        except Exception as exc:  # noqa: BLE001 - becomes the run's failure
            return plan, "failed", self._lock_failure(step, t0, exc)
        try:
            if plan.replan is not None:
                fresh = plan.replan()
                if _signature(fresh) != _signature(plan):
                    changes = "; ".join(f"{s.title}: {s.action.value}" + (f" ({s.detail})" if s.detail else "")
                                        for s in fresh.changes) or "nothing left to change"
                    ctx.log(f"what is deployed changed since the plan was shown — planned again: {changes}",
                            "warning")
                    self.emit(PlanChanged(steps=_step_list(fresh, lock), changes=changes))
                plan = fresh
        except Exception as exc:  # noqa: BLE001
            self._release(lock)
            return plan, "failed", self._lock_failure(step, t0, exc)
        self.emit(StepFinished(step="lock", title=step.title, action="take", duration_s=time.monotonic() - t0))
        return plan, "ok", None

    def _lock_failure(self, step: Step, t0: float, exc: BaseException) -> StepFailed:
        failure = _failure_of(step, t0, exc).masked(self.masker)
        self.emit(failure)
        return failure

    def _release(self, lock: DeployLock) -> None:
        try:
            lock.release()
        except Exception as exc:  # noqa: BLE001 - the lock expires by itself; say so rather than fail a done run
            self.emit(LogLine(step="lock", message=f"could not remove the deploy lock ({exc}); it expires by "
                                                    "itself, or `botship unlock` removes it", level="warning"))

    def _steps(self, plan: Plan, keeper: _LockKeeper | None) -> tuple[str, StepFailed | None, int, str | None]:
        status, failure, changed, failed_step = "ok", None, 0, None
        for index, step in enumerate(plan.steps, 1):
            # A lock lost (removed by `botship unlock`, taken over) stops the run before its next write.
            lost = keeper.lost if keeper is not None else None
            if lost is None and keeper is not None and step.action is not Action.NO_CHANGE \
                    and not self.cancel_event.is_set():
                lost = keeper.verify()
            if lost is not None:
                failure, status, failed_step = self._lost(step, lost, 0.0), "failed", step.id
                self.emit(failure)
                break
            if self.cancel_event.is_set():
                status = "cancelled"
                break
            if step.action is Action.NO_CHANGE:
                self.outputs[step.id] = dict(step.outputs)
                self.emit(StepFinished(step=step.id, title=step.title, action=step.action.value,
                                       duration_s=0.0, outputs=dict(step.outputs), ran=False))
                continue
            self.emit(StepStarted(step=step.id, title=step.title, action=step.action.value,
                                  index=index, total=len(plan.steps)))
            t0 = time.monotonic()
            try:
                produced = step.run(StepContext(self, step)) or {}
            except Cancelled:
                if keeper is not None and keeper.lost is not None:
                    failure = self._lost(step, keeper.lost, time.monotonic() - t0)
                else:
                    self.emit(StepCancelled(step=step.id, title=step.title, duration_s=time.monotonic() - t0))
                    status = "cancelled"
                    break
            except Exception as exc:  # noqa: BLE001 - any step error becomes an event the user can act on
                failure = _failure_of(step, t0, exc)
            if failure is not None:
                failure = failure.masked(self.masker)
                self.emit(failure)
                status, failed_step = "failed", step.id
                break
            self.outputs[step.id] = {**step.outputs, **produced}
            changed += 1
            self.emit(StepFinished(step=step.id, title=step.title, action=step.action.value,
                                   duration_s=time.monotonic() - t0, outputs=self.outputs[step.id]))
        return status, failure, changed, failed_step

    @staticmethod
    def _lost(step: Step, lost: BotshipError, duration: float) -> StepFailed:
        return StepFailed(step=step.id, title=step.title, duration_s=duration, what=lost.what, why=lost.why,
                          fix=lost.fix)


def _error_text(exc: BaseException) -> str:
    """One line for an error a sink raised: a BotshipError's what and why (a journal's names its file)."""
    if isinstance(exc, BotshipError):
        return exc.what + (f": {exc.why}" if exc.why else "")
    return f"{type(exc).__name__}: {exc}"


def _failure_of(step: Step, t0: float, exc: BaseException) -> StepFailed:
    """What a step's exception (raised since `t0`) tells the user; call it while handling the exception."""
    duration = time.monotonic() - t0
    error = exc if isinstance(exc, BotshipError) else None
    if isinstance(exc, OSError) and (exc.filename is not None or exc.errno in DISK_ERRNOS):
        error = file_error(exc)  # a file or folder the step could not use (the cache, the build folder, a full disk)
    if error is not None:
        return StepFailed(step=step.id, title=step.title, duration_s=duration, what=error.what, why=error.why,
                          fix=error.fix, exit_code=error.exit_code)
    return StepFailed(step=step.id, title=step.title, duration_s=duration, what=f"{step.title} failed",
                      why=f"{type(exc).__name__}: {exc}",
                      fix="re-running is safe (every step reads before it writes); the run journal has the details",
                      detail=traceback.format_exc())


def _lock_of(plan: Plan) -> DeployLock | None:
    """The lock a run of `plan` takes: a plan that changes nothing writes nothing, so it needs none."""
    return plan.lock if plan.changes else None


def run_steps(plan: Plan) -> list[dict[str, Any]]:
    """The steps a run of `plan` will report (as RunStarted lists them), for a screen drawn before it starts."""
    return _step_list(plan, _lock_of(plan))


def _step_list(plan: Plan, lock: DeployLock | None) -> list[dict[str, Any]]:
    """The steps a run reports: the deploy lock first when it takes one, then the plan's."""
    steps = [s.as_dict() for s in plan.steps]
    if lock is None:
        return steps
    return [{"id": "lock", "title": "Deploy lock", "resource": lock.describe, "action": "take", "detail": ""}] + steps


def _signature(plan: Plan) -> list[tuple[str, str, str]]:
    return [(s.id, s.action.value, s.detail) for s in plan.steps]


class _LockKeeper:
    """Refreshes a held lock in the background; once it is lost, the run stops at its next check."""

    def __init__(self, lock: DeployLock, run: _Run) -> None:
        self.lock, self.run = lock, run
        self.lost: BotshipError | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="botship-lock", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        while not self._stop.wait(self.lock.refresh_every_s):
            try:
                self.lock.refresh()
            except LockLost as exc:
                self._lose(exc)
                return
            except Exception as exc:  # noqa: BLE001 - a failed refresh is retried; the lock outlives a few
                self.run.emit(LogLine(step="lock", message=f"could not refresh the deploy lock: {exc}",
                                      level="warning"))
                if self._expiring():
                    self._lose(LockLost(
                        "this deploy could not refresh its deploy lock before it expires",
                        f"the last refresh failed: {exc}; once it expires another deploy may take it",
                        "re-run the deploy once S3 answers again: it re-reads what is deployed and finishes the job"))
                    return

    def _expiring(self) -> bool:
        """Most of the lock's time-to-live has passed since it was last written: others may soon take it."""
        return self.lock.unrefreshed_s > 0.8 * self.lock.ttl_s

    def _lose(self, exc: BotshipError) -> None:
        self.lost = exc
        self.run.cancel_event.set()

    def verify(self) -> BotshipError | None:
        """Before a step that writes: the lock still ours? The reason to stop when it is not."""
        if self.lost is not None:
            return self.lost
        try:
            self.lock.verify()
        except LockLost as exc:
            self._lose(exc)
        except Exception as exc:  # noqa: BLE001 - S3 not answering one read proves nothing; refresh decides
            self.run.emit(LogLine(step="lock", message=f"could not check the deploy lock: {exc}", level="warning"))
            if self._expiring():
                self._lose(LockLost("this deploy could not check its deploy lock before it expires", str(exc),
                                    "re-run the deploy once S3 answers again"))
        return self.lost

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


class RunHandle:
    """A plan running in its worker thread."""

    def __init__(self, run: _Run) -> None:
        self._run = run
        self._result: RunResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=f"botship-run: {run.plan.title}", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            self._result = self._run.execute()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits, never lost in the thread
            self._error = exc

    def cancel(self) -> None:
        """Ask the run to stop; the current step stops at its next check, later steps never start."""
        self._run.cancel_event.set()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> RunResult | None:
        """The result, or None if still running after `timeout` seconds."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            return None
        if self._error is not None:
            raise self._error
        return self._result


def start_run(plan: Plan, on_event: EventSink) -> RunHandle:
    """Run `plan` in a worker thread; every event, masked by the plan's masker, goes to `on_event`.

    Raises BotshipError (before anything runs) when the plan carries no masker: see `Plan.masker`."""
    return RunHandle(_Run(plan, on_event, plan.secrets_masker()))


def fan_out(*sinks: EventSink) -> EventSink:
    """One sink that hands each event to several (a display and a journal): every sink gets every event,
    even when another one fails; what failed is raised afterwards (several at once as an ExceptionGroup)."""
    def emit(event: Event) -> None:
        errors = []
        for sink in sinks:
            try:
                sink(event)
            except Exception as exc:  # noqa: BLE001 - raised below, once every sink had the event
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ExceptionGroup("several sinks failed", errors)
    return emit
