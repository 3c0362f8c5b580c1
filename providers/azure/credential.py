"""Signing in to Azure with azure-identity alone: no az CLI needed (an existing `az login` is used when present).

The chain, first that answers wins:
1. environment: a service principal (AZURE_CLIENT_ID + AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH,
   AZURE_TENANT_ID) — for CI;
2. workload identity (AZURE_FEDERATED_TOKEN_FILE: GitHub Actions, Kubernetes) — for CI;
3. the sign-in made in botship (`botship` wizard or `botship signin azure`): an authentication record in
   botship's config folder plus azure-identity's persistent token cache, so a second deploy signs in silently;
4. the Azure CLI's login, when the CLI is installed and signed in;
5. a managed identity (botship itself running on Azure). Left out with BOTSHIP_AZURE_MANAGED_IDENTITY=off, so a
   machine off Azure never probes the instance metadata address.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from .endpoints import Endpoints

# azure-identity logs each credential of a chain that could not sign in as a warning, which Python's last-resort
# handler prints to stderr below botship's own message (what failed and what to do): keep only its errors.
logging.getLogger("azure.identity").setLevel(logging.ERROR)

CACHE_NAME = "botship"
MANAGED_IDENTITY_VARIABLE = "BOTSHIP_AZURE_MANAGED_IDENTITY"


def config_dir() -> Path:
    """botship's own config folder (BOTSHIP_CONFIG_DIR, else XDG_CONFIG_HOME/botship, else ~/.config/botship)."""
    base = os.environ.get("BOTSHIP_CONFIG_DIR") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "botship")
    return Path(base)


def record_path(endpoints: Endpoints) -> Path:
    """Where the interactive sign-in's authentication record lives (who signed in; no token, no secret)."""
    return config_dir() / f"azure-{endpoints.name}-signin.json"


def cache_options() -> Any:
    """azure-identity's persistent token cache (the system keyring where there is one; otherwise a file only
    the user can read, as the Azure CLI keeps its own)."""
    from azure.identity import TokenCachePersistenceOptions

    return TokenCachePersistenceOptions(name=CACHE_NAME, allow_unencrypted_storage=True)


def identity_options(endpoints: Endpoints, tenant_id: str | None = None) -> dict[str, Any]:
    """Keyword arguments every azure-identity credential takes for this cloud."""
    options: dict[str, Any] = {"authority": endpoints.authority, **endpoints.transport_options()}
    if endpoints.custom:
        options["disable_instance_discovery"] = True
    if tenant_id:
        options["additionally_allowed_tenants"] = ["*"]
    return options


def load_record(endpoints: Endpoints) -> Any | None:
    from azure.identity import AuthenticationRecord

    path = record_path(endpoints)
    try:
        return AuthenticationRecord.deserialize(path.read_text())
    except (OSError, ValueError, KeyError):
        return None


def save_record(endpoints: Endpoints, record: Any) -> Path:
    path = record_path(endpoints)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(record.serialize())
    return path


def managed_identity_allowed() -> bool:
    return os.environ.get(MANAGED_IDENTITY_VARIABLE, "").lower() not in ("off", "0", "false", "no")


def credential(endpoints: Endpoints, tenant_id: str | None = None) -> Any:
    """The chain above, as one credential (azure-identity's ChainedTokenCredential)."""
    from azure.identity import (
        AzureCliCredential,
        ChainedTokenCredential,
        EnvironmentCredential,
        InteractiveBrowserCredential,
        ManagedIdentityCredential,
        WorkloadIdentityCredential,
    )

    options = identity_options(endpoints, tenant_id)
    chain: list[Any] = [EnvironmentCredential(**options)]
    if os.environ.get("AZURE_FEDERATED_TOKEN_FILE"):
        chain.append(WorkloadIdentityCredential(**options))
    record = load_record(endpoints)
    if record is not None:
        # Silent only: with automatic authentication off, a record whose tokens expired says so instead of
        # opening a browser in the middle of a deploy.
        # The record names its own authority (azure-identity refuses a second one beside it).
        silent = {key: value for key, value in options.items() if key != "authority"}
        chain.append(InteractiveBrowserCredential(
            authentication_record=record, cache_persistence_options=cache_options(),
            disable_automatic_authentication=True, tenant_id=tenant_id or record.tenant_id, **silent))
    if not endpoints.custom:
        chain.append(AzureCliCredential(tenant_id=tenant_id or "", process_timeout=20))
    if managed_identity_allowed():
        chain.append(ManagedIdentityCredential(**endpoints.transport_options()))
    return ChainedTokenCredential(*chain)
