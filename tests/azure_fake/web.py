"""Microsoft.Web (api 2025-05-01): name checks, geoRegions, plans (serverfarms), function apps (sites), app settings,
keys, sync triggers and the function listing. Flex Consumption (FC1) and Linux Consumption (Y1) rules follow the
WebApps spec (FunctionAppConfig: deployment.storage, runtime, scaleAndConcurrency) and the platform's documented
app-setting rules. Sites' SCM and host live in functions.py."""

from __future__ import annotations

import re
import secrets

from .arm import LOCATIONS
from .functions import Functions
from .server import ArmError, Request, Response

NS = "Microsoft.Web"
PLAN = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/serverfarms/{name}"
SITE = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{name}"
SITE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,58}[A-Za-z0-9])?$")
FLEX_FORBIDDEN = ("FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE",
                  "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE", "SCM_DO_BUILD_DURING_DEPLOYMENT",
                  "ENABLE_ORYX_BUILD")
PLAN_SKUS = {"FC1": "FlexConsumption", "Y1": "Dynamic", "EP1": "ElasticPremium", "B1": "Basic", "S1": "Standard",
             "P1v3": "PremiumV3"}
PYTHON_VERSIONS = {"3.10", "3.11", "3.12", "3.13"}
FLEX_MEMORY = {512, 2048, 4096}


def web_error(message: str, status: int = 400, code: str = "BadRequest") -> ArmError:
    """App Service answers errors in its own shape (capitalised keys, no ARM "error" object): azure-core then finds
    no error code (HttpResponseError.error is None) and the text is only in str(exc)'s Content, as on Azure."""
    body = {"Code": code, "Message": message, "Target": None,
            "Details": [{"Message": message}, {"Code": code}, {"ErrorEntity": {"ExtendedCode": "51021",
                                                                              "Code": code, "Message": message}}],
            "Innererror": None}
    return ArmError(status, code, message, body=body)


