"""The bots commands — the CLI twins of the bots screen — reading a bot, against the real sandbox (its own emulator),
moto's server and the Azure fake: every twin's output and exit code, its --json records, an unknown bot (exit 2,
said clearly), bots that share a name (picked with --platform / --where), and bots on every cloud listed together.
The commands that change a bot are in test_bots_cli_changes.py."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time

import boto3
from helpers import HOST_PYTHON
from bots_cli_kit import SANDBOX_PROFILE, cli, counter, deploy_aws, deploy_sandbox, plain_bot, records  # noqa: F401


# ---- reading: bots, status, logs, history, state ls/get ---------------------------------------------------------

def test_bots_lists_the_sandbox_bot_as_a_table_and_as_json(counter, capsys):
    code, out, _ = cli(capsys, counter, "bots")
    assert code == 0, out
    header, row = [line for line in out.splitlines() if "counter" in line or "NAME" in line][:2]
    for column in ("NAME", "WHERE", "MODE", "STATUS", "SCHEDULE", "LAST RUN", "VERSION"):
        assert column in header
    assert "PAPER" in row and "active" in row and "rate(5 minutes), next" in row and ("CET" in row or "CEST" in row)

    code, out, _ = cli(capsys, counter, "bots", "--json")
    assert code == 0
    (source,) = records(out, "source")
    (bot,) = records(out, "bot")
    assert source["bots"] == 1 and source["platform"] == "sandbox"
    assert (bot["name"], bot["platform"], bot["mode"], bot["state"], bot["schedule"], bot["timezone"]) == (
        "counter", "sandbox", "paper", "active", "rate(5 minutes)", "Europe/Amsterdam")
    assert bot["next_run"].endswith("+00:00") and bot["version"]


def test_status_by_profile_and_by_name_with_next_runs_resources_and_json(counter, capsys):
    for name in ("try", "counter"):
        code, out, err = cli(capsys, counter, "status", name)
        assert code == 0, out + err
        assert "counter" in out and "active" in out and "rate(5 minutes) (Europe/Amsterdam)" in out
        next_runs = next(line for line in out.splitlines() if "next runs" in line)
        assert next_runs.count(",") == 4  # the next five runs
        assert "function" in out and "state bucket" in out
    code, out, _ = cli(capsys, counter, "status", "counter", "--json")
    (status,) = records(out, "status")
    assert code == 0 and status["bot"] == "counter" and status["profile"] == "try"
    assert status["state"] == "active" and len(status["next_runs"]) == 5
    assert status["resources"]["function"].endswith("function:botship-counter") and status["version"]


def test_an_unknown_bot_is_exit_2_naming_where_botship_looked(counter, capsys):
    for command in (["status"], ["logs"], ["runs"], ["history"], ["pause"], ["resume"], ["stop-entries"],
                    ["flatten"], ["resume-entries"], ["rollback"], ["trades"], ["state", "ls"]):
        code, out, err = cli(capsys, counter, *command, "nope")
        assert code == 2, (command, out, err)
        assert "no bot named nope" in err and "looked in" in err and "botship bots" in err, command
    code, out, err = cli(capsys, counter, "state", "get", "nope", "runs.txt")
    assert code == 2 and "no bot named nope" in err
    code, out, _ = cli(capsys, counter, "status", "nope", "--json")
    (error,) = records(out, "error")
    assert code == 2 and error["exit_code"] == 2 and error["what"] == "no bot named nope" and error["fix"]


def test_logs_print_the_bots_lines_and_a_bad_since_names_the_flag(counter, capsys):
    code, out, _ = cli(capsys, counter, "logs", "counter", "--since", "10m")
    assert code == 0, out
    assert '"bot": "saw"' in out and "CloudWatch" in out
    code, out, _ = cli(capsys, counter, "logs", "try", "--since", "1h", "--json")
    lines = records(out, "log")
    assert code == 0 and len([line for line in lines if '"bot": "saw"' in line["text"]]) == 2
    assert all(line["at"].endswith("+00:00") and line["stream"] for line in lines)
    (head,) = records(out, "logs")
    assert head["bot"] == "counter" and head["follow"] is False and "CloudWatch" in head["note"]
    for bad in ("5x", "1h30", "0m", "400d", "soon"):
        code, out, err = cli(capsys, counter, "logs", "counter", "--since", bad)
        assert code == 2 and "--since" in err, bad


def test_pause_and_resume_confirm_flip_the_schedule_and_land_in_the_history(counter, capsys, sandbox):
    scheduler = boto3.client("scheduler", endpoint_url=sandbox, region_name="us-east-1",
                             aws_access_key_id="testing", aws_secret_access_key="testing")

    def state() -> str:
        return scheduler.get_schedule(Name="botship-counter")["State"]

    code, _, err = cli(capsys, counter, "pause", "counter")
    assert code == 2 and "needs confirmation" in err and "--yes" in err and state() == "ENABLED"
    code, out, _ = cli(capsys, counter, "pause", "counter", "--yes")
    assert code == 0 and "Paused counter: active → paused" in out and state() == "DISABLED"
    code, out, _ = cli(capsys, counter, "pause", "counter", "--yes")
    assert code == 0 and "paused already; nothing was changed" in out
    code, out, _ = cli(capsys, counter, "status", "counter")
    assert "paused" in out and "none while paused" in out
    code, out, _ = cli(capsys, counter, "resume", "counter", "--yes", "--json")
    (resumed,) = records(out, "resumed")
    assert code == 0 and resumed["changed"] and (resumed["before"], resumed["state"]) == ("paused", "active")
    assert resumed["next_run"] and state() == "ENABLED"

    code, out, err = cli(capsys, counter, "history", "counter")
    assert code == 0 and "WHEN" in out and "ACTION" in out, out + err
    code, out, _ = cli(capsys, counter, "history", "counter", "--json")
    actions = [entry["action"] for entry in records(out, "history")]
    assert actions[:2] == ["resume", "pause"]
    assert all(set(entry) >= {"at", "action", "version", "profile", "by", "outcome", "detail", "bot"}
               for entry in records(out, "history"))


def test_state_ls_and_get_as_text_bytes_json_and_a_file(counter, capsys, tmp_path):
    code, out, _ = cli(capsys, counter, "state", "ls", "counter")
    assert code == 0 and "generation 2" in out and "runs.txt" in out and "databases/bot.sqlite3" in out
    code, out, _ = cli(capsys, counter, "state", "ls", "counter", "--json")
    files = {r["path"]: r["size"] for r in records(out, "file")}
    (state,) = records(out, "state")
    assert files["runs.txt"] == 1 and state["generation"] == 2 and state["files"] == len(files)

    code, out, _ = cli(capsys, counter, "state", "get", "counter", "runs.txt")
    assert code == 0 and out == "2"  # the bytes as stored, to a pipe
    saved = tmp_path / "bot.sqlite3"
    code, out, _ = cli(capsys, counter, "state", "get", "counter", "databases/bot.sqlite3", "-o", str(saved))
    assert code == 0 and "Wrote databases/bot.sqlite3" in out
    import sqlite3

    with sqlite3.connect(saved) as db:
        assert db.execute("select max(n) from runs").fetchone() == (2,)
    code, out, _ = cli(capsys, counter, "state", "get", "counter", "databases/bot.sqlite3", "--json")
    (record,) = records(out, "file")
    assert code == 0 and "base64" in record and record["size"] == saved.stat().st_size
    code, out, _ = cli(capsys, counter, "state", "get", "counter", "runs.txt", "--json")
    assert records(out, "file")[0]["text"] == "2"
    code, _, err = cli(capsys, counter, "state", "get", "counter", "nothing.txt")
    assert code == 2 and "has no file nothing.txt" in err


def test_state_get_refuses_to_print_a_binary_file_to_a_terminal(counter, sandbox, dependency_cache):
    """A real terminal (a pty) on standard output: text is printed, a database is refused with the way out."""
    def on_terminal(*args: str) -> tuple[int, str]:
        leader, follower = pty.openpty()
        env = {**os.environ, "NO_COLOR": "1", "BOTSHIP_SANDBOX_URL": sandbox, "BOTSHIP_CACHE_DIR": str(dependency_cache)}
        done = subprocess.run([sys.executable, "-m", "botship", *args, "--project", str(counter)], stdout=follower,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, timeout=120)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        os.close(leader)
        return done.returncode, shown.decode(errors="replace") + done.stderr.decode()

    code, shown = on_terminal("state", "get", "counter", "databases/bot.sqlite3")
    assert code == 2 and "is binary" in shown and "-o FILE" in shown and "SQLite format" not in shown
    code, shown = on_terminal("state", "get", "counter", "runs.txt")
    assert code == 0 and "2" in shown


def test_a_place_that_cannot_be_looked_in_shows_its_error_in_place_of_its_rows(counter, capsys):
    """An Azure subscription with no Azure sign-in on this machine (the tests allow none): the sandbox's bot is
    listed, the subscription's error is said with what to do, and the exit code says the list is incomplete."""
    code, out, _ = cli(capsys, counter, "bots", "--subscription", "00000000-0000-0000-0000-000000000000")
    assert code == 1
    assert "1 bot in" in out and "counter" in out
    failed = next(line for line in out.splitlines() if line.startswith("✗"))
    assert "00000000-0000-0000-0000-000000000000" in failed and "sign-in" in failed and "→ sign in" in out
    code, out, _ = cli(capsys, counter, "bots", "--subscription", "00000000-0000-0000-0000-000000000000", "--json")
    (error,) = records(out, "source_error")
    assert code == 1 and error["platform"] == "azure" and error["what"] and error["fix"]
    assert [b["name"] for b in records(out, "bot")] == ["counter"]


