"""The deploy spec: every answer a deployment needs, each field declared once with its rule and help.

Its parts, each in a module of its own: the single-field rules (`spec_rules`), the model (`spec_model`), the sizing
limits per platform (`spec_limits`), the rules between fields (`spec_checks`), errors in the file's words
(`spec_messages`) and what forms, the schema and profiles read of it (`spec_docs`). Every public name is imported
from here; below is validation as the rest of botship asks for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import Problem, SpecInvalid
from .spec_checks import cross_field_problems
from .spec_docs import FieldDoc, field_docs, profiles_schema, to_profile
from .spec_limits import Limit, limits_for
from .spec_messages import error_message
from .spec_model import TABLES, AwsSettings, AzureSettings, DeploySpec, PaperSettings, field_adapter, valid_fields
from .spec_rules import (
    ENV_LIMIT_BYTES,
    ENV_NAME,
    ENV_RESERVED_BYTES,
    SECRET_NAME_HINTS,
    TAG_LIMIT,
    AwsProfileName,
    BotName,
    Entry,
    Env,
    EnvName,
    EnvValue,
    ImageReference,
    Location,
    PlatformName,
    PythonVersion,
    Region,
    ResourceGroup,
    ScheduleText,
    SecretName,
    Secrets,
    Size,
    SubscriptionId,
    TagKey,
    Tags,
    TagValue,
    Timezone,
    looks_secret,
)

__all__ = [
    "ENV_LIMIT_BYTES", "ENV_NAME", "ENV_RESERVED_BYTES", "SECRET_NAME_HINTS", "TABLES", "TAG_LIMIT",
    "AwsProfileName", "AwsSettings", "AzureSettings", "BotName", "DeploySpec", "Entry", "Env", "EnvName", "EnvValue",
    "FieldDoc", "ImageReference", "Limit", "Location", "PaperSettings", "PlatformName", "PythonVersion", "Region",
    "ResourceGroup", "ScheduleText", "SecretName", "Secrets", "Size", "SubscriptionId", "TagKey", "TagValue", "Tags",
    "Timezone", "build_spec", "check_field", "field_docs", "limits_for", "looks_secret", "problems_of",
    "profiles_schema", "to_profile",
]

_DEFAULT_PYTHON = DeploySpec.model_fields["python"].default


def problems_of(exc: ValidationError) -> list[Problem]:
    """A pydantic error as problems, each naming its field path."""
    out = []
    for e in exc.errors():
        path = ""
        for part in e["loc"]:
            if part == "[key]":
                continue
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        out.append(Problem(path, error_message(e, DeploySpec, TABLES) if e["type"] != "botship" else e["msg"]))
    return out


def build_spec(data: dict[str, Any], project: Path | None = None, source: str = "the deploy spec") -> DeploySpec:
    """Validate answers into a spec, or raise SpecInvalid listing every problem at once."""
    try:
        context = {"project": project, "python": data.get("python", _DEFAULT_PYTHON)} if project else None
        return DeploySpec.model_validate(data, context=context)
    except ValidationError as exc:
        raise SpecInvalid(problems_of(exc), source) from None


def check_field(name: str, value: Any, answers: dict[str, Any], project: Path | None = None) -> list[Problem]:
    """Problems of one answer given the others — what a wizard input shows as the user types."""
    context = {"project": project, "python": {**answers, name: value}.get("python", _DEFAULT_PYTHON)} if project else None
    try:
        checked = field_adapter(name).validate_python(value, context=context)
    except ValidationError as exc:
        return [Problem(_join(name, p.field), p.message) for p in problems_of(exc)]
    values, given = valid_fields({**answers, name: checked}, context)
    return [Problem(".".join(map(str, loc)), msg) for loc, msg in cross_field_problems(values, given) if loc[0] == name]


def _join(name: str, sub: str) -> str:
    return name if not sub else f"{name}{sub}" if sub.startswith("[") else f"{name}.{sub}"
