"""ticket load indexes: open tickets per assignee and per organisation counted from the index alone

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:30:00

Every dispatch decision counts each candidate technician's (and service point's) open tickets. With an
index on the id alone, each count reads every ticket row of that person from the table to check its
status; with the status in the index the count never leaves it. The composite indexes replace the
single-column ones (they serve the same lookups), so an insert maintains no more indexes than before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain index statements (no table copy): the new ones first, so lookups are never without one.
    op.create_index("ix_tickets_assignee_status", "tickets", ["assignee_id", "status"])
    op.create_index("ix_tickets_organisation_status", "tickets", ["organisation_id", "status"])
    op.drop_index("ix_tickets_assignee_id", table_name="tickets")
    op.drop_index("ix_tickets_organisation_id", table_name="tickets")


def downgrade() -> None:
    op.create_index("ix_tickets_assignee_id", "tickets", ["assignee_id"])
    op.create_index("ix_tickets_organisation_id", "tickets", ["organisation_id"])
    op.drop_index("ix_tickets_organisation_status", table_name="tickets")
    op.drop_index("ix_tickets_assignee_status", table_name="tickets")
