"""`db backup` and `db restore`: a round trip brings back exactly the backed-up rows (SQLite file, or a
PostgreSQL database of the test's own when the suite runs on PostgreSQL); a bad backup changes nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.config import get_settings
from aftersales.core import runtime


@pytest.fixture
def database(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty database for the CLI: a SQLite file, or a fresh PostgreSQL database beside the test one."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'live.db'}"
        admin = None
    else:
        name = f"aftersales_backup_{os.getpid()}"
        admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except (ProgrammingError, OperationalError):
            admin.dispose()
            pytest.skip("the test role may not create databases")
        url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("AFTERSALES_DATABASE_URL", url)
    get_settings.cache_clear()
    runtime.engine.cache_clear()
    yield url
    runtime.engine().dispose()
    get_settings.cache_clear()
    runtime.engine.cache_clear()
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}"'))
        admin.dispose()


def _usernames(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT username FROM users ORDER BY username")).scalars())
    finally:
        engine.dispose()


def _cli(*arguments: str) -> str:
    result = CliRunner().invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_backup_restores_exactly_what_it_held(database: str, tmp_path: Path) -> None:
    _cli("db", "upgrade")
    _cli("users", "create", "--username", "kept", "--role", "agent", "--password", "secret-pass-1")
    saved = tmp_path / "backups" / "nightly.bak"
    assert f"backed up to {saved}" in _cli("db", "backup", "--to", str(saved))
    _cli("users", "create", "--username", "later", "--role", "agent", "--password", "secret-pass-1")
    assert _usernames(database) == ["kept", "later"]
    runtime.engine().dispose()  # the CLI's own connections: a restore replaces the data under them
    assert "restored from" in _cli("db", "restore", "--from", str(saved), "--yes")
    assert _usernames(database) == ["kept"]


def test_a_bad_backup_is_refused_and_changes_nothing(database: str, tmp_path: Path) -> None:
    _cli("db", "upgrade")
    _cli("users", "create", "--username", "kept", "--role", "agent", "--password", "secret-pass-1")
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a backup at all" * 100)
    runtime.engine().dispose()
    result = CliRunner().invoke(app, ["db", "restore", "--from", str(junk), "--yes"])
    assert result.exit_code == 1
    assert "恢复失败 / restore failed" in result.output
    assert _usernames(database) == ["kept"]
