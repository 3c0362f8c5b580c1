"""The bots commands — the CLI twins of the bots screen — against the real sandbox (its own emulator) and moto's
server: every twin's output and exit code, its --json records, an unknown bot (exit 2, said clearly), and bots that
share a name (picked with --platform / --where)."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from aws_flow import spec_for
from botship.cli import main
from botship.providers import provider_class
from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.providers.base import DeployContext
from botship.providers.engine import start_run
from botship.secret_values import SecretValue, SecretValues
from botship.spec import build_spec
from helpers import HOST_PYTHON

SANDBOX_PROFILE = f"""\
[profiles.try]
platform = "sandbox"
bot_name = "counter"
entry = "app:handler"
python = "{HOST_PYTHON}"
schedule = "rate(5 minutes)"
timezone = "Europe/Amsterdam"
"""


def cli(capsys, project: Path, *args: str) -> tuple[int, str, str]:
    """`botship ARGS --project PROJECT` in this process (where the sandbox's emulator runs): exit code, out, err."""
    capsys.readouterr()
    code = main([*args, "--project", str(project)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def records(out: str, kind: str | None = None) -> list[dict]:
    found = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [r for r in found if kind is None or r["type"] == kind]


def deploy_sandbox(project: Path, **changes) -> None:
    spec = build_spec({"platform": "sandbox", "bot_name": "counter", "entry": "app:handler", "python": HOST_PYTHON,
                       "schedule": "rate(5 minutes)", "timezone": "Europe/Amsterdam", **changes}, project)
    result = start_run(provider_class("sandbox")(spec).plan(DeployContext(project, "try", SecretValues([]))),
                       lambda event: None).wait(120)
    assert result.ok, result.failure


def deploy_aws(project: Path, region: str, bot: str, **changes) -> None:
    spec = spec_for(project, bot_name=bot, aws={"region": region}, **changes)
    secrets = SecretValues([SecretValue("EXCHANGE_API_KEY", "key-4321", "environment")])
    result = start_run(AwsProvider(spec, AwsSession(region)).plan(DeployContext(project, "prod", secrets)),
                       lambda event: None).wait(120)
    assert result.ok, result.failure


@pytest.fixture
def counter(sandbox, project) -> Path:
    """The counter bot deployed to the sandbox by its profile `try`, run twice."""
    from botship.providers import cloud_class

    (project / "botship.toml").write_text(SANDBOX_PROFILE)
    deploy_sandbox(project)
    bot = cloud_class("sandbox")().bot("counter")
    assert bot.invoke({}).ok and bot.invoke({}).ok
    return project


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


@pytest.fixture
def plain_bot(sandbox, tmp_path, dependency_cache, monkeypatch) -> Path:
    """A bot made by `botship init` (the plain template, its books in state.db), deployed to the sandbox by its
    `sandbox` profile and run 30 times."""
    from botship.profiles import ProfileStore
    from botship.providers import cloud_class

    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    project = tmp_path / "sma-demo"
    assert main(["init", str(project), "--template", "plain"]) == 0
    spec = ProfileStore(project).spec("sandbox")
    result = start_run(provider_class("sandbox")(spec).plan(DeployContext(project, "sandbox", SecretValues([]))),
                       lambda event: None).wait(120)
    assert result.ok, result.failure
    bot = cloud_class("sandbox")().bot("sma-demo")
    for _ in range(30):
        assert bot.invoke({}).ok
    return project


def test_trades_shows_the_books_of_the_plain_templates_state_db(plain_bot, capsys):
    code, out, err = cli(capsys, plain_bot, "trades", "sma-demo")
    assert code == 0, out + err
    assert "state.db" in out and "equity" in out and "realized P&L" in out and "win rate" in out
    code, out, _ = cli(capsys, plain_bot, "trades", "sandbox", "--json", "--limit", "5")
    (book,) = records(out, "trading")
    assert code == 0 and book["database"] == "state.db" and book["kind"] == "plain" and book["bot"] == "sma-demo"
    assert book["equity"] is not None and book["initial"] == 1000
    assert book["open_trades"] + book["closed_trades"] >= 1
    assert len(records(out, "trade")) <= 10


def test_trades_of_a_state_without_books_says_what_it_holds(counter, capsys):
    code, _, err = cli(capsys, counter, "trades", "counter")
    assert code == 1 and "databases/bot.sqlite3 of counter's state holds no trading books" in err
    assert "botship state get counter databases/bot.sqlite3 -o" in err


def test_runs_list_what_each_run_recorded_and_show_one_in_full(plain_bot, capsys):
    code, out, err = cli(capsys, plain_bot, "runs", "sma-demo", "--limit", "5")
    assert code == 0, out + err
    for column in ("STARTED", "TRIGGER", "STATUS", "TOOK", "CONTROL", "GEN", "RESULT", "RUN"):
        assert column in out
    code, out, _ = cli(capsys, plain_bot, "runs", "sma-demo", "--json")
    runs = records(out, "run")
    assert code == 0 and len(runs) == 20 and all(r["status"] == "ok" for r in runs)  # --limit's default
    assert runs[0]["generation"] > runs[-1]["generation"] and runs[0]["trigger"] == "invoke"
    assert runs[0]["started_at"].endswith("+00:00") and runs[0]["log_tail"]
    code, out, _ = cli(capsys, plain_bot, "runs", "sma-demo", "--run", runs[3]["run_id"][:8])
    assert code == 0 and runs[3]["run_id"] in out and "last log lines" in out and "result:" in out
    code, _, err = cli(capsys, plain_bot, "runs", "sma-demo", "--run", "zzzz")
    assert code == 2 and "no run of sma-demo is zzzz" in err
    code, _, err = cli(capsys, plain_bot, "runs", "sma-demo", "--limit", "0")
    assert code == 2 and "--limit" in err


def test_stop_entries_flatten_and_resume_entries_reach_the_bot(plain_bot, capsys):
    from botship.providers import cloud_class

    bot = cloud_class("sandbox")().bot("sma-demo")
    code, _, err = cli(capsys, plain_bot, "stop-entries", "sma-demo")
    assert code == 2 and "needs confirmation" in err and bot.control() == "run"
    code, out, err = cli(capsys, plain_bot, "stop-entries", "sma-demo", "--yes")
    assert code == 0, out + err
    assert "control 'run' → 'stopentry'" in out and "control is now 'stopentry'" in out
    assert bot.control() == "stopentry"
    code, out, _ = cli(capsys, plain_bot, "status", "sma-demo")
    assert "stopentry: opens no new positions" in out
    code, out, _ = cli(capsys, plain_bot, "stop-entries", "sma-demo", "--yes")
    assert code == 0 and "nothing was changed" in out
    assert bot.invoke({}).ok
    code, out, _ = cli(capsys, plain_bot, "runs", "sma-demo", "--limit", "1", "--json")
    assert records(out, "run")[0]["control"] == "stopentry"

    code, out, _ = cli(capsys, plain_bot, "flatten", "sma-demo", "--yes", "--json")
    (changed,) = records(out, "control")
    assert code == 0 and (changed["before"], changed["level"]) == ("stopentry", "flatten") and changed["generation"]
    assert bot.invoke({}).ok
    code, out, _ = cli(capsys, plain_bot, "trades", "sma-demo", "--json")
    assert records(out, "trading")[0]["open_positions"] == 0  # flattened: nothing held
    code, out, _ = cli(capsys, plain_bot, "resume-entries", "sma-demo", "--yes")
    assert code == 0 and "control is now 'run'" in out and bot.control() == "run"
    code, out, _ = cli(capsys, plain_bot, "history", "sma-demo", "--json")
    assert [e["action"] for e in records(out, "history")][:3] == ["resume-entries", "flatten", "stopentry"]


def test_a_live_bots_flatten_is_refused_without_yes(sandbox, project, capsys):
    from botship.providers import cloud_class

    (project / "botship.toml").write_text(SANDBOX_PROFILE + 'mode = "live"\n')
    deploy_sandbox(project, mode="live")
    bot = cloud_class("sandbox")().bot("counter", "live")
    assert bot.invoke({}).ok
    code, _, err = cli(capsys, project, "flatten", "counter")
    assert code == 2 and "flattening the LIVE bot counter needs confirmation" in err and "real money" in err
    assert bot.control() == "run"


# ---- changing: rollback, state versions/restore for a bot found in the clouds ---------------------------------------

def test_rollback_lists_confirms_and_ships_the_earlier_code(counter, capsys):
    from botship.providers import cloud_class

    code, _, err = cli(capsys, counter, "rollback", "counter", "--yes")
    assert code == 2 and "no version older than the one it runs" in err
    app = counter / "app.py"
    app.write_text(app.read_text().replace('"runs": before + 1,', '"runs": before + 1, "version": 2,'))
    deploy_sandbox(counter)
    bot = cloud_class("sandbox")().bot("counter")
    assert bot.invoke({}).body["result"]["version"] == 2

    code, out, _ = cli(capsys, counter, "rollback", "counter", "--list", "--json")
    versions = records(out, "version")
    assert code == 0 and [v["detail"] for v in versions] == ["current", ""]
    code, _, err = cli(capsys, counter, "rollback", "counter", "--to", "ffff", "--yes")
    assert code == 2 and "no version of counter matches 'ffff'" in err
    code, _, err = cli(capsys, counter, "rollback", "counter")
    assert code == 2 and "needs confirmation" in err
    code, out, _ = cli(capsys, counter, "rollback", "counter", "--yes")
    assert code == 0, out
    assert f"→ {versions[1]['version'][:12]}" in out and "Rolled back counter" in out
    assert "version" not in bot.invoke({}).body["result"]  # the earlier code runs again
    code, out, _ = cli(capsys, counter, "history", "counter", "--json")
    assert records(out, "history")[0]["action"] == "rollback"


def test_on_a_terminal_a_change_is_asked_and_a_live_rollback_needs_the_name_typed(sandbox, project, dependency_cache,
                                                                                   tmp_path, capsys):
    """A real terminal (tmux): pause asks yes/no (no: exit 130, nothing changed); a LIVE bot's rollback asks for its
    name typed (a wrong one cancels, the right one rolls back)."""
    from botship.providers import cloud_class
    from terminal import Terminal, terminal_env

    (project / "botship.toml").write_text(SANDBOX_PROFILE + 'mode = "live"\n')
    deploy_sandbox(project, mode="live")
    bot = cloud_class("sandbox")().bot("counter")
    first = bot.status().version
    app = project / "app.py"
    app.write_text(app.read_text().replace('"runs": before + 1,', '"runs": before + 1, "version": 2,'))
    deploy_sandbox(project, mode="live")
    second = bot.status().version
    assert second != first
    code, _, err = cli(capsys, project, "rollback", "counter")  # nobody to type the name: refused
    assert code == 2 and "rolling back the LIVE bot counter needs confirmation" in err and "real money" in err
    env = terminal_env(tmp_path, BOTSHIP_SANDBOX_URL=sandbox, BOTSHIP_CACHE_DIR=str(dependency_cache), NO_COLOR="1",
                       **{k: os.environ[k] for k in ("BOTSHIP_CONFIG_DIR", "AZURE_CONFIG_DIR",
                                                     "BOTSHIP_AZURE_MANAGED_IDENTITY")})

    def run(*args: str, answer: list[str], asked: str) -> tuple[int, str]:
        term = Terminal([sys.executable, "-m", "botship", *args, "--project", str(project)], project, env)
        try:
            term.wait_for(asked, timeout=60)
            term.type(*answer)
            code = term.exit_code(timeout=120)
            return code, term.screen()
        finally:
            term.close()

    code, screen = run("pause", "counter", answer=["n"], asked="Pause counter?")
    assert code == 130 and "nothing was changed" in screen and bot.status().state == "active"
    code, screen = run("rollback", "counter", answer=["counterfeit", "Enter"], asked="Type its name to confirm")
    assert code == 130 and "LIVE" in screen and bot.status().version == second
    code, screen = run("rollback", "counter", answer=["counter", "Enter"], asked="Type its name to confirm")
    assert code == 0 and "Rolled back counter" in screen and bot.status().version == first
    code, screen = run("pause", "counter", answer=["y"], asked="Pause counter?")
    assert code == 0 and bot.status().state == "paused"


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
