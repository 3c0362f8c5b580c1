"""A run journal that cannot be written is never a silent loss: the run goes on, and the console says which
journal misses events and why (a real full disk: a small file system mounted in a user namespace)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from botship.cli.console import Console
from helpers import tmpfs_prefix

TESTS = Path(__file__).resolve().parents[1]
SECRETS = [f"EXCHANGE_KEY_{i:02d}" for i in range(20)]  # a log line each: a journal longer than one 4 KiB page
PROFILE = """\
[profiles.try]
platform = "fake"
bot_name = "sma-bot"
entry = "app:handler"
secrets = [{names}]
""".format(names=", ".join(f'"{name}"' for name in SECRETS))
FAKE_BOTSHIP = TESTS / "fake_botship.py"  # botship with the fake cloud registered


def test_a_journal_on_a_disk_that_fills_mid_run_is_named_with_its_error_and_keeps_whole_lines(make_project):
    project = make_project(PROFILE, env="".join(f"{name}=value-of-{name.lower()}\n" for name in SECRETS))
    runs = project / ".botship" / "runs"
    prefix = tmpfs_prefix(runs, "4k")
    if prefix is None:
        pytest.skip("no user namespaces here to mount a small file system")
    # The deploy, then (in the same namespace, where the small disk is) the journal it left.
    script = (f"'{sys.executable}' '{FAKE_BOTSHIP}' deploy --yes --project '{project}'; echo rc=$?; "
              f"echo '--- journal'; cat '{runs}'/*.jsonl")
    result = subprocess.run([*prefix, "sh", "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(TESTS)})
    out, journal = result.stdout.split("--- journal\n")

    assert "rc=0" in out and "Done in" in out, result.stderr  # the deploy itself went on and finished
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "Not every event of this run was recorded" in result.stderr
    name = next(line for line in result.stderr.splitlines() if "is full while writing the run journal" in line)
    assert f"the disk holding {runs}/" in name and "-try.jsonl" in name and "No space left on device" in name
    records = [json.loads(line) for line in journal.splitlines()]  # no line cut short by the full disk
    assert records[0]["type"] == "plan" and "run_finished" not in [r["type"] for r in records]


def test_what_a_run_could_not_record_is_a_warning_on_the_console_and_a_json_record(tmp_path):
    class Out:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return False

    out, err = Out(), Out()
    Console(out=out, err=err).sink_errors(["the disk holding x.jsonl is full while writing the run journal"])
    Console(out=out, err=err).sink_errors([])
    assert out.text == ""
    assert "Not every event of this run was recorded" in err.text and "x.jsonl is full" in err.text

    json_out = Out()
    Console(as_json=True, out=json_out, err=err).sink_errors(["boom"])
    assert json.loads(json_out.text) == {"type": "warning", "message": "not every event of the run was recorded",
                                         "errors": ["boom"]}
