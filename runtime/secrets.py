"""Secret values from the cloud's secret store into the environment, once per container."""

from __future__ import annotations

import json
import os

from . import logs

_resolved: dict[str, str] | None = None
_resolved_for: tuple[str, str] | None = None


def resolve_secrets() -> list[str]:
    """Load the secret named by BOTSHIP_SECRET_ARN (a JSON object of NAME → value); return the names only.

    On Azure, Key Vault references in app settings are resolved by the platform itself, so
    there is nothing to do there.
    """
    global _resolved, _resolved_for
    arn = os.environ.get("BOTSHIP_SECRET_ARN")
    if not arn:
        return []
    version = os.environ.get("BOTSHIP_SECRET_VERSION", "")
    if _resolved is None or _resolved_for != (arn, version):
        import boto3

        request = {"SecretId": arn, **({"VersionId": version} if version else {})}
        value = boto3.client("secretsmanager").get_secret_value(**request)["SecretString"]
        _resolved = {str(k): str(v) for k, v in json.loads(value).items()}
        _resolved_for = (arn, version)
    os.environ.update(_resolved)
    logs.add_secrets(_resolved.values())
    return sorted(_resolved)
