"""return visits and promises

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 02:55:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import aftersales.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, aftersales.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "feedback_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        _at("resolution_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _at("due_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("last_attempt_at", True),
        _at("completed_at", True),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.Column("link_nonce", sa.String(length=32), nullable=False),
        _at("link_expires_at"),
        _at("link_used_at", True),
        _at("created_at"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_feedback_visits_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_visits")),
        sa.UniqueConstraint("ticket_id", "resolution_at", name="uq_feedback_visits_ticket_resolution"),
    )
    with op.batch_alter_table("feedback_visits", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_visits_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_visits_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "feedback_visit_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        _at("at"),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["feedback_visits.id"], name=op.f("fk_feedback_visit_attempts_visit_id_feedback_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_visit_attempts")),
    )
    with op.batch_alter_table("feedback_visit_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_visit_attempts_visit_id"), ["visit_id"], unique=False)
    op.create_table(
        "feedback_survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("scores", JSON, nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("is_angry", sa.Boolean(), nullable=False),
        sa.Column("follow_up_ticket_id", sa.Integer(), nullable=True),
        _at("submitted_at"),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["follow_up_ticket_id"],
            ["tickets.id"],
            name=op.f("fk_feedback_survey_responses_follow_up_ticket_id_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_feedback_survey_responses_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["feedback_visits.id"], name=op.f("fk_feedback_survey_responses_visit_id_feedback_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_survey_responses")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_feedback_survey_responses_visit_id")),
    )
    with op.batch_alter_table("feedback_survey_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_survey_responses_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "feedback_promises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("departments", JSON, nullable=False),
        _at("due_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        _at("acknowledged_at", True),
        _at("fulfilled_at", True),
        sa.Column("fulfilled_by", sa.String(length=64), nullable=True),
        _at("alerted_at", True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_feedback_promises_owner_id_users")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_feedback_promises_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_promises")),
    )
    with op.batch_alter_table("feedback_promises", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_promises_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_promises_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_table("feedback_promises")
    op.drop_table("feedback_survey_responses")
    op.drop_table("feedback_visit_attempts")
    op.drop_table("feedback_visits")
