"""Earlier generations of a bot's state on Azure, against the strict fake and its Azurite: the state store keeps the
last generations itself (Azurite has no blob versions), the handle lists and restores them under the bot's lock,
the next run starts from the restored one, and `botship state versions|restore` do the same from the command line."""

from __future__ import annotations

import json

import pytest

from botship.cli import main
from botship.errors import BotshipError
from botship.providers.azure.cloud import AzureCloud
from botship.providers.base import STATE_HISTORY
from botship.runtime.store_base import KeptHistory
from helpers import HOST_PYTHON


def profile(fake) -> str:
    return (f'[profiles.prod]\nplatform = "azure"\nbot_name = "counter-bot"\nentry = "app:handler"\n'
            f'python = "{HOST_PYTHON}"\nmemory_mb = 512\n[profiles.prod.azure]\n'
            f'subscription_id = "{fake.subscription_id}"\nresource_group = "bots"\nlocation = "westeurope"\n')


def cli(capsys, project, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([*args, "--project", str(project)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def records(out: str, kind: str) -> list[dict]:
    return [r for r in (json.loads(line) for line in out.splitlines() if line.strip()) if r["type"] == kind]


@pytest.fixture
def deployed(azure_cloud, project, capsys):
    """The counter bot deployed to the Azure fake by its profile `prod`; its handle."""
    (project / "botship.toml").write_text(profile(azure_cloud))
    code, out, err = cli(capsys, project, "deploy", "--profile", "prod", "--yes")
    assert code == 0, out + err
    cloud = AzureCloud({"subscription_id": azure_cloud.subscription_id, "resource_group": "bots",
                        "location": "westeurope"})
    return cloud.bot("counter-bot")


def test_a_deployed_bots_generations_are_listed_and_an_earlier_one_restored_for_the_next_run(deployed):
    handle = deployed
    assert AzureCloud.can(STATE_HISTORY)
    assert handle.invoke({}).body["result"]["runs"] == 1
    assert handle.invoke({}).body["result"]["runs"] == 2

    listed = handle.state_versions()
    assert [(g["generation"], g["current"], g["valid"]) for g in listed] == [(2, True, True), (1, False, True)]
    note = handle.state_history_note()
    assert f"the last {KeptHistory.HISTORY} generations are kept in container state-paper of " in note
    assert handle.names.storage_account in note

    # A run holds the bot's lock: the restore is refused, in the runtime's words, and nothing changes.
    run = handle.state_store()
    assert run.try_lock("busy-run", 60)
    try:
        with pytest.raises(BotshipError, match="cannot be restored while a run uses it: .*busy-run"):
            handle.restore_state(1)
    finally:
        run.unlock("busy-run")
    assert handle.read_state_file("runs.txt") == b"2"

    done = handle.restore_state(1)
    assert (done["restored"], done["generation"], done["revived"]) == (1, 3, [])
    assert handle.read_state_file("runs.txt") == b"1"
    assert [g["generation"] for g in handle.state_versions()] == [3, 2, 1]
    assert handle.history()[0].action == "restore"
    # The next run starts from generation 1's files: it finds one earlier run, not two.
    assert handle.invoke({}).body["result"]["before"] == 1
    with pytest.raises(BotshipError, match="generation 9 of counter-bot's state cannot be restored"):
        handle.restore_state(9)


def test_state_versions_and_restore_from_the_command_line(deployed, project, capsys):
    handle = deployed
    for _ in range(3):
        assert handle.invoke({}).ok

    code, out, err = cli(capsys, project, "state", "versions", "--profile", "prod")
    assert code == 0, out + err
    assert "state generations of counter-bot" in out and "generations are kept in container state-paper" in out
    code, out, err = cli(capsys, project, "state", "versions", "counter-bot", "--json")
    assert code == 0, out + err
    assert [(g["generation"], g["current"]) for g in records(out, "generation")] == [(3, True), (2, False), (1, False)]

    code, out, err = cli(capsys, project, "state", "restore", "counter-bot", "--generation", "2")
    assert code == 2 and "needs confirmation" in err and handle.read_state_file("runs.txt") == b"3"
    code, out, err = cli(capsys, project, "state", "restore", "counter-bot", "--generation", "1", "--yes", "--json")
    assert code == 0, out + err
    (restored,) = records(out, "restored")
    assert (restored["restored"], restored["generation"]) == (1, 4)
    code, out, err = cli(capsys, project, "invoke", "--profile", "prod")
    assert code == 0, out + err
    assert handle.read_state_file("runs.txt") == b"2"  # the run started from generation 1's count
