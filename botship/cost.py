"""A bot's monthly cloud bill, estimated from list prices, its size, how often and how long it runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .schedule import parse_schedule, runs_per_month

if TYPE_CHECKING:
    from .spec import DeploySpec

# 2026 list prices, us-east-1 / East US, in USD. Free amounts are per month, per account or subscription.
PRICES: dict[str, dict[str, float]] = {
    "aws": {"gb_s": 0.0000166667, "per_million": 0.20, "free_gb_s": 400_000, "free_runs": 1_000_000},
    "azure/flex": {"gb_s": 0.000026, "per_million": 0.40, "free_gb_s": 100_000, "free_runs": 250_000},
    "azure/consumption": {"gb_s": 0.000016, "per_million": 0.20, "free_gb_s": 400_000, "free_runs": 1_000_000},
    "scheduler": {"per_million": 1.00, "free_runs": 14_000_000},
    "secrets": {"per_secret": 0.40, "per_10k_calls": 0.05},
}
# The runtime reads the secret once per container, so one run in ten (a cold start) is assumed to read it.
COLD_START_SHARE = 0.1
# Per offer (a platform's limits key, with its hosting plan where it has plans): what its bill calls things, the
# free tier it subtracts, and what else a bot there pays for.
_TITLES = {"aws": "Lambda", "azure/flex": "Functions Flex Consumption", "azure/consumption": "Functions Consumption"}
_RUNS_WORD = {"aws": "requests"}  # elsewhere "executions"
_FREE_NOTES = {
    "aws": "AWS always-free tier subtracted: 400,000 GB-s and 1M Lambda requests, 14M scheduler invocations a month, "
           "shared by every function in the account",
    "azure/flex": "Azure free grant subtracted: {free_gb_s:,.0f} GB-s and {free_runs:,.0f} executions a month, "
                  "shared by every function app in the subscription",
}
_FREE_NOTES["azure/consumption"] = _FREE_NOTES["azure/flex"]
# Offers that keep earlier state as billed object versions (state_history_line).
_VERSIONED_STATE = frozenset({"aws"})


@dataclass(frozen=True)
class CostLine:
    """One billed item and its monthly cost."""

    item: str
    usd: float
    note: str = ""


@dataclass(frozen=True)
class CostEstimate:
    """The monthly cost of one bot, line by line, with the assumptions it rests on."""

    lines: list[CostLine]
    runs_per_month: float
    run_seconds: float
    free_tier_note: str

    @property
    def total_usd(self) -> float:
        return sum(line.usd for line in self.lines)


def offer_of(platform: str, plan: str | None = None) -> str:
    """The price list a platform (on its hosting `plan`, default its first) bills from; raises ValueError for one
    botship has no prices of."""
    from botship import providers

    found = providers.platform(platform)
    if found is None:
        known = ", ".join(p.name for p in providers.platforms())
        raise ValueError(f"unknown platform '{platform}'; use one of {known}")
    key = found.limits or found.name
    if found.plans:
        if plan is not None and plan not in found.plans:
            raise ValueError(f"unknown {found.title} plan '{plan}'; use {' or '.join(found.plans)}")
        key = f"{key}/{plan or found.plans[0]}"
    if key not in PRICES:
        raise ValueError(f"no prices for platform '{platform}'")
    return key


def estimate_monthly(platform: str, memory_mb: int, runs_per_month: float, run_seconds: float,
                     plan: str | None = None, secrets: int = 0) -> CostEstimate:
    """The monthly cost of running a bot of `memory_mb` `runs_per_month` times for `run_seconds` each.

    The free tier is subtracted as if this bot were the account's only function; `secrets` is how many
    secret values the bot has (on AWS botship keeps them all in one secret).
    """
    from botship import providers

    found = providers.platform(platform)
    if found and found.local:
        return CostEstimate([CostLine(found.title, 0.0, "runs on this machine")], runs_per_month, run_seconds, "")
    offer = offer_of(platform, plan)
    prices = PRICES[offer]
    gb_s = memory_mb / 1024 * run_seconds * runs_per_month
    lines = [
        CostLine(f"{_TITLES[offer]} compute", _billed(gb_s, prices["free_gb_s"]) * prices["gb_s"],
                 f"{gb_s:,.0f} GB-s; first {prices['free_gb_s']:,.0f} free"),
        CostLine(f"{_TITLES[offer]} {_RUNS_WORD.get(offer, 'executions')}",
                 _billed(runs_per_month, prices["free_runs"]) / 1e6 * prices["per_million"],
                 f"{runs_per_month:,.0f} runs; first {prices['free_runs']:,.0f} free"),
    ]
    lines += _EXTRAS.get(offer, lambda runs, secrets: [])(runs_per_month, secrets)
    return CostEstimate(lines, runs_per_month, run_seconds, _FREE_NOTES[offer].format(**prices))


def _aws_extras(runs_per_month: float, secrets: int) -> list[CostLine]:
    """The scheduler that triggers the bot and the secret that holds its secret values."""
    extras = []
    if runs_per_month > 0:
        scheduler = PRICES["scheduler"]
        extras.append(CostLine("EventBridge Scheduler",
                               _billed(runs_per_month, scheduler["free_runs"]) / 1e6 * scheduler["per_million"],
                               f"first {scheduler['free_runs'] / 1e6:,.0f}M invocations free"))
    if secrets > 0:
        calls = runs_per_month * COLD_START_SHARE
        price = PRICES["secrets"]
        extras.append(CostLine("Secrets Manager", price["per_secret"] + calls / 10_000 * price["per_10k_calls"],
                               f"one secret holding {secrets} value{'s' if secrets != 1 else ''}; "
                               f"~{calls:,.0f} reads, one per cold start"))
    return extras


_EXTRAS = {"aws": _aws_extras}


def _billed(used: float, free: float) -> float:
    return max(used - free, 0.0)


TYPICAL_RUN_S = 10.0  # what a bot's run usually takes; the worst case (every run hits the timeout) is shown too


def spec_cost(spec: DeploySpec, stored_secrets: int | None = None) -> list[str]:
    """A spec's monthly estimate as lines: typical run and worst case first, then each item and the free tier.

    `stored_secrets`: how many secrets the deploy stores, when not all the profile lists (a paper framework app
    is given none: `botship.paper.sent_secrets`)."""
    secrets = len(spec.secrets) if stored_secrets is None else stored_secrets
    if not spec.schedule:
        return ["Cost: runs only when invoked — nothing while idle, besides stored state."]
    runs = runs_per_month(parse_schedule(spec.schedule), spec.timezone)
    from botship import providers

    if providers.platform(spec.platform).local:
        return [f"Cost: nothing — {spec.platform_title} runs on this machine ({runs:,.0f} runs a month on this "
                "schedule)."]
    from .spec_limits import hosting_plan

    found = providers.platform(spec.platform)
    plan = hosting_plan(spec.platform, getattr(spec, found.required_table, None) if found.required_table else None)
    typical = estimate_monthly(spec.platform, spec.memory_mb, runs, TYPICAL_RUN_S, plan, secrets)
    worst = estimate_monthly(spec.platform, spec.memory_mb, runs, float(spec.timeout_s), plan, secrets)
    lines = [f"Cost per month (estimate, {runs:,.0f} runs): about ${typical.total_usd:,.2f} at {TYPICAL_RUN_S:.0f} s "
             f"per run; at most ${worst.total_usd:,.2f} if every run takes the {spec.timeout_s} s timeout."]
    lines += [f"  {line.item}: ${line.usd:,.2f}" + (f" — {line.note}" if line.note else "") for line in typical.lines]
    if offer_of(spec.platform, plan) in _VERSIONED_STATE:
        state = state_history_line(runs, spec.state_retention_days)
        lines.append(f"  {state.item}: ${state.usd:,.3f} {state.note}")
    if typical.free_tier_note:
        lines.append(f"  {typical.free_tier_note}")
    return lines


S3_STANDARD_GB_MONTH = 0.023  # S3 Standard, us-east-1, first 50 TB
DAYS_PER_MONTH = 30.4375


def state_history_line(runs_per_month: float, retention_days: int) -> CostLine:
    """What the state bucket costs a month per MB of state that every run rewrites (its current copy and the
    earlier versions the lifecycle rule keeps); a file a run leaves unchanged stores nothing new."""
    usd, kept = _state_stored(1, runs_per_month, retention_days)
    return CostLine("S3 state", usd, f"per MB of state each run rewrites: {kept}")


def state_storage_monthly(state_mb: float, runs_per_month: float, retention_days: int) -> CostLine:
    """The state bucket's steady-state storage: the current state plus, when every run changes all of it (the
    worst case), one earlier version per run, each kept `retention_days` before the lifecycle rule expires it."""
    usd, kept = _state_stored(state_mb, runs_per_month, retention_days)
    return CostLine("S3 state storage", usd, f"{state_mb:g} MB of state changed by every run: {kept}")


def _state_stored(state_mb: float, runs_per_month: float, retention_days: int) -> tuple[float, str]:
    """The monthly price of `state_mb` rewritten by every run, and what is stored for it, in words."""
    versions = runs_per_month * retention_days / DAYS_PER_MONTH
    stored_gb = state_mb * (1 + versions) / 1024
    return stored_gb * S3_STANDARD_GB_MONTH, f"~{versions:,.0f} earlier versions kept {retention_days} days, " \
                                              f"~{stored_gb:,.2f} GB stored"
