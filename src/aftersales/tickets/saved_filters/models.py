"""The saved filters table: one row per user and name, the filters as a canonical query string."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.core.db import Base, UTCDateTime


class SavedFilter(Base):
    """A user's named ticket-list filter set (``query``: e.g. ``priority=urgent&status=registered``)."""

    __tablename__ = "ticket_saved_filters"
    # One name per user; the constraint's index also lists a user's filters.
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(40))
    query: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
