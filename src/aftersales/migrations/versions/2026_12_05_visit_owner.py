"""visit owner: a return visit belongs to the agent who claims it (the queue's mine/unassigned filters,
and who is told when its answers call for a follow-up)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_visits") as batch:
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_feedback_visits_assignee_id_users"), "users", ["assignee_id"], ["id"])
    op.create_index("ix_feedback_visits_assignee_status_due", "feedback_visits", ["assignee_id", "status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_visits_assignee_status_due", table_name="feedback_visits")
    with op.batch_alter_table("feedback_visits") as batch:
        batch.drop_constraint(op.f("fk_feedback_visits_assignee_id_users"), type_="foreignkey")
        batch.drop_column("assignee_id")
