"""JSON API for work orders under /api/v1/tickets."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from aftersales.accounts.deps import CheckedInHandler, allowed, authenticate, require
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import read_only, unit_of_work
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_
from aftersales.core.timeutil import to_local
from aftersales.sla.enums import SlaState
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import listing as tickets_listing
from aftersales.tickets import presenters
from aftersales.tickets import rules as ticket_rules
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType, Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import (
    CommentCreate,
    CommentRead,
    EventCreate,
    TicketCreate,
    TicketDetail,
    TicketPage,
    TicketRead,
    TicketUpdate,
)
from aftersales.triage import learning as triage_learning
from aftersales.usecases import assistant as assist_flow
from aftersales.usecases import intake as flows
from aftersales.usecases import ticket_view
from aftersales.usecases.schemas import AssistRequest, AssistResponse
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, after_commit, commit, json_response
from aftersales.web.params import IdPath, Offset

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


def _analyse(request: Request, text: str) -> triage_learning.Analysis:
    """Triage's answer for ``text`` in a read-only transaction of its own, for a caller allowed to open
    tickets (checked first: no model runs for a request that will be refused)."""
    with read_only(request.app.state.session_factory) as session:
        require(authenticate(request, session), Permission.TICKET_CREATE)
        return triage_learning.analyse(session, text)


def _detail(session: Session, clock: Clock, ticket: Ticket, actor: Actor) -> TicketDetail:
    include_internal = ticket_rules.sees_internal_comments(actor.role)
    return ticket_view.ticket_detail(session, clock=clock, ticket=ticket, include_internal=include_internal)


@router.post(
    "",
    response_model=TicketRead,
    status_code=201,
    responses={200: {"model": TicketRead, "description": "replayed external_id: the existing ticket"}},
    # Checked inside the group-commit writer's batch, where the token is read (no extra transaction).
    dependencies=[Depends(CheckedInHandler(Permission.TICKET_CREATE))],
)
async def create_ticket(body: TicketCreate, request: Request, clock: ClockDep, settings: SettingsDep) -> Response:
    """Open a work order; kind and priority are filled by triage when left out."""

    analysis: triage_learning.Analysis | None = None

    def register(session: Session) -> tuple[TicketRead, bool]:
        actor = authenticate(request, session)
        require(actor, Permission.TICKET_CREATE)
        return flows.open_ticket(
            session,
            clock=clock,
            actor=actor,
            request=body,
            number_prefix=settings.ticket_number_prefix,
            auto_dispatch=settings.auto_dispatch,
            analysis=analysis,
        )

    write_queue = request.app.state.write_queue
    if write_queue is not None:
        if flows.needs_triage(body):
            # Triage reads the text before the writer's turn: SQLite's single write lock is not held for it.
            analysis = await run_in_threadpool(_analyse, request, body.description)
        # SQLite, group commit: the writer thread answers once the transaction holding this ticket is durable.
        read, created = await asyncio.wrap_future(write_queue.submit(register))
    else:
        # PostgreSQL: one unit of work per request, many at a time.
        def alone() -> tuple[TicketRead, bool]:
            with unit_of_work(request.app.state.session_factory) as session:
                return register(session)

        read, created = await run_in_threadpool(alone)
    if created and settings.auto_dispatch:
        await after_commit(request.app.state.dispatcher)
    return json_response(read, status_code=201 if created else 200)


@router.get("", response_model=TicketPage)
def list_tickets(
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.TICKET_READ)],
    status: TicketStatus | None = None,
    priority: Priority | None = None,
    kind: TicketKind | None = None,
    sla_state: SlaState | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
    after: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Tickets the caller may see, newest first; ``q`` searches number, phone and description. Deep
    lists page with ``after`` (the previous page's ``next_after``) rather than a large ``offset``."""
    page = tickets_listing.list_tickets(
        session,
        actor=actor,
        status=status,
        priority=priority,
        kind=kind,
        sla_state=sla_state,
        q=q,
        limit=limit,
        offset=offset,
        after=after,
    )
    names = tickets_assignment.assignee_names(session, {t.assignee_id for t in page.items if t.assignee_id})
    today = to_local(clock.now()).date()
    return json_response(
        TicketPage(
            items=[presenters.ticket_read(t, today=today, assignee=names.get(t.assignee_id or 0)) for t in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
            next_after=page.next_after,
            searched_since=page.searched_since,
        )
    )


@router.get("/by-number/{number}", response_model=TicketDetail)
def get_ticket_by_number(
    number: str, session: SessionDep, clock: ClockDep, actor: Annotated[Actor, allowed(Permission.TICKET_READ)]
) -> Response:
    """A ticket by its number (SH20261122-000123)."""
    ticket = tickets_service.get_by_number(session, number, actor=actor)
    return json_response(_detail(session, clock, ticket, actor))


@router.get("/{ticket_id}", response_model=TicketDetail)
def get_ticket(
    ticket_id: IdPath, session: SessionDep, clock: ClockDep, actor: Annotated[Actor, allowed(Permission.TICKET_READ)]
) -> Response:
    """A ticket with its timeline (``events``) and comments."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor)
    return json_response(_detail(session, clock, ticket, actor))


@router.post("/{ticket_id}/events", response_model=TicketDetail)
def post_event(
    ticket_id: IdPath,
    body: EventCreate,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.TICKET_TRANSITION)],
) -> Response:
    """Move the ticket along its lifecycle; a forbidden move is 409 ticket.invalid_transition. A result on
    an on-site ticket without a check-in is 409 ticket.check_in_required unless a supervisor gives an
    ``override_reason``; a 回访 is recorded through the return visit (409 ticket.visit_required here); the
    check-in only through the job flow."""
    if not ticket_rules.may_record_directly(actor.role, EventType(body.type)):
        raise PermissionDeniedError(
            N_("上门人员请在作业流程中完成此步骤（%(event)s）"), {"event": body.type}, code="ticket.use_job_flow"
        )
    ticket = tickets_service.apply_event(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket_id,
        event_type=body.type,
        note=body.note,
        at=body.at,
        expected_version=body.version,
        override_reason=body.override_reason,
    )
    commit(session)
    return json_response(_detail(session, clock, ticket, actor))


@router.patch("/{ticket_id}", response_model=TicketDetail)
def patch_ticket(
    ticket_id: IdPath,
    body: TicketUpdate,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.TICKET_UPDATE)],
) -> Response:
    """Edit kind, priority, description, product or assignee; ``version`` must be current (else 409)."""
    ticket = tickets_service.update_ticket(
        session,
        clock=clock,
        actor=actor,
        ticket_id=ticket_id,
        version=body.version,
        kind=body.kind,
        priority=body.priority,
        description=body.description,
        assignee_username=body.assignee_username,
        product_model=body.product.model if body.product else None,
        serial_number=body.product.serial_number if body.product else None,
    )
    commit(session)
    return json_response(_detail(session, clock, ticket, actor))


@router.post("/{ticket_id}/comments", response_model=CommentRead, status_code=201)
def post_comment(
    ticket_id: IdPath,
    body: CommentCreate,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.TICKET_COMMENT)],
) -> CommentRead:
    """Add a comment to the ticket."""
    comment = tickets_service.add_comment(
        session, clock=clock, actor=actor, ticket_id=ticket_id, body=body.body, is_internal=body.is_internal
    )
    commit(session)
    return CommentRead(
        id=comment.id,
        author=comment.author_name,
        body=comment.body,
        is_internal=comment.is_internal,
        created_at=comment.created_at,
    )


assist_router = APIRouter(prefix="/api/v1/assist", tags=["assist"])


@assist_router.post("", response_model=AssistResponse)
def assist(
    body: AssistRequest,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.TICKET_CREATE)],
) -> AssistResponse:
    """The self-service widget: an answer, a clarifying question, or a hand-off (ticket + emotion report)."""
    reply = assist_flow.assist(
        session,
        clock=clock,
        actor=actor,
        session_id=body.session_id,
        message=body.message,
        customer_name=body.customer.name if body.customer else None,
        customer_phone=body.customer.phone if body.customer else None,
    )
    commit(session)
    return AssistResponse(**reply.__dict__)
