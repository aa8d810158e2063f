"""Fieldwork tables: the customer's confirmation codes, visits flagged for the inspector."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.core.db import Base, JSONType, UTCDateTime


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


class VisitFlag(Base):
    """A visit the inspector should look at: checked in far from the customer's address, or left sooner
    than the minimum stay. Until reviewed it does not count as a first-time fix; reviewing clears it."""

    __tablename__ = "dispatch_visit_flags"
    __table_args__ = (Index("ix_dispatch_visit_flags_reviewed_flagged", "reviewed_at", "flagged_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    check_in_event_id: Mapped[int] = mapped_column(ForeignKey("ticket_events.id"), unique=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    technician_name: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)  # far_from_address | short_stay
    distance_km: Mapped[float | None]
    minutes_on_site: Mapped[int | None]
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    review_note: Mapped[str | None] = mapped_column(String(500))
