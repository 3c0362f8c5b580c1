"""The hosting plan, the function app (Linux, Python, a system-assigned identity, its app settings, tagged) and the
role assignments that let its identity reach its own storage account and read its own vault's secrets.

Flex Consumption (FC1) by default: runtime, scale and package location live in `functionAppConfig`, and the
settings Flex forbids (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, content
share) are never set; AzureWebJobsStorage is identity-based. Linux Consumption (Y1) on request: the connection
string from the account's keys, the content share, the worker runtime and extension version.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from botship import paper
from botship.errors import BadInput, BotshipError
from botship.spec import DeploySpec

from ..plan import Action, Step
from .clients import AzureClients
# The pause switch (either spelling) and the schedule as the spec writes it (a site tag), as the cloud reads them.
from .cloud import PAUSE_SETTINGS, SCHEDULE_TAG
from .group import (
    Converged,
    Deployer,
    Grant,
    RoleAssignments,
    merged_tags,
    read,
    read_at_subscription,
    refuse_if_taken,
    writing,
)
from .names import AzureNames, tags_match

FLEX, CONSUMPTION = "flex", "consumption"
PLAN_SKUS = {FLEX: {"name": "FC1", "tier": "FlexConsumption"}, CONSUMPTION: {"name": "Y1", "tier": "Dynamic"}}
CONSUMPTION_RETIRES = "2028-09-30"
# The smallest maximum instance count Flex Consumption takes (functionAppConfig.scaleAndConcurrency: 1–1000; it was
# 40 in the plan's preview): one run at a time is kept by the timer's singleton and the runtime's blob lease, so the
# app needs no more.
FLEX_MIN_INSTANCES = 1
SITE_KIND = "functionapp,linux"
MIN_TLS = "1.2"
FTPS = "Disabled"
CODE_TAG, CONFIG_TAG = "botship:code", "botship:config"
# App settings another step owns: the publish step (Consumption's package URL), pause/resume (PAUSE_SETTINGS).
RUN_FROM_PACKAGE = "WEBSITE_RUN_FROM_PACKAGE"
STORAGE_ROLE, VAULT_ROLE, DEPLOYER_STORAGE_ROLE = ("Storage Blob Data Owner", "Key Vault Secrets User",
                                                   "Storage Blob Data Contributor")


def schedule_settings(spec: DeploySpec) -> dict[str, str]:
    """The timer's app settings (BOTSHIP_SCHEDULE, BOTSHIP_TIMEZONE, and BOTSHIP_LOCAL_SCHEDULE when a firing may
    be one to skip), from the NCRONTAB translation; none without a schedule."""
    if not spec.schedule:
        return {}
    from .ncrontab import translate

    return dict(translate(spec.schedule, spec.timezone).app_settings())


def schedule_description(spec: DeploySpec) -> str:
    if not spec.schedule:
        return ""
    from .ncrontab import translate

    return translate(spec.schedule, spec.timezone).describe()


def fingerprint(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


# ---- the hosting plan ------------------------------------------------------------------------------------------

class HostingPlan(Converged):
    step_id, title = "plan", "Hosting plan"

    def __init__(self, clients: AzureClients, names: AzureNames, tags: dict[str, str], plan: str) -> None:
        self.clients, self.names, self.tags, self.kind = clients, names, tags, plan
        self.name = names.plan

    @property
    def api(self):
        return self.clients.web.app_service_plans

    def read(self) -> Any | None:
        return read(lambda: self.api.get(self.names.resource_group, self.name), f"reading plan {self.name}")

    def _sku_of(self, found: Any) -> str | None:
        return found.sku.name if found.sku else None

    def check_switch(self, found: Any) -> None:
        wanted = PLAN_SKUS[self.kind]["name"]
        if self._sku_of(found) not in (None, wanted):
            other = CONSUMPTION if self._sku_of(found) == "Y1" else FLEX
            raise BadInput(f"azure.plan = \"{self.kind}\", but {self.names.function_app} runs on the {other} plan",
                           "Azure cannot move a function app between Flex Consumption and Consumption",
                           f"`botship destroy` the bot first (its state is kept), then deploy on {self.kind}; or set "
                           f"azure.plan = \"{other}\"")

    def check_location(self) -> None:
        """Flex Consumption is not offered in every location: ask, before creating anything of the plan."""
        if self.kind != FLEX:
            return
        regions = read_at_subscription(lambda: list(self.clients.web.list_geo_regions(sku="FlexConsumption")),
                       "listing where Flex Consumption is offered")
        if regions is None:
            return
        offered = sorted({(r.name or "").replace(" ", "").lower() for r in regions} - {""})
        if offered and self.names.location.replace(" ", "").lower() not in offered:
            raise BadInput(f"azure.location: Flex Consumption is not offered in {self.names.location}",
                           f"it is offered in {', '.join(offered[:12])}" + (" …" if len(offered) > 12 else ""),
                           "choose one of those locations (the wizard lists only those), or set azure.plan = "
                           f"\"consumption\" (Linux Consumption, retiring {CONSUMPTION_RETIRES})")

    def drift(self, found: Any) -> list[str]:
        return (["Linux"] if found.reserved is not True else []) + super().drift(found)

    def check(self, found: Any | None) -> None:
        if found is None:
            self.check_location()
        else:
            self.check_switch(found)

    def create_detail(self) -> str:
        sku = PLAN_SKUS[self.kind]
        return (f"Flex Consumption ({sku['name']})" if self.kind == FLEX else
                f"Linux Consumption ({sku['name']}), retiring {CONSUMPTION_RETIRES}")

    def write(self, found: Any | None) -> Any:
        return self.api.begin_create_or_update(self.names.resource_group, self.name, {
            "location": self.names.location, "kind": "functionapp", "sku": PLAN_SKUS[self.kind],
            "tags": merged_tags(found.tags if found else None, self.tags), "properties": {"reserved": True}}).result()

    def written(self) -> str:
        return f"hosting plan {self.name} ({PLAN_SKUS[self.kind]['tier']})"


# ---- the function app ----------------------------------------------------------------------------------------

def scm_host(site: Any) -> str | None:
    """The SCM (Kudu) host of a site: its Repository host name."""
    for state in site.host_name_ssl_states or []:
        if (state.host_type or "").lower() == "repository":
            return state.name
    return None


class FunctionApp:
    """The site, its configuration and its app settings, converged together; `upstream` are the outputs of the
    steps it depends on (storage, vault, secrets, insights) as far as they are known."""

    def __init__(self, clients: AzureClients, names: AzureNames, spec: DeploySpec, tags: dict[str, str], plan: str,
                 secret_names: list[str]) -> None:
        self.clients, self.names, self.spec, self.tags, self.kind = clients, names, spec, tags, plan
        self.secret_names = secret_names
        self.name = names.function_app
        self._account_key: str | None = None
        self.last: dict[str, Any] | None = None  # what the last read found (planning reads once)

    @property
    def api(self):
        return self.clients.web.web_apps

    # ---- what is there -------------------------------------------------------------------------------------

    def read(self) -> dict[str, Any] | None:
        rg, name = self.names.resource_group, self.name
        site = read(lambda: self.api.get(rg, name), f"reading function app {name}")
        if site is None:
            return None
        settings = read(lambda: self.api.list_application_settings(rg, name), f"reading the settings of {name}")
        return {"site": site, "config": site.site_config,
                "settings": dict((settings.properties if settings else None) or {})}

    # ---- what should be there --------------------------------------------------------------------------------

    def account_key(self) -> str:
        """The storage account's key (Consumption's connection string needs it), read once."""
        if self._account_key is None:
            keys = read(lambda: self.clients.storage.storage_accounts.list_keys(
                self.names.resource_group, self.names.storage_account), "reading the storage account's keys")
            listed = (keys.get("keys") if keys is not None else None) or []  # (`.keys` is the mapping's method)
            if not listed:
                raise BotshipError(f"storage account {self.names.storage_account} gave no keys",
                                   "Linux Consumption connects to its storage with a key",
                                   "check that shared-key access is on for it, then re-run")
            self._account_key = listed[0]["value"]
        return self._account_key

    def connection_string(self, storage: dict[str, Any]) -> str:
        parts = ["DefaultEndpointsProtocol=https", f"AccountName={self.names.storage_account}",
                 f"AccountKey={self.account_key()}"]
        for service, key in (("Blob", "blob"), ("Queue", "queue"), ("Table", "table"), ("File", "file")):
            if storage.get(key):
                parts.append(f"{service}Endpoint={storage[key]}")
        return ";".join(parts)

    def settings(self, up: dict[str, dict[str, Any]], current: dict[str, str]) -> dict[str, str] | None:
        """Every app setting the app should have, or None while an upstream value is not known yet."""
        storage, insights, secrets = up.get("storage") or {}, up.get("insights") or {}, up.get("secrets") or {}
        if not storage.get("blob") or not insights.get("connection_string"):
            return None
        if self.secret_names and not secrets.get("uris"):
            return None
        spec = self.spec
        wanted: dict[str, str] = {**spec.env, **paper.runtime_env(spec)}
        wanted.update({"BOTSHIP_ENTRY": spec.entry, "BOTSHIP_MODE": spec.mode, "BOTSHIP_BOT_NAME": spec.bot_name,
                       "BOTSHIP_STATE_URL": self.names.state_url(spec.mode),
                       "APPLICATIONINSIGHTS_CONNECTION_STRING": insights["connection_string"]})
        for variable in self.secret_names:
            wanted[variable] = f"@Microsoft.KeyVault(SecretUri={secrets['uris'][variable]})"
        if self.secret_names:
            from .vault import secrets_fingerprint

            # Names only: the runtime masks these variables' values in its log lines and run records.
            wanted["BOTSHIP_SECRET_NAMES"] = ",".join(sorted(self.secret_names))
            versions = secrets.get("versions")
            # (planning, before new values are written: their versions are not known, only that they change)
            wanted["BOTSHIP_SECRETS_VERSION"] = secrets_fingerprint(versions) if versions is not None else "(new)"
        if self.kind == FLEX:
            # Identity-based, by the account's own service endpoints (right in every cloud, sovereign or custom).
            wanted.update({f"AzureWebJobsStorage__{service}ServiceUri": storage[service]
                           for service in ("blob", "queue", "table") if storage.get(service)})
        else:
            connection = self.connection_string(storage)
            wanted.update({"AzureWebJobsStorage": connection, "FUNCTIONS_WORKER_RUNTIME": "python",
                           "FUNCTIONS_EXTENSION_VERSION": "~4", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING": connection,
                           "WEBSITE_CONTENTSHARE": self.name.lower()[:63]})
            if current.get(RUN_FROM_PACKAGE):
                wanted[RUN_FROM_PACKAGE] = current[RUN_FROM_PACKAGE]
        wanted.update(schedule_settings(spec))
        if spec.schedule:
            # A paused bot stays paused: the switch pause/resume set is kept as it is.
            wanted.update({key: value for key, value in current.items() if key in PAUSE_SETTINGS})
        return wanted

    def config_hash(self, settings: dict[str, str]) -> str:
        recorded = {k: v for k, v in settings.items() if k != RUN_FROM_PACKAGE and k not in PAUSE_SETTINGS}
        return fingerprint({"settings": recorded, "app": self.app_config({})})

    def app_config(self, storage: dict[str, Any]) -> dict[str, Any] | None:
        """Flex's functionAppConfig (None on Consumption)."""
        if self.kind != FLEX:
            return None
        blob = storage.get("blob") or ""
        return {"deployment": {"storage": {"type": "blobContainer",
                                           "value": f"{blob.rstrip('/')}/{self.names.packages_container}",
                                           "authentication": {"type": "SystemAssignedIdentity"}}},
                "runtime": {"name": "python", "version": self.spec.python},
                "scaleAndConcurrency": {"maximumInstanceCount": FLEX_MIN_INSTANCES,
                                        "instanceMemoryMB": self.spec.memory_mb}}

    def site_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"minTlsVersion": MIN_TLS, "ftpsState": FTPS}
        if self.kind != FLEX:
            config["linuxFxVersion"] = f"Python|{self.spec.python}"
        return config

    def wanted_tags(self, settings: dict[str, str], code: str | None) -> dict[str, str]:
        tags = {**self.tags, CONFIG_TAG: self.config_hash(settings)}
        if code:
            tags[CODE_TAG] = code
        if self.spec.schedule:
            tags[SCHEDULE_TAG] = self.spec.schedule
        return tags

    def tags_drift(self, stored: dict[str, str] | None, wanted: dict[str, str]) -> bool:
        stored = stored or {}
        return not tags_match(stored, wanted) or (not self.spec.schedule and SCHEDULE_TAG in stored)

    def site_tags(self, stored: dict[str, str] | None, wanted: dict[str, str]) -> dict[str, str]:
        """The site's tags once written: its own kept, ours set, a schedule tag the spec no longer has dropped."""
        tags = merged_tags(stored, wanted)
        if not self.spec.schedule:
            tags.pop(SCHEDULE_TAG, None)
        return tags

    # ---- comparing -----------------------------------------------------------------------------------------

    def site_drift(self, current: dict[str, Any], storage: dict[str, Any]) -> list[str]:
        site, config = current["site"], current["config"]
        drift = []
        if (site.server_farm_id or "").lower() != self.names.plan_id.lower():
            drift.append("plan")
        if site.https_only is not True:
            drift.append("HTTPS only")
        if "systemassigned" not in ((site.identity.type if site.identity else "") or "").lower().replace(" ", ""):
            drift.append("managed identity")
        if self.kind == FLEX and storage.get("blob"):
            if _comparable(site.function_app_config) != _comparable(self.app_config(storage)):
                drift.append("runtime and scale")
        if config is not None:  # what the site's read shows of its configuration (a value it leaves out is not drift)
            if (config.min_tls_version or MIN_TLS) != MIN_TLS or (config.ftps_state or FTPS) != FTPS:
                drift.append("TLS and FTPS")
            if self.kind != FLEX and config.linux_fx_version is not None and \
                    config.linux_fx_version.lower() != f"python|{self.spec.python}":
                drift.append("runtime")
        return drift

    @staticmethod
    def settings_drift(current: dict[str, str], wanted: dict[str, str]) -> list[str]:
        """The names of the settings that differ (never their values)."""
        return sorted(k for k in set(current) | set(wanted) if current.get(k) != wanted.get(k))

    def check_available(self) -> None:
        """Function app names are global (they are host names)."""
        answer = read_at_subscription(
            lambda: self.clients.web.check_name_availability({"name": self.name, "type": "Site"}),
            f"checking the name {self.name}")
        refuse_if_taken("function app", self.name, answer)

    def step(self, up: dict[str, dict[str, Any]]) -> Step:
        current = self.read()
        self.last = current
        if current is None:
            self.check_available()
            detail = (f"Linux, Python {self.spec.python}, "
                      + (f"{self.spec.memory_mb} MB instances, at most {FLEX_MIN_INSTANCES} (Flex's least)"
                         if self.kind == FLEX else f"Linux Consumption (retiring {CONSUMPTION_RETIRES})")
                      + "; system-assigned identity; secrets as Key Vault references")
            return Step("app", "Function app", self.name, Action.CREATE, self.apply, detail=detail)
        drift = self.site_drift(current, up.get("storage") or {})
        wanted = self.settings(up, current["settings"])
        site = current["site"]
        if wanted is None:
            drift.append("settings (from the steps before)")
        else:
            changed = self.settings_drift(current["settings"], wanted)
            secret_change = [k for k in changed if k == "BOTSHIP_SECRETS_VERSION"]
            changed = [k for k in changed if k != "BOTSHIP_SECRETS_VERSION"]
            if changed:
                drift.append("settings: " + ", ".join(changed[:6]) + (" …" if len(changed) > 6 else ""))
            if secret_change:
                drift.append("secret")
            tags = self.wanted_tags(wanted, (site.tags or {}).get(CODE_TAG))
            if changed or secret_change:
                tags.pop(CONFIG_TAG)  # the record of the settings follows them: not a change of its own
            if self.tags_drift(site.tags, tags):
                drift.append("tags")
        outputs = self.outputs(site)
        return Step("app", "Function app", self.name, Action.UPDATE if drift else Action.NO_CHANGE, self.apply,
                    detail=("update: " + ", ".join(drift)) if drift else "", outputs=outputs)

    @staticmethod
    def outputs(site: Any) -> dict[str, Any]:
        return {"id": site.id, "principal_id": site.identity.principal_id if site.identity else None,
                "default_host": site.default_host_name, "scm_host": scm_host(site),
                "code": (site.tags or {}).get(CODE_TAG)}

    # ---- converging ----------------------------------------------------------------------------------------

    def apply(self, ctx) -> dict[str, Any]:
        up = dict(ctx.outputs)
        current = self.read()
        storage = up.get("storage") or {}
        wanted = self.settings(up, current["settings"] if current else {})
        if wanted is None:
            raise BotshipError("the function app's settings are not known", "an earlier step gave no outputs",
                               "re-run the deploy; it is safe")
        with writing(f"deploying function app {self.name}"):
            if current is None:
                ctx.log(f"creating function app {self.name}")
                site = self.put(wanted, self.wanted_tags(wanted, None), storage)
                ctx.log(f"created function app {self.name} with {len(wanted)} settings")
                return self.outputs(site)
            site = current["site"]
            code = (site.tags or {}).get(CODE_TAG)
            tags = self.wanted_tags(wanted, code)
            site_drift = self.site_drift(current, storage)
            if site_drift or self.tags_drift(site.tags, tags):
                ctx.check_cancelled()
                site = self.put(wanted, self.site_tags(site.tags, tags), storage)
                ctx.log("updated: " + ", ".join(site_drift + ["tags"]))
            else:
                changed = self.settings_drift(current["settings"], wanted)
                if changed:
                    ctx.check_cancelled()
                    self.api.update_application_settings(self.names.resource_group, self.name,
                                                         {"properties": wanted})
                    ctx.log("settings updated: " + ", ".join(changed))
        return self.outputs(site)

    def put(self, settings: dict[str, str], tags: dict[str, str], storage: dict[str, Any]) -> Any:
        """The whole site in one PUT: plan, identity, configuration, settings and tags."""
        config = {**self.site_config(), "appSettings": [{"name": k, "value": v} for k, v in sorted(settings.items())]}
        properties: dict[str, Any] = {"serverFarmId": self.names.plan_id, "reserved": True, "httpsOnly": True,
                                      "siteConfig": config}
        if self.kind == FLEX:
            properties["functionAppConfig"] = self.app_config(storage)
        return self.api.begin_create_or_update(self.names.resource_group, self.name, {
            "location": self.names.location, "kind": SITE_KIND, "tags": tags, "identity": {"type": "SystemAssigned"},
            "properties": properties}).result()

    def record(self, code: str, storage: dict[str, Any], up: dict[str, dict[str, Any]], ctx) -> None:
        """Tag the site with the code it now runs (the publish step, once the host lists the functions)."""
        current = self.read()
        if current is None:
            raise BotshipError(f"function app {self.name} is gone", fix="re-run the deploy; it is safe")
        site = current["site"]
        if (site.tags or {}).get(CODE_TAG) == code:
            return
        settings = current["settings"]
        with writing(f"recording what {self.name} runs"):
            self.put(settings, merged_tags(site.tags, {CODE_TAG: code}), storage)
        ctx.log(f"recorded: code {code}")


