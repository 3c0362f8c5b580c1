"""A deploy against moto's server as the provider tests run it: planned, run, and its mutating calls counted."""

from __future__ import annotations

import sys
from pathlib import Path

from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.providers.base import DeployContext
from botship.providers.engine import start_run

from botship.secret_values import SecretValue, SecretValues
from botship.spec import build_spec

READS = ("Get", "List", "Describe", "Head")


def spec_for(project: Path, **changes):
    data = {"platform": "aws", "bot_name": "sma-bot", "entry": "app:handler",
            "python": f"{sys.version_info.major}.{sys.version_info.minor}", "schedule": "rate(15 minutes)",
            "timezone": "Europe/Amsterdam", "memory_mb": 256, "env": {"MARKET": "bitvavo"},
            "secrets": ["EXCHANGE_API_KEY"], "aws": {"region": "eu-west-1"}, "tags": {"team": "quant"}, **changes}
    return build_spec(data, project)


def deploy(project: Path, spec, secret="key-1234"):
    """Plan and run a deploy; returns (plan, result, names of the mutating calls made while running)."""
    session = AwsSession("eu-west-1")
    calls: list[str] = []
    # Registered before any client exists, so every call of every client is seen.
    session.session.events.register("before-call", lambda model, **kw: calls.append(model.name))
    provider = AwsProvider(spec, session)
    context = DeployContext(project, "prod", SecretValues([SecretValue("EXCHANGE_API_KEY", secret, "environment")]))
    plan = provider.plan(context)
    planning = [c for c in calls if not c.startswith(READS)]
    assert planning == [] and calls, "planning only reads"
    result = start_run(plan, lambda event: None).wait(120)
    return plan, result, [c for c in calls if not c.startswith(READS)]

MOTO_ECR_PASSWORD = "123456789012-auth-token"  # what moto's ecr.get_authorization_token hands out
