"""The state bucket's steady-state storage in the cost estimate: current state plus the history kept."""

from botship.cost import S3_STANDARD_GB_MONTH, state_storage_monthly


def test_history_grows_with_runs_and_retention_and_stops_there():
    idle = state_storage_monthly(1024, 0, 30)
    assert idle.usd == S3_STANDARD_GB_MONTH  # 1 GB, no history
    hourly = state_storage_monthly(1024, 730.5, 30)
    assert round(hourly.usd / S3_STANDARD_GB_MONTH) == 1 + 720  # one earlier version per run, for 30 days
    assert state_storage_monthly(1024, 730.5, 60).usd > hourly.usd
    assert "kept 30 days" in hourly.note
