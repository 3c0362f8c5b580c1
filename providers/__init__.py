"""Providers: the step engine and one provider per cloud, found by platform name and imported only when used."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from botship.errors import BadInput

if TYPE_CHECKING:
    from .base import Provider

# platform name -> "module:Class"; each cloud's provider is added by the issue that builds it.
_PROVIDERS: dict[str, str] = {"aws": "botship.providers.aws.provider:AwsProvider",
                              "sandbox": "botship.providers.sandbox.provider:SandboxProvider"}


def register(platform: str, target: str | type[Provider] | None) -> str | type[Provider] | None:
    """Make `platform` use a provider class (or a "module:Class" path imported on first use).

    Returns what `platform` used before, so a caller can put it back; None unregisters.
    """
    previous = _PROVIDERS.pop(platform, None)
    if target is not None:
        _PROVIDERS[platform] = target  # type: ignore[assignment]
    return previous


def available() -> list[str]:
    return sorted(_PROVIDERS)


def provider_class(platform: str) -> type[Provider]:
    """The provider for `platform`, importing its module on first use."""
    target = _PROVIDERS.get(platform)
    if target is None:
        have = ", ".join(available()) or "none yet"
        raise BadInput(
            f"this botship has no provider for platform '{platform}' yet",
            f"providers available: {have}",
            "update botship, or choose an available platform in the profile",
        )
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
        _PROVIDERS[platform] = target
    return target
