"""The `azure_cloud` fixture: the strict Azure fake (tests/azure_fake) plus an Azurite of its own over HTTPS with
OAuth, and the environment botship's Azure provider reads (a custom cloud file, a service principal, no managed
identity). Registered from tests/conftest.py through `pytest_plugins`."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from azure_fake import AzureFake

ROOT = Path(__file__).resolve().parents[1]
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_azurite(folder: Path, cert: str | None = None, key: str | None = None) -> tuple[subprocess.Popen, str]:
    """azurite-blob on a free loopback port — over HTTPS with `--oauth basic` when given a certificate and key, as
    the Azure fake's storage accounts need — returns (process, blob URL of its account)."""
    binary = ROOT / "node_modules" / ".bin" / "azurite-blob"
    assert binary.exists(), "Azurite is missing: run ./scripts/test, which installs it with npm"
    port = _free_port()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "azurite.log"
    secure = ["--cert", cert, "--key", key, "--oauth", "basic"] if cert and key else []
    process = subprocess.Popen(
        [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), *secure, "--location", str(folder),
         "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"Azurite did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.05)
    return process, f"{'https' if secure else 'http'}://127.0.0.1:{port}/{AZURITE_ACCOUNT}"


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def azure_cloud(tmp_path_factory, monkeypatch) -> Iterator[AzureFake]:
    """A fresh fake Azure (and Azurite) for one test. The object is the fake itself:

    .url .ca_bundle .config_path .tenant_id .subscription_id .client_id .client_secret .sp_object_id .blob_url
    .blob_key .state (the fake; .resources, .resource_groups, .role_assignments, .deleted_vaults, .secrets,
    .app_settings, .packages, .functions, .host_errors, .invocations …), .mutations (list of (method, path) of
    every mutating call; .reset_mutations()); knobs: .unregister(ns), .deny_role_assignments(), .flex_locations
    (a list), .expire_tokens(), .take_name("storage"|"vault"|"site", name), .principal_not_found_attempts (1),
    .principal_type_skips_replication (True, as documented), .owner_reads_secrets (False, as on Azure),
    .lro_polls (1), .retry_after_ms (20), .ingestion_delay_s (0: how late a run's lines become queryable). A vault's
    vaultUri is a loopback port of its own; the Log Analytics query API is another (.log_url; .traces holds each
    workspace's AppTraces rows, .log_queries every query it evaluated).
    """
    folder = tmp_path_factory.mktemp("azure")
    fake = AzureFake(folder)
    azurite, blob_url = start_azurite(folder / "azurite", fake.cert_file, fake.key_file)
    fake.blob_url, fake.blob_key = blob_url, AZURITE_KEY
    fake.start()
    fake.config_path = folder / "cloud.json"
    fake.config_path.write_text(json.dumps({
        "name": "botship-fake", "resource_manager": fake.url, "authority": fake.url,
        "keyvault_suffix": "vault.azure.net", "storage_suffix": "core.windows.net",
        "app_service_suffix": "azurewebsites.net", "log_analytics": fake.log_url, "ca_bundle": fake.ca_bundle}))
    monkeypatch.setenv("BOTSHIP_AZURE_CLOUD_CONFIG", str(fake.config_path))
    monkeypatch.setenv("AZURE_TENANT_ID", fake.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", fake.client_id)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", fake.client_secret)
    monkeypatch.setenv("BOTSHIP_AZURE_MANAGED_IDENTITY", "off")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(folder / "az-cli"))   # never a real `az login`
    # No sign-in record or token cache of the machine's (nor an earlier test's): the config folder and home are
    # this test's, and what the sign-in look-ups cached is forgotten.
    monkeypatch.setenv("BOTSHIP_CONFIG_DIR", str(folder / "config"))
    monkeypatch.setenv("HOME", str(folder / "home"))
    from botship.providers.azure import signin

    signin.signed_in()
    for variable in ("AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME",
                     "AZURE_PASSWORD", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET",
                     "AZURE_AUTHORITY_HOST", "AZURE_SUBSCRIPTION_ID"):
        monkeypatch.delenv(variable, raising=False)
    # Key Vault's client keeps each vault host's sign-in challenge for the process; this fake's vault ports may be
    # an earlier fake's, with another tenant.
    from azure.keyvault.secrets._shared import http_challenge_cache

    http_challenge_cache._cache.clear()
    try:
        yield fake
    finally:
        signin.signed_in()
        fake.stop()
        stop_process(azurite)
