"""The state bucket's steady-state storage in the cost estimate: current state plus the history kept."""

from botship.cost import S3_STANDARD_GB_MONTH, spec_cost, state_history_line, state_storage_monthly
from botship.spec import build_spec


def test_history_grows_with_runs_and_retention_and_stops_there():
    idle = state_storage_monthly(1024, 0, 30)
    assert idle.usd == S3_STANDARD_GB_MONTH  # 1 GB, no history
    hourly = state_storage_monthly(1024, 730.5, 30)
    assert round(hourly.usd / S3_STANDARD_GB_MONTH) == 1 + 720  # one earlier version per run, for 30 days
    assert state_storage_monthly(1024, 730.5, 60).usd > hourly.usd
    assert "kept 30 days" in hourly.note


def test_the_cost_estimate_prices_the_state_history_per_mb_a_run_rewrites():
    line = state_history_line(730.5, 30)  # hourly
    assert round(line.usd / S3_STANDARD_GB_MONTH * 1024) == 1 + 720 and "per MB of state each run rewrites" in line.note
    spec = build_spec({"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler", "schedule": "rate(1 hour)",
                       "state_retention_days": 30, "aws": {"region": "eu-west-1"}})
    assert f"  S3 state: ${line.usd:,.3f} per MB of state each run rewrites" in "\n".join(spec_cost(spec))
    sandbox = build_spec({"platform": "sandbox", "bot_name": "sma-bot", "entry": "app:handler", "schedule": "rate(1 hour)"})
    assert "S3 state" not in "\n".join(spec_cost(sandbox))
