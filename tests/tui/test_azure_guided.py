"""`botship deploy --guided` to Azure in a real terminal (tmux), against the strict Azure fake: the cloud's own
sign-in is offered, tenant, subscription, resource group, plan and location are asked from what the sign-in
sees, the checks pass, the plan is confirmed, the deploy runs and the profile is saved — with no secret value on
the screen, in the profile or in an app setting."""

from __future__ import annotations

import os
import sys
import tomllib

from terminal import Terminal

SECRET = "exchange-key-0123456789"


def test_guided_deploys_a_bot_to_azure(make_project, azure_cloud, dependency_cache, tmp_path):
    project = make_project("", env=f"MARKET=x\nEXCHANGE_API_KEY={SECRET}\n", name="az-bot")
    home = tmp_path / "home"
    home.mkdir()
    passed = ("BOTSHIP_AZURE_CLOUD_CONFIG", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
              "BOTSHIP_AZURE_MANAGED_IDENTITY", "AZURE_CONFIG_DIR", "BOTSHIP_CONFIG_DIR")
    env = {"TERM": "xterm-256color", "PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8",
           "BOTSHIP_CACHE_DIR": str(dependency_cache), **{name: os.environ[name] for name in passed},
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    term = Terminal([sys.executable, "-m", "botship", "deploy", "--guided"], project, env)
    try:
        def answer(prompt: str, *keys: str, timeout: float = 30) -> str:
            screen = term.wait_for(prompt, timeout=timeout)
            term.type(*keys)
            return screen

        answer("Where should the bot run?", "Down", "Enter")  # AWS first, then Azure
        screen = answer("Sign in to Azure Functions?", "Enter")  # the sign-in this machine has (a service principal)
        assert "Sign in now (device code)" in screen and "Sign in now (browser)" in screen
        answer("Tenant", "Enter")  # blank: the sign-in's home tenant
        screen = answer("Subscription", "Enter", timeout=60)
        assert azure_cloud.subscription_id in screen
        answer("Resource group", "bots", "Enter")
        screen = answer("Hosting plan", "Enter")
        assert "retires 2028-09-30" in screen
        screen = answer("Location", "Enter", timeout=60)
        assert "westeurope" in screen and "(westus)" not in screen  # only locations offering Flex Consumption
        screen = term.wait_for("✓ role assignments: you may create role assignments", timeout=60)
        answer("? Bot name:", "C-u", "az-bot", "Enter")
        answer("Entry point (found by reading the project's files)", "Down", "Enter")
        answer("? Python:", "Enter")
        answer("Paper or live?", "Enter")
        answer("Pass MARKET (from .env) to the bot?", "y")
        answer("Is MARKET a secret? (y/N)", "Enter")
        answer("Pass EXCHANGE_API_KEY (from .env) to the bot?", "y")
        answer("Is EXCHANGE_API_KEY a secret? (its name looks like one) (Y/n)", "Enter")
        answer("Add a variable — its name (Enter when done):", "Enter")
        screen = answer("? Memory (MB):", "C-u", "2048", "Enter")
        assert "512" in screen and "4096" in screen  # Flex's sizes
        answer("? Timeout (s):", "Enter")
        answer("When should the bot run?", "3", "Enter")  # every 15 minutes
        answer("? Time zone: UTC", "Enter")
        answer("? Profile name:", "C-u", "prod", "Enter")
        screen = answer("Deploy this plan?", "y", timeout=120)
        assert "PAPER" in screen and "create" in screen
        term.wait_for("Saved profile 'prod' in botship.toml.", timeout=240)
        assert term.exit_code(timeout=30) == 0
        screen = term.screen()
        assert SECRET not in screen
    finally:
        term.close()
    saved = tomllib.loads((project / "botship.toml").read_text())["profiles"]["prod"]
    assert saved["platform"] == "azure" and saved["memory_mb"] == 2048
    assert saved["azure"]["subscription_id"] == azure_cloud.subscription_id and saved["azure"]["resource_group"] == "bots"
    assert SECRET not in (project / "botship.toml").read_text()
    settings = [value for app in azure_cloud.app_settings.values() for value in app.values()]
    assert settings and SECRET not in " ".join(map(str, settings))
    assert any("@Microsoft.KeyVault(SecretUri=" in str(v) for v in settings)
