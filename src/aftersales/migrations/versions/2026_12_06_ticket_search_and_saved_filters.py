"""ticket search by customer name and serial number; saved ticket-list filters

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 03:00:00

* ``customers.name`` and ``installed_products.serial_number`` get B-tree indexes: the list's ``q=`` matches
  a name or a serial number whole or by its start (``tickets.search.starts_with``). On PostgreSQL they use
  ``varchar_pattern_ops``, so ``LIKE '王芳%'`` is an index range whatever the database's collation (the
  default operator class serves ``LIKE`` only under the C collation).
* (installed_product_id, reported_at, id) on tickets: a serial number's tickets, newest first, read from
  the index like the customer's (migration 0018).
* ``ticket_saved_filters``: a user's named filter sets, one name per user.

Plain ``CREATE INDEX`` blocks writes to the table while it builds: on a large installation run this
upgrade in a maintenance window (about a minute for 10 million tickets and 4 million customers and
products on two cores; each index is a single-column or ordered B-tree like those of 0018).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.core.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_customers_name", "customers", ["name"], postgresql_ops={"name": "varchar_pattern_ops"})
    op.create_index(
        "ix_installed_products_serial_number",
        "installed_products",
        ["serial_number"],
        postgresql_ops={"serial_number": "varchar_pattern_ops"},
    )
    op.create_index("ix_tickets_product_reported", "tickets", ["installed_product_id", "reported_at", "id"])
    op.create_table(
        "ticket_saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("created_at", aftersales.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_ticket_saved_filters_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_saved_filters")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_ticket_saved_filters_user_id")),
    )


def downgrade() -> None:
    op.drop_table("ticket_saved_filters")
    op.drop_index("ix_tickets_product_reported", table_name="tickets")
    op.drop_index("ix_installed_products_serial_number", table_name="installed_products")
    op.drop_index("ix_customers_name", table_name="customers")
