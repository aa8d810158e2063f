"""account versions: users and organisations carry a version, so two admins editing one record at once
get a conflict instead of the later save silently replacing the earlier one

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("users", "organisations"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in ("organisations", "users"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
