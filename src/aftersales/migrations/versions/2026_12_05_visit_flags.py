"""visit flags: check-ins far from the address and short stays, for the inspector to review

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import aftersales.core.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatch_visit_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("check_in_event_id", sa.Integer(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=True),
        sa.Column("technician_name", sa.String(length=64), nullable=False),
        sa.Column(
            "reasons", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("distance_km", sa.Double(), nullable=True),
        sa.Column("minutes_on_site", sa.Integer(), nullable=True),
        sa.Column("flagged_at", aftersales.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", aftersales.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("review_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["check_in_event_id"],
            ["ticket_events.id"],
            name=op.f("fk_dispatch_visit_flags_check_in_event_id_ticket_events"),
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"], ["users.id"], name=op.f("fk_dispatch_visit_flags_technician_id_users")
        ),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_dispatch_visit_flags_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_visit_flags")),
        sa.UniqueConstraint("check_in_event_id", name=op.f("uq_dispatch_visit_flags_check_in_event_id")),
    )
    op.create_index(op.f("ix_dispatch_visit_flags_ticket_id"), "dispatch_visit_flags", ["ticket_id"])
    op.create_index("ix_dispatch_visit_flags_reviewed_flagged", "dispatch_visit_flags", ["reviewed_at", "flagged_at"])


def downgrade() -> None:
    op.drop_index("ix_dispatch_visit_flags_reviewed_flagged", table_name="dispatch_visit_flags")
    op.drop_index(op.f("ix_dispatch_visit_flags_ticket_id"), table_name="dispatch_visit_flags")
    op.drop_table("dispatch_visit_flags")