class Web(Functions):
    def init_web(self) -> None:
        self.app_settings: dict[str, dict] = {}     # site id (lower) -> settings
        self.site_keys: dict[str, dict] = {}        # site id (lower) -> {"master", "default", "functions"}
        self.init_functions()

    def add_web_routes(self) -> None:
        r = self.route
        r("POST", "/subscriptions/{sub}/providers/Microsoft.Web/checknameavailability", self._site_name, api=NS,
          mutating=False)
        r("GET", "/subscriptions/{sub}/providers/Microsoft.Web/geoRegions", self._geo_regions, api=NS)
        r("PUT", PLAN, self._put_plan, api=NS)
        r("GET", PLAN, self._get_plan, api=NS)
        r("DELETE", PLAN, self._delete_plan, api=NS)
        r("PUT", SITE, self._put_site, api=NS)
        r("GET", SITE, self._get_site, api=NS)
        r("PATCH", SITE, self._patch_site, api=NS)
        r("DELETE", SITE, self._delete_site, api=NS)
        r("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/serverfarms",
          lambda q: self._list_type(q, "Microsoft.Web/serverfarms"), api=NS)
        r("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites",
          lambda q: self._list_type(q, "Microsoft.Web/sites"), api=NS)
        r("GET", SITE + "/config/web", self._get_site_config, api=NS)
        r("PUT", SITE + "/config/web", self._put_site_config, api=NS)
        r("PATCH", SITE + "/config/web", self._put_site_config, api=NS)
        r("PUT", SITE + "/config/appsettings", self._put_settings, api=NS)
        r("POST", SITE + "/config/appsettings/list", self._list_settings, api=NS, mutating=False)
        r("POST", SITE + "/syncfunctiontriggers", self._sync_triggers, api=NS, mutating=True)
        r("POST", SITE + "/host/default/listkeys", self._host_keys, api=NS, mutating=False)
        r("POST", SITE + "/functions/{fn}/listkeys", self._function_keys, api=NS, mutating=False)
        r("GET", SITE + "/functions", self._list_functions, api=NS)
        self.add_function_routes()

    def _list_type(self, request: Request, kind: str) -> Response:
        prefix = f"/subscriptions/{request.params['sub']}/resourcegroups/{request.params['rg']}/".lower()
        return Response(200, {"value": [r for r in self.tracked() if r["type"] == kind
                                        and r["id"].lower().startswith(prefix)], "nextLink": None})

    def _check_site_config(self, plan: dict, config: dict) -> None:
        if plan["sku"]["tier"] == "FlexConsumption":
            for name in ("linuxFxVersion", "use32BitWorkerProcess", "javaVersion", "pythonVersion", "alwaysOn"):
                if config.get(name):
                    raise web_error(f"The following site configuration property (Site.SiteConfig.{name[0].upper()}"
                                    f"{name[1:]}) for Flex Consumption sites is invalid. Please remove or rename it "
                                    "before retrying.")

    def _get_site_config(self, request: Request) -> Response:
        site = self._site(request)
        return Response(200, {"id": site["id"] + "/config/web", "name": "web", "type": "Microsoft.Web/sites/config",
                              "location": site["location"], "properties": site["properties"]["siteConfig"]})

    def _put_site_config(self, request: Request) -> Response:
        site, props = self._site(request), request.json().get("properties") or {}
        self._check_site_config(self.plan_of(site), props)
        if props.get("appSettings"):
            raise web_error("Use config/appsettings to change app settings.")
        site["properties"]["siteConfig"].update({k: v for k, v in props.items() if k != "appSettings"})
        return self._get_site_config(request)

    # -- names and regions ------------------------------------------------------------------------------------------
    def site_named(self, name: str) -> dict | None:
        return next((r for r in self.tracked() if r["type"] == "Microsoft.Web/sites"
                     and r["name"].lower() == name.lower()), None)

    def _site_name(self, request: Request) -> Response:
        body = request.json()
        if not body.get("name") or body.get("type") not in ("Site", "Microsoft.Web/sites", "Slot", "ServerFarm"):
            raise web_error("The request must name 'name' and a resource 'type' such as 'Site'.")
        name = body["name"]
        if not SITE_NAME.match(name):
            return Response(200, {"nameAvailable": False, "reason": "Invalid",
                                  "message": f"The name '{name}' is not a valid site name: 2-60 letters, digits and "
                                             "hyphens, not starting or ending with a hyphen."})
        if name.lower() in self.taken["site"] or self.site_named(name):
            return Response(200, {"nameAvailable": False, "reason": "AlreadyExists",
                                  "message": f"Hostname '{name}' already exists. Please select a different name."})
        return Response(200, {"nameAvailable": True})

    def _geo_regions(self, request: Request) -> Response:
        sku = request.query.get("sku", "")
        names = self.flex_locations if sku == "FlexConsumption" else list(LOCATIONS)
        sub = request.params["sub"]
        return Response(200, {"value": [
            {"id": f"/subscriptions/{sub}/providers/Microsoft.Web/geoRegions/{LOCATIONS[n]}", "name": LOCATIONS[n],
             "type": "Microsoft.Web/geoRegions", "properties": {"name": LOCATIONS[n], "displayName": LOCATIONS[n],
                                                                 "orgDomain": "PUBLIC;FUNCTIONS;DYNAMIC;LINUX;"
                                                                              + ("FLEXCONSUMPTION;" if n in
                                                                                 self.flex_locations else "")}}
            for n in names if n in LOCATIONS], "nextLink": None})

    # -- plans ------------------------------------------------------------------------------------------------------
    def _put_plan(self, request: Request) -> Response:
        name, body = request.params["name"], request.json()
        location = (body.get("location") or "").replace(" ", "").lower()
        if not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        sku = body.get("sku") or {}
        if sku.get("name") not in PLAN_SKUS:
            raise web_error(f"The parameter 'sku' is required and must name a pricing tier, not '{sku.get('name')}'.")
        tier = sku.get("tier") or PLAN_SKUS[sku["name"]]
        if tier != PLAN_SKUS[sku["name"]]:
            raise web_error(f"The pricing tier '{sku['name']}' does not belong to tier '{tier}'.")
        props = body.get("properties") or {}
        if tier == "FlexConsumption":
            if location not in self.flex_locations:
                raise web_error("Requested features are not supported in region. Please try another region.")
            if not props.get("reserved"):
                raise web_error("Flex Consumption plans are Linux only: properties.reserved must be true.")
        resource_id = self.resource_id(request, NS, "serverfarms")
        existing = self.find(resource_id)
        if existing and existing["sku"]["tier"] != tier and existing["properties"]["numberOfSites"]:
            raise web_error(f"Cannot change the plan '{name}' from {existing['sku']['tier']} to {tier} while it "
                            "hosts sites.", 409, "Conflict")
        plan = {"id": resource_id, "name": name, "type": "Microsoft.Web/serverfarms", "location": location,
                "kind": body.get("kind") or ("functionapp" if tier in ("FlexConsumption", "Dynamic") else "app"),
                "tags": body.get("tags") or {}, "sku": {"name": sku["name"], "tier": tier, "size": sku["name"],
                                                         "family": sku["name"].rstrip("0123456789v"), "capacity": 0},
                "properties": {"reserved": bool(props.get("reserved")), "status": "Ready",
                               "provisioningState": "Succeeded", "numberOfSites": existing["properties"][
                                   "numberOfSites"] if existing else 0,
                               "maximumElasticWorkerCount": props.get("maximumElasticWorkerCount", 1)}}
        self.put_resource(plan)
        if existing:
            return Response(200, plan)
        return Response(202, None, self.lro_headers(NS, location, lambda: plan))

    def _get_plan(self, request: Request) -> Response:
        return Response(200, self.get(self.resource_id(request, NS, "serverfarms")))

    def _delete_plan(self, request: Request) -> Response:
        plan = self.find(self.resource_id(request, NS, "serverfarms"))
        if plan is None:
            return Response(204)
        if plan["properties"]["numberOfSites"]:
            raise web_error(f"Server farm '{plan['name']}' cannot be deleted because it has web app(s) assigned "
                            "to it.", 409, "Conflict")
        self.drop(plan["id"])
        return Response(200)

    # -- sites ------------------------------------------------------------------------------------------------------
    def _site(self, request: Request) -> dict:
        return self.get(self.resource_id(request, NS, "sites"))

    def plan_of(self, site: dict) -> dict:
        return self.get(site["properties"]["serverFarmId"])

    def check_settings(self, plan: dict, settings: dict, site: dict | None = None) -> None:
        tier = plan["sku"]["tier"]
        if tier == "FlexConsumption":
            for name in settings:
                if name.upper() in FLEX_FORBIDDEN:
                    raise web_error(f"The following app setting (Site.SiteConfig.AppSettings.{name}) for Flex "
                                    "Consumption sites is invalid. Please remove or rename it before retrying.")
        elif tier == "Dynamic" and plan["properties"]["reserved"]:
            wanted = {"FUNCTIONS_WORKER_RUNTIME": "python", "FUNCTIONS_EXTENSION_VERSION": "~4"}
            for name, value in wanted.items():
                if settings.get(name) != value:
                    raise web_error(f"A Linux Consumption Python function app needs the app setting {name}={value} "
                                    f"(found {settings.get(name)!r}).")
            if not settings.get("AzureWebJobsStorage"):
                raise web_error("A Consumption function app needs the app setting AzureWebJobsStorage.")

    def check_flex_config(self, config: dict | None, settings: dict) -> None:
        if not isinstance(config, dict):
            raise web_error("properties.functionAppConfig is invalid.  The requested ServerFarm is configured for "
                            "FlexConsumption.  But FunctionAppConfig is not included in the site create request. "
                            "FunctionAppConfig is required on create for FlexConsumption sites")
        storage = (config.get("deployment") or {}).get("storage") or {}
        if storage.get("type") != "blobContainer" or not re.match(r"^https://[^/]+/.+", storage.get("value") or ""):
            raise web_error("properties.functionAppConfig.deployment.storage is invalid: type 'blobContainer' and "
                            "value, the https URL of a blob container, are required.")
        auth = storage.get("authentication") or {}
        if auth.get("type") not in ("SystemAssignedIdentity", "UserAssignedIdentity",
                                    "StorageAccountConnectionString"):
            raise web_error("properties.functionAppConfig.deployment.storage.authentication.type must be "
                            "SystemAssignedIdentity, UserAssignedIdentity or StorageAccountConnectionString.")
        if auth["type"] == "StorageAccountConnectionString" and auth.get("storageAccountConnectionStringName") \
                not in settings:
            raise web_error("storageAccountConnectionStringName must name an app setting of the site.")
        runtime = config.get("runtime") or {}
        if runtime.get("name") != "python" or runtime.get("version") not in PYTHON_VERSIONS:
            raise web_error(f"properties.functionAppConfig.runtime is invalid: name 'python' and a version in "
                            f"{sorted(PYTHON_VERSIONS)} are required (got {runtime}).")
        scale = config.get("scaleAndConcurrency") or {}
        if scale.get("instanceMemoryMB") not in FLEX_MEMORY:
            raise web_error(f"properties.functionAppConfig.scaleAndConcurrency.instanceMemoryMB must be one of "
                            f"{sorted(FLEX_MEMORY)} (got {scale.get('instanceMemoryMB')}).")
        count = scale.get("maximumInstanceCount")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1000:
            raise web_error(f"properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount must be between "
                            f"1 and 1000 (got {count}).")

    def _identity(self, wanted: dict | None, existing: dict | None) -> dict | None:
        kind = (wanted or {}).get("type", "None")
        if kind in (None, "None"):
            return None
        if kind not in ("SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned"):
            raise web_error(f"The identity type '{kind}' is not valid.")
        if "SystemAssigned" in kind:
            principal = (existing or {}).get("principalId") or self.new_principal()
            return {"type": kind, "principalId": principal, "tenantId": self.tenant_id}
        return {"type": kind}

    def _put_site(self, request: Request) -> Response:
        name, body = request.params["name"], request.json()
        if not SITE_NAME.match(name):
            raise web_error(f"The site name '{name}' is invalid: 2-60 letters, digits and hyphens.")
        location = (body.get("location") or "").replace(" ", "").lower()
        if not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        props = body.get("properties") or {}
        resource_id = self.resource_id(request, NS, "sites")
        existing = self.find(resource_id)
        if not existing and (name.lower() in self.taken["site"] or self.site_named(name)):
            raise web_error(f"Website with given name {name} already exists.", 409, "Conflict")
        plan = self.find(props.get("serverFarmId") or "")
        if plan is None or plan["type"] != "Microsoft.Web/serverfarms":
            raise web_error(f"The server farm '{props.get('serverFarmId')}' was not found.", 404, "NotFound")
        if plan["location"] != location:
            raise web_error(f"The site location '{location}' must match the plan's '{plan['location']}'.")
        if "functionapp" not in (body.get("kind") or ""):
            raise web_error("kind must include 'functionapp' for a function app.")
        site_config = dict(props.get("siteConfig") or {})
        settings = {s["name"]: s.get("value") for s in site_config.pop("appSettings", None) or []}
        if not existing or "appSettings" in (props.get("siteConfig") or {}):
            self.check_settings(plan, settings)
        flex = plan["sku"]["tier"] == "FlexConsumption"
        self._check_site_config(plan, site_config)
        config = props.get("functionAppConfig")
        if flex:
            self.check_flex_config(config or (existing or {}).get("properties", {}).get("functionAppConfig"),
                                   settings)
        elif config:
            raise web_error("properties.functionAppConfig is only supported on Flex Consumption sites.")
        elif plan["properties"]["reserved"] and not re.fullmatch(r"(?i)python\|3\.\d+",
                                                                 site_config.get("linuxFxVersion") or ""):
            raise web_error("A Linux Consumption Python app needs siteConfig.linuxFxVersion 'Python|3.x'.")
        host = f"127.0.0.1:{self.port}/hosts/{name}"
        identity = self._identity(body.get("identity"), (existing or {}).get("identity"))
        site = {"id": resource_id, "name": name, "type": "Microsoft.Web/sites", "kind": body["kind"],
                "location": location, "tags": body.get("tags") or {},
                "properties": {"state": "Running", "enabled": True, "hostNames": [host], "defaultHostName": host,
                               "hostNameSslStates": [
                                   {"name": host, "sslState": "Disabled", "hostType": "Standard"},
                                   {"name": f"127.0.0.1:{self.port}/scm/{name}", "sslState": "Disabled",
                                    "hostType": "Repository"}],
                               "serverFarmId": plan["id"], "reserved": plan["properties"]["reserved"],
                               "httpsOnly": bool(props.get("httpsOnly", False)),
                               "siteConfig": {**site_config, "appSettings": None},
                               "functionAppConfig": config if flex else None, "usageState": "Normal",
                               "availabilityState": "Normal", "clientAffinityEnabled": False,
                               "publicNetworkAccess": props.get("publicNetworkAccess")}}
        if identity:
            site["identity"] = identity
            self.msi_apps[name.lower()] = {"principal": identity.get("principalId"),
                                           "header": secrets.token_urlsafe(16)}
        self.put_resource(site)
        if not existing:
            plan["properties"]["numberOfSites"] += 1
            self.site_keys[resource_id.lower()] = {"master": secrets.token_urlsafe(30),
                                                   "default": secrets.token_urlsafe(30), "functions": {}}
        if settings or not existing:
            self.app_settings[resource_id.lower()] = settings
        if existing:
            return Response(200, site)
        return Response(202, None, self.lro_headers(NS, location))

    def _get_site(self, request: Request) -> Response:
        return Response(200, self._site(request))

    def _patch_site(self, request: Request) -> Response:
        site, body = self._site(request), request.json()
        if "tags" in body:
            site["tags"] = body["tags"] or {}
        if "identity" in body:
            identity = self._identity(body["identity"], site.get("identity"))
            site.pop("identity", None)
            if identity:
                site["identity"] = identity
        props = body.get("properties") or {}
        if "functionAppConfig" in props:
            if self.plan_of(site)["sku"]["tier"] != "FlexConsumption":
                raise web_error("properties.functionAppConfig is only supported on Flex Consumption sites.")
            self.check_flex_config(props["functionAppConfig"], self.app_settings[site["id"].lower()])
            site["properties"]["functionAppConfig"] = props["functionAppConfig"]
        for key in ("httpsOnly", "enabled", "publicNetworkAccess"):
            if key in props:
                site["properties"][key] = props[key]
        if "appSettings" in (props.get("siteConfig") or {}):
            raise web_error("Use config/appsettings to change app settings.")
        self._check_site_config(self.plan_of(site), props.get("siteConfig") or {})
        site["properties"]["siteConfig"].update(props.get("siteConfig") or {})
        return Response(200, site)

    def _delete_site(self, request: Request) -> Response:
        site = self.find(self.resource_id(request, NS, "sites"))
        if site is None:
            return Response(204)
        plan = self.find(site["properties"]["serverFarmId"])
        if plan:
            plan["properties"]["numberOfSites"] -= 1
        self.drop(site["id"])
        for store in (self.app_settings, self.site_keys, self.packages, self.functions, self.host_errors):
            store.pop(site["id"].lower(), None)
        self.msi_apps.pop(site["name"].lower(), None)
        return Response(200)

    def _put_settings(self, request: Request) -> Response:
        site = self._site(request)
        settings = request.json().get("properties")
        if not isinstance(settings, dict) or not all(isinstance(v, str) for v in settings.values()):
            raise web_error("properties must map each app setting name to a string value.")
        self.check_settings(self.plan_of(site), settings)
        self.app_settings[site["id"].lower()] = dict(settings)
        return Response(200, self._settings_body(site))

    def _settings_body(self, site: dict) -> dict:
        return {"id": site["id"] + "/config/appsettings", "name": "appsettings", "type": "Microsoft.Web/sites/config",
                "location": site["location"], "properties": dict(self.app_settings[site["id"].lower()])}

    def _list_settings(self, request: Request) -> Response:
        return Response(200, self._settings_body(self._site(request)))

    def _host_keys(self, request: Request) -> Response:
        keys = self.site_keys[self._site(request)["id"].lower()]
        return Response(200, {"masterKey": keys["master"], "functionKeys": {"default": keys["default"]},
                              "systemKeys": {}})

    def _function_keys(self, request: Request) -> Response:
        site = self._site(request)
        if request.params["fn"] not in [f["name"] for f in self.functions.get(site["id"].lower(), [])]:
            raise web_error(f"Function '{request.params['fn']}' not found.", 404, "NotFound")
        keys = self.site_keys[site["id"].lower()]
        return Response(200, {"default": keys["functions"].setdefault(request.params["fn"], keys["default"])})

    def _list_functions(self, request: Request) -> Response:
        site = self._site(request)
        host = site["properties"]["defaultHostName"]
        value = []
        for fn in self.functions.get(site["id"].lower(), []):
            trigger = next((b for b in fn["bindings"] if b.get("type", "").endswith("Trigger")), {})
            item = {"id": f"{site['id']}/functions/{fn['name']}", "name": f"{site['name']}/{fn['name']}",
                    "type": "Microsoft.Web/sites/functions", "location": site["location"],
                    "properties": {"name": fn["name"], "language": "python", "config": {"bindings": fn["bindings"]},
                                   "isDisabled": self.app_settings[site["id"].lower()].get(
                                       f"AzureWebJobs.{fn['name']}.Disabled", "false").lower() == "true"}}
            if trigger.get("type") == "httpTrigger":
                item["properties"]["invoke_url_template"] = f"https://{host}/api/{trigger.get('route') or fn['name']}"
            value.append(item)
        return Response(200, {"value": value, "nextLink": None})

    def _sync_triggers(self, request: Request) -> Response:
        site = self._site(request)
        if self.plan_of(site)["sku"]["tier"] != "FlexConsumption":
            self.load_run_from_package(site)
        return Response(204)
