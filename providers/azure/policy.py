"""The custom role a deploying identity needs on Azure: exactly the Resource Manager actions botship calls.

`botship doctor --policy` prints `deploy_role(cloud)` (the JSON `az role definition create` and the portal take);
the permission check (checks.py) evaluates exactly these actions against what the identity holds on the resource
group. Role assignments are among them: a deploy gives each bot's managed identity data access to its own storage
account and read access to its own vault's secrets — that needs Microsoft.Authorization/roleAssignments/write,
which Contributor lacks.
"""

from __future__ import annotations

from typing import Any

ROLE_NAME = "botship deployer"

# Each action with what botship does with it (one source: the role, the check and the tests read this).
ACTIONS: dict[str, str] = {
    # The resource group (created at the subscription when absent: see SUBSCRIPTION_ACTIONS).
    "Microsoft.Resources/subscriptions/resourceGroups/read": "read the resource group",
    "Microsoft.Resources/tags/write": "tag the function app with the code it runs after a rollback",
    # Storage: one account per bot, versioned, with a lifecycle rule and private containers.
    "Microsoft.Storage/checknameavailability/read": "check the storage account name is free",
    "Microsoft.Storage/storageAccounts/read": "read the bot's storage account",
    "Microsoft.Storage/storageAccounts/write": "create and update it",
    "Microsoft.Storage/storageAccounts/delete": "delete it (destroy --purge-state)",
    "Microsoft.Storage/storageAccounts/listkeys/action": "a Consumption app's AzureWebJobsStorage connection",
    "Microsoft.Storage/storageAccounts/blobServices/read": "read blob versioning",
    "Microsoft.Storage/storageAccounts/blobServices/write": "turn blob versioning on",
    "Microsoft.Storage/storageAccounts/blobServices/containers/read": "read the state and package containers",
    "Microsoft.Storage/storageAccounts/blobServices/containers/write": "create them",
    "Microsoft.Storage/storageAccounts/managementPolicies/read": "read the lifecycle rule",
    "Microsoft.Storage/storageAccounts/managementPolicies/write": "delete old state versions after the retention",
    "Microsoft.Storage/locations/operationresults/read": "follow storage account creation",
    # Key Vault: one vault per bot, RBAC mode; soft delete handled with the user's consent.
    "Microsoft.KeyVault/checkNameAvailability/read": "check the vault name is free",
    "Microsoft.KeyVault/vaults/read": "read the bot's vault",
    "Microsoft.KeyVault/vaults/write": "create and update it",
    "Microsoft.KeyVault/vaults/delete": "delete it (destroy)",
    "Microsoft.KeyVault/locations/deletedVaults/read": "find a soft-deleted vault of the same name",
    "Microsoft.KeyVault/locations/deletedVaults/purge/action": "purge it (with your consent)",
    "Microsoft.KeyVault/locations/operationResults/read": "follow a purge",
    # Logs: a workspace and a workspace-based Application Insights component.
    "Microsoft.OperationalInsights/workspaces/read": "read the bot's log workspace",
    "Microsoft.OperationalInsights/workspaces/write": "create it",
    "Microsoft.OperationalInsights/workspaces/delete": "delete it (destroy)",
    "Microsoft.OperationalInsights/locations/operationStatuses/read": "follow workspace operations",
    "Microsoft.OperationalInsights/workspaces/query/AppTraces/read": "read the bot's log lines (`botship logs`)",
    "Microsoft.Insights/components/read": "read the bot's Application Insights",
    "Microsoft.Insights/components/write": "create it",
    "Microsoft.Insights/components/delete": "delete it (destroy)",
    # The function app and its plan.
    "Microsoft.Web/checknameavailability/read": "check the function app name is free",
    "Microsoft.Web/geoRegions/read": "list the locations offering the plan",
    "Microsoft.Web/locations/operationStatuses/read": "follow function app operations",
    "Microsoft.Web/serverfarms/read": "read the bot's plan",
    "Microsoft.Web/serverfarms/write": "create and update it",
    "Microsoft.Web/serverfarms/delete": "delete it (destroy)",
    "Microsoft.Web/sites/read": "read the bot's function app (status)",
    "Microsoft.Web/sites/write": "create and update it",
    "Microsoft.Web/sites/delete": "delete it (destroy)",
    "Microsoft.Web/sites/config/write": "write its settings, pause and resume",
    "Microsoft.Web/sites/config/list/action": "read its app settings",
    "Microsoft.Web/sites/functions/read": "wait until the host lists the functions",
    "Microsoft.Web/sites/hostruntime/*/read": "the host's status when it lists no functions (its reason)",
    "Microsoft.Web/sites/functions/listkeys/action": "the run function's key for `botship invoke`",
    "Microsoft.Web/sites/host/listkeys/action": "the host's keys, when the function has none yet",
    "Microsoft.Web/sites/publish/action": "publish the package (Flex: the publish endpoint; a rollback too)",
    "Microsoft.Web/sites/syncfunctiontriggers/action": "sync the triggers after publishing (Consumption)",
    # Role assignments: the app's identity gets data access to its own account and vault only.
    "Microsoft.Authorization/roleAssignments/read": "read the app identity's role assignments",
    "Microsoft.Authorization/roleAssignments/write": "give the app's identity access to its own account and vault",
    "Microsoft.Authorization/roleAssignments/delete": "remove them (destroy)",
    "Microsoft.Authorization/permissions/read": "`botship doctor`: what you may do in the group",
}

