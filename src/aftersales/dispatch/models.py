"""Dispatch tables: service points, technician profiles, appointments, day plans with their stops, and
customer confirmation codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.core.db import Base, JSONType, UTCDateTime


class ServicePoint(Base):
    """An organisation's field presence: where it is, the districts (adcodes) or radius it serves."""

    __tablename__ = "dispatch_service_points"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(
        String(32)
    )  # hq_tech_center | regional_provider | quick_repair_point | service_center
    longitude: Mapped[float]
    latitude: Mapped[float]
    adcodes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    radius_km: Mapped[float | None]
    capacity_per_day: Mapped[int] = mapped_column(default=50)
    opens: Mapped[str] = mapped_column(String(5), default="08:00")
    closes: Mapped[str] = mapped_column(String(5), default="20:00")
    city_type: Mapped[str] = mapped_column(String(16), default="urban")


class Technician(Base):
    """A field technician's profile (the user carries role and organisation)."""

    __tablename__ = "dispatch_technicians"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    home_longitude: Mapped[float]
    home_latitude: Mapped[float]
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    shift_start: Mapped[str] = mapped_column(String(5), default="08:00")
    shift_end: Mapped[str] = mapped_column(String(5), default="18:00")
    days_off: Mapped[list[str]] = mapped_column(JSONType, default=list)
    max_jobs_per_day: Mapped[int] = mapped_column(default=8)
    last_longitude: Mapped[float | None]
    last_latitude: Mapped[float | None]
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    certificates: Mapped[list[str]] = mapped_column(JSONType, default=list)
    break_start: Mapped[str | None] = mapped_column(String(5))
    break_end: Mapped[str | None] = mapped_column(String(5))
    van_code: Mapped[str | None] = mapped_column(String(32))


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


class ConfirmationCode(Base):
    """A one-time code sent to the customer to confirm the work on site (only its hash is kept)."""

    __tablename__ = "dispatch_confirmation_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
