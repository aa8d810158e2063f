"""CLI tests run the real commands against their own SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from aftersales.config import get_settings
from aftersales.core import runtime


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Point the CLI at a fresh SQLite file; yields its engine (caches cleared before and after)."""
    monkeypatch.setenv("AFTERSALES_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    runtime.engine.cache_clear()
    yield runtime.engine()
    runtime.engine().dispose()
    get_settings.cache_clear()
    runtime.engine.cache_clear()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
