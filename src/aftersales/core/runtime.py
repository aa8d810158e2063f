"""Build the engine and session factory from settings, once per process (CLI, worker)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from aftersales.config import get_settings
from aftersales.core.db import make_engine, make_session_factory


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The process-wide engine for the configured database."""
    settings = get_settings()
    return make_engine(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
    )


def session_factory() -> sessionmaker[Session]:
    """A session factory bound to :func:`engine`."""
    return make_session_factory(engine())
