"""Feedback tables: return visits with their call attempts and survey answers; promises to customers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.core.db import Base, JSONType, UTCDateTime


class ReturnVisit(Base):
    """The 回访 after a result: scheduled when the ticket gets its result (one per resolution), done by an
    agent's call or by the customer through a signed, expiring survey link; owned by one agent once claimed."""

    __tablename__ = "feedback_visits"
    __table_args__ = (
        UniqueConstraint("ticket_id", "resolution_at", name="uq_feedback_visits_ticket_resolution"),
        Index("ix_feedback_visits_status_due", "status", "due_at"),
        Index("ix_feedback_visits_assignee_status_due", "assignee_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    resolution_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the result this visit follows up
    status: Mapped[str] = mapped_column(String(16))  # scheduled | done | unreachable
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    # The agent who owns the visit: whoever claims it from the queue or first calls or records it; told
    # when the answers call for a follow-up.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(500))
    link_nonce: Mapped[str] = mapped_column(String(32))
    link_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    link_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VisitAttempt(Base):
    """One outbound call of a return visit."""

    __tablename__ = "feedback_visit_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("feedback_visits.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    agent: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # reached | no_answer | busy | refused | wrong_number
    note: Mapped[str | None] = mapped_column(String(500))


class SurveyResponse(Base):
    """The customer's answers: 1-5 per dimension, a comment, and the follow-up ticket it opened."""

    __tablename__ = "feedback_survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("feedback_visits.id"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    scores: Mapped[dict[str, Any]] = mapped_column(JSONType)
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # phone | link
    is_angry: Mapped[bool] = mapped_column(default=False)
    follow_up_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))


class Promise(Base):
    """A promise made to the customer (承诺): who owns it, by when, which departments must act; shown on
    the job card of whoever visits, acknowledged by them, fulfilled on the timeline."""

    __tablename__ = "feedback_promises"
    __table_args__ = (Index("ix_feedback_promises_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    departments: Mapped[list[str]] = mapped_column(JSONType, default=list)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # open | fulfilled | cancelled
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_by: Mapped[str | None] = mapped_column(String(64))
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
