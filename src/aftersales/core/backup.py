"""Backups of the whole database, and restoring one: SQLite through its online backup API (consistent
while the server keeps writing), PostgreSQL with ``pg_dump`` / ``pg_restore`` (custom format)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from aftersales.core.db import is_sqlite
from aftersales.core.progress import SILENT, Progress


class BackupError(RuntimeError):
    """The backup or restore could not be made (the reason is in the message)."""


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client (e.g. apt-get install postgresql-client)")
    return found


def backup(url: str, target: Path, *, progress: Progress = SILENT) -> int:
    """Write a backup of the database at ``url`` to ``target``; returns its size in bytes. SQLite's copy
    reports its pages to ``progress``; pg_dump's is one stage of unknown length."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite(url):
        source = sqlite3.connect(_sqlite_path(url))
        destination = sqlite3.connect(target)
        copied: int | None = None  # pages, once the first step has told the total

        def copying(_status: int, remaining: int, total: int) -> None:
            nonlocal copied
            if copied is None:
                progress.stage("备份 / backup (pages)", total=total)
                copied = 0
            progress.advance(total - remaining - copied)
            copied = total - remaining

        try:
            with destination:
                # In steps: writers are not held up for long.
                source.backup(destination, pages=1024, progress=copying)
        finally:
            destination.close()
            source.close()
    else:
        progress.stage("备份 / backup")
        command = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _libpq_url(url)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BackupError(result.stderr.strip() or f"pg_dump exited with {result.returncode}")
    return target.stat().st_size


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup in ``source`` (stop the servers and workers first)."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if is_sqlite(url):
        backup_file = sqlite3.connect(source)
        database = sqlite3.connect(_sqlite_path(url))
        try:
            if backup_file.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError(f"{source} is not an intact SQLite database")
            with database:
                backup_file.backup(database)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source}: {error}") from None
        finally:
            database.close()
            backup_file.close()
        return
    command = [
        _tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        f"--dbname={_libpq_url(url)}",
        str(source),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"pg_restore exited with {result.returncode}")
