"""The ticket's timeline: writing one event (its type checked against ``tickets.events``) and reading
events and comments back. Other packages record through ``service.record_event``; the lifecycle and
edits in ``service`` write through ``write_event``. Flushes, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import Actor
from aftersales.core.i18n import N_
from aftersales.tickets import events
from aftersales.tickets.enums import TicketStatus
from aftersales.tickets.errors import UnknownEventTypeError
from aftersales.tickets.models import Ticket, TicketComment, TicketEvent


def require_registered(event_type: str) -> None:
    """Refuse a type no package registered (``ticket.unknown_event_type``)."""
    if not events.is_registered(event_type):
        raise UnknownEventTypeError(
            N_("未登记的工单事件类型「%(type)s」"), {"type": str(event_type)}, fields={"type": str(event_type)}
        )


def write_event(
    session: Session,
    ticket: Ticket,
    event_type: str,
    *,
    at: datetime,
    now: datetime,
    actor: Actor,
    note: str | None,
    from_status: TicketStatus | None = None,
    to_status: TicketStatus | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Add one immutable event to the ticket's timeline (a registered type only)."""
    require_registered(event_type)
    event = TicketEvent(
        ticket_id=ticket.id,
        type=str(event_type),
        at=at,
        recorded_at=now,
        actor_id=actor.user_id,
        actor_name=actor.username,
        note=note,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        data=data,
    )
    session.add(event)
    return event


def events_of(session: Session, ticket_id: int) -> list[TicketEvent]:
    """The timeline, oldest first."""
    return list(
        session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.at, TicketEvent.id)
        ).all()
    )


def comments_of(session: Session, ticket_id: int, *, include_internal: bool = True) -> list[TicketComment]:
    """Comments, oldest first."""
    query = select(TicketComment).where(TicketComment.ticket_id == ticket_id).order_by(TicketComment.id)
    if not include_internal:
        query = query.where(TicketComment.is_internal.is_(False))
    return list(session.scalars(query).all())
