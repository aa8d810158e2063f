"""staff inbox: internal messages carry when their recipient read them; an index for each person's inbox

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.core.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification_outbox") as batch:
        batch.add_column(sa.Column("read_at", aftersales.core.db.UTCDateTime(timezone=True), nullable=True))
    # A person's inbox, newest first, and the unread count in every page's header.
    op.create_index("ix_notification_outbox_inbox", "notification_outbox", ["recipient_user_id", "channel", "id"])
    op.create_index("ix_notification_outbox_unread", "notification_outbox", ["recipient_user_id", "channel", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_unread", table_name="notification_outbox")
    op.drop_index("ix_notification_outbox_inbox", table_name="notification_outbox")
    with op.batch_alter_table("notification_outbox") as batch:
        batch.drop_column("read_at")
