"""Engine and session factories, the declarative Base and shared column types.

SQLite is the embedded default: WAL, a busy timeout, foreign keys on, and every transaction opened with
``BEGIN IMMEDIATE`` so concurrent writers queue on the lock instead of failing mid-transaction.
PostgreSQL (psycopg 3) is the production database.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import JSON, Connection, DateTime, Engine, MetaData, String, Table, create_engine, event
from sqlalchemy import exc as sqlalchemy_exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from aftersales.core.write_gate import SQLiteWriteGate, WriteTurn

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


M = TypeVar("M")


class Base(DeclarativeBase):
    """Declarative base for every model; constraint names follow NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EnumText(TypeDecorator[StrEnum]):
    """A ``StrEnum`` stored as its value in a VARCHAR: what the ORM claims (``Mapped[TicketStatus]``) is
    what it returns. Writing a value outside the enum fails before the statement is sent."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: StrEnum | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum_class(value)


READ_ONLY_OPTION = "aftersales_read_only"

JSONType = JSON().with_variant(JSONB(), "postgresql")


def is_sqlite(url: str) -> bool:
    """True when the URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(
    url: str,
    *,
    sqlite_synchronous: str = "FULL",
    busy_timeout_ms: int = 30_000,
    pool_size: int = 10,
    echo: bool = False,
    write_turn: WriteTurn | None = None,
    takes_turn: bool = False,
) -> Engine:
    """Create an engine configured for this project's concurrency rules. ``write_turn`` (SQLite): shared
    with a background child; its engine ``takes_turn``, the serving process's engine gives way to it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            pool_size=pool_size,
            # SQLite connections are cheap; never let the pool be smaller than the server's thread pool.
            max_overflow=64,
        )
        lock_file = Path(f"{database}-writer") if database and database != ":memory:" else None
        gate = SQLiteWriteGate(busy_timeout_ms / 1000, turn=write_turn, takes_turn=takes_turn, lock_file=lock_file)
        _configure_sqlite(engine, synchronous=sqlite_synchronous, busy_timeout_ms=busy_timeout_ms, gate=gate)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, echo=echo, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, *, synchronous: str, busy_timeout_ms: int, gate: SQLiteWriteGate) -> None:
    if synchronous.upper() not in {"FULL", "NORMAL", "EXTRA", "OFF"}:
        raise ValueError(f"unknown SQLite synchronous mode {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # The automatic checkpoint runs inside whichever commit crosses the threshold and stalls that
        # writer (with the lock held) for a long fsync; a server checkpoints in the background instead
        # (``WalCheckpointer``), and this higher threshold remains the bound for short-lived processes.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: a deferred transaction that later upgrades to a writer
        # fails with "database is locked" instead of waiting for the busy timeout.
        # Sessions that only read say so (READ_ONLY) and run as plain WAL readers, never blocking writers.
        dbapi_connection = connection.connection.dbapi_connection
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            dbapi_connection.execute("BEGIN")
            return
        gate.begin(dbapi_connection, busy_timeout_ms)
        connection.info[_GATE_KEY] = gate

    def _end_with(statement: str) -> Any:
        # SQLAlchemy fires these events *before* it commits: a gate opened there let the other process try
        # ``BEGIN IMMEDIATE`` while the commit synced, fail and back off with the lock idle. So the event ends
        # the transaction, then opens the gate; the driver's own call finds none open (autocommit mode).
        def end(connection: Any) -> None:
            held = connection.info.pop(_GATE_KEY, None)
            if held is None:
                return
            try:
                dbapi_connection = connection.connection.dbapi_connection
                if dbapi_connection.in_transaction:
                    dbapi_connection.execute(statement)
            except sqlite3.Error:
                pass  # the transaction is still open: the driver's call that follows repeats it and reports
            finally:
                held.end()

        return end

    event.listen(engine, "commit", _end_with("COMMIT"))
    event.listen(engine, "rollback", _end_with("ROLLBACK"))


_GATE_KEY = "aftersales_sqlite_write_gate"
WAL_AUTOCHECKPOINT_PAGES = 10_000


class WalCheckpointer:
    """Copies the WAL back into the database file every ``interval_s`` (PASSIVE: never blocks writers)."""

    def __init__(self, engine: Engine, interval_s: float = 1.0) -> None:
        self._engine = engine
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> WalCheckpointer:
        if self._engine.dialect.name == "sqlite" and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="aftersales-wal-checkpoint", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        raw = self._engine.raw_connection()
        try:
            while not self._stop.wait(self._interval_s):
                try:
                    raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
                except sqlite3.Error:
                    continue  # busy or locked: the next round will do it
        finally:
            raw.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that never expire loaded objects on commit (the edge commits, then serialises)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model (for statements built once and run with parameters)."""
    return cast(Table, model.__table__)


def core_connection(session: Session) -> Connection:
    """The session's connection for prebuilt Core statements, after flushing pending ORM changes
    (Core execution skips the ORM's autoflush, and must still see what the session has changed)."""
    session.flush()
    return session.connection()


def dialect_insert(dialect_name: str) -> Any:
    """The dialect's INSERT construct (with ON CONFLICT support) for SQLite or PostgreSQL."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def dialect_of(session: Session) -> str:
    """'sqlite' or 'postgresql' for the session's bind."""
    return session.get_bind().dialect.name


def mark_read_only(session: Session) -> None:
    """Declare that this session's transaction only reads (SQLite then takes no write lock)."""
    session.connection(execution_options={READ_ONLY_OPTION: True})


def get_for_update(session: Session, model: type[M], ident: Any) -> M | None:
    """Load a row in order to check and change it (a status, a decision): on PostgreSQL it is locked until
    the transaction ends and re-read, so a concurrent decision waits and then sees this one; SQLite's
    single writer already serialises write transactions."""
    if dialect_of(session) == "postgresql":
        return session.get(model, ident, with_for_update=True, populate_existing=True)
    return session.get(model, ident)


@contextmanager
def read_only(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose one transaction only reads (SQLite takes no write lock), rolled back and closed
    after the block: background work decides outside the write lock, then writes in a short unit of work."""
    session = factory()
    try:
        mark_read_only(session)
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


BUSY_SQLSTATES = {"55P03", "57014", "40P01"}  # lock not available, statement/lock timeout, deadlock


def is_busy_error(error: BaseException) -> bool:
    """Whether a database error means "busy, try again" (a lock not obtained in time, no free connection)
    rather than a fault: SQLite's "database is locked", PostgreSQL's lock timeout or deadlock, the pool."""
    if isinstance(error, sqlalchemy_exc.TimeoutError):
        return True
    original = getattr(error, "orig", error)
    if isinstance(original, sqlite3.OperationalError):
        text = str(original)
        return "locked" in text or "busy" in text
    return getattr(original, "sqlstate", None) in BUSY_SQLSTATES
