"""notification delivery

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 02:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import aftersales.core.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", aftersales.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claim_token", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("suppressed_reason", sa.String(length=255), nullable=True))

    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column(
            "opted_out_channels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("preferred_channel", sa.String(length=16), nullable=True),
        sa.Column("created_at", aftersales.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftersales.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint("phone", name=op.f("uq_notification_preferences_phone")),
    )
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_preferences_email"), ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_preferences_email"))
    op.drop_table("notification_preferences")

    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_column("suppressed_reason")
        batch_op.drop_column("claim_token")
        batch_op.drop_column("locked_until")
