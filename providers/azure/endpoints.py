"""Where Azure is: the public cloud, a sovereign one (China, US Government), or a custom cloud named in a file.

Every Azure client and credential botship makes reads these endpoints; a custom cloud (an Azure Stack hub, a
private endpoint behind a corporate CA, or the tests' fake) is a JSON file named by BOTSHIP_AZURE_CLOUD_CONFIG:

    {"name": "my-cloud", "resource_manager": "https://management.example", "authority": "https://login.example",
     "keyvault_suffix": "vault.example", "storage_suffix": "core.example", "app_service_suffix": "apps.example",
     "log_analytics": "https://loganalytics.example", "ca_bundle": "/path/to/ca.pem"}

`log_analytics` (optional) is the Log Analytics query API, where `botship logs` reads a bot's log lines (without
it a custom cloud has no logs to read); `ca_bundle` (optional) is the certificate authorities to trust for every
call (`connection_verify`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from botship.errors import BadInput

CONFIG_VARIABLE = "BOTSHIP_AZURE_CLOUD_CONFIG"


@dataclass(frozen=True)
class Endpoints:
    name: str
    resource_manager: str
    authority: str
    keyvault_suffix: str
    storage_suffix: str
    app_service_suffix: str
    ca_bundle: str | None = None
    # The Log Analytics query API (Application Insights' lines land in the bot's workspace); its own audience.
    log_analytics: str = ""

    @property
    def custom(self) -> bool:
        """Not one of Azure's own clouds: its authority is not known to the sign-in library."""
        return self.name not in KNOWN

    @property
    def arm_scope(self) -> str:
        return self.resource_manager.rstrip("/") + "/.default"

    @property
    def log_analytics_scope(self) -> str:
        return self.log_analytics.rstrip("/") + "/.default"

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments every management client takes for this cloud."""
        options: dict[str, Any] = {"base_url": self.resource_manager, "credential_scopes": [self.arm_scope]}
        if self.ca_bundle:
            options["connection_verify"] = self.ca_bundle
        return options

    def transport_options(self) -> dict[str, Any]:
        """Keyword arguments for data-plane clients and credentials (the trusted certificate authorities)."""
        return {"connection_verify": self.ca_bundle} if self.ca_bundle else {}


KNOWN: dict[str, Endpoints] = {e.name: e for e in (
    Endpoints("public", "https://management.azure.com", "https://login.microsoftonline.com", "vault.azure.net",
              "core.windows.net", "azurewebsites.net", log_analytics="https://api.loganalytics.io"),
    Endpoints("china", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn", "vault.azure.cn",
              "core.chinacloudapi.cn", "chinacloudsites.cn", log_analytics="https://api.loganalytics.azure.cn"),
    Endpoints("usgovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
              "vault.usgovcloudapi.net", "core.usgovcloudapi.net", "azurewebsites.us",
              log_analytics="https://api.loganalytics.us"),
)}


def endpoints(name: str | None = None) -> Endpoints:
    """The cloud a profile names (`azure.cloud`, default public); a custom cloud file wins when one is set."""
    path = os.environ.get(CONFIG_VARIABLE)
    if path:
        return _custom(Path(path))
    chosen = name or "public"
    if chosen not in KNOWN:
        raise BadInput(f"azure.cloud: '{chosen}' is not an Azure cloud botship knows",
                       fix=f"use one of {', '.join(KNOWN)}, or describe your cloud in a JSON file named by "
                           f"{CONFIG_VARIABLE}")
    return KNOWN[chosen]


def _custom(path: Path) -> Endpoints:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise BadInput(f"{CONFIG_VARIABLE}: cannot read {path} ({exc.strerror})",
                       fix="point it at a readable JSON file, or unset it to use Azure's public cloud") from None
    except ValueError as exc:
        raise BadInput(f"{CONFIG_VARIABLE}: {path} is not JSON ({exc})", fix="fix the file") from None
    names = [f.name for f in fields(Endpoints)]
    optional = ("ca_bundle", "log_analytics")
    required = [n for n in names if n not in optional]
    missing = [n for n in required if not isinstance(data.get(n), str) or not data.get(n)]
    unknown = sorted(set(data) - set(names)) if isinstance(data, dict) else []
    if missing or unknown:
        raise BadInput(f"{CONFIG_VARIABLE}: {path} " + (f"lacks {', '.join(missing)}" if missing else
                                                         f"has unknown keys {', '.join(unknown)}"),
                       fix=f"give every one of {', '.join(names)} ({' and '.join(optional)} are optional)")
    bad = [n for n in optional if data.get(n) is not None and not isinstance(data.get(n), str)]
    if bad:
        raise BadInput(f"{CONFIG_VARIABLE}: {path}: {', '.join(bad)} must be text", fix="fix the file")
    return Endpoints(**{n: data[n] for n in names if data.get(n) is not None})
