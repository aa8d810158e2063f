"""Helpers for tests that race two real transactions against each other (see ``committed_engine``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

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


def commit_while_blocked(engine: Engine, first: Session, second: Callable[[], None], *, timeout: float = 30.0) -> None:
    """Race ``second`` (run in a thread, in its own transaction) against ``first``'s open transaction: wait
    until the second is blocked on the first (``until_blocked``), then commit and close the first and wait
    for the second to finish."""
    racer = threading.Thread(target=second)
    racer.start()
    until_blocked(engine)
    first.commit()
    first.close()
    racer.join(timeout)
