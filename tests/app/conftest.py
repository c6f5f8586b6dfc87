"""Shared set-up for the app tests: a small sample folder and a private working folder, so
tests never depend on (or write into) the repository's own files."""
from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """The app reads samples from tests/app/data and works in a temporary folder."""
    monkeypatch.setenv("FACTORY_TWIN_SAMPLES", str(DATA))
    monkeypatch.setenv("FACTORY_TWIN_APP_DIR", str(tmp_path))
    return tmp_path
