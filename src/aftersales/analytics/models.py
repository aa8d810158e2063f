"""Analytics tables: the topic each request was mapped to (for hot issues)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
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
