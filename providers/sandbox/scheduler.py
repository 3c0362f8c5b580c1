"""The sandbox's local scheduler: fires deployed sandbox bots on their EventBridge schedules while botship runs.

The emulator stores schedules but never fires them; this does, reading them back every few seconds
(a schedule paused, changed or removed is seen at the next read). It runs only inside a botship
process that shows it, and says so: closing botship stops it.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botship.errors import BotshipError
from botship.schedule import next_runs, parse_schedule

from ..aws.cloud import schedule_anchor
from ..aws.names import AwsNames
from ..results import InvokeResult
from .emulator import SANDBOX_REGION, Emulator
from .invoke import invoke_deployed

READ_EVERY_S = 5.0


@dataclass
class Fired:
    """One scheduled run: when, which bot, and its result (or the error that stopped it)."""

    bot: str
    at: datetime
    result: InvokeResult | None = None
    error: str | None = None


class LocalScheduler:
    """`on_fired` is called (from the scheduler's thread) after each run; `upcoming()` says what comes next."""

    def __init__(self, emulator: Emulator, on_fired: Callable[[Fired], None] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.emulator = emulator
        self.on_fired = on_fired
        self.clock = clock or (lambda: datetime.now(UTC))
        self.session = emulator.session()
        self._next: dict[str, datetime] = {}  # function name -> its next fire time
        self._seen: dict[str, tuple[str, str]] = {}  # function name -> the (expression, zone) it was timed by
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._runs: dict[str, tuple[threading.Thread, list[subprocess.Popen]]] = {}  # function -> its run now
        self.history: list[Fired] = []

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="botship-sandbox-scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop firing, and stop the runs still going (their state is not saved, as when Lambda stops one)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            runs = list(self._runs.values())
        for _, processes in runs:
            for process in processes:
                process.kill()
        for thread, _ in runs:
            thread.join(timeout=10)

    def upcoming(self) -> list[tuple[str, datetime]]:
        """(bot, next fire time) for every enabled sandbox schedule, soonest first."""
        with self._lock:
            return sorted(((name.removeprefix("botship-"), at) for name, at in self._next.items()),
                          key=lambda pair: pair[1])

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
                wait = min(READ_EVERY_S, self._seconds_to_next())
            except Exception:  # noqa: BLE001 - the emulator is gone or failing: forget the times, read again later
                with self._lock:
                    self._next.clear()
                    self._seen.clear()
                wait = READ_EVERY_S
            self._stop.wait(wait)

    def _seconds_to_next(self) -> float:
        with self._lock:
            if not self._next:
                return READ_EVERY_S
            soonest = min(self._next.values())
        return max(0.2, (soonest - self.clock()).total_seconds())

    def tick(self) -> list[str]:
        """Read the schedules and start every run that is due; returns the bots started."""
        now = self.clock()
        schedules = self._enabled_schedules()
        started = []
        with self._lock:
            for gone in set(self._next) - set(schedules):
                del self._next[gone], self._seen[gone]
            for function, schedule in schedules.items():
                expression, zone = schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone") or "UTC"
                key = (expression, zone)
                due = self._next.get(function)
                try:  # a rate counts from when the schedule was set, as the status and the bots screen say
                    following = next_runs(parse_schedule(expression), zone, 1, now, schedule_anchor(schedule))
                except ValueError:  # not botship's syntax: this schedule is skipped, the others still fire
                    continue
                if not following:
                    continue
                if due is None or self._seen.get(function) != key:
                    self._next[function], self._seen[function] = following[0], key
                    continue
                if due <= now:
                    self._next[function] = following[0]
                    if function not in self._runs:
                        started.append(function)
                        event = json.loads(schedule.get("Target", {}).get("Input") or "{}")
                        processes: list[subprocess.Popen] = []
                        thread = threading.Thread(target=self._fire, args=(function, event, now, processes),
                                                  daemon=True)
                        self._runs[function] = (thread, processes)
                        thread.start()
        return [name.removeprefix("botship-") for name in started]

    def _enabled_schedules(self) -> dict[str, dict[str, Any]]:
        client = self.session.client("scheduler")
        found: dict[str, dict[str, Any]] = {}
        for page in client.get_paginator("list_schedules").paginate(NamePrefix="botship-"):
            for item in page.get("Schedules", []):
                if item.get("State") != "ENABLED":
                    continue
                schedule = client.get_schedule(Name=item["Name"], GroupName=item.get("GroupName", "default"))
                function = schedule.get("Target", {}).get("Arn", "").rpartition(":function:")[2]
                if function.startswith("botship-"):
                    found[function] = schedule
        return found

    def _fire(self, function: str, event: dict[str, Any], at: datetime, processes: list[subprocess.Popen]) -> None:
        bot = function.removeprefix("botship-")
        fired = Fired(bot, at)
        try:
            names = AwsNames(bot, self.session.identity().account, SANDBOX_REGION)
            fired.result = invoke_deployed(self.session, self.emulator, names, event, on_start=processes.append)
        except BotshipError as exc:
            fired.error = exc.what
        except Exception as exc:  # noqa: BLE001 - reported to the app, never raised into its thread
            fired.error = f"{type(exc).__name__}: {exc}"
        finally:
            if self._stop.is_set() and fired.result is None:
                # Killed by stop(), not by itself: say so rather than name the signal it was sent.
                fired.error = "stopped without a result: the scheduler stopped while it ran (its state was not saved)"

            with self._lock:
                self._runs.pop(function, None)
                self.history.append(fired)
        if self.on_fired and not self._stop.is_set():
            try:
                self.on_fired(fired)
            except Exception:  # noqa: BLE001 - e.g. the app closed meanwhile; the run is in `history`
                pass
