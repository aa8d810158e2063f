"""notification routing: rules copying internal events to WeCom robots, mailboxes and webhooks; customers'
own quiet hours

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.core.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", aftersales.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftersales.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_notification_routing_rules_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_routing_rules")),
    )
    # Every internal message asks which active rules take its kind.
    op.create_index("ix_notification_routing_rules_event_active", "notification_routing_rules", ["event", "is_active"])
    with op.batch_alter_table("notification_preferences") as batch:
        batch.add_column(sa.Column("quiet_start", sa.Time(), nullable=True))
        batch.add_column(sa.Column("quiet_end", sa.Time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_preferences") as batch:
        batch.drop_column("quiet_end")
        batch.drop_column("quiet_start")
    op.drop_index("ix_notification_routing_rules_event_active", table_name="notification_routing_rules")
    op.drop_table("notification_routing_rules")
