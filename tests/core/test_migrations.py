"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from aftersales.core import migrate
from aftersales.db_models import Base


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": migrate.is_modelled}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_database_is_at_head(engine: Engine) -> None:
    assert migrate.current(engine) == migrate.head_revision() == "0025"
