"""The bots commands that change a bot — stop entries, flatten, resume entries, rollback — and what they read back
(trades, runs), against the real sandbox: output, exit codes, confirmations on a terminal, and a LIVE bot's typed
name."""

from __future__ import annotations

import os
import sys

from bots_cli_kit import SANDBOX_PROFILE, cli, counter, deploy_aws, deploy_sandbox, plain_bot, records  # noqa: F401


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


