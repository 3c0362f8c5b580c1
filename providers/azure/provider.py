"""The Azure Functions provider: plans a bot's resources from what exists, in dependency order — resource group,
storage account, key vault and its secrets, logs, hosting plan, function app, its role assignments, the package.

It plans for one spec; its cloud (providers/azure/cloud.py) is the sign-in, subscription, resource group and
location, and opens a handle on a deployed bot. Every step reads before it writes: an unchanged re-run plans no
change and makes no mutating call, and a re-run after any interruption converges.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from importlib.metadata import version
from botship import paper
from botship.errors import BotshipError
from botship.masking import MIN_SECRET_LENGTH, Masker

from ..artifact import build_artifact
from ..base import Check, DeployContext, Provider
from ..plan import Plan
from .app import CONSUMPTION_RETIRES, FLEX, FLEX_MIN_INSTANCES, AppRoles, FunctionApp, HostingPlan, schedule_description
from .cloud import AzureCloud
from .handle import AzureHandle
from .destroy import Destroy
from .errors import translate
from .group import Deployer, ResourceGroup
from .insights import INGESTION_DELAY, Insights, Workspace
from .names import AzureNames
from .publish import PACKAGE_LINK_YEARS, Publish
from .storage import StorageAccount
from .vault import SOFT_DELETE_DAYS, KeyVault, VaultSecrets, consent_of


class AzureProvider(Provider):
    name = "azure"
    title = "Azure Functions"
    cloud_class = AzureCloud

    def __init__(self, spec, clients=None) -> None:
        """`clients` (an AzureClients), when given, is used instead of one the cloud makes (tests hand one in)."""
        super().__init__(spec)
        self._clients = clients
        self._cloud = self.open_cloud()

    def open_cloud(self) -> AzureCloud:
        settings = self.cloud_class.settings_of(self.spec)
        if self._clients is not None:
            return self.cloud_class(settings, clients=self._clients)
        return self.cloud_class(settings)

    def cloud(self) -> AzureCloud:
        return self._cloud

    def handle(self) -> AzureHandle:
        return self._cloud.bot(self.spec.bot_name, self.spec.mode)

    @property
    def clients(self):
        return self._cloud.clients

    @property
    def plan_kind(self) -> str:
        return self._cloud.plan

    @cached_property
    def names(self) -> AzureNames:
        return self._cloud.names(self.spec.bot_name)

    def tags(self, profile: str) -> dict[str, str]:
        """On every resource, so bots are found from any machine by tag; the version is information, not drift."""
        return {**self.spec.tags, "botship:bot": self.spec.bot_name, "botship:profile": profile,
                "botship:mode": self.spec.mode, "botship:version": version("botship")}

    # ---- checks (providers/azure/checks.py) and the deployer's role (providers/azure/policy.py) --------------

    def check_credentials(self) -> list[Check]:
        from .checks import check_credentials

        return list(check_credentials(self._cloud, self.spec))

    def preflight(self, context: DeployContext) -> list[Check]:
        from .checks import preflight_checks

        return (self.check_credentials() + list(preflight_checks(self._cloud, self.spec, self.names))
                + [self._package_check(context)])

    def apply_remedy(self, remedy: str) -> str:
        """What a check offered to put right (registering resource providers), once the user agreed."""
        from .checks import apply_remedy

        return apply_remedy(self._cloud, remedy)

    def permissions_policy(self) -> dict | None:
        from .policy import deploy_role

        return deploy_role(self._cloud)

    def _package_check(self, context: DeployContext) -> Check:
        try:
            artifact = build_artifact(self.spec, context.project, context.report)
        except BotshipError as exc:
            return Check("package", False, exc.what, exc.fix)
        return Check("package", True, f"{artifact.unzipped_size / 1e6:.1f} MB unzipped; function_app.py imports")

    # ---- deploying -------------------------------------------------------------------------------------------

    def plan(self, context: DeployContext) -> Plan:
        plan = self.read_plan(context)
        # The engine holds the deploy lock while the plan runs (and plans again once it holds it: `replan`).
        plan.lock = self.deploy_lock(context.profile)
        return plan

    def deploy_lock(self, profile: str):
        """A lease in the bot's storage account (the cloud's AzureDeployLock); `botship unlock` breaks it."""
        return self._cloud.deploy_lock(self.spec.bot_name, profile)

    def _plan(self, context: DeployContext, artifact=None) -> Plan:
        spec, clients, names, kind = self.spec, self.clients, self.names, self.plan_kind
        tags = self.tags(context.profile)
        artifact = artifact or build_artifact(spec, context.project, context.report)
        secrets = paper.sent_secrets(spec, context.project)
        values = context.secrets.only(secrets)
        consent = consent_of(context)
        deployer = Deployer.of(clients)

        group = ResourceGroup(clients, names, tags)
        storage = StorageAccount(clients, names, tags, mode=spec.mode, retention_days=spec.state_retention_days,
                                 shared_key=kind != FLEX)
        vault = KeyVault(clients, names, tags, deployer, consent)
        workspace, insights = Workspace(clients, names, tags), Insights(clients, names, tags)
        hosting = HostingPlan(clients, names, tags, kind)
        app = FunctionApp(clients, names, spec, tags, kind, secrets)
        roles = AppRoles(clients, names, deployer)
        publish = Publish(clients, names, artifact, app, kind, bool(spec.schedule))

        # The reads are independent but for those that need an earlier step's plan-time outputs.
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="botship-plan") as pool:
            first = {key: pool.submit(step) for key, step in (
                ("group", group.step), ("storage", storage.step), ("vault", vault.step),
                ("workspace", workspace.step), ("insights", insights.step), ("plan", hosting.step))}
            planned = {key: future.result() for key, future in first.items()}
        vault_uri = planned["vault"].outputs.get("vault_uri")
        vault_secrets = VaultSecrets(clients, names, values, vault_uri)
        secrets_step = vault_secrets.step()
        up = {key: dict(step.outputs) for key, step in planned.items()}
        if secrets_step is not None:
            # Values about to change: their references are known, their new versions only once written.
            up["secrets"] = dict(secrets_step.outputs) or (
                {"uris": vault_secrets.uris(vault_uri), "versions": None} if vault_uri else {})
        app_step = app.step(up)
        current = app.last
        roles_step = roles.step(app_step.outputs or None)
        publish_step = publish.step(app_step.outputs or None, current["settings"] if current else None)
        steps = [planned["group"], planned["storage"], planned["vault"]]
        steps += [secrets_step] if secrets_step is not None else []
        steps += [planned["workspace"], planned["insights"], planned["plan"], app_step, roles_step, publish_step]

        summary = spec.describe() + paper.summary(spec, context.project) + [
            ("subscription", names.subscription_id), ("resource group", names.resource_group),
            ("hosting", self._hosting_line(kind)),
            ("package", f"{artifact.unzipped_size / 1e6:.1f} MB unzipped, {artifact.content_hash[:12]}"),
            ("history", f"earlier versions of the state's blobs kept {spec.state_retention_days} days "
                        "(state_retention_days); `botship state restore` reads AWS and the sandbox only in this "
                        "release"),
            ("logs", f"Application Insights {names.insights}: {INGESTION_DELAY}"),
            ("key vault", f"{names.vault}: secret values live there, app settings only refer to them; after a "
                          f"destroy it stays soft-deleted {SOFT_DELETE_DAYS} days and a re-deploy recovers it")]
        if spec.schedule and (described := schedule_description(spec)):
            summary.append(("timer", described))
        if kind != FLEX:
            summary.append(("package link", f"{PACKAGE_LINK_YEARS} years, read-only, this package only "
                                            "(Linux Consumption reads it at every cold start)"))
            summary.append(("storage key", "in the app's AzureWebJobsStorage and content-share settings, as Linux "
                                           "Consumption requires (on Flex no key is anywhere)"))
        if short := values.too_short_to_mask():
            summary.append(("warning", f"{', '.join(short)}: shorter than {MIN_SECRET_LENGTH} characters, so botship "
                                       "cannot mask it in the logs it shows; a real credential is longer"))
        plan = Plan(f"Deploy {spec.bot_name} to {spec.where}", spec.mode, summary, steps)
        plan.masker = context.secrets.masker()
        plan.replan = lambda: self.read_plan(context, artifact)
        return plan

    @staticmethod
    def _hosting_line(kind: str) -> str:
        if kind == FLEX:
            return (f"Flex Consumption (FC1), at most {FLEX_MIN_INSTANCES} instances (the least Flex takes; one run "
                    "at a time is kept by the timer's singleton and the state's lease)")
        return f"Linux Consumption (Y1) — Azure retires it on {CONSUMPTION_RETIRES}; Flex Consumption is the default"

    # ---- destroying ------------------------------------------------------------------------------------------

    def plan_destroy(self, *, purge_state: bool = False) -> Plan:
        try:
            plan = self._plan_destroy(purge_state)
            # Not while a deploy of the bot runs; once it holds the lock it plans again, so what that deploy made
            # goes too.
            plan.lock = self.deploy_lock("destroy")
            return plan
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "reading what is deployed") from None

    def _plan_destroy(self, purge_state: bool) -> Plan:
        names = self.names
        destroy = Destroy(self.clients, names, Deployer.of(self.clients))
        found = destroy.read()
        steps = destroy.steps(found, purge_state)
        kept: list[str] = []
        has_storage = found["storage"] is not None
        if has_storage and not purge_state:
            state = f"kept: {names.storage_account} (add --purge-state to delete it)"
            kept.append(f"the storage account {names.storage_account} with the bot's state "
                        "(`botship destroy --purge-state` deletes it)")
        else:
            state = "deleted too (--purge-state)" if has_storage else "none (no storage account)"
        if found["vault"] is not None:
            kept.append(f"the key vault {names.vault}, soft-deleted for {SOFT_DELETE_DAYS} days (its name stays "
                        "reserved; deploying the bot again recovers it)")
        group = "kept (botship never deletes a resource group)"
        summary = [("mode", self.spec.mode.upper()), ("bot", self.spec.bot_name), ("platform", self.spec.where),
                   ("state", state), ("resource group", f"{names.resource_group}: {group}")]
        plan = Plan(f"Destroy {self.spec.bot_name} on {self.spec.where}", self.spec.mode, summary, steps)
        plan.kept = kept
        plan.masker = Masker()  # a destroy handles no secret values
        plan.replan = lambda: self._plan_destroy(purge_state)
        return plan
