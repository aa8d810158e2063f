"""Run Alembic migrations programmatically (``aftersales db upgrade``, tests, benchmarks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Indexes a migration creates on PostgreSQL only (pg_trgm GIN indexes for the ticket search, migration
# 0018), so the models do not declare them: comparing models with a database leaves them out.
DATABASE_ONLY_INDEXES = frozenset({"ix_tickets_number_trgm", "ix_tickets_description_trgm", "ix_customers_phone_trgm"})


def is_modelled(_object: object, name: str | None, type_: str, reflected: bool, _compare_to: object) -> bool:
    """Alembic ``include_object``: everything but the database-only indexes."""
    return not (type_ == "index" and reflected and name in DATABASE_ONLY_INDEXES)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


class DanglingForeignKeysError(RuntimeError):
    """A migration left rows pointing at rows that do not exist (checked on SQLite); it was rolled back."""

    def __init__(self, dangling: Sequence[tuple[str, int | None, str]]) -> None:
        self.dangling = list(dangling)  # (table, rowid, referenced table)
        shown = ", ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent in self.dangling[:10])
        more = f" and {len(self.dangling) - 10} more" if len(self.dangling) > 10 else ""
        super().__init__(f"migration rolled back: {len(self.dangling)} rows point at missing rows: {shown}{more}")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision``."""
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to ``revision`` (``"base"``: every one)."""
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config(engine)
    # Not engine.begin(): the migration environment (migrations/env.py) begins the one transaction of the
    # run itself, after switching SQLite's foreign keys off, which only works outside a transaction.
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision among the packaged migrations."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
