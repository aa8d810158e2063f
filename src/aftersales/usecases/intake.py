"""Intake across packages: triage fills what the caller left out, then the ticket is registered with
its SLA clocks and linked to the known-issue bulletins it matches. Idempotent by ``external_id``: a
replay returns the ticket made the first time."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock
from aftersales.dispatch.planning import emergencies
from aftersales.dispatch.planning import service as dayplans
from aftersales.knowledge.bulletins import linking as bulletin_linking
from aftersales.sla import service as sla_service
from aftersales.tickets import intake, sla_tracking
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.intake import NewTicket, RegisteredTicket
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import TicketCreate
from aftersales.triage import learning as triage_learning


@dataclass(frozen=True)
class PreparedTicket:
    """What intake decided before writing: the triaged request and its SLA plan, or a replayed ticket."""

    request: TicketCreate
    data: NewTicket | None
    planned: sla_service.PlannedTargets | None
    existing_id: int | None = None


def prepare_ticket(session: Session, *, clock: Clock, request: TicketCreate) -> PreparedTicket:
    """The reading half of intake: replayed external id?, triage, SLA plan. Writes nothing."""
    if request.external_id:
        existing_id = tickets_service.id_by_external_id(session, request.external_id)
        if existing_id is not None:
            return PreparedTicket(request=request, data=None, planned=None, existing_id=existing_id)
    triage: dict[str, object] | None = None
    kind, priority = request.kind, request.priority
    if kind is None or priority is None:
        proposal = triage_learning.analyse(session, request.description)
        triage = {
            "source": "model" if triage_learning.active_model(session) is not None else "rules",
            "kind": proposal.kind,
            "priority": proposal.priority,
            "fault_type": proposal.fault_type,
            "product_model": proposal.product_model,
            "confidence": proposal.confidence,
            "sentiment": proposal.sentiment,
            "anger": proposal.anger,
            "handoff": proposal.handoff,
            "reasons": proposal.reasons,
            "filled": [name for name, value in (("kind", kind), ("priority", priority)) if value is None],
        }
        kind = kind or TicketKind(proposal.kind)
        priority = priority or Priority(proposal.priority)
    data = NewTicket(
        kind=kind,
        priority=priority,
        channel=request.channel,
        customer_name=request.customer.name,
        phone=request.customer.phone,
        address=request.customer.address,
        product_model=request.product.model if request.product else None,
        serial_number=request.product.serial_number if request.product else None,
        purchase_date=request.product.purchase_date if request.product else None,
        description=request.description,
        reported_at=request.reported_at,
        external_id=request.external_id,
        triage=triage,
    )
    planned = intake.plan(session, clock=clock, data=data)
    return PreparedTicket(request=request, data=data, planned=planned)


def open_prepared(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    prepared: PreparedTicket,
    number_prefix: str = "SH",
    notify: bool = True,
    auto_dispatch: bool = False,
) -> tuple[Ticket | RegisteredTicket, bool]:
    """The writing half of intake; returns (ticket, created). Nothing is written on error.

    With ``auto_dispatch`` a new installation or repair job is dispatched at once (emergency insertion
    into today's plan for urgent ones, else the best eligible technician) or queued with the reason."""
    if prepared.existing_id is not None:
        return tickets_service.get_ticket(session, prepared.existing_id), False
    assert prepared.data is not None
    external_id = prepared.request.external_id
    register = functools.partial(
        intake.register, session, clock=clock, actor=actor, data=prepared.data, number_prefix=number_prefix
    )
    if not external_id:
        # Nothing to recover from, so no SAVEPOINT of our own (it costs a round of session bookkeeping):
        # any error propagates and the caller's unit of work (or the writer's per-job SAVEPOINT) undoes it.
        registered = register(planned=prepared.planned)
    else:
        try:
            with session.begin_nested():
                registered = register(planned=prepared.planned)
        except IntegrityError:
            # A concurrent request with the same external id won the race: answer with its ticket.
            existing = tickets_service.find_by_external_id(session, external_id)
            if existing is None:
                raise
            return existing, False
    # Known issues: a ticket matching a published bulletin is linked now, so its agent sees the workaround.
    bulletin_linking.link_new_ticket(
        session,
        clock=clock,
        ticket_id=registered.id,
        product_model=prepared.data.product_model,
        description=prepared.data.description,
    )
    if registered.needs_sla_refresh:
        ticket = tickets_service.get_ticket(session, registered.id)
        sla_tracking.refresh_ticket(session, clock=clock, ticket=ticket, notify=notify)
        session.flush()
        return ticket, True
    if auto_dispatch and prepared.data.kind in dayplans.FIELD_KINDS:
        # The dispatch decision is the system's, whoever registered the ticket.
        emergencies.dispatch_at_intake(session, clock=clock, actor=SYSTEM_ACTOR, ticket_id=registered.id)
        return tickets_service.get_ticket(session, registered.id), True
    return registered, True


def open_ticket(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    request: TicketCreate,
    number_prefix: str = "SH",
    notify: bool = True,
    auto_dispatch: bool = False,
) -> tuple[Ticket | RegisteredTicket, bool]:
    """Register a work order from a request; returns (ticket, created). Nothing is written on error.

    A new ticket comes back as the intake snapshot (no read-back), unless it was reported so long ago
    that SLA events were due at once, in which case it is refreshed and returned loaded.
    """
    prepared = prepare_ticket(session, clock=clock, request=request)
    return open_prepared(
        session,
        clock=clock,
        actor=actor,
        prepared=prepared,
        number_prefix=number_prefix,
        notify=notify,
        auto_dispatch=auto_dispatch,
    )
