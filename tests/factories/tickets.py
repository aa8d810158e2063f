"""Tickets: opened through the intake use case, assigned and walked through the tickets service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock, FrozenClock
from aftersales.feedback import visits as feedback_visits
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Channel, EventType, Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import TicketCreate
from aftersales.usecases import intake as intake_flows
from tests.factories.common import (
    CUSTOMER_ADDRESS,
    CUSTOMER_NAME,
    CUSTOMER_PHONE,
    DESCRIPTION,
    PRODUCT_MODEL,
    SERIAL_NUMBER,
)

# The shortest lifecycle walk from "registered" to each status (see aftersales.tickets.rules.TRANSITIONS)
# that a real user could take: the default ticket is an on-site repair, so someone checks in before the
# result; the 回访 is recorded through a return visit (``walk`` does that).
LIFECYCLE_PATHS: dict[TicketStatus, tuple[EventType, ...]] = {
    TicketStatus.REGISTERED: (),
    TicketStatus.IN_PROGRESS: (EventType.CONTACT,),
    TicketStatus.ON_HOLD: (EventType.CONTACT, EventType.HOLD),
    TicketStatus.RESOLVED: (EventType.CONTACT, EventType.CHECK_IN, EventType.RESULT),
    TicketStatus.VISITED: (EventType.CONTACT, EventType.CHECK_IN, EventType.RESULT, EventType.RETURN_VISIT),
    TicketStatus.CLOSED: (
        EventType.CONTACT,
        EventType.CHECK_IN,
        EventType.RESULT,
        EventType.RETURN_VISIT,
        EventType.CLOSE,
    ),
    TicketStatus.CANCELLED: (EventType.CANCEL,),
}


def ticket_request(
    *,
    kind: TicketKind | None = TicketKind.REPAIR,
    priority: Priority | None = Priority.ROUTINE,
    channel: Channel = Channel.HOTLINE,
    customer_name: str = CUSTOMER_NAME,
    phone: str = CUSTOMER_PHONE,
    address: str | None = CUSTOMER_ADDRESS,
    product_model: str | None = PRODUCT_MODEL,
    serial_number: str | None = SERIAL_NUMBER,
    purchase_date: date | None = None,
    description: str = DESCRIPTION,
    reported_at: datetime | None = None,
    external_id: str | None = None,
) -> TicketCreate:
    """A validated intake request. Kind and priority are given, so triage is skipped unless set to None."""
    product: dict[str, Any] | None = None
    if product_model is not None:
        product = {"model": product_model, "serial_number": serial_number, "purchase_date": purchase_date}
    return TicketCreate.model_validate(
        {
            "kind": kind,
            "priority": priority,
            "channel": channel,
            "customer": {"name": customer_name, "phone": phone, "address": address},
            "product": product,
            "description": description,
            "reported_at": reported_at,
            "external_id": external_id,
        }
    )


def ticket(
    session: Session,
    *,
    clock: Clock,
    actor: Actor = SYSTEM_ACTOR,
    request: TicketCreate | None = None,
    notify: bool = True,
    assignee_username: str | None = None,
    **fields: Any,
) -> Ticket:
    """A registered ticket through the intake use case, loaded; assigned when ``assignee_username`` is
    given (by ``actor``). ``fields`` go to :func:`ticket_request`.

    No dispatch decision is made (intake's auto-dispatch is the API route's, after its commit)."""
    if request is None:
        request = ticket_request(**fields)
    elif fields:
        raise TypeError("pass either request or request fields, not both")
    opened, _ = intake_flows.open_ticket(session, clock=clock, actor=actor, request=request, notify=notify)
    if assignee_username is not None:
        return assign(session, clock=clock, ticket_id=opened.id, assignee_username=assignee_username, actor=actor)
    return tickets_service.get_ticket(session, opened.id)


def assign(
    session: Session, *, clock: Clock, ticket_id: int, assignee_username: str, actor: Actor = SYSTEM_ACTOR
) -> Ticket:
    """Give the ticket to a technician or provider user (tickets service, at its current version)."""
    current = tickets_service.get_ticket(session, ticket_id)
    return tickets_service.update_ticket(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket_id,
        version=current.version,
        assignee_username=assignee_username,
    )


def walk(
    session: Session,
    *,
    clock: Clock,
    ticket_id: int,
    events: Sequence[EventType],
    actor: Actor = SYSTEM_ACTOR,
    spacing: timedelta | None = None,
    note: str | None = None,
) -> Ticket:
    """Apply lifecycle events in order (tickets service); with ``spacing`` the frozen clock moves first. A
    ``return_visit`` is recorded as a user does it: through a return visit that reached the customer."""
    current = tickets_service.get_ticket(session, ticket_id)
    for event in events:
        if spacing is not None:
            assert isinstance(clock, FrozenClock), "spacing needs a FrozenClock"
            clock.advance(spacing)
        if event == EventType.RETURN_VISIT:
            feedback_visits.record_past_visit(session, clock=clock, actor=actor, ticket_id=ticket_id, note=note)
            current = tickets_service.get_ticket(session, ticket_id)
            continue
        current = tickets_service.apply_event(
            session, clock=clock, actor=actor, ticket_id=ticket_id, event_type=event, note=note
        )
    return current


def ticket_in_status(
    session: Session,
    *,
    clock: Clock,
    status: TicketStatus,
    actor: Actor = SYSTEM_ACTOR,
    spacing: timedelta | None = None,
    **fields: Any,
) -> Ticket:
    """A ticket opened through intake and walked along the shortest path to ``status``."""
    opened = ticket(session, clock=clock, actor=actor, **fields)
    return walk(session, clock=clock, ticket_id=opened.id, events=LIFECYCLE_PATHS[status], actor=actor, spacing=spacing)
