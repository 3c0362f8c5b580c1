"""Monthly cost estimates from list prices, with the free tier subtracted."""

from __future__ import annotations

import pytest

from botship.cost import estimate_monthly


def line(estimate, prefix: str):
    return next(item for item in estimate.lines if item.item.startswith(prefix))


def test_a_small_bot_every_quarter_hour_stays_in_the_aws_free_tier():
    # 2,880 runs × 10 s × 0.5 GB = 14,400 GB-s, far below the 400,000 free.
    estimate = estimate_monthly("aws", 512, 2880, 10)
    assert line(estimate, "Lambda compute").usd == 0
    assert "14,400 GB-s" in line(estimate, "Lambda compute").note
    assert estimate.total_usd == 0
    assert "free tier" in estimate.free_tier_note
    assert [item.item for item in estimate.lines] == ["Lambda compute", "Lambda requests", "EventBridge Scheduler"]


def test_a_big_bot_every_minute_pays_for_compute_beyond_the_free_tier():
    # 43,200 runs × 60 s × 3008/1024 GB = 7,614,000 GB-s; 7,214,000 billed at $0.0000166667.
    estimate = estimate_monthly("aws", 3008, 43200, 60)
    assert line(estimate, "Lambda compute").usd == pytest.approx(120.2335738)
    assert line(estimate, "Lambda requests").usd == 0
    assert estimate.total_usd == pytest.approx(120.2335738)
    assert (estimate.runs_per_month, estimate.run_seconds) == (43200, 60)


def test_requests_and_scheduler_invocations_beyond_their_free_amounts():
    estimate = estimate_monthly("aws", 128, 20_000_000, 0.1)
    assert line(estimate, "Lambda requests").usd == pytest.approx(19 * 0.20)
    assert line(estimate, "EventBridge Scheduler").usd == pytest.approx(6 * 1.00)


def test_secrets_cost_one_secret_plus_reads_on_cold_starts():
    estimate = estimate_monthly("aws", 512, 2880, 10, secrets=2)
    # One secret holds both values; ~288 reads (one run in ten) at $0.05 per 10,000.
    assert line(estimate, "Secrets Manager").usd == pytest.approx(0.40 + 288 / 10_000 * 0.05)
    assert "2 values" in line(estimate, "Secrets Manager").note
    assert estimate.total_usd == pytest.approx(0.40144)


def test_no_schedule_no_scheduler_and_no_secrets_no_secret_line():
    assert [item.item for item in estimate_monthly("aws", 512, 0, 10).lines] == ["Lambda compute", "Lambda requests"]


def test_azure_flex_and_consumption_have_their_own_prices_and_grants():
    # 43,200 runs × 30 s × 2 GB = 2,592,000 GB-s.
    flex = estimate_monthly("azure", 2048, 43200, 30)
    assert line(flex, "Functions Flex Consumption compute").usd == pytest.approx((2_592_000 - 100_000) * 0.000026)
    assert line(flex, "Functions Flex Consumption executions").usd == 0
    assert "100,000 GB-s" in flex.free_tier_note
    consumption = estimate_monthly("azure", 2048, 43200, 30, plan="consumption")
    assert consumption.total_usd == pytest.approx((2_592_000 - 400_000) * 0.000016)
    many = estimate_monthly("azure", 512, 1_000_000, 0.1)
    assert line(many, "Functions Flex Consumption executions").usd == pytest.approx(0.75 * 0.40)


def test_the_sandbox_is_free():
    estimate = estimate_monthly("sandbox", 512, 2880, 10, secrets=3)
    assert estimate.total_usd == 0
    assert len(estimate.lines) == 1 and estimate.lines[0].note == "runs on this machine"


def test_unknown_platform_or_plan():
    with pytest.raises(ValueError, match="unknown platform"):
        estimate_monthly("gcp", 512, 1, 1)
    with pytest.raises(ValueError, match="unknown Azure Functions plan 'premium'; use flex or consumption"):
        estimate_monthly("azure", 512, 1, 1, plan="premium")


def test_a_specs_cost_shows_typical_and_worst_case_then_each_item():
    from botship.cost import spec_cost
    from botship.spec import build_spec

    spec = build_spec({"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler", "memory_mb": 3008,
                       "timeout_s": 60, "schedule": "rate(1 minute)", "secrets": ["API_KEY"],
                       "aws": {"region": "eu-west-1"}})
    headline, *items = spec_cost(spec)
    assert headline.startswith("Cost per month (estimate, 43,200 runs): about $")
    assert "if every run takes the 60 s timeout" in headline
    assert any(line.strip().startswith("Secrets Manager: $0.4") for line in items)
    assert "free tier" in items[-1]
    unscheduled = build_spec({"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler",
                              "aws": {"region": "eu-west-1"}})
    assert spec_cost(unscheduled) == ["Cost: runs only when invoked — nothing while idle, besides stored state."]


@pytest.mark.parametrize("schedule, runs", [
    # A bot limited to a later year is priced by that year's runs, not as free.
    ("cron(0 9 * * ? 2028)", "30 runs"),
    ("cron(0 9 ? * FRI-MON *)", "17 runs"),     # a range wrapping round the week: four days of seven
    ("cron(0 22-2 ? * MON-FRI *)", "107 runs"),  # and one wrapping round midnight: five hours a weekday
    ("rate(365 days)", "0 runs"),
])
def test_a_specs_cost_is_estimated_for_every_schedule_the_spec_accepts(schedule, runs):
    from botship.cost import spec_cost
    from botship.spec import build_spec

    spec = build_spec({"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler", "schedule": schedule,
                       "timezone": "Europe/Amsterdam", "aws": {"region": "eu-west-1"}})
    assert spec_cost(spec)[0].startswith(f"Cost per month (estimate, {runs}): about $")


def test_a_spec_whose_secrets_are_not_stored_pays_for_none():
    from botship.cost import spec_cost
    from botship.spec import DeploySpec

    spec = DeploySpec.model_validate({"platform": "aws", "bot_name": "sma-bot", "entry": "app:app",
                                      "schedule": "rate(5 minutes)", "secrets": ["BITVAVO_API_KEY"],
                                      "aws": {"region": "eu-west-1"}})
    assert any("Secrets Manager" in text for text in spec_cost(spec))
    assert not any("Secrets Manager" in text for text in spec_cost(spec, stored_secrets=0))
