"""The notification outbox, the recipients' channel preferences and the routing rules."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.core.db import Base, EnumText, JSONType, UTCDateTime
from aftersales.notifications.enums import Channel, OutboxStatus


class OutboxMessage(Base):
    """One message waiting to be (or already) delivered."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        Index("ix_notification_outbox_pending", "status", "next_attempt_at"),
        Index("ix_notification_outbox_inbox", "recipient_user_id", "channel", "id"),
        Index("ix_notification_outbox_unread", "recipient_user_id", "channel", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 16))
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    recipient_address: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    ticket_id: Mapped[int | None] = mapped_column(index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(EnumText(OutboxStatus, 16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # The lease of the sender that claimed the row: after locked_until the row is due again.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(36))
    suppressed_reason: Mapped[str | None] = mapped_column(String(255))
    # Internal messages only: when the recipient marked it read in the console inbox.
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationPreference(Base):
    """A customer's channel choices, keyed by phone (and matched by email too)."""

    __tablename__ = "notification_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    opted_out_channels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    preferred_channel: Mapped[Channel | None] = mapped_column(EnumText(Channel, 16))
    # The customer's own quiet hours (local wall-clock times); both None: the system's
    # (``notify_quiet_start``/``notify_quiet_end``), both equal: texts at any hour.
    quiet_start: Mapped[time | None] = mapped_column(Time())
    quiet_end: Mapped[time | None] = mapped_column(Time())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoutingRule(Base):
    """An internal event (a notification kind) copied to an outside channel — a WeCom group robot, a mailbox,
    a webhook — for an organisation and everything under it, and/or a city; no scope means everywhere."""

    __tablename__ = "notification_routing_rules"
    __table_args__ = (Index("ix_notification_routing_rules_event_active", "event", "is_active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 16))
    target: Mapped[str] = mapped_column(String(500))  # an email address or an http(s) URL
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    region: Mapped[str | None] = mapped_column(String(64))  # a city, as organisations.city names it
    note: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
