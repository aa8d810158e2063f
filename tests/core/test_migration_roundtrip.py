"""Every migration can be undone: on a fresh database (a throw-away SQLite file, or a database of its own
on the PostgreSQL server of AFTERSALES_TEST_DATABASE_URL) head → base → head leaves exactly the tables
the models describe, and each revision's downgrade removes exactly what its upgrade added."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Role
from aftersales.core import migrate
from aftersales.core.clock import FrozenClock
from aftersales.core.db import is_sqlite, make_engine, make_session_factory, unit_of_work
from aftersales.db_models import Base
from tests import factories

# What each revision creates (exact: a new migration must be added here).
TABLES_BY_REVISION: dict[str, set[str]] = {
    "0001": {
        "addresses", "api_tokens", "audit_log", "customers", "installed_products", "notification_outbox",
        "organisations", "product_models", "sla_calendar_days", "sla_calendars", "sla_policies", "sla_targets",
        "ticket_comments", "ticket_events", "ticket_number_sequences", "tickets", "triage_intake_rules", "users",
    },
    "0002": {"console_sessions"},
    "0003": {
        "knowledge_article_versions", "knowledge_articles", "knowledge_index_counter", "knowledge_questions",
        "knowledge_solutions", "knowledge_synonyms",
    },
    "0004": {"triage_models"},
    "0005": {"analytics_ticket_topics", "analytics_topic_clusters"},
    "0006": {"assist_sessions"},
    "0007": {"dispatch_service_points", "dispatch_technicians"},
    "0008": {"dispatch_appointments"},
    "0009": {"dispatch_confirmation_codes", "dispatch_day_plans", "dispatch_plan_stops", "ticket_attachments"},
    "0010": {"notification_preferences"},
    "0011": {"knowledge_bulletin_tickets", "knowledge_bulletin_versions", "knowledge_bulletins"},
    "0012": {"feedback_promises", "feedback_survey_responses", "feedback_visit_attempts", "feedback_visits"},
    "0013": {
        "compensations", "quality_checklist_items", "quality_inspections", "quality_rectifications",
        "quality_samples", "quality_self_checks",
    },
    "0014": {"dispatch_requests"},
    "0015": set(),
    "0016": set(),
    "0017": set(),
    "0018": set(),
    "0019": set(),
    "0020": set(),
    "0021": {"dispatch_visit_flags"},
    "0022": {"notification_routing_rules"},
    "0023": {"ticket_saved_filters"},
    "0024": set(),
    "0025": {
        "analytics_daily_faults", "analytics_daily_sla", "analytics_daily_volume", "analytics_rollup_days",
        "analytics_rollup_watermark",
    },
}  # fmt: skip
# Columns a revision adds to a table an earlier one created.
COLUMNS_BY_REVISION: dict[str, dict[str, set[str]]] = {
    "0002": {"users": {"failed_logins", "locked_until"}},
    "0009": {"dispatch_technicians": {"certificates", "break_start", "break_end", "van_code"}},
    "0010": {"notification_outbox": {"locked_until", "claim_token", "suppressed_reason"}},
    "0017": {"api_tokens": {"expires_at", "scope"}},
    "0019": {"notification_outbox": {"read_at"}},
    "0020": {"feedback_visits": {"assignee_id"}},
    "0022": {"notification_preferences": {"quiet_start", "quiet_end"}},
    "0024": {"users": {"version"}, "organisations": {"version"}},
}
# Indexes a revision swaps on a table: (added, removed).
INDEXES_BY_REVISION: dict[str, dict[str, tuple[set[str], set[str]]]] = {
    "0015": {
        "tickets": (
            {"ix_tickets_assignee_status", "ix_tickets_organisation_status"},
            {"ix_tickets_assignee_id", "ix_tickets_organisation_id"},
        )
    },
    "0018": {
        "tickets": (
            {
                "ix_tickets_reported_id", "ix_tickets_status_reported", "ix_tickets_kind_reported",
                "ix_tickets_priority_reported", "ix_tickets_sla_state_reported", "ix_tickets_address_id",
                "ix_tickets_customer_reported",
            },
            {
                "ix_tickets_reported_at", "ix_tickets_status_created", "ix_tickets_kind", "ix_tickets_priority",
                "ix_tickets_sla_state", "ix_tickets_customer_id",
            },
        ),
        "ticket_events": ({"ix_ticket_events_breached_at"}, set()),
        "addresses": ({"ix_addresses_province_city"}, set()),
    },
    "0019": {"notification_outbox": ({"ix_notification_outbox_inbox", "ix_notification_outbox_unread"}, set())},
    "0020": {"feedback_visits": ({"ix_feedback_visits_assignee_status_due"}, set())},
    "0023": {
        "customers": ({"ix_customers_name"}, set()),
        "installed_products": ({"ix_installed_products_serial_number"}, set()),
        "tickets": ({"ix_tickets_product_reported"}, set()),
    },
    "0025": {"tickets": ({"ix_tickets_updated_at"}, set())},
}  # fmt: skip
REVISIONS = list(TABLES_BY_REVISION)
HEAD_TABLES = set().union(*TABLES_BY_REVISION.values()) | {"alembic_version"}
# What an emptied database still holds: Alembic's own table and its primary key index.
LEFTOVERS = {
    "sqlite": {"alembic_version", "sqlite_autoindex_alembic_version_1"},
    "postgresql": {"alembic_version", "alembic_version_pkc"},
}


@pytest.fixture
def fresh_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, never the shared test database; removed afterwards."""
    if is_sqlite(database_url):
        engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
        yield engine
        engine.dispose()
        return
    url = make_url(database_url)
    name = f"aftersales_roundtrip_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))  # a leftover of a killed run
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except (ProgrammingError, OperationalError):  # no CREATEDB right, or no access to "postgres"
        admin.dispose()
        yield from _in_own_schema(url.render_as_string(hide_password=False), name)
        return
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _in_own_schema(url: str, schema: str) -> Iterator[Engine]:
    """Fallback for a role that may not create databases: a schema of its own in the test database."""
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    with owner.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f'SET search_path TO "{schema}"')
        dbapi_connection.commit()

    try:
        yield engine
    finally:
        engine.dispose()
        with owner.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        owner.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def indexes(engine: Engine, table: str) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes(table)}


