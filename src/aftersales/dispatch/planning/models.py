"""Planning tables: appointments, day plans and their stops."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.core.db import Base, JSONType, UTCDateTime


class Appointment(Base):
    """A visit window agreed with the customer; rescheduling adds a row and keeps the old one."""

    __tablename__ = "dispatch_appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # booked | rescheduled | cancelled
    booked_by: Mapped[str] = mapped_column(String(64))
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(String(500))


class DayPlan(Base):
    """One optimised day for an area (city): who does which job in which order. A newer plan for the same
    area and day supersedes the older one, which is kept."""

    __tablename__ = "dispatch_day_plans"
    __table_args__ = (Index("ix_dispatch_day_plans_area_day", "area", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))  # local date, YYYY-MM-DD
    status: Mapped[str] = mapped_column(String(16))  # active | superseded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))  # "plan" | "emergency SH…" …
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class PlanStop(Base):
    """A job in a technician's planned sequence, with the estimated arrival and departure."""

    __tablename__ = "dispatch_plan_stops"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("dispatch_day_plans.id", ondelete="CASCADE"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    sequence: Mapped[int]
    arrival_at: Mapped[datetime] = mapped_column(UTCDateTime())
    departure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    travel_km: Mapped[float]
    travel_minutes: Mapped[float]


class DispatchRequest(Base):
    """A new field job waiting for its dispatch decision, written in the ticket's own transaction and
    handled after its commit (by the server's dispatcher thread or a worker), so a re-plan never runs
    inside intake. Claimed under a lease; ``done_at`` is set once the decision is on the timeline."""

    __tablename__ = "dispatch_requests"
    __table_args__ = (
        Index(
            "ix_dispatch_requests_pending",
            "is_urgent",
            "requested_at",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Urgent jobs are decided first: their on-site clock (2 h) is the one a backlog would endanger.
    is_urgent: Mapped[bool] = mapped_column(default=False)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    outcome: Mapped[str | None] = mapped_column(String(500), default=None)
