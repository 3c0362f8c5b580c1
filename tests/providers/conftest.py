"""Provider tests start from a copy of the counter bot, with the session's shared dependency cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import BOTS, HOST_PYTHON, RecordingReport, bot_copy


@pytest.fixture
def project(tmp_path, monkeypatch, dependency_cache) -> Path:
    return bot_copy("counter", tmp_path / "counter", monkeypatch, dependency_cache)


@pytest.fixture(scope="session")
def framework_site(dependency_cache) -> Path:
    """The bot's requirements (investing-algorithm-framework 8.10.0) installed by botship's dependency build,
    for this Python, in the session's cache (the iaf template's tests install the same layer)."""
    from botship.providers.artifact.deps import install_dependencies

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
        layer = install_dependencies(BOTS / "iaf_trader", "aws", HOST_PYTHON, RecordingReport())
    assert (layer.site / "investing_algorithm_framework").is_dir() and (layer.site / "ccxt").is_dir()
    return layer.site
