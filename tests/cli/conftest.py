"""CLI tests run the real commands against their own SQLite file; the crash tests run real processes on a
database of their own (SQLite, or PostgreSQL when the suite runs there)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from aftersales.config import get_settings
from aftersales.core import runtime
from aftersales.core.db import make_engine
from tests.cli import process_support


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


@pytest.fixture
def process_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database for real processes (see ``process_support.own_database``)."""
    with process_support.own_database(database_url, tmp_path) as url:
        yield url


@pytest.fixture
def migrated_database(process_database: str, tmp_path: Path) -> Iterator[Engine]:
    """That database migrated and seeded by the real ``aftersales db upgrade``; an engine for checking."""
    upgrade = subprocess.run(
        [process_support.CLI, "db", "upgrade"],
        env=process_support.process_environment(process_database),
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    engine = make_engine(process_database)
    yield engine
    engine.dispose()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[process_support.Processes]:
    """Start real processes; any still running when the test ends is killed."""
    started = process_support.Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