def _comparable(config: Any) -> Any:
    """functionAppConfig as JSON with what botship sets, in one form for a read and a request."""
    if config is None:
        return None
    data = config if isinstance(config, dict) else config.as_dict()
    deployment = ((data.get("deployment") or {}).get("storage") or {})
    runtime = data.get("runtime") or {}
    scale = data.get("scaleAndConcurrency") or data.get("scale_and_concurrency") or {}
    auth = deployment.get("authentication") or {}
    return ((deployment.get("type") or "").lower(), (deployment.get("value") or "").rstrip("/").lower(),
            (auth.get("type") or "").lower(), (runtime.get("name") or "").lower(), str(runtime.get("version") or ""),
            scale.get("maximumInstanceCount", scale.get("maximum_instance_count")),
            scale.get("instanceMemoryMB", scale.get("instance_memory_mb")))


# ---- role assignments for the app's identity (and the deployer's data access) -----------------------------------

class AppRoles:
    """The app's identity: Storage Blob Data Owner on its own storage account (identity-based AzureWebJobsStorage and
    Flex's package container) and Key Vault Secrets User on its own vault. The deployer: Storage Blob Data
    Contributor on the bot's storage account (Consumption's package upload, reading the state with `botship state`)."""

    def __init__(self, clients: AzureClients, names: AzureNames, deployer: Deployer) -> None:
        self.clients, self.names, self.deployer = clients, names, deployer
        self.roles = RoleAssignments(clients, names.subscription_id)

    def grants(self, principal_id: str | None) -> list[Grant]:
        grants = [Grant(DEPLOYER_STORAGE_ROLE, self.deployer.principal_id, self.deployer.principal_type,
                        self.names.storage_id, "you (the deploying identity) on the storage account")]
        if principal_id:
            grants = [Grant(STORAGE_ROLE, principal_id, "ServicePrincipal", self.names.storage_id,
                            "the function app on its storage account"),
                      Grant(VAULT_ROLE, principal_id, "ServicePrincipal", self.names.vault_id,
                            "the function app on its key vault")] + grants
        return grants

    def step(self, app: dict[str, Any] | None) -> Step:
        principal = (app or {}).get("principal_id")
        if principal is None:
            return Step("roles", "Role assignments", self.names.function_app, Action.CREATE, self.apply,
                        detail=f"app: {STORAGE_ROLE} (storage), {VAULT_ROLE} (vault); you: {DEPLOYER_STORAGE_ROLE}")
        missing = [g for g in self.grants(principal) if self.roles.find(g) is None]
        return Step("roles", "Role assignments", self.names.function_app,
                    Action.UPDATE if missing else Action.NO_CHANGE, self.apply,
                    detail=", ".join(f"{g.role} for {g.describe}" for g in missing),
                    outputs={"made": False})

    def apply(self, ctx) -> dict[str, Any]:
        principal = (ctx.outputs.get("app") or {}).get("principal_id")
        if not principal:
            site = read(lambda: self.clients.web.web_apps.get(self.names.resource_group, self.names.function_app),
                        "reading the function app's identity")
            principal = site.identity.principal_id if site is not None and site.identity else None
        if not principal:
            raise BotshipError(f"function app {self.names.function_app} has no managed identity yet",
                               fix="re-run the deploy; it is safe")
        made = False
        for grant in self.grants(principal):
            made = self.roles.ensure(grant, ctx) or made
        if made:
            ctx.log("Azure applies new role assignments within a few minutes; the steps after this one retry "
                    "while it does")
        return {"made": made}
