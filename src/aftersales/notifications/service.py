"""Outbox use cases. Flushes, never commits."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock
from aftersales.core.db import core_connection, table_of
from aftersales.notifications import routing
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
    # The organisation the event concerns (a ticket's), for the routing rules; None: the recipient's.
    organisation_id: int | None = None


def _stored_payload(message: NewMessage) -> dict[str, Any] | None:
    """The payload to store; an SMS also keeps the context it was rendered from (as JSON values), because
    template-based SMS gateways (``sms``) send the template's variables, not the rendered text."""
    if message.channel != Channel.SMS:
        return message.payload
    context = json.loads(json.dumps(dict(message.context), ensure_ascii=False, default=str))
    return {**(message.payload or {}), "template_context": context}


def _row(now: datetime, key: str, **values: Any) -> dict[str, Any]:
    return {
        "created_at": now,
        "dedupe_key": key,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "sent_at": None,
        "last_error": None,
        **values,
    }


def _existing(session: Session, keys: Sequence[str]) -> set[str]:
    connection = core_connection(session)
    existing: set[str] = set()
    for start in range(0, len(keys), 500):
        existing.update(
            connection.execute(select(_outbox.c.dedupe_key).where(_outbox.c.dedupe_key.in_(keys[start : start + 500])))
            .scalars()
            .all()
        )
    return existing


def enqueue_many(session: Session, *, clock: Clock, messages: Sequence[NewMessage]) -> int:
    """Render every message from its template, then write those whose dedupe key is new in one statement;
    returns how many were written. An unknown kind or a context without a field of its template raises
    ``rendering.MessageTemplateError`` before anything is written.

    New internal messages are routed too: each active routing rule that matches the event adds one copy
    to its outside channel (``routing.routed_copies``), keyed so that a repeat writes nothing."""
    unique = {message.dedupe_key: (message, render(message.kind, message.context)) for message in messages}
    if not unique:
        return 0
    existing = _existing(session, list(unique))
    now = clock.now()
    written = [(key, m, text) for key, (m, text) in unique.items() if key not in existing]
    rows = [
        _row(
            now,
            key,
            kind=m.kind,
            channel=m.channel.value,
            recipient_user_id=m.recipient_user_id,
            recipient_address=m.recipient_address,
            subject=text.subject[:SUBJECT_LENGTH],
            body=text.body,
            payload=_stored_payload(m),
            ticket_id=m.ticket_id,
        )
        for key, m, text in written
    ]
    events = [
        routing.Event(
            kind=m.kind,
            subject=text.subject[:SUBJECT_LENGTH],
            body=text.body,
            ticket_id=m.ticket_id,
            payload=m.payload,
            recipient_user_id=m.recipient_user_id,
            organisation_id=m.organisation_id,
        )
        for _, m, text in written
        if m.channel == Channel.INTERNAL
    ]
    copies = routing.routed_copies(session, events) if events else []
    if copies:
        sent_before = _existing(session, [copy.dedupe_key for copy in copies])
        rows += [
            _row(
                now,
                copy.dedupe_key,
                kind=copy.kind,
                channel=copy.channel.value,
                recipient_user_id=None,
                recipient_address=copy.target,
                subject=copy.subject,
                body=copy.body,
                payload=copy.payload,
                ticket_id=copy.ticket_id,
            )
            for copy in copies
            if copy.dedupe_key not in sent_before
        ]
    if rows:
        core_connection(session).execute(insert(_outbox), rows)
    return len(written)


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
    organisation_id: int | None = None,
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
        organisation_id=organisation_id,
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


@dataclass(frozen=True)
class OutboxPage:
    """One page of the outbox, newest first; ``next_before`` continues it (keyset paging)."""

    messages: list[OutboxMessage]
    next_before: int | None


def page_outbox(
    session: Session,
    *,
    status: OutboxStatus | None = None,
    channel: Channel | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> OutboxPage:
    """Outbox messages newest first, by status, channel and creation time (``created_from`` inclusive,
    ``created_before`` exclusive), older than ``before_id`` for the next page."""
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    if created_from is not None:
        query = query.where(OutboxMessage.created_at >= created_from)
    if created_before is not None:
        query = query.where(OutboxMessage.created_at < created_before)
    if before_id is not None:
        query = query.where(OutboxMessage.id < before_id)
    rows = list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return OutboxPage(messages=rows, next_before=rows[-1].id if more and rows else None)


def count_dead_letters(session: Session, *, cap: int = 999) -> int:
    """How many messages failed for good, counted up to ``cap + 1`` (the page says "999+" beyond)."""
    capped = select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.FAILED).limit(cap + 1)
    return int(session.scalar(select(func.count()).select_from(capped.subquery())) or 0)
