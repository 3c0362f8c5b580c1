"""The commands a user types, on Azure, against the strict fake: doctor (and --policy), deploy --yes, an unchanged
re-deploy that changes nothing, invoke, and destroy — each through `botship`'s own entry point."""

from __future__ import annotations

import json
import sys

from botship.cli import main

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
SECRET = "azure-cli-secret-0123456789"


def _profile(fake) -> str:
    return (f'[profiles.prod]\nplatform = "azure"\nbot_name = "cli-bot"\nentry = "app:handler"\n'
            f'python = "{PYTHON}"\nmemory_mb = 512\nsecrets = ["EXCHANGE_API_KEY"]\n'
            f'[profiles.prod.azure]\nsubscription_id = "{fake.subscription_id}"\nresource_group = "bots"\n'
            f'location = "westeurope"\n')


def test_doctor_deploy_invoke_and_destroy_from_the_command_line(azure_cloud, make_project, capsys, monkeypatch,
                                                              dependency_cache):
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    monkeypatch.setenv("EXCHANGE_API_KEY", SECRET)
    project = make_project(_profile(azure_cloud))
    args = ["--profile", "prod", "--project", str(project)]

    assert main(["doctor", *args]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "role assignments" in out and "Ready to deploy." in out

    assert main(["doctor", "--policy", *args]) == 0
    role = json.loads(capsys.readouterr().out)
    assert "Microsoft.Authorization/roleAssignments/write" in role["Actions"]

    assert main(["deploy", "--yes", *args]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out

    azure_cloud.reset_mutations()
    assert main(["deploy", "--yes", *args]) == 0
    out = capsys.readouterr().out
    assert "nothing to change" in out.lower() or "up to date" in out.lower() or "no change" in out.lower(), out
    assert [m for m in azure_cloud.mutations if m[0] != "GET"] == []

    assert main(["invoke", *args]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out and "ok" in out.lower()

    assert main(["destroy", "--yes", *args]) == 0
    out = capsys.readouterr().out
    assert "kept" in out.lower()
    sites = [r for r in azure_cloud.resources.values() if r.get("type", "").lower() == "microsoft.web/sites"]
    assert sites == []