# Data actions: botship writes the bot's secrets into its vault and its package into its account with your
# sign-in (no account key), and reads the state back (`botship state`).
DATA_ACTIONS: dict[str, str] = {
    "Microsoft.KeyVault/vaults/secrets/setSecret/action": "write the bot's secret values",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action": "see which secrets are there (unchanged re-runs)",
    "Microsoft.KeyVault/vaults/secrets/getSecret/action": "compare a secret's value before writing it",
    "Microsoft.KeyVault/vaults/secrets/delete": "remove a secret the spec no longer names",
    "Microsoft.KeyVault/vaults/secrets/recover/action": "bring back a secret the spec names again",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read": "read the state and the kept packages "
                                                                            "(versions, rollback)",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write": "upload the package (kept by its hash)",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete": "remove old packages",
}

# Needed at the subscription, not the group: creating the group itself, and what `doctor` reads there.
SUBSCRIPTION_ACTIONS: dict[str, str] = {
    "Microsoft.Resources/subscriptions/resourceGroups/write": "create the resource group when it does not exist",
    "Microsoft.Resources/subscriptions/resources/read": "list the bots in the subscription (by tag)",
}

ROLE_ASSIGNMENT_ACTION = "Microsoft.Authorization/roleAssignments/write"


def required_actions(group_exists: bool = True) -> list[str]:
    """The control-plane actions a deploy (and status, invoke, destroy) calls on the group; creating the group
    (when it does not exist) adds the subscription's resourceGroups/write."""
    actions = set(ACTIONS)
    if not group_exists:
        actions.add("Microsoft.Resources/subscriptions/resourceGroups/write")
    return sorted(actions, key=str.lower)


def deploy_role(cloud: Any) -> dict[str, Any]:
    """A custom role definition (as `az role definition create --role-definition` takes it) with exactly the
    actions botship uses, assignable on the cloud's resource group."""
    scope = f"/subscriptions/{cloud.subscription_id}/resourceGroups/{cloud.resource_group}"
    return {
        "Name": ROLE_NAME,
        "IsCustom": True,
        "Description": (f"What botship needs to deploy, run and destroy bots in resource group "
                        f"{cloud.resource_group}. It includes {ROLE_ASSIGNMENT_ACTION} (each bot's managed identity "
                        "gets data access to its own storage account and vault only). Create the resource group "
                        "first, or also grant Microsoft.Resources/subscriptions/resourceGroups/write on the "
                        "subscription."),
        "Actions": sorted(ACTIONS, key=str.lower),
        "NotActions": [],
        "DataActions": sorted(DATA_ACTIONS, key=str.lower),
        "NotDataActions": [],
        "AssignableScopes": [scope],
    }
