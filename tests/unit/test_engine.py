"""The step engine, driven through a provider over a fake cloud: order, cancel, failure, convergence, journal,
the masker a plan must carry, and what its sinks could not take."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from botship.errors import BotshipError
from botship.masking import Masker
from botship.providers.base import DeployContext
from botship.providers.engine import fan_out, start_run
from botship.providers.events import LogLine, Progress, RunFinished, StepFailed, StepFinished
from botship.providers.journal import Journal
from botship.providers.plan import Action, Plan, Step
from botship.secret_values import SecretValue, SecretValues
from botship.spec import build_spec
from fake_cloud import FakeProvider

SECRET = "s3cr3t-value-123"


def provider(**overrides) -> FakeProvider:
    data = {"platform": "fake", "bot_name": "sma-bot", "entry": "app:handler",
            "schedule": "rate(15 minutes)", "secrets": ["EXCHANGE_API_KEY"], **overrides}
    return FakeProvider(build_spec(data))


def context(tmp_path: Path) -> DeployContext:
    return DeployContext(tmp_path, "prod", SecretValues([SecretValue("EXCHANGE_API_KEY", SECRET, "environment")]))


def run(plan: Plan, ctx: DeployContext, events: list | None = None, sinks=()):
    events = [] if events is None else events
    return start_run(plan, fan_out(events.append, *sinks)).wait(timeout=30), events


def test_steps_run_in_plan_order_and_report_each_fact_once(fake_cloud, tmp_path):
    ctx = context(tmp_path)
    plan = provider().plan(ctx)
    assert [s.action for s in plan.steps] == [Action.CREATE] * 4

    result, events = run(plan, ctx)

    assert result.status == "ok" and result.changed == 4
    assert [rid for _, rid in fake_cloud.writes] == [s.id for s in plan.steps]
    kinds = [e.kind for e in events if not isinstance(e, LogLine | Progress)]
    assert kinds == ["run_started"] + ["step_started", "step_finished"] * 4 + ["run_finished"]
    finished = [e for e in events if isinstance(e, StepFinished)]
    assert [e.step for e in finished] == [s.id for s in plan.steps]
    assert all(e.duration_s >= 0 and e.outputs["id"].startswith("fake:") for e in finished)
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress and progress[-1].done == progress[-1].total == 100


def test_unchanged_rerun_plans_no_change_and_writes_nothing(fake_cloud, tmp_path):
    ctx = context(tmp_path)
    run(provider().plan(ctx), ctx)
    writes_before = list(fake_cloud.writes)

    plan = provider().plan(ctx)
    assert plan.is_noop
    result, events = run(plan, ctx)

    assert result.ok and result.changed == 0
    assert fake_cloud.writes == writes_before
    assert all(not e.ran for e in events if isinstance(e, StepFinished))
    # A no-change step still hands its outputs on.
    assert result.outputs["sma-bot-function"] == {"id": "fake:sma-bot-function"}


def test_a_changed_field_updates_only_its_resource(fake_cloud, tmp_path):
    ctx = context(tmp_path)
    run(provider().plan(ctx), ctx)
    plan = provider(memory_mb=1024).plan(ctx)
    assert {s.id: s.action for s in plan.steps if s.action is not Action.NO_CHANGE} == {
        "sma-bot-function": Action.UPDATE}
    plan = provider(schedule=None).plan(ctx)
    assert [(s.id, s.action) for s in plan.changes] == [("sma-bot-schedule", Action.DELETE)]


def test_a_failing_step_stops_the_run_and_a_rerun_converges(fake_cloud, tmp_path):
    ctx = context(tmp_path)
    fake_cloud.fail["sma-bot-function"] = BotshipError(
        "cannot create the function", "role cannot be assumed yet", "wait a minute and re-run")
    result, events = run(provider().plan(ctx), ctx)

    assert result.status == "failed"
    assert [rid for _, rid in fake_cloud.writes] == ["sma-bot-state", "sma-bot-secret"]
    failed = [e for e in events if isinstance(e, StepFailed)]
    assert len(failed) == 1 and failed[0].step == "sma-bot-function"
    assert (failed[0].what, failed[0].why, failed[0].fix) == (
        "cannot create the function", "role cannot be assumed yet", "wait a minute and re-run")
    assert events[-1].kind == "run_finished" and events[-1].failed_step == "sma-bot-function"
    assert not any(getattr(e, "step", "") == "sma-bot-schedule" for e in events)

    del fake_cloud.fail["sma-bot-function"]
    plan = provider().plan(ctx)
    assert [(s.id, s.action) for s in plan.changes] == [
        ("sma-bot-function", Action.CREATE), ("sma-bot-schedule", Action.CREATE)]
    assert run(plan, ctx)[0].ok
    assert provider().plan(ctx).is_noop


def test_an_unexpected_exception_becomes_an_actionable_failure(fake_cloud, tmp_path):
    ctx = context(tmp_path)
    fake_cloud.fail["sma-bot-secret"] = RuntimeError(f"boom while sending {SECRET}")
    result, events = run(provider().plan(ctx), ctx)

    failure = result.failure
    assert result.status == "failed" and failure is not None
    assert failure.what == "Secret failed"
    assert failure.why.startswith("RuntimeError: boom") and SECRET not in failure.why
    assert "re-running is safe" in failure.fix
    assert "Traceback" in failure.detail and SECRET not in failure.detail


def test_cancel_mid_run_stops_at_the_next_check_and_later_steps_never_start(fake_cloud, tmp_path):
    ctx = context(tmp_path)
    fake_cloud.hold["sma-bot-secret"] = threading.Event()  # never set: only a cancel frees the step
    fake_cloud.entered["sma-bot-secret"] = threading.Event()
    events: list = []
    handle = start_run(provider().plan(ctx), events.append)
    assert fake_cloud.entered["sma-bot-secret"].wait(10)
    assert not handle.done

    handle.cancel()
    result = handle.wait(timeout=10)

    assert result is not None and result.status == "cancelled"
    assert [rid for _, rid in fake_cloud.writes] == ["sma-bot-state"]
    assert [e.kind for e in events][-2:] == ["step_cancelled", "run_finished"]
    assert events[-1].status == "cancelled"
    assert not any(getattr(e, "step", "") == "sma-bot-function" for e in events)

    del fake_cloud.hold["sma-bot-secret"]
    assert run(provider().plan(ctx), ctx)[0].ok
    assert provider().plan(ctx).is_noop


def test_cancel_before_a_step_starts_runs_nothing_more(tmp_path):
    calls = []
    handle_box = {}

    def first(ctx):
        calls.append("first")
        handle_box["h"].cancel()

    def second(ctx):
        calls.append("second")

    plan = Plan("t", "paper", [], [Step("a", "A", "a", Action.CREATE, first), Step("b", "B", "b", Action.CREATE, second)],
                masker=Masker())
    gate = threading.Event()
    events = []

    def sink(event):
        gate.wait(5)
        events.append(event)

    handle_box["h"] = start_run(plan, sink)
    gate.set()
    result = handle_box["h"].wait(10)
    assert result.status == "cancelled" and calls == ["first"]


def test_journal_gets_every_event_with_secrets_masked(fake_cloud, tmp_path):
    ctx = context(tmp_path)
    plan = provider().plan(ctx)
    journal = Journal.for_run(tmp_path, "prod", plan.masker)
    result, events = run(plan, ctx, sinks=[journal])

    assert result.ok
    assert journal.path.parent == tmp_path / ".botship" / "runs"
    assert journal.path.name.endswith("-prod.jsonl")
    assert (tmp_path / ".botship" / ".gitignore").read_text().strip().endswith("*")
    lines = journal.read()
    assert [line["type"] for line in lines] == [e.kind for e in events]
    logs = [line["message"] for line in lines if line["type"] == "log"]
    assert logs == ["storing EXCHANGE_API_KEY=***"]
    assert SECRET not in journal.path.read_text()
    # The display sink got masked events too: the value never reaches a screen.
    assert all(SECRET not in str(e) for e in events)


def test_a_broken_sink_does_not_abort_cloud_work_and_the_result_says_what_it_missed(fake_cloud, tmp_path):
    ctx = context(tmp_path)
    events: list = []

    def broken(event):
        raise OSError(f"disk full while writing {SECRET}")

    # The broken sink first: the other still gets every event.
    result = start_run(provider().plan(ctx), fan_out(broken, events.append)).wait(30)
    assert result.ok and len(fake_cloud.writes) == 4
    assert result.sink_errors == ["OSError: disk full while writing ***"]  # once, however many events it missed
    assert [e.kind for e in events][0] == "run_started" and events[-1].kind == "run_finished"
    assert isinstance(events[-1], RunFinished) and events[-1].sink_errors == result.sink_errors


def test_a_journal_that_fails_mid_run_is_reported_and_stops_cleanly(fake_cloud, tmp_path):
    ctx = context(tmp_path)
    plan = provider().plan(ctx)
    journal = Journal.for_run(tmp_path, "prod", plan.masker)
    fake_cloud.entered["sma-bot-function"] = entered = threading.Event()
    fake_cloud.hold["sma-bot-function"] = release = threading.Event()
    events: list = []
    handle = start_run(plan, fan_out(journal, events.append))
    assert entered.wait(10)
    # From here on the journal's file is a device whose every write fails for a full disk.
    journal.path.unlink()
    os.symlink("/dev/full", journal.path)
    release.set()
    result = handle.wait(30)

    assert result.ok and len(fake_cloud.writes) == 4
    assert len(result.sink_errors) == 1
    assert f"the disk holding {journal.path} is full while writing the run journal" in result.sink_errors[0]
    # The screen's sink still saw the whole run, and heard of the journal's failure at its end.
    assert events[-1].kind == "run_finished" and events[-1].sink_errors == result.sink_errors


def test_a_plan_without_the_masker_of_its_secret_values_is_refused(fake_cloud, tmp_path):
    plan = provider().plan(context(tmp_path))
    plan.masker = None  # a provider that forgets to attach it
    with pytest.raises(BotshipError, match="carries no masker") as raised:
        start_run(plan, lambda event: None)
    assert "did not attach the masker of the secret values it received" in raised.value.why
    assert fake_cloud.writes == []


def test_plan_refuses_duplicate_step_ids():
    step = Step("a", "A", "a", Action.CREATE, lambda ctx: None)
    with pytest.raises(ValueError, match="unique"):
        Plan("t", "paper", [], [step, step])
