"""Analytics tables: the topic each request was mapped to (for hot issues), and the daily rollups of the
dashboard's figures (kept by ``analytics.jobs.rollup_job``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.core.db import Base, UTCDateTime


class TicketTopic(Base):
    """A request's topic: its best FAQ article, or an embedding cluster of requests no article fits."""

    __tablename__ = "analytics_ticket_topics"
    __table_args__ = (Index("ix_analytics_ticket_topics_reported", "reported_at", "topic"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))  # article:<id> | cluster:<id>
    label: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TopicCluster(Base):
    """A cluster of requests that match no article well: its centroid and a representative text."""

    __tablename__ = "analytics_topic_clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    centroid: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(default=0)


class RollupDay(Base):
    """A local date whose dashboard figures are kept in the daily rollups, as of ``computed_at``; they
    hold until ``valid_until`` (when a target still running on that day comes due), or for good (None)."""

    __tablename__ = "analytics_rollup_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RollupWatermark(Base):
    """Ticket changes made before ``at`` are in the rollups (one row; the job moves it after each pass)."""

    __tablename__ = "analytics_rollup_watermark"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class _DailyRow:
    """Where a rollup row belongs: a local date, and all regions (scope ``all``) or one place (scope
    ``city``; province and city '' where the tickets' address has none)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(8))
    province: Mapped[str] = mapped_column(String(32), default="")
    city: Mapped[str] = mapped_column(String(32), default="")


class DailyVolume(_DailyRow, Base):
    """Tickets reported in one UTC hour that belongs to the row's local date."""

    __tablename__ = "analytics_daily_volume"
    __table_args__ = (Index("ix_analytics_daily_volume_day", "day", "scope"),)

    hour_start: Mapped[datetime] = mapped_column(UTCDateTime())
    tickets: Mapped[int] = mapped_column(Integer)


class DailySla(_DailyRow, Base):
    """SLA targets of the tickets reported on the row's date per priority (``queries.sla_rows``): met in
    time and breached among tickets not cancelled, all their targets, and breached tickets."""

    __tablename__ = "analytics_daily_sla"
    __table_args__ = (Index("ix_analytics_daily_sla_day", "day", "scope"),)

    priority: Mapped[str] = mapped_column(String(16))
    met: Mapped[int] = mapped_column(Integer)
    breached: Mapped[int] = mapped_column(Integer)
    targets: Mapped[int] = mapped_column(Integer)
    breached_tickets: Mapped[int] = mapped_column(Integer)


class DailyFault(_DailyRow, Base):
    """Repairs and complaints reported on the row's date per fault (a code, triage's text, '' for none)."""

    __tablename__ = "analytics_daily_faults"
    __table_args__ = (Index("ix_analytics_daily_faults_day", "day", "scope"),)

    kind: Mapped[str] = mapped_column(String(16))
    fault: Mapped[str] = mapped_column(Text, default="")
    tickets: Mapped[int] = mapped_column(Integer)
