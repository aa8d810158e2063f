"""known issue bulletins

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 02:55:00

Written by hand (the tree holds other packages' model changes): bulletins, their version history, and
the tickets linked to them.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import aftersales.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _time() -> aftersales.core.db.UTCDateTime:
    return aftersales.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "knowledge_bulletins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("product_models", _json(), nullable=False),
        sa.Column("versions", _json(), nullable=False),
        sa.Column("keywords", _json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expected_fix_at", _time(), nullable=True),
        sa.Column("fixed_at", _time(), nullable=True),
        sa.Column("fix_note", sa.Text(), nullable=True),
        sa.Column("published_at", _time(), nullable=True),
        sa.Column("workaround", sa.Text(), nullable=False),
        sa.Column("agent_script", sa.Text(), nullable=False),
        sa.Column("departments", _json(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_bulletins")),
        sa.UniqueConstraint("number", name=op.f("uq_knowledge_bulletins_number")),
    )
    op.create_index(op.f("ix_knowledge_bulletins_status"), "knowledge_bulletins", ["status"], unique=False)
    op.create_table(
        "knowledge_bulletin_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", _json(), nullable=False),
        sa.Column("changed_at", _time(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["knowledge_bulletins.id"],
            name=op.f("fk_knowledge_bulletin_versions_bulletin_id_knowledge_bulletins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_bulletin_versions")),
        sa.UniqueConstraint("bulletin_id", "version", name=op.f("uq_knowledge_bulletin_versions_bulletin_id")),
    )
    op.create_index(
        op.f("ix_knowledge_bulletin_versions_bulletin_id"), "knowledge_bulletin_versions", ["bulletin_id"], unique=False
    )
    op.create_table(
        "knowledge_bulletin_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("matched_at", _time(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("linked_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["knowledge_bulletins.id"],
            name=op.f("fk_knowledge_bulletin_tickets_bulletin_id_knowledge_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_knowledge_bulletin_tickets_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_bulletin_tickets")),
        sa.UniqueConstraint("bulletin_id", "ticket_id", name=op.f("uq_knowledge_bulletin_tickets_bulletin_id")),
    )
    op.create_index(
        op.f("ix_knowledge_bulletin_tickets_ticket_id"), "knowledge_bulletin_tickets", ["ticket_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_knowledge_bulletin_tickets_ticket_id"), table_name="knowledge_bulletin_tickets")
    op.drop_table("knowledge_bulletin_tickets")
    op.drop_index(op.f("ix_knowledge_bulletin_versions_bulletin_id"), table_name="knowledge_bulletin_versions")
    op.drop_table("knowledge_bulletin_versions")
    op.drop_index(op.f("ix_knowledge_bulletins_status"), table_name="knowledge_bulletins")
    op.drop_table("knowledge_bulletins")
