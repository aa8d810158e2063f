"""ticket lists, search, board and dashboard at 10 million tickets: ordered composite indexes, trigrams

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 02:00:00

Measured on 10 million tickets (docs/benchmarks.md §12):

* The ticket list is newest first (``reported_at DESC, id DESC``) with at most one or two equality
  filters (or the customers a phone fragment matched). Each filter's single-column index made PostgreSQL read every matching row and sort them; an
  index on (filter, reported_at, id) hands the page over in order, and a deep page is skipped inside the
  index (an index-only scan). They replace the single-column indexes on customer, kind, priority, SLA
  state and reported_at and the (status, created_at) one, which answer the same lookups by their first
  column.
* ``tickets.address_id`` had no index: "which cities have tickets" and the region filter joined every
  ticket to its address.
* (province, city) on addresses lets the dashboard list its regions by skipping through the index.
* The dashboard's "breaches today" read every timeline event of the day range by type; a partial index
  holds only the breach events.
* PostgreSQL only: trigram (``pg_trgm``) GIN indexes on the ticket number, the description and the
  customer's phone, so ``q=`` searches for a fragment (``LIKE '%…%'``) without reading every row. When
  the extension cannot be created (not installed, or no CREATE privilege on the database) they are left
  out and the search still works, by scanning. Those columns keep 2,000-value statistics, so the
  planner can tell a rare fragment from a common one. Plain ``CREATE INDEX`` blocks writes to the table while
  it builds: on a large installation run this upgrade in a maintenance window (about 20 minutes for 10
  million tickets on two cores, most of it the trigram index on descriptions).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDERED = (
    ("ix_tickets_customer_reported", "customer_id", "ix_tickets_customer_id", ["customer_id"]),
    ("ix_tickets_status_reported", "status", "ix_tickets_status_created", ["status", "created_at"]),
    ("ix_tickets_kind_reported", "kind", "ix_tickets_kind", ["kind"]),
    ("ix_tickets_priority_reported", "priority", "ix_tickets_priority", ["priority"]),
    ("ix_tickets_sla_state_reported", "sla_state", "ix_tickets_sla_state", ["sla_state"]),
)
STATISTICS = 2000  # values sampled for the searched columns' statistics (PostgreSQL's default: 100)
# name, table, column (gin_trgm_ops)
TRIGRAM = (
    ("ix_tickets_number_trgm", "tickets", "number"),
    ("ix_tickets_description_trgm", "tickets", "description"),
    ("ix_customers_phone_trgm", "customers", "phone"),
)


def _trigrams_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    row = bind.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'),"
            " EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'),"
            " has_database_privilege(current_database(), 'CREATE')"
        )
    ).one()
    installed, available, may_create = row
    return bool(installed or (available and may_create))


def upgrade() -> None:
    # New indexes first, so lookups are never without one; then the ones they replace.
    op.create_index("ix_tickets_reported_id", "tickets", ["reported_at", "id"])
    for name, column, _old, _old_columns in ORDERED:
        op.create_index(name, "tickets", [column, "reported_at", "id"])
    op.create_index("ix_tickets_address_id", "tickets", ["address_id"])
    op.create_index("ix_addresses_province_city", "addresses", ["province", "city"])
    op.create_index(
        "ix_ticket_events_breached_at",
        "ticket_events",
        ["at"],
        postgresql_where=sa.text("type = 'sla_breached'"),
        sqlite_where=sa.text("type = 'sla_breached'"),
    )
    op.drop_index("ix_tickets_reported_at", table_name="tickets")
    for _name, _column, old, _old_columns in ORDERED:
        op.drop_index(old, table_name="tickets")
    if _trigrams_available():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in TRIGRAM:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
            # The planner picks the trigram index or a newest-first scan from the fragment's estimated
            # matches, sampled from the column's statistics: with the default 100 values a rare
            # fragment of a ticket number looked like 100,000 matches and read every ticket (5 s).
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS {STATISTICS}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, column in TRIGRAM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS -1")
    op.create_index("ix_tickets_reported_at", "tickets", ["reported_at"])
    for _name, _column, old, old_columns in ORDERED:
        op.create_index(old, "tickets", old_columns)
    op.drop_index("ix_ticket_events_breached_at", table_name="ticket_events")
    op.drop_index("ix_addresses_province_city", table_name="addresses")
    op.drop_index("ix_tickets_address_id", table_name="tickets")
    for name, _column, _old, _old_columns in ORDERED:
        op.drop_index(name, table_name="tickets")
    op.drop_index("ix_tickets_reported_id", table_name="tickets")
