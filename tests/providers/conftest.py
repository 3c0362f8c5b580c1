"""Provider tests start from a copy of the counter bot, with the session's shared dependency cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

BOTS = Path(__file__).resolve().parents[1] / "bots"


@pytest.fixture
def project(tmp_path, monkeypatch, dependency_cache) -> Path:
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    folder = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", folder)
    return folder
