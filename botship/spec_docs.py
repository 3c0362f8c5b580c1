"""The spec as others read it: field docs for forms and prompts, the JSON schema of botship.toml, a profile table."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from .spec_limits import limits_text
from .spec_model import TABLES, DeploySpec


@dataclass(frozen=True)
class FieldDoc:
    """One answer as a form, a prompt or a profile key renders it: its key, help, default and choices."""

    key: str
    help: str
    required: bool
    default: Any = None
    choices: tuple[str, ...] = ()


def field_docs() -> list[FieldDoc]:
    """Every key of a profile, nested ones as `aws.region`, in declaration order."""
    docs: list[FieldDoc] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            nested = TABLES.get(name) if model is DeploySpec else None
            if nested:
                walk(nested, f"{name}.")
                continue
            literal = next((a for a in (info.annotation, *typing.get_args(info.annotation))
                            if typing.get_origin(a) is Literal), None)
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            docs.append(FieldDoc(prefix + name, _with_limits(name, info.description or ""), info.is_required(),
                                 default, typing.get_args(literal) if literal else ()))

    walk(DeploySpec, "")
    return docs


def _with_limits(name: str, description: str) -> str:
    """A size's description with its allowed values on each platform, from the limits data."""
    limits = limits_text(name)
    return f"{description} ({limits})" if limits else description


def profiles_schema() -> dict[str, Any]:
    """A JSON schema of botship.toml, for editors that check TOML against one (each size's limits with it)."""
    spec = DeploySpec.model_json_schema(ref_template="#/$defs/DeploySpec/$defs/{model}")
    for name, field in spec["properties"].items():
        if "description" in field:
            field["description"] = _with_limits(name, field["description"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "botship.toml",
        "type": "object",
        "properties": {"profiles": {"type": "object", "additionalProperties": {"$ref": "#/$defs/DeploySpec"}}},
        "$defs": {"DeploySpec": spec},
    }


def to_profile(spec: DeploySpec) -> dict[str, Any]:
    """The spec as a profile table: what was set or differs from the default, plus the identifying keys."""
    data = spec.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    for key in ("platform", "bot_name", "entry", "python", "mode"):
        data[key] = getattr(spec, key)
    order = list(DeploySpec.model_fields)
    return {k: data[k] for k in sorted(data, key=order.index)}
