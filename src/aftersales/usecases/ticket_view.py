"""The ticket's read model: the ticket, its timeline and comments (tickets) with what other packages keep
about it — the promises made to the customer (feedback) and the known-issue bulletins it is linked to
(knowledge). Composed here because ``tickets`` knows nothing of the packages above it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from aftersales.core.clock import Clock
from aftersales.core.timeutil import to_local
from aftersales.feedback import promises as promises_service
from aftersales.knowledge.bulletins import linking as bulletin_linking
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import presenters
from aftersales.tickets import timeline as ticket_timeline
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import TicketDetail


def ticket_detail(session: Session, *, clock: Clock, ticket: Ticket, include_internal: bool = True) -> TicketDetail:
    """The ticket as the API shows it: timeline, comments, promises and linked bulletins."""
    names = tickets_assignment.assignee_names(session, {ticket.assignee_id} if ticket.assignee_id else set())
    events = ticket_timeline.events_of(session, ticket.id)
    detail = presenters.ticket_detail(
        ticket,
        today=to_local(clock.now()).date(),
        events=events,
        comments=ticket_timeline.comments_of(session, ticket.id, include_internal=include_internal),
        assignee=names.get(ticket.assignee_id) if ticket.assignee_id else None,
    )
    detail.bulletin_ids = [bulletin.id for bulletin in bulletin_linking.bulletins_for_ticket(session, ticket.id)]
    detail.promises = [
        promises_service.public_view(promise) for promise in promises_service.promises_of(session, ticket.id)
    ]
    return detail
