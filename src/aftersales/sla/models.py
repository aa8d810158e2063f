"""SLA tables: calendars, calendar day overrides, policies, and per-ticket targets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftersales.core.db import Base, EnumText, JSONType, UTCDateTime
from aftersales.sla.enums import CalendarKind, SlaState, TargetKind


class Calendar(Base):
    """A working calendar: weekly hours (JSON: weekday → ['08:00-20:00', ...]) plus day overrides."""

    __tablename__ = "sla_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[CalendarKind] = mapped_column(EnumText(CalendarKind, 16))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    weekly_hours: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    workday_hours: Mapped[list[str]] = mapped_column(JSONType, default=list)
    known_years: Mapped[list[int] | None] = mapped_column(JSONType)
    # Years a computation needed but the calendar had no holiday data for: for an admin to fill in.
    flagged_years: Mapped[list[int]] = mapped_column(JSONType, default=list)
    revision: Mapped[int] = mapped_column(default=1)

    days: Mapped[list[CalendarDay]] = relationship(back_populates="calendar", order_by="CalendarDay.day")


class CalendarDay(Base):
    """A date whose hours differ from the weekly rule: a holiday (no hours) or a make-up workday."""

    __tablename__ = "sla_calendar_days"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id"))
    day: Mapped[date] = mapped_column(Date)
    hours: Mapped[list[str]] = mapped_column(JSONType, default=list)
    note: Mapped[str | None] = mapped_column(String(100))

    calendar: Mapped[Calendar] = relationship(back_populates="days")


class Policy(Base):
    """Targets for one priority, measured on a calendar."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[str] = mapped_column(String(32), unique=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id"))
    first_response_minutes: Mapped[int]
    onsite_minutes: Mapped[int | None]
    resolution_minutes: Mapped[int]
    onsite_kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    warning_ratio: Mapped[float] = mapped_column(default=0.8)

    calendar: Mapped[Calendar] = relationship()


class Target(Base):
    """One running or finished SLA target of a ticket."""

    __tablename__ = "sla_targets"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind"),
        # Only targets that can still warn or breach are indexed: the sweep never sees closed work.
        Index(
            "ix_sla_targets_next_check_at",
            "next_check_at",
            sqlite_where=text("next_check_at IS NOT NULL"),
            postgresql_where=text("next_check_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[TargetKind] = mapped_column(EnumText(TargetKind, 32))
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[int]
    warning_ratio: Mapped[float]
    paused_seconds: Mapped[int] = mapped_column(default=0)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warn_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[SlaState] = mapped_column(EnumText(SlaState, 16))
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