def relations(engine: Engine) -> set[str]:
    """Every table, index and sequence left in the database (schema)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return set(connection.scalars(text("SELECT name FROM sqlite_master")))
        return set(
            connection.scalars(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = current_schema()"
                )
            )
        )


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": migrate.is_modelled}
        )
        return list(compare_metadata(context, Base.metadata))


def test_the_revision_chain_is_the_expected_one() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    assert [revision.revision for revision in reversed(list(script.walk_revisions()))] == REVISIONS
    assert migrate.head_revision() == REVISIONS[-1]
    assert set(Base.metadata.tables) | {"alembic_version"} == HEAD_TABLES


def test_head_base_head_round_trip(fresh_engine: Engine) -> None:
    assert (tables(fresh_engine), migrate.current(fresh_engine)) == (set(), None)

    migrate.upgrade(fresh_engine)
    assert tables(fresh_engine) == HEAD_TABLES
    assert migrate.current(fresh_engine) == REVISIONS[-1]
    assert schema_differences(fresh_engine) == []

    migrate.downgrade(fresh_engine, "base")
    assert tables(fresh_engine) == {"alembic_version"}
    assert relations(fresh_engine) == LEFTOVERS[fresh_engine.dialect.name]  # no stray index or sequence
    assert migrate.current(fresh_engine) is None

    migrate.upgrade(fresh_engine)
    assert tables(fresh_engine) == HEAD_TABLES
    assert migrate.current(fresh_engine) == REVISIONS[-1]
    assert schema_differences(fresh_engine) == []


def test_each_downgrade_removes_exactly_what_its_upgrade_added(fresh_engine: Engine) -> None:
    expected: set[str] = set()
    for revision in REVISIONS:
        migrate.upgrade(fresh_engine, revision)
        expected |= TABLES_BY_REVISION[revision] | {"alembic_version"}
        assert (revision, tables(fresh_engine)) == (revision, expected)
        assert migrate.current(fresh_engine) == revision
        for table, added in COLUMNS_BY_REVISION.get(revision, {}).items():
            assert added <= columns(fresh_engine, table), revision
        for table, (added, removed) in INDEXES_BY_REVISION.get(revision, {}).items():
            assert (added <= indexes(fresh_engine, table), indexes(fresh_engine, table) & removed) == (True, set())

    for previous, revision in reversed(list(zip(["base", *REVISIONS[:-1]], REVISIONS, strict=True))):
        migrate.downgrade(fresh_engine, previous)
        expected -= TABLES_BY_REVISION[revision]
        assert (previous, tables(fresh_engine)) == (previous, expected)
        assert migrate.current(fresh_engine) == (None if previous == "base" else previous)
        for table, added in COLUMNS_BY_REVISION.get(revision, {}).items():
            assert columns(fresh_engine, table) & added == set(), revision
        for table, (added, removed) in INDEXES_BY_REVISION.get(revision, {}).items():
            assert (indexes(fresh_engine, table) & added, removed <= indexes(fresh_engine, table)) == (set(), True)
    assert expected == {"alembic_version"}


def test_downgrading_past_a_column_change_keeps_the_rows(fresh_engine: Engine) -> None:
    # On SQLite, 0002's downgrade rebuilds `users` (batch drop_column) while api_tokens and audit_log rows
    # point at a user: that works only because the run switches foreign keys off around its transaction.
    migrate.upgrade(fresh_engine)
    clock = FrozenClock(factories.local(2026, 11, 22, 10))
    with unit_of_work(make_session_factory(fresh_engine)) as session:
        factories.user(session, clock=clock, role=Role.TECHNICIAN, username="tech_keep", with_token=True)
    migrate.downgrade(fresh_engine, "0001")
    assert "failed_logins" not in columns(fresh_engine, "users")
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT username FROM users")).scalars().all() == ["tech_keep"]
        assert connection.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 1
    migrate.upgrade(fresh_engine)
    with unit_of_work(make_session_factory(fresh_engine)) as session:
        kept = accounts_service.get_user(session, "tech_keep")
        assert (kept.role, kept.failed_logins, kept.locked_until) == (Role.TECHNICIAN, 0, None)


def test_sqlite_migrations_turn_foreign_keys_back_on(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragma.db'}")
    try:
        migrate.upgrade(engine, "0002")
        migrate.downgrade(engine, "0001")
        with engine.connect() as connection:  # the pool's only connection: the one the migrations used
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        # Inside a transaction the pragma would silently do nothing: such a connection is refused.
        config = migrate.alembic_config(engine)
        with engine.begin() as connection, pytest.raises(RuntimeError, match="outside a transaction"):
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
        assert migrate.current(engine) == "0001"
    finally:
        engine.dispose()


def test_a_sqlite_migration_run_that_leaves_a_row_dangling_is_rolled_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'dangling.db'}")
    try:
        migrate.upgrade(engine, "0001")
        # A token whose user is gone, as a tool that wrote with foreign keys off could leave behind.
        pooled = engine.raw_connection()  # the driver's own connection is in autocommit mode (make_engine)
        try:
            raw = pooled.driver_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at)"
                f" VALUES (7, 42, 'cli', '{'ab' * 32}', 'ast_', '2026-11-22 02:00:00.000000')"
            )
            raw.execute("PRAGMA foreign_keys=ON")
        finally:
            pooled.close()
        with pytest.raises(migrate.DanglingForeignKeysError) as error:
            migrate.upgrade(engine, "0002")
        assert error.value.dangling == [("api_tokens", 7, "users")]
        assert "api_tokens row 7 -> users" in str(error.value)
        # Nothing of the run was kept.
        assert migrate.current(engine) == "0001"
        assert "failed_logins" not in columns(engine, "users")
        assert "console_sessions" not in tables(engine)
    finally:
        engine.dispose()
