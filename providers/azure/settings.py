"""The Azure settings the credentials form and `--guided` ask: their choices and checks, as functions of the answers
given so far. What the sign-in sees (tenants, subscriptions, groups, locations offering a plan) is looked up in
signin.py, cached and time-bounded; nothing here raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botship.errors import BotshipError
from botship.questions import Choice, get_answer

from .endpoints import Endpoints, endpoints
from .errors import SIGN_IN_FIX

PLAN_TITLES = {"flex": "Flex Consumption", "consumption": "Consumption (Linux), retires 2028-09-30"}


def _where(answers: Mapping[str, Any]) -> Endpoints | None:
    try:
        return endpoints(get_answer(dict(answers), "azure.cloud"))
    except BotshipError:
        return None


def _tenant(answers: Mapping[str, Any]) -> str | None:
    return get_answer(dict(answers), "azure.tenant_id") or None


def field_problem(key: str, value: Any, answers: Mapping[str, Any]) -> str | None:
    """The spec's own rule for one key of the [azure] table, given the other answers."""
    from botship.spec import check_field

    table = {**(get_answer(dict(answers), "azure") or {}), key.split(".", 1)[1]: value}
    problems = [p for p in check_field("azure", table, dict(answers)) if p.field == key]
    return problems[0].message if problems else None


def _lookup_problem(lookup: Any) -> str | None:
    """Why a lookup found nothing, in a line with what to do ('sign in first' when nobody is signed in)."""
    if lookup.error is None:
        return None
    error = lookup.error
    fix = error.fix or ""
    if fix == SIGN_IN_FIX:
        return f"sign in first: {error.what}" + (f" ({error.why})" if error.why else "")
    return f"{error.what}" + (f": {error.why}" if error.why else "") + (f" — {fix}" if fix else "")


def tenant_choices(answers: Mapping[str, Any]) -> list[Choice]:
    from .signin import tenants

    where = _where(answers)
    if where is None:
        return []
    found = tenants(where)
    return [Choice(t.tenant_id, f"{t.name} ({t.tenant_id})") for t in found.items]


def tenant_problem(value: Any, answers: Mapping[str, Any]) -> str | None:
    from .signin import tenants

    problem = field_problem("azure.tenant_id", value, answers)
    if problem or not value:
        return problem
    where = _where(answers)
    found = tenants(where) if where else None
    if found is None or found.error is not None:
        return None  # the subscription's check says what stops the listing
    if str(value).lower() not in {t.tenant_id.lower() for t in found.items}:
        return "your sign-in does not see this tenant: choose one listed, or sign in to it"
    return None


def subscription_choices(answers: Mapping[str, Any]) -> list[Choice]:
    from .signin import subscriptions

    where = _where(answers)
    if where is None:
        return []
    found = subscriptions(where, _tenant(answers))
    return [Choice(s.subscription_id, f"{s.name} ({s.subscription_id})",
                   "" if s.state in ("Enabled", "Warned", "PastDue", "") else f"it is {s.state.lower()}")
            for s in found.items]


def subscription_problem(value: Any, answers: Mapping[str, Any]) -> str | None:
    from .signin import subscriptions

    problem = field_problem("azure.subscription_id", value, answers)
    if problem:
        return problem
    where = _where(answers)
    if where is None:
        return None
    found = subscriptions(where, _tenant(answers))
    if found.error is not None:
        return _lookup_problem(found)
    match = next((s for s in found.items if s.subscription_id.lower() == str(value).lower()), None)
    if match is None:
        return ("your sign-in does not see this subscription" + (" in this tenant" if _tenant(answers) else "") +
                ": choose one listed, or sign in to the tenant that holds it")
    if match.state not in ("Enabled", "Warned", "PastDue", ""):
        return f"subscription {match.name} is {match.state.lower()}: enable it, or choose another"
    return None


def group_suggestions(answers: Mapping[str, Any]) -> list[str]:
    from .signin import resource_groups

    where, subscription = _where(answers), get_answer(dict(answers), "azure.subscription_id")
    if where is None or not subscription:
        return []
    return [name for name, _ in resource_groups(where, _tenant(answers), subscription).items]


def group_problem(value: Any, answers: Mapping[str, Any]) -> str | None:
    # A new name is fine (the deploy creates the group): only the spec's own rule applies.
    return field_problem("azure.resource_group", value, answers)


def plan_problem(value: Any, answers: Mapping[str, Any]) -> str | None:
    if value not in PLAN_TITLES:
        return f"choose one of: {', '.join(PLAN_TITLES)}"
    return None


def location_choices(answers: Mapping[str, Any]) -> list[Choice]:
    from .signin import plan_locations

    where, subscription = _where(answers), get_answer(dict(answers), "azure.subscription_id")
    if where is None or not subscription:
        return []
    plan = get_answer(dict(answers), "azure.plan") or "flex"
    found = plan_locations(where, _tenant(answers), subscription, plan)
    return [Choice(loc.name, f"{loc.title} ({loc.name})" + ("" if loc.checked else " — not yet checked for the plan"))
            for loc in found.items]


def location_problem(value: Any, answers: Mapping[str, Any]) -> str | None:
    from .signin import plan_locations

    problem = field_problem("azure.location", value, answers)
    if problem:
        return problem
    where, subscription = _where(answers), get_answer(dict(answers), "azure.subscription_id")
    if where is None or not subscription:
        return None
    plan = get_answer(dict(answers), "azure.plan") or "flex"
    found = plan_locations(where, _tenant(answers), subscription, plan)
    if found.error is not None:
        return _lookup_problem(found)
    if found.items and str(value) not in {loc.name for loc in found.items}:
        return f"{value} does not offer {PLAN_TITLES.get(plan, plan)}: choose one listed"
    return None


# ---- a deployed bot ----------------------------------------------------------------------------------------
