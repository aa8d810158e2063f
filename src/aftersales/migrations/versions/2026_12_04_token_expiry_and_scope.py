"""api token expiry and scope: tokens may end at a set time, and may be limited to reading or to intake

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.core.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", aftersales.core.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("scope", sa.String(length=16), nullable=False, server_default="full"))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scope")
        batch.drop_column("expires_at")
