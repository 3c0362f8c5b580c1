"""AzureFake: one HTTPS server holding a tenant, a subscription, one service principal and the resources."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

from .arm import Arm
from .authz import Authorization
from .certs import make_certificates
from .identity import Identity
from .keyvault import KeyVault
from .logquery import LogQuery
from .monitor import Monitor
from .server import Server
from .storage import Storage
from .web import Web

NAMESPACES = ("Microsoft.Web", "Microsoft.Storage", "Microsoft.KeyVault", "Microsoft.Insights",
              "Microsoft.OperationalInsights")


class AzureFake(Server, Identity, Arm, Authorization, Storage, KeyVault, Monitor, LogQuery, Web):
    """The strict fake. `folder` receives the certificates; `blob_url`/`blob_key` name the Azurite behind storage."""

    def __init__(self, folder: Path, blob_url: str = "", blob_key: str = "", blob_credential=None):
        self.folder = Path(folder)
        self.ca_bundle, cert, key = (str(p) for p in make_certificates(self.folder / "certs"))
        self.cert_file, self.key_file = cert, key
        super().__init__(cert, key)
        self.tenant_id = str(uuid.uuid4())
        self.subscription_id = str(uuid.uuid4())
        self.subscriptions = {self.subscription_id: "botship test subscription"}
        self.client_id, self.client_secret = str(uuid.uuid4()), secrets.token_urlsafe(24)
        self.sp_object_id = str(uuid.uuid4())
        self.user_object_id, self.user_name = str(uuid.uuid4()), "tester@botshiptest.onmicrosoft.com"
        self.blob_url, self.blob_key, self.blob_credential = blob_url, blob_key, blob_credential
        # state
        self.tokens: dict[str, dict] = {}
        self.expired: set[str] = set()
        self.device_flows: dict[str, dict] = {}
        self.msi_apps: dict[str, dict] = {}
        self.resources: dict[str, dict] = {}
        self.resource_groups: dict[str, dict] = {}
        self.registration = {ns.lower(): "Registered" for ns in NAMESPACES}
        self.taken: dict[str, set[str]] = {"storage": set(), "vault": set(), "site": set()}
        self.principals: dict[str, dict] = {self.sp_object_id: {"type": "ServicePrincipal", "pending": 0},
                                            self.user_object_id: {"type": "User", "pending": 0}}
        self.principal_not_found_attempts = 1
        self.flex_locations = ["eastus", "eastus2", "westus2", "northeurope", "westeurope", "swedencentral",
                               "uksouth", "eastasia", "southeastasia", "australiaeast", "japaneast"]
        # As on Azure, Owner has no data actions: secrets need a Key Vault role on the vault. True lets Owner in.
        self.owner_reads_secrets = False
        self.init_authorization()
        self.init_keyvault()
        self.init_web()
        self.init_logs()
        self.add_identity_routes()
        self.add_arm_routes()
        self.add_authorization_routes()
        self.add_storage_routes()
        self.add_keyvault_routes()
        self.add_monitor_routes()
        self.add_web_routes()
        self.add_log_routes()
        self.add_operation_routes()

    @property
    def state(self) -> "AzureFake":
        """The fake itself is the state: .resources, .resource_groups, .role_assignments, .deleted_vaults, …"""
        return self

    def take_name(self, kind: str, name: str) -> None:
        """Make a global name taken by someone else: kind is "storage", "vault" or "site"."""
        self.taken[kind].add(name.lower())

    def reset_mutations(self) -> None:
        with self.lock:
            self.mutations.clear()

    def new_principal(self, kind: str = "ServicePrincipal") -> str:
        """A new identity (a managed identity): role assignments naming it fail PrincipalNotFound at first."""
        oid = str(uuid.uuid4())
        self.principals[oid] = {"type": kind, "pending": self.principal_not_found_attempts}
        return oid