def test_logs_follow_prints_new_lines_until_ctrl_c_which_ends_it_cleanly(counter, sandbox, dependency_cache):
    import queue
    import threading

    from botship.providers import cloud_class

    env = {**os.environ, "NO_COLOR": "1", "BOTSHIP_SANDBOX_URL": sandbox, "BOTSHIP_CACHE_DIR": str(dependency_cache)}
    follow = subprocess.Popen([sys.executable, "-m", "botship", "logs", "counter", "--follow", "--since", "1m",
                               "--json", "--project", str(counter)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in follow.stdout], daemon=True).start()

    def until(text: str) -> dict:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if text in line:
                return json.loads(line)
        raise AssertionError(f"{text} did not arrive while following")

    try:
        head = until('"type": "logs"')
        assert head["follow"] is True
        assert until('\\"before\\": 1')["type"] == "log"  # the fixture's runs, printed as the follow starts
        assert cloud_class("sandbox")().bot("counter").invoke({}).ok  # a new run while it follows
        assert until('\\"before\\": 2')["text"].startswith("{")
    finally:
        follow.send_signal(signal.SIGINT)
        follow.wait(timeout=30)
    err = follow.stderr.read()
    assert follow.returncode == 0 and "Traceback" not in err, err


def test_bots_of_one_name_in_two_regions_are_picked_with_where(aws, project, capsys):
    deploy_aws(project, "eu-west-1", "alpha")
    deploy_aws(project, "eu-central-1", "alpha", schedule="rate(1 hour)")
    (project / "botship.toml").unlink(missing_ok=True)  # found in the clouds, not from profiles
    regions = ("--region", "eu-west-1", "--region", "eu-central-1")

    code, out, _ = cli(capsys, project, "bots", *regions, "--json")
    assert code == 0
    assert sorted((b["name"], b["where"]) for b in records(out, "bot")) == [
        ("alpha", "eu-central-1"), ("alpha", "eu-west-1")]
    assert len(records(out, "source")) == 2

    code, _, err = cli(capsys, project, "status", "alpha", *regions)
    assert code == 2 and "2 bots are named alpha" in err and "--where" in err
    code, out, _ = cli(capsys, project, "status", "alpha", *regions, "--where", "eu-central-1", "--json")
    (status,) = records(out, "status")
    assert code == 0 and status["where"].endswith("eu-central-1") and status["schedule"] == "rate(1 hour)"
    code, _, err = cli(capsys, project, "status", "alpha", "--region", "us-west-2")
    assert code == 2 and "no bot named alpha" in err and "us-west-2" in err

    # state versions / restore reach a bot found in the clouds the same way
    code, out, _ = cli(capsys, project, "state", "versions", "alpha", *regions, "--where", "eu-west-1")
    assert code == 0 and "state generations of alpha" in out
    code, _, err = cli(capsys, project, "state", "versions", "alpha", *regions)
    assert code == 2 and "2 bots are named alpha" in err


