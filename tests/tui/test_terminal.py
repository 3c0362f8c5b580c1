"""One run of the wizard in a real terminal (tmux): keys typed, the screen read, a bot deployed to moto's server."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import boto3
from terminal import Terminal, terminal_env

BOTS = Path(__file__).resolve().parents[1] / "bots"


def test_the_wizard_deploys_from_a_real_terminal(aws, tmp_path, dependency_cache):
    project = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", project)
    env = terminal_env(tmp_path, AWS_ENDPOINT_URL=aws, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                       AWS_DEFAULT_REGION="eu-west-1", BOTSHIP_CACHE_DIR=str(dependency_cache))
    term = Terminal([sys.executable, "-m", "botship"], project, env, width=100, height=30)
    try:
        term.wait_for("New deployment", timeout=30)
        term.type("n")
        term.wait_for("Where should the bot run?")
        term.type("Enter")  # AWS Lambda is highlighted: Enter picks it and goes on
        term.wait_for("all good", timeout=60)
        term.next_through_the_wizard()
        screen = term.wait_for("Deployed counter", timeout=90)
        assert "PAPER" in screen
        term.type("C-q")
        assert term.exit_code() == 0
    finally:
        term.close()
    function = boto3.client("lambda", region_name="eu-west-1").get_function(FunctionName="botship-counter")
    assert function["Configuration"]["State"] in ("Active", "Pending")
