"""A staff member's inbox: the internal messages addressed to them (SLA warnings and breaches,
escalations, promise alerts, bulletin notices, hot issues, rectifications, follow-up complaints, hand-offs),
newest first, with what they have read. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.notifications.enums import Channel
from aftersales.notifications.models import OutboxMessage

PAGE_SIZE = 30
MAX_PAGE_SIZE = 100
COUNT_CAP = 999  # the header shows "999+" beyond this: the count stops there instead of counting everything


@dataclass(frozen=True)
class InboxPage:
    """One page of a person's inbox, newest first; ``next_before`` continues it (keyset paging)."""

    messages: list[OutboxMessage]
    unread: int
    next_before: int | None


def _mine(user_id: int) -> ColumnElement[bool]:
    return and_(OutboxMessage.recipient_user_id == user_id, OutboxMessage.channel == Channel.INTERNAL)


def unread_count(session: Session, *, user_id: int) -> int:
    """How many internal messages the person has not read, counted up to ``COUNT_CAP + 1``."""
    capped = select(OutboxMessage.id).where(_mine(user_id), OutboxMessage.read_at.is_(None)).limit(COUNT_CAP + 1)
    return int(session.scalar(select(func.count()).select_from(capped.subquery())) or 0)


def list_inbox(
    session: Session,
    *,
    user_id: int,
    unread_only: bool = False,
    before_id: int | None = None,
    after_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> InboxPage:
    """The person's messages, newest first: older than ``before_id`` (the next page) or newer than
    ``after_id`` (what arrived since the page was drawn)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = select(OutboxMessage).where(_mine(user_id))
    if unread_only:
        query = query.where(OutboxMessage.read_at.is_(None))
    if before_id is not None:
        query = query.where(OutboxMessage.id < before_id)
    if after_id is not None:
        query = query.where(OutboxMessage.id > after_id)
    rows = list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(
        messages=rows,
        unread=unread_count(session, user_id=user_id),
        next_before=rows[-1].id if more and rows else None,
    )


def mark_read(session: Session, *, clock: Clock, actor: Actor, message_ids: Sequence[int] | None = None) -> int:
    """Mark the actor's own messages read (all unread ones when ``message_ids`` is None); returns how many
    changed, audited when any did. Ids of other people's messages are ignored, never marked."""
    if actor.user_id is None:
        return 0
    statement = (
        update(OutboxMessage)
        .where(_mine(actor.user_id), OutboxMessage.read_at.is_(None))
        .values(read_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if message_ids is not None:
        if not message_ids:
            return 0
        statement = statement.where(OutboxMessage.id.in_(list(message_ids)))
    changed = int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
    if changed:
        accounts_service.record_audit(
            session,
            clock=clock,
            actor=actor,
            action="inbox.read",
            entity_type="user",
            entity_id=actor.user_id,
            after={"messages": "all" if message_ids is None else sorted(message_ids), "changed": changed},
        )
    session.flush()
    return changed
