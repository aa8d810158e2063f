"""Quality tables: self-check items, inspection samples and forms, rectification tasks, compensation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.core.db import Base, JSONType, UTCDateTime


class ChecklistItem(Base):
    """A configurable item of the technician's self-check (the five-step standard, lubrication…).
    Until an item is configured, the defaults in ``quality_rules.DEFAULT_CHECKLIST`` apply."""

    __tablename__ = "quality_checklist_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    group: Mapped[str | None] = mapped_column(String(32))
    applies_to: Mapped[list[str]] = mapped_column(JSONType, default=list)  # ticket kinds
    is_required: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SelfCheck(Base):
    """The technician's self-check at completion of one visit (the visit is the latest check-in)."""

    __tablename__ = "quality_self_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    check_in_event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)  # code -> bool
    passed_items: Mapped[int]
    total_items: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Sample(Base):
    """One draw of closed tickets for inspection: a level (regional 20 %, HQ 5 %), a period and the seed
    that reproduces it. One per level and period."""

    __tablename__ = "quality_samples"
    __table_args__ = (UniqueConstraint("level", "period_start", "period_end", name="uq_quality_samples_level_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16))  # regional | hq
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    seed: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[float]
    population: Mapped[int]
    size: Mapped[int]
    strata: Mapped[dict[str, Any]] = mapped_column(JSONType)  # stratum -> {"population", "sampled"}
    drawn_by: Mapped[str] = mapped_column(String(64))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Inspection(Base):
    """A sampled ticket's inspection form: pending until an inspector scores it."""

    __tablename__ = "quality_inspections"
    __table_args__ = (
        UniqueConstraint("sample_id", "ticket_id", name="uq_quality_inspections_sample_ticket"),
        Index("ix_quality_inspections_level_status", "level", "status"),
        Index("ix_quality_inspections_inspected_at", "inspected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("quality_samples.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    stratum: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | passed | failed
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    weighted_score: Mapped[float | None]
    findings: Mapped[str | None] = mapped_column(Text)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspector: Mapped[str | None] = mapped_column(String(64))
    inspected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Rectification(Base):
    """整改: what a failed (or flagged) inspection asks the technician or provider to put right, by when."""

    __tablename__ = "quality_rectifications"
    __table_args__ = (Index("ix_quality_rectifications_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("quality_inspections.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assignee_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # open | done (overdue is derived from due_at)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(String(500))


class Compensation(Base):
    """The compensation ledger: proposed, then approved or rejected within the approver's limit, then
    granted. Rows are never deleted."""

    __tablename__ = "compensations"
    __table_args__ = (Index("ix_compensations_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # coupon | cash | extended_warranty | gift
    amount_cents: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    rule: Mapped[str | None] = mapped_column(String(32))  # the proposing rule, None when entered by hand
    status: Mapped[str] = mapped_column(String(16))  # proposed | approved | rejected | granted
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(500))
    granted_by: Mapped[str | None] = mapped_column(String(64))
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