def test_two_profiles_of_one_bot_are_picked_by_profile(aws, project, capsys):
    deploy_aws(project, "eu-west-1", "alpha")
    (project / "botship.toml").write_text(
        f'[profiles.a]\nplatform = "aws"\nbot_name = "alpha"\nentry = "app:handler"\npython = "{HOST_PYTHON}"\n'
        f'aws = {{ region = "eu-west-1" }}\n\n'
        f'[profiles.b]\nplatform = "aws"\nbot_name = "alpha"\nentry = "app:handler"\npython = "{HOST_PYTHON}"\n'
        f'aws = {{ region = "eu-central-1" }}\n')
    code, _, err = cli(capsys, project, "status", "alpha")
    assert code == 2 and "2 profiles deploy a bot named alpha" in err and "a (" in err
    code, out, _ = cli(capsys, project, "status", "a")
    assert code == 0 and "alpha" in out and "eu-west-1" in out
    code, out, _ = cli(capsys, project, "status", "alpha", "--where", "eu-west-1")
    assert code == 0 and "active" in out


def test_a_cloud_that_cannot_do_a_thing_says_what_to_do_instead(make_project, fake_cloud, capsys, monkeypatch):
    """The fake cloud declares only INVOKE: every other twin is bad input naming another way."""
    monkeypatch.setenv("EXCHANGE_API_KEY", "fake-secret-value-1")
    project = make_project('[profiles.try]\nplatform = "fake"\nbot_name = "sma-bot"\nentry = "app:handler"\n'
                           'schedule = "rate(15 minutes)"\nsecrets = ["EXCHANGE_API_KEY"]\n')
    assert cli(capsys, project, "deploy", "--profile", "try", "--yes")[0] == 0
    expected = {"logs": "botship runs sma-bot --run", "pause": "botship stop-entries sma-bot",
                "resume": "botship stop-entries sma-bot", "stop-entries": "botship pause sma-bot",
                "flatten": "botship pause sma-bot", "rollback": "botship deploy --profile try",
                "runs": "botship logs sma-bot", "history": "botship logs sma-bot",
                "trades": "botship invoke --local"}
    for command, instead in expected.items():
        code, _, err = cli(capsys, project, command, "sma-bot", "--yes") if command in (
            "pause", "resume", "stop-entries", "flatten", "rollback") else cli(capsys, project, command, "sma-bot")
        assert code == 2 and "is not possible on" in err and instead in err, (command, err)
    code, out, _ = cli(capsys, project, "status", "sma-bot", "--json")
    assert code == 0 and records(out, "status")[0]["state"] == "active"


