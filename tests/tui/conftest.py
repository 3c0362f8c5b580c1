"""Wizard tests: the app driven by Textual's Pilot, with a fixed clock and no user AWS config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

BOTS = Path(__file__).resolve().parents[1] / "bots"


@pytest.fixture(autouse=True)
def quiet_textual(monkeypatch, tmp_path, dependency_cache):
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "counter"
    shutil.copytree(BOTS / "counter", folder)
    return folder
