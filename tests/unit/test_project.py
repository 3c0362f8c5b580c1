"""What botship finds in a project folder: entry points, requirements, .env names and profiles."""

from __future__ import annotations

from pathlib import Path

from botship.project import EntryCandidate, ProfileSummary, scan_project
from botship.record import DeployRecord, save_record
from helpers import write_files as write


def test_entries_are_found_by_reading_source_apps_first_then_handlers(tmp_path):
    root = write(tmp_path, {
        "app.py": """\
            import sys
            sys.exit("importing this file would be a mistake")

            def helper(x):
                return x

            def run(event, context):
                pass

            def handler(event, context):
                pass

            def _private(a, b):
                pass

            def needs_more(a, b, *, c):
                pass

            class Bot:
                def handler(self, event):
                    pass

            bot = Bot()
            """,
        "strategy.py": """\
            from trading import TradingApp
            engine = TradingApp(name="x")
            config = dict(a=1)
            def lambda_handler(evt, ctx=None):
                pass
            """,
        "pkg/__init__.py": "application = object()\n",
        "pkg/jobs.py": "def handler(event, context):\n    pass\n",
        "broken.py": "def handler(event, context:\n",
        "tests/test_app.py": "def handler(event, context):\n    pass\n",
        "test_local.py": "def test_it(tmp_path, capsys):\n    pass\n",
        "scripts/tool.py": "def handler(event, context):\n    pass\n",
        ".venv/lib.py": "app = App()\n",
        "venv/pkg/__init__.py": "app = App()\n",
    })
    scan = scan_project(root)
    assert scan.entries == [
        EntryCandidate("app:bot", "app", "app.py"),
        EntryCandidate("strategy:engine", "app", "strategy.py"),
        EntryCandidate("pkg:application", "app", "pkg/__init__.py"),
        EntryCandidate("app:handler", "handler", "app.py"),
        EntryCandidate("pkg.jobs:handler", "handler", "pkg/jobs.py"),
        EntryCandidate("app:run", "handler", "app.py"),
        EntryCandidate("strategy:lambda_handler", "handler", "strategy.py"),
    ]


def test_requirements_env_names_and_an_empty_folder(tmp_path):
    assert scan_project(tmp_path).empty
    root = write(tmp_path, {
        "requirements.txt": "# pinned\nccxt==4.3.0\n\n  pandas>=2  # for indicators\n-r extra.txt\n",
        ".env": "EXCHANGE_API_KEY=abc\nthis line is wrong\nSYMBOL='BTC/EUR'\n",
        "notes.txt": "not python",
    })
    scan = scan_project(root)
    assert scan.requirements == ["ccxt==4.3.0", "pandas>=2", "-r extra.txt"]
    assert scan.env_names == ["EXCHANGE_API_KEY", "SYMBOL"]
    assert scan.has_env_file and not scan.has_profiles_file
    assert scan.empty and scan.entries == [] and scan.profiles == []
    (root / "bot.py").write_text("x = 1\n")
    assert not scan_project(root).empty


def test_profiles_are_summarised_with_their_last_deploy_even_when_invalid(tmp_path):
    root = write(tmp_path, {"botship.toml": """\
        [profiles.prod]
        platform = "aws"
        bot_name = "sma-bot"
        entry = "app:handler"
        mode = "live"
        [profiles.prod.aws]
        region = "eu-west-1"

        [profiles.draft]
        platform = "azure"
        memory_mb = "lots"

        [profiles.odd]
        bot_name = ""
        """})
    save_record(root, DeployRecord(profile="prod", platform="aws", bot_name="sma-bot", mode="live",
                                   where="AWS Lambda (eu-west-1)", status="ok", finished_at="2026-03-01T09:00:00+00:00"))
    save_record(root, DeployRecord(profile="gone", platform="aws", bot_name="old", mode="paper",
                                   where="AWS Lambda (eu-west-1)", status="ok", finished_at="2025-01-01T00:00:00+00:00"))
    scan = scan_project(root)
    assert scan.has_profiles_file and not scan.empty
    assert scan.profiles == [
        ProfileSummary("draft", "azure", "?", "paper", None, None),
        ProfileSummary("odd", "?", "?", "paper", None, None),
        ProfileSummary("prod", "aws", "sma-bot", "live", "2026-03-01T09:00:00+00:00", "AWS Lambda (eu-west-1)",
                       "deployed"),
    ]


def test_a_destroyed_or_ended_deploy_is_not_shown_as_deployed(tmp_path):
    root = write(tmp_path, {"botship.toml": """\
        [profiles.prod]
        platform = "aws"
        bot_name = "sma-bot"
        entry = "app:handler"
        [profiles.prod.aws]
        region = "eu-west-1"

        [profiles.sandbox]
        platform = "sandbox"
        bot_name = "sma-bot"
        entry = "app:handler"
        """})
    save_record(root, DeployRecord(profile="prod", platform="aws", bot_name="sma-bot", mode="paper",
                                   where="AWS Lambda (eu-west-1)", status="destroyed", finished_at="2026-03-02"))
    # A sandbox deploy held by an emulator that no longer answers (nothing listens on port 9 here).
    save_record(root, DeployRecord(profile="sandbox", platform="sandbox", bot_name="sma-bot", mode="paper",
                                   where="Sandbox (local emulator)", status="ok", finished_at="2026-03-03",
                                   emulator="http://127.0.0.1:9", emulator_pid=0))
    standing = {p.name: p.last_status for p in scan_project(root).profiles}
    assert standing == {"prod": "destroyed", "sandbox": "ended"}


def test_a_broken_profile_file_gives_no_profiles_instead_of_an_error(tmp_path):
    root = write(tmp_path, {"botship.toml": "[profiles.prod\nplatform = 'aws'\n"})
    scan = scan_project(root)
    assert scan.has_profiles_file and scan.profiles == []
    assert not scan.empty
    write(root, {"botship.toml": "profiles = 3\n"})
    assert scan_project(root).profiles == []
    write(root, {"botship.toml": "[profiles]\nprod = 3\n"})
    assert scan_project(root).profiles == [ProfileSummary("prod", "?", "?", "paper", None, None)]


def test_requirements_are_read_as_pip_reads_them(tmp_path):
    write(tmp_path, {"requirements.txt": (
        "six==1.16.0 \\\n"
        "    --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254  # pinned\n"
        "ccxt \\\n"
        "  >=4 ; python_version >= \"3.8\"  # exchange\n"
        "# done\n")})
    found = scan_project(tmp_path).requirements
    assert len(found) == 2
    assert found[0].startswith("six==1.16.0") and found[1].startswith("ccxt")
    assert not any("#" in line for line in found)
