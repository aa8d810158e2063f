"""Outbox use cases. Flushes, never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.core.clock import Clock
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.models import OutboxMessage


def enqueue(
    session: Session,
    *,
    clock: Clock,
    kind: str,
    dedupe_key: str,
    subject: str,
    body: str,
    recipient_user_id: int | None = None,
    recipient_address: str | None = None,
    channel: Channel = Channel.INTERNAL,
    ticket_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage | None:
    """Write a message to the outbox unless one with the same dedupe key exists; returns the new row."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return None
    message = OutboxMessage(
        created_at=clock.now(),
        kind=kind,
        channel=channel,
        recipient_user_id=recipient_user_id,
        recipient_address=recipient_address,
        subject=subject,
        body=body,
        payload=payload,
        ticket_id=ticket_id,
        dedupe_key=dedupe_key,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=clock.now(),
    )
    session.add(message)
    return message


def list_outbox(
    session: Session, *, ticket_id: int | None = None, kind: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """Outbox messages, oldest first, optionally for one ticket or kind."""
    query = select(OutboxMessage).order_by(OutboxMessage.id).limit(limit)
    if ticket_id is not None:
        query = query.where(OutboxMessage.ticket_id == ticket_id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(session.scalars(query).all())
