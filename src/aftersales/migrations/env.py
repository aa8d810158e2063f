"""Alembic environment: runs against the connection handed over by ``aftersales db upgrade``.

The whole run is one transaction, begun here (or the caller's, if its connection is in one). On SQLite,
foreign key enforcement is switched off around it: a batch migration rebuilds a table (copy, drop the old one,
rename), and with foreign keys on, dropping a table that other rows point at fails (or, with ON DELETE
CASCADE, silently deletes them). ``PRAGMA foreign_keys`` has no effect inside a transaction, so it is
set before the transaction begins and restored after it ends; before the commit, ``PRAGMA
foreign_key_check`` must find no row pointing at a missing one, or the whole run is rolled back.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from aftersales.core import migrate
from aftersales.core.migrate import DanglingForeignKeysError
from aftersales.db_models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from aftersales.core.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        try:
            with engine.connect() as connection:
                _run(connection)
        finally:
            engine.dispose()
        return
    _run(connection)


def _run(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        _migrate(connection)
        return
    if not _foreign_keys(connection):
        _migrate(connection)  # nothing to switch off; the check before the commit still runs
        return
    if connection.in_transaction():
        raise RuntimeError(
            "SQLite migrations need a connection outside a transaction (foreign keys can only be switched "
            "off between transactions): pass engine.connect(), not engine.begin()"
        )
    _set_foreign_keys(connection, on=False)
    try:
        _migrate(connection)
    finally:
        if connection.in_transaction():  # a failed run is rolled back already; never leave one open
            connection.rollback()
        _set_foreign_keys(connection, on=True)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=migrate.is_modelled,
        # One transaction for the whole run on SQLite too (Alembic assumes no transactional DDL there).
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            _check_foreign_keys(connection)


def _dbapi(connection: Connection) -> Any:
    # Straight on the driver: SQLAlchemy would begin a transaction first, where the pragma does nothing.
    return connection.connection.dbapi_connection


def _foreign_keys(connection: Connection) -> bool:
    cursor = _dbapi(connection).cursor()
    try:
        cursor.execute("PRAGMA foreign_keys")
        return bool(cursor.fetchone()[0])
    finally:
        cursor.close()


def _set_foreign_keys(connection: Connection, *, on: bool) -> None:
    cursor = _dbapi(connection).cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()
    if _foreign_keys(connection) != on:
        raise RuntimeError(f"could not switch SQLite foreign keys {'on' if on else 'off'}")


def _check_foreign_keys(connection: Connection) -> None:
    """Fail (rolling the run back) when a row points at a row that does not exist."""
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if dangling:
        raise DanglingForeignKeysError([(row[0], row[1], row[2]) for row in dangling])


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `aftersales db upgrade`")
run_migrations_online()
