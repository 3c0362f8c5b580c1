"""Destroying a bot on the strict Azure fake: planned first, every deploy resource gone but the storage account
(unless the state is purged) and the resource group; the vault soft-deleted and recovered by the next deploy; a
second destroy finds nothing to do; a deleted vault that is not the bot's asks for consent."""

from __future__ import annotations

import pytest
from azure_fake.clients import vault_secrets
from test_azure_deploy import (  # noqa: F401 - fixtures shared with the deploy tests
    SECRET,
    _run_until,
    clients,
    context,
    deploy,
    project,
    provider_names,
    shared_project,
    spec_for,
)

from botship.providers.azure.provider import AzureProvider
from botship.providers.base import ConsentNeeded
from botship.providers.engine import start_run
from botship.providers.plan import Action


def _kinds(fake) -> set[str]:
    return {r["type"] for r in fake.resources.values() if r["type"].count("/") == 1}  # top-level resources


def destroy(fake, project, purge: bool):
    plan = AzureProvider(spec_for(fake, project)).plan_destroy(purge_state=purge)
    fake.reset_mutations()
    result = start_run(plan, lambda event: None).wait(120)
    assert result.ok, result.failure
    return plan


@pytest.mark.parametrize("purge", [False, True])
def test_destroy_removes_the_bot_and_keeps_its_state_unless_purged(azure_cloud, project, purge):
    assert deploy(azure_cloud, project, spec_for(azure_cloud, project))[1].ok
    names = provider_names(azure_cloud, project)
    principal = clients(azure_cloud).web.web_apps.get("bots", names.function_app).identity.principal_id

    plan = destroy(azure_cloud, project, purge)
    assert all(s.action is Action.DELETE for s in plan.steps)
    assert [s.id for s in plan.steps] == ["roles", "app", "plan", "insights", "workspace", "vault"] + (
        ["storage"] if purge else [])
    summary = dict(plan.summary)
    assert ("deleted too" in summary["state"]) if purge else (names.storage_account in summary["state"])
    assert any("soft-deleted for 7 days" in line for line in plan.kept)

    left = _kinds(azure_cloud)
    assert left == (set() if purge else {"Microsoft.Storage/storageAccounts"})
    assert "bots" in azure_cloud.resource_groups  # never deleted
    assert names.vault.lower() in azure_cloud.deleted_vaults
    assert not [a for a in azure_cloud.role_assignments.values() if a["properties"]["principalId"] == principal]

    again = AzureProvider(spec_for(azure_cloud, project)).plan_destroy(purge_state=purge)
    assert again.is_noop and again.steps == []


def test_a_redeploy_after_destroy_recovers_the_vault_with_its_secret(azure_cloud, project):
    assert deploy(azure_cloud, project, spec_for(azure_cloud, project))[1].ok
    destroy(azure_cloud, project, purge=False)
    plan, result, _, _ = deploy(azure_cloud, project, spec_for(azure_cloud, project))
    assert result.ok, result.failure
    vault_step = next(s for s in plan.steps if s.id == "vault")
    assert vault_step.action is Action.UPDATE and vault_step.detail.startswith("recover")
    names = provider_names(azure_cloud, project)
    vault = clients(azure_cloud).keyvault.vaults.get("bots", names.vault)
    assert vault_secrets(azure_cloud, vault.properties.vault_uri).get_secret("EXCHANGE-API-KEY").value == SECRET
    assert names.vault.lower() not in azure_cloud.deleted_vaults
    again = deploy(azure_cloud, project, spec_for(azure_cloud, project))
    assert again[0].is_noop and again[2] == []


def test_a_deleted_vault_that_is_not_the_bots_asks_to_recover_or_purge(azure_cloud, project):
    names = provider_names(azure_cloud, project)
    assert deploy(azure_cloud, project, spec_for(azure_cloud, project))[1].ok
    destroy(azure_cloud, project, purge=False)
    # The deleted vault no longer carries the bot's tag: botship cannot tell it is the bot's.
    azure_cloud.deleted_vaults[names.vault.lower()]["body"]["properties"]["tags"] = {}
    azure_cloud.reset_mutations()
    with pytest.raises(ConsentNeeded) as asked:
        AzureProvider(spec_for(azure_cloud, project)).plan(context(project))
    assert asked.value.key == "vault_consent" and [v for v, _ in asked.value.options] == ["recover", "purge"]
    assert "--deleted-vault" in asked.value.fix and azure_cloud.mutations == []

    purge = context(project)
    purge.vault_consent = "purge"
    plan = AzureProvider(spec_for(azure_cloud, project)).plan(purge)
    assert next(s for s in plan.steps if s.id == "vault").detail.startswith("purge")
    assert _run_until(azure_cloud, project, spec_for(azure_cloud, project), "vault", purge) == [
        "group", "storage", "vault"]
    assert names.vault.lower() not in azure_cloud.deleted_vaults
    vault = clients(azure_cloud).keyvault.vaults.get("bots", names.vault)
    assert vault.properties.enable_rbac_authorization is True
