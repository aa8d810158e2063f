"""Outbox use cases. Flushes, never commits."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock
from aftersales.core.db import core_connection, table_of
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.rendering import render

_outbox = table_of(OutboxMessage)
SUBJECT_LENGTH = 255  # outbox_messages.subject is String(255): a long bulletin title is cut, not refused


@dataclass(frozen=True)
class NewMessage:
    """A message to put in the outbox: the template of ``kind`` (``rendering.TEMPLATES``) filled with
    ``context`` when it is enqueued; ``dedupe_key`` makes putting it there twice a no-op."""

    kind: str
    dedupe_key: str
    context: Mapping[str, Any]
    recipient_user_id: int | None = None
    recipient_address: str | None = None
    channel: Channel = Channel.INTERNAL
    ticket_id: int | None = None
    payload: dict[str, Any] | None = field(default=None)


def _stored_payload(message: NewMessage) -> dict[str, Any] | None:
    """The payload to store; an SMS also keeps the context it was rendered from (as JSON values), because
    template-based SMS gateways (``sms``) send the template's variables, not the rendered text."""
    if message.channel != Channel.SMS:
        return message.payload
    context = json.loads(json.dumps(dict(message.context), ensure_ascii=False, default=str))
    return {**(message.payload or {}), "template_context": context}


def enqueue_many(session: Session, *, clock: Clock, messages: Sequence[NewMessage]) -> int:
    """Render every message from its template, then write those whose dedupe key is new in one statement;
    returns how many were written. An unknown kind or a context without a field of its template raises
    ``rendering.MessageTemplateError`` before anything is written."""
    unique = {message.dedupe_key: (message, render(message.kind, message.context)) for message in messages}
    if not unique:
        return 0
    connection = core_connection(session)
    existing: set[str] = set()
    keys = list(unique)
    for start in range(0, len(keys), 500):
        existing.update(
            connection.execute(select(_outbox.c.dedupe_key).where(_outbox.c.dedupe_key.in_(keys[start : start + 500])))
            .scalars()
            .all()
        )
    now = clock.now()
    rows = [
        {
            "created_at": now,
            "kind": m.kind,
            "channel": m.channel.value,
            "recipient_user_id": m.recipient_user_id,
            "recipient_address": m.recipient_address,
            "subject": text.subject[:SUBJECT_LENGTH],
            "body": text.body,
            "payload": _stored_payload(m),
            "ticket_id": m.ticket_id,
            "dedupe_key": key,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "sent_at": None,
            "last_error": None,
        }
        for key, (m, text) in unique.items()
        if key not in existing
    ]
    if rows:
        connection.execute(insert(_outbox), rows)
    return len(rows)


def enqueue(
    session: Session,
    *,
    clock: Clock,
    kind: str,
    dedupe_key: str,
    context: Mapping[str, Any],
    recipient_user_id: int | None = None,
    recipient_address: str | None = None,
    channel: Channel = Channel.INTERNAL,
    ticket_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Render the template of ``kind`` with ``context`` and write it unless a message with the same dedupe
    key exists; True when written (see ``enqueue_many``)."""
    message = NewMessage(
        kind=kind,
        dedupe_key=dedupe_key,
        context=context,
        recipient_user_id=recipient_user_id,
        recipient_address=recipient_address,
        channel=channel,
        ticket_id=ticket_id,
        payload=payload,
    )
    return enqueue_many(session, clock=clock, messages=[message]) == 1


def list_outbox(
    session: Session,
    *,
    ticket_id: int | None = None,
    kind: str | None = None,
    status: OutboxStatus | None = None,
    limit: int = 100,
) -> list[OutboxMessage]:
    """Outbox messages, oldest first, optionally for one ticket, kind or status."""
    query = select(OutboxMessage).order_by(OutboxMessage.id).limit(limit)
    if ticket_id is not None:
        query = query.where(OutboxMessage.ticket_id == ticket_id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query).all())


def requeue(session: Session, *, clock: Clock, message_ids: Sequence[int], actor: Actor = SYSTEM_ACTOR) -> int:
    """Put dead-lettered (failed) messages back in the queue with fresh attempts; returns how many. Each
    one is audited as ``actor`` (the system for the command line)."""
    now = clock.now()
    count = 0
    for message in session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.id)
    ):
        before = {"status": str(message.status), "attempts": message.attempts}
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = now
        accounts_service.record_audit(
            session,
            clock=clock,
            actor=actor,
            action="outbox.requeued",
            entity_type="outbox_message",
            entity_id=message.id,
            before=before,
            after={"status": str(message.status), "attempts": 0},
        )
        count += 1
    session.flush()
    return count
