"""dispatch requests: field jobs waiting for their dispatch decision after the ticket's commit

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 20:10:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import aftersales.core.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, aftersales.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "dispatch_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        _at("requested_at"),
        sa.Column("is_urgent", sa.Boolean(), nullable=False),
        _at("claimed_until", nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("done_at", nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_dispatch_requests_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_requests")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_dispatch_requests_ticket_id")),
    )
    op.create_index(
        "ix_dispatch_requests_pending",
        "dispatch_requests",
        ["is_urgent", "requested_at"],
        unique=False,
        sqlite_where=sa.text("done_at IS NULL"),
        postgresql_where=sa.text("done_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_dispatch_requests_pending", table_name="dispatch_requests")
    op.drop_table("dispatch_requests")