def test_the_twins_on_azure_against_the_strict_fake(azure_cloud, make_project, capsys, monkeypatch, dependency_cache):
    """A bot deployed to the Azure fake by its profile: listed, its status, pause and resume (the timer's disabled
    setting), its runs and state — the same commands, the same records."""
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = make_project(
        f'[profiles.prod]\nplatform = "azure"\nbot_name = "az-bot"\nentry = "app:handler"\npython = "{HOST_PYTHON}"\n'
        f'memory_mb = 512\nschedule = "rate(15 minutes)"\n[profiles.prod.azure]\n'
        f'subscription_id = "{azure_cloud.subscription_id}"\nresource_group = "bots"\nlocation = "westeurope"\n')
    assert cli(capsys, project, "deploy", "--profile", "prod", "--yes")[0] == 0
    assert cli(capsys, project, "invoke", "--profile", "prod")[0] == 0

    code, out, err = cli(capsys, project, "bots", "--json")
    assert code == 0, out + err
    (bot,) = records(out, "bot")
    assert (bot["name"], bot["platform"], bot["state"], bot["mode"]) == ("az-bot", "azure", "active", "paper")
    code, out, err = cli(capsys, project, "status", "az-bot")
    assert code == 0 and "active" in out and "rate(15 minutes)" in out, out + err
    code, out, err = cli(capsys, project, "pause", "az-bot", "--yes")
    assert code == 0 and "active → paused" in out, out + err
    code, out, err = cli(capsys, project, "resume", "prod", "--yes", "--json")
    assert code == 0 and records(out, "resumed")[0]["state"] == "active", out + err
    code, out, err = cli(capsys, project, "state", "ls", "az-bot")
    assert code == 0 and "no state saved yet" in out, out + err  # this bot keeps no files
    code, out, err = cli(capsys, project, "runs", "az-bot", "--json")
    assert code == 0 and len(records(out, "run")) == 1, out + err
    code, out, err = cli(capsys, project, "logs", "az-bot", "--json")
    assert code == 0 and records(out, "logs")[0]["note"], out + err  # Application Insights' delay, said
    code, out, err = cli(capsys, project, "history", "az-bot", "--json")
    assert code == 0 and [e["action"] for e in records(out, "history")][:2] == ["resume", "pause"], out + err


