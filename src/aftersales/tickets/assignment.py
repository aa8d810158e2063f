"""Who a ticket is with: taking it off its assignee (back to the dispatcher queue) and the assignees'
usernames for lists and cards. Assigning is an edit (``service.update_ticket``). Flushes, never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_
from aftersales.tickets import service, timeline
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.tickets.errors import InvalidTransitionError
from aftersales.tickets.models import Ticket


def unassign_ticket(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    note: str,
    event_type: str = EventType.ASSIGN,
    data: dict[str, Any] | None = None,
) -> Ticket:
    """Take the ticket off its assignee (and their organisation): it goes back to the dispatcher queue.
    The reason is on the timeline (an ``assign`` event, or a registered type such as dispatch's
    ``decline``)."""
    timeline.require_registered(event_type)
    ticket = service.get_ticket(session, ticket_id, actor=actor, for_update=True)
    if ticket.assignee_id is None:
        raise InvalidTransitionError(N_("工单尚未指派"), fields={"assignee": None})
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.CANCELLED):
        raise InvalidTransitionError(service.ENDED, fields={"status": ticket.status})
    now = clock.now()
    previous = assignee_names(session, {ticket.assignee_id}).get(ticket.assignee_id)
    before = {"assignee_id": ticket.assignee_id, "organisation_id": ticket.organisation_id, "version": ticket.version}
    ticket.assignee_id = None
    ticket.organisation_id = None
    ticket.updated_at = now
    data = {"previous_assignee": previous, **(data or {})}
    timeline.write_event(session, ticket, event_type, at=now, now=now, actor=actor, note=note, data=data)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="ticket.unassigned",
        entity_type="ticket",
        entity_id=ticket.id,
        before=before,
        after={"assignee_id": None, "organisation_id": None, "version": ticket.version},
        note=note,
    )
    return ticket


def assignee_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    """Usernames for a set of user ids."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()
    return {user_id: username for user_id, username in rows}
