"""Providers: the step engine and one provider per cloud, found by platform name and imported only when used.

The platforms below are the one list of where a bot can run, with the titles every screen and message
uses; a cloud whose provider is not built yet is listed without one ("coming").
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from botship.errors import BadInput

if TYPE_CHECKING:
    from .base import Cloud, Provider


@dataclass(frozen=True)
class Platform:
    """Where a bot can run: its name in profiles, its title, what it needs, and its provider ("module:Class")."""

    name: str
    title: str
    needs: str
    target: str | type[Provider] | None = None
    # Which platform's sizing limits apply (the sandbox is AWS Lambda's code, so AWS's).
    limits: str | None = None
    # Runs on this machine: nothing to pay, no account to sign in to.
    local: bool = False
    # The platform botship offers to try it on, with no account (`botship sandbox`, the home screen's `s`).
    trial: bool = False
    # "module:function" saying cheaply (without importing the provider) whether bots deployed before this
    # process started may wait for it to fire their schedules (an emulator run separately).
    waiting: str | None = None
    # What a profile on this platform may hold, as the spec checks it (declared here, so a cloud without a
    # provider yet is checked too): the settings tables that apply ("aws" for [profiles.NAME.aws]), the one of
    # them that is required and what it must name, the packagings it deploys, and its hosting plans (the first
    # is the default; sizing limits differ per plan).
    tables: tuple[str, ...] = ()
    required_table: str | None = None
    required_keys: str = ""
    packagings: tuple[str, ...] = ("zip", "image")
    plans: tuple[str, ...] = ()
    # Where a bot on it lives, in words, from its settings table (str.format over the table's fields; fixed text
    # for a platform without one), e.g. "{region}" for AWS; "" says nothing beyond the title.
    where: str = ""

    def bots_waiting(self) -> bool:
        if not self.waiting:
            return False
        module, _, attr = self.waiting.partition(":")
        return bool(getattr(importlib.import_module(module), attr)())

    @property
    def available(self) -> bool:
        return self.target is not None


_PLATFORMS: dict[str, Platform] = {p.name: p for p in (
    Platform("aws", "AWS Lambda", "an AWS account, and credentials on this machine (aws configure, or aws sso login)",
             "botship.providers.aws.provider:AwsProvider", tables=("aws",), required_table="aws",
             required_keys="region", where="{region}"),
    Platform("azure", "Azure Functions",
             "an Azure subscription; botship signs you in (browser or device code), or uses a service principal "
             "or az login",
             "botship.providers.azure.provider:AzureProvider",
             tables=("azure",), required_table="azure", required_keys="subscription_id, resource_group and location",
             packagings=("zip",), plans=("flex", "consumption"), where="{location}, {resource_group}"),
    # The sandbox reads the [aws] table for what an image is built on (aws.base_image).
    Platform("sandbox", "Sandbox", "nothing: an AWS emulator runs inside botship, on this machine",
             "botship.providers.sandbox.provider:SandboxProvider", limits="aws", local=True, trial=True,
             waiting="botship.providers.sandbox:bots_waiting", tables=("aws",), where="local emulator"),
)}


def trial() -> Platform:
    """The platform to try botship on without an account (the sandbox)."""
    return next(p for p in _PLATFORMS.values() if p.trial)


def loaded_clouds() -> list[type[Cloud]]:
    """The clouds whose provider this process has imported (used), in the order platforms are offered."""
    return [p.target.cloud_class for p in _PLATFORMS.values() if p.target is not None and not isinstance(p.target, str)]


def platforms() -> list[Platform]:
    """Every platform, available or not, in the order they are offered."""
    return list(_PLATFORMS.values())


def platform(name: str) -> Platform | None:
    return _PLATFORMS.get(name)


def title(name: str) -> str:
    """A platform's title ('?' for a name that is none)."""
    found = _PLATFORMS.get(name)
    return found.title if found else "?"


def register(name: str, target: str | type[Provider] | None, *, title: str | None = None,
             **facts: Any) -> Platform | None:
    """Make platform `name` use a provider class (or a "module:Class" path imported on first use); `facts` are
    the other fields of its `Platform` (what it needs, its limits, tables, packagings…).

    A new name needs a `title`. Returns the platform as it was before, so a caller can put it back
    with `restore`; None as the target of a new name unregisters it.
    """
    previous = _PLATFORMS.get(name)
    if previous is None and target is None:
        return None
    if previous is None:
        _PLATFORMS[name] = Platform(name, title or name, **{"needs": "", **facts}, target=target)
    else:
        _PLATFORMS[name] = replace(previous, target=target, **({"title": title} if title else {}), **facts)
    return previous


def restore(name: str, previous: Platform | None) -> None:
    """Put back what `register` returned."""
    if previous is None:
        _PLATFORMS.pop(name, None)
    else:
        _PLATFORMS[name] = previous


def available() -> list[str]:
    return sorted(name for name, p in _PLATFORMS.items() if p.available)


def provider_class(name: str) -> type[Provider]:
    """The provider for platform `name`, importing its module on first use."""
    found = _PLATFORMS.get(name)
    target = found.target if found else None
    if target is None:
        have = ", ".join(available()) or "none yet"
        raise BadInput(
            f"this botship has no provider for platform '{name}' yet",
            f"providers available: {have}",
            "update botship, or choose an available platform in the profile",
        )
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
        _PLATFORMS[name] = replace(found, target=target)
    return target


def cloud_class(platform: str) -> type[Cloud]:
    """The cloud of platform `platform` (what it can do, its settings, its bots), importing it on first use."""
    return provider_class(platform).cloud_class