def test_bots_on_aws_in_two_regions_azure_and_the_sandbox_are_listed_together(
        aws, azure_cloud, sandbox, make_project, capsys, monkeypatch, dependency_cache):
    """One project whose profiles deploy to AWS (two regions, moto), Azure (the strict fake) and the sandbox: one
    `botship bots` lists them all, each with its platform, place, mode and state."""
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = make_project(
        SANDBOX_PROFILE
        + f'\n[profiles.az]\nplatform = "azure"\nbot_name = "az-bot"\nentry = "app:handler"\npython = "{HOST_PYTHON}"\n'
        f'schedule = "rate(15 minutes)"\n[profiles.az.azure]\n'
        f'subscription_id = "{azure_cloud.subscription_id}"\nresource_group = "bots"\nlocation = "westeurope"\n'
        + "".join(f'\n[profiles.{name}]\nplatform = "aws"\nbot_name = "{name}"\nentry = "app:handler"\n'
                  f'python = "{HOST_PYTHON}"\n[profiles.{name}.aws]\nregion = "{region}"\n'
                  for name, region in (("west", "eu-west-1"), ("central", "eu-central-1"))))
    deploy_sandbox(project)
    deploy_aws(project, "eu-west-1", "west")
    deploy_aws(project, "eu-central-1", "central", schedule=None)
    assert cli(capsys, project, "deploy", "--profile", "az", "--yes")[0] == 0

    code, out, err = cli(capsys, project, "bots", "--json")
    assert code == 0, out + err
    listed = {(b["name"], b["platform"], b["where"], b["mode"], b["state"]) for b in records(out, "bot")}
    assert listed == {("counter", "sandbox", "us-east-1", "paper", "active"),
                      ("west", "aws", "eu-west-1", "paper", "active"),
                      ("central", "aws", "eu-central-1", "paper", "active"),
                      ("az-bot", "azure", "westeurope", "paper", "active")}, listed
