"""Service network tables: service points and technician profiles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
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
