"""Helpers for tests that race two real transactions against each other (see ``committed_engine``)."""

from __future__ import annotations

import time

from sqlalchemy import Engine, text

_WAITING = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")


def until_blocked(engine: Engine, *, timeout: float = 10.0) -> None:
    """Return once another transaction waits for a lock the caller holds (bounded by ``timeout``).

    PostgreSQL says so in ``pg_stat_activity``; SQLite has no such view, and there the other writer waits
    for the database's write lock, so a short pause lets it get there.
    """
    if engine.dialect.name != "postgresql":
        time.sleep(0.2)
        return
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        while time.monotonic() < deadline and not watcher.execute(_WAITING).scalar():
            time.sleep(0.02)
