"""Intake: the one path by which every channel opens a ticket (API, console, self-service, the
assistant, history import). Triage fills what the caller left out, the ticket is registered with its
SLA clocks, linked to the known-issue bulletins it matches, and a new field job is queued for its
dispatch decision after the commit. Idempotent by ``external_id``: a replay returns the first ticket."""

from __future__ import annotations

import functools

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_, Joined
from aftersales.core.timeutil import to_local
from aftersales.customers import rules as customer_rules
from aftersales.dispatch.planning import requests as dispatch_requests
from aftersales.dispatch.planning import service as dayplans
from aftersales.knowledge.bulletins import linking as bulletin_linking
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import intake, presenters, sla_tracking
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.errors import InvalidTicketError
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import NewTicket, TicketCreate, TicketRead
from aftersales.triage import learning as triage_learning


def needs_triage(request: TicketCreate) -> bool:
    """The caller left kind or priority to triage."""
    return request.kind is None or request.priority is None


def _triaged(session: Session, request: TicketCreate, analysis: triage_learning.Analysis | None) -> NewTicket:
    """The request with kind and priority decided: the caller's, else triage's (recorded on the ticket)."""
    triage: dict[str, object] | None = None
    kind, priority = request.kind, request.priority
    if kind is None or priority is None:
        proposal = analysis or triage_learning.analyse(session, request.description)
        triage = {
            "source": "model" if triage_learning.active_model(session) is not None else "rules",
            "kind": proposal.kind,
            "priority": proposal.priority,
            "fault_type": proposal.fault_type,
            "product_model": proposal.product_model,
            "confidence": proposal.confidence,
            "sentiment": proposal.sentiment,
            "anger": proposal.anger,
            "anger_cues": proposal.anger_cues,  # the agent's emotion report on the ticket page shows them
            "handoff": proposal.handoff,
            "reasons": proposal.reasons,
            "filled": [name for name, value in (("kind", kind), ("priority", priority)) if value is None],
        }
        kind = kind or TicketKind(proposal.kind)
        priority = priority or Priority(proposal.priority)
    return NewTicket(
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


def open_ticket(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    request: TicketCreate,
    number_prefix: str = "SH",
    notify: bool = True,
    auto_dispatch: bool = False,
    analysis: triage_learning.Analysis | None = None,
) -> tuple[TicketRead, bool]:
    """Register a work order from any channel; returns (the ticket as read, created). Nothing is written
    on error.

    Replayed ``external_id``: the existing ticket, not created. Otherwise triage fills kind and priority,
    the ticket is registered with its SLA clocks and linked to the known-issue bulletins it matches. With
    ``auto_dispatch`` a new installation or repair job gets a dispatch request in the same transaction;
    the decision itself is made after the commit (``dispatch.planning.jobs``), so no re-plan runs here.

    A new ticket is answered from the values written (no read-back), unless it was reported so long ago
    that SLA events were due at once, in which case it is refreshed and read from the database.

    ``analysis``: triage's answer for the description worked out just before, outside the write
    transaction (the API does so on SQLite, so the single writer does not hold the lock while the model
    reads the text); None: triage runs here when the request needs it.
    """
    if actor.role == Role.CUSTOMER:
        _within_customer_limits(actor, request)
    if request.external_id:
        existing = tickets_service.find_by_external_id(session, request.external_id)
        if existing is not None:
            return _read(session, clock, existing), False
    data = _triaged(session, request, analysis)
    register = functools.partial(
        intake.register, session, clock=clock, actor=actor, data=data, number_prefix=number_prefix, number_now=False
    )
    if not request.external_id:
        # Nothing to recover from, so no SAVEPOINT of our own (it costs a round of session bookkeeping):
        # any error propagates and the caller's unit of work (or the writer's per-job SAVEPOINT) undoes it.
        registration = register()
    else:
        try:
            with session.begin_nested():
                registration = register()
        except IntegrityError:
            # A concurrent request with the same external id won the race: answer with its ticket.
            existing = tickets_service.find_by_external_id(session, request.external_id)
            if existing is None:
                raise
            return _read(session, clock, existing), False
    ticket_id = registration.ticket_id
    # Known issues: a ticket matching a published bulletin is linked now, so its agent sees the workaround.
    bulletin_linking.link_new_ticket(
        session, clock=clock, ticket_id=ticket_id, product_model=data.product_model, description=data.description
    )
    if auto_dispatch and data.kind in dayplans.FIELD_KINDS:
        dispatch_requests.request_dispatch(
            session, clock=clock, ticket_id=ticket_id, is_urgent=data.priority is Priority.URGENT
        )
    # Last: the day's number (its counter row stays locked until the commit; see intake.assign_number).
    intake.assign_number(session, clock=clock, actor=actor, registration=registration, number_prefix=number_prefix)
    if registration.needs_sla_refresh:
        ticket = tickets_service.get_ticket(session, ticket_id)
        sla_tracking.refresh_ticket(session, clock=clock, ticket=ticket, notify=notify)
        session.flush()
        return _read(session, clock, ticket), True
    return registration.read, True


def _within_customer_limits(actor: Actor, request: TicketCreate) -> None:
    """A customer reports for themself, now: under the phone their account is linked to (the anonymous
    self-service form has no account), with urgency and report time left to triage and the clock."""
    problems: dict[str, str] = {}
    if request.priority is not None:
        problems["priority"] = N_("客户报修不能指定优先级，由系统分诊")
    if request.reported_at is not None:
        problems["reported_at"] = N_("客户报修不能指定登记时间")
    if actor.user_id is not None:
        if not actor.phone:
            raise PermissionDeniedError(N_("账户未绑定手机号，不能报修"), code="ticket.customer_without_phone")
        given = customer_rules.parse_phone(request.customer.phone)
        linked = customer_rules.parse_phone(actor.phone)
        if given is None or linked is None or given.number != linked.number:
            problems["customer.phone"] = N_("只能用账户绑定的手机号报修")
    if problems:
        raise InvalidTicketError(Joined(dict.fromkeys(problems.values())), fields=problems)


def _read(session: Session, clock: Clock, ticket: Ticket) -> TicketRead:
    """A loaded ticket as read, with its assignee's name."""
    names = tickets_assignment.assignee_names(session, {ticket.assignee_id} if ticket.assignee_id else set())
    return presenters.ticket_read(
        ticket, today=to_local(clock.now()).date(), assignee=names.get(ticket.assignee_id or 0)
    )
