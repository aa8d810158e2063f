"""Build the engine, session factory and clock from settings, once per process (CLI, worker)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from aftersales.config import Settings, get_settings
from aftersales.core.clock import Clock, RunningClock, SystemClock
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


def clock_for(settings: Settings | None = None) -> Clock:
    """The process's clock: the wall clock, or, where the settings allow it (demo, development, test),
    a clock running from ``AFTERSALES_CLOCK_START``."""
    settings = settings or get_settings()
    return RunningClock(settings.clock_start) if settings.clock_start else SystemClock()
