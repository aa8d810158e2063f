"""Request and reply shapes of the notifications API."""

from __future__ import annotations

from datetime import datetime, time

from pydantic import BaseModel, ConfigDict, Field

from aftersales.core.bounds import RowId
from aftersales.notifications.enums import Channel


class PreferenceWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    opted_out_channels: list[Channel] = Field(default_factory=list, max_length=4)
    preferred_channel: Channel | None = None
    # The customer's own quiet hours for texts (local times, "22:00"): both or neither (the system's).
    quiet_start: time | None = None
    quiet_end: time | None = None


class PreferenceRead(BaseModel):
    phone: str
    email: str | None
    opted_out_channels: list[str]
    preferred_channel: str | None
    quiet_start: str | None = None  # "HH:MM"; None: the system's quiet hours apply
    quiet_end: str | None = None


class OutboxRead(BaseModel):
    id: int
    kind: str
    channel: str
    status: str
    recipient: str | None
    subject: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    ticket_id: int | None


class RetryWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[RowId] = Field(min_length=1, max_length=500)


class InboxMessageRead(BaseModel):
    id: int
    kind: str
    subject: str
    body: str
    ticket_id: int | None
    created_at: datetime
    read_at: datetime | None


class InboxRead(BaseModel):
    items: list[InboxMessageRead]
    unread: int
    next_before: int | None


class InboxReadWrite(BaseModel):
    """Mark these messages read; leave ``ids`` out to mark every unread message read."""

    model_config = ConfigDict(extra="forbid")

    ids: list[RowId] | None = Field(default=None, min_length=1, max_length=500)
