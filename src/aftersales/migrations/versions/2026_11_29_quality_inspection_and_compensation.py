"""quality inspection and compensation

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 02:55:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import aftersales.core.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, aftersales.core.db.UTCDateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _indexes(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "quality_checklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("group", sa.String(length=32), nullable=True),
        sa.Column("applies_to", JSON, nullable=False),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_checklist_items")),
        sa.UniqueConstraint("code", name=op.f("uq_quality_checklist_items_code")),
    )
    op.create_table(
        "quality_self_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("check_in_event_id", sa.Integer(), nullable=True),
        sa.Column("technician_id", sa.Integer(), nullable=True),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("passed_items", sa.Integer(), nullable=False),
        sa.Column("total_items", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        _at("at"),
        _fk("quality_self_checks", "check_in_event_id", "ticket_events"),
        _fk("quality_self_checks", "technician_id", "users"),
        _fk("quality_self_checks", "ticket_id", "tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_self_checks")),
    )
    _indexes("quality_self_checks", "technician_id", "ticket_id")
    op.create_table(
        "quality_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        _at("period_start"),
        _at("period_end"),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.Double(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("strata", JSON, nullable=False),
        sa.Column("drawn_by", sa.String(length=64), nullable=False),
        _at("drawn_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_samples")),
        sa.UniqueConstraint("level", "period_start", "period_end", name="uq_quality_samples_level_period"),
    )
    op.create_table(
        "quality_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("stratum", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("technician_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scores", JSON, nullable=True),
        sa.Column("weighted_score", sa.Double(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("inspector_id", sa.Integer(), nullable=True),
        sa.Column("inspector", sa.String(length=64), nullable=True),
        _at("inspected_at", True),
        _at("created_at"),
        _fk("quality_inspections", "inspector_id", "users"),
        _fk("quality_inspections", "organisation_id", "organisations"),
        _fk("quality_inspections", "sample_id", "quality_samples"),
        _fk("quality_inspections", "technician_id", "users"),
        _fk("quality_inspections", "ticket_id", "tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_inspections")),
        sa.UniqueConstraint("sample_id", "ticket_id", name="uq_quality_inspections_sample_ticket"),
    )
    _indexes("quality_inspections", "organisation_id", "technician_id", "ticket_id")
    with op.batch_alter_table("quality_inspections", schema=None) as batch_op:
        batch_op.create_index("ix_quality_inspections_level_status", ["level", "status"], unique=False)
        batch_op.create_index("ix_quality_inspections_inspected_at", ["inspected_at"], unique=False)
    op.create_table(
        "quality_rectifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("assignee_organisation_id", sa.Integer(), nullable=True),
        _at("due_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _at("created_at"),
        sa.Column("done_by", sa.String(length=64), nullable=True),
        _at("done_at", True),
        sa.Column("resolution", sa.String(length=500), nullable=True),
        _fk("quality_rectifications", "assignee_organisation_id", "organisations"),
        _fk("quality_rectifications", "assignee_user_id", "users"),
        _fk("quality_rectifications", "inspection_id", "quality_inspections"),
        _fk("quality_rectifications", "ticket_id", "tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_rectifications")),
    )
    _indexes("quality_rectifications", "assignee_organisation_id", "assignee_user_id", "inspection_id", "ticket_id")
    with op.batch_alter_table("quality_rectifications", schema=None) as batch_op:
        batch_op.create_index("ix_quality_rectifications_status_due", ["status", "due_at"], unique=False)
    op.create_table(
        "compensations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        _at("created_at"),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        _at("decided_at", True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("granted_by", sa.String(length=64), nullable=True),
        _at("granted_at", True),
        _fk("compensations", "customer_id", "customers"),
        _fk("compensations", "proposed_by_id", "users"),
        _fk("compensations", "ticket_id", "tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensations")),
    )
    _indexes("compensations", "customer_id", "ticket_id")
    with op.batch_alter_table("compensations", schema=None) as batch_op:
        batch_op.create_index("ix_compensations_status_created", ["status", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("compensations")
    op.drop_table("quality_rectifications")
    op.drop_table("quality_inspections")
    op.drop_table("quality_samples")
    op.drop_table("quality_self_checks")
    op.drop_table("quality_checklist_items")
