"""Technician's phone view: today's jobs in order, the job card, check-in, progress and result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from aftersales.accounts.enums import Role
from aftersales.core.errors import DomainError, PermissionDeniedError
from aftersales.dispatch import dayplans
from aftersales.tickets import queries
from aftersales.tickets import rules as ticket_rules
from aftersales.tickets import service as tickets_service
from aftersales.tickets.console.common import next_due, sla_badges
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message
from aftersales.web.pages import ConsoleUser, redirect, require_role
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")
FIELD_ROLES = (Role.TECHNICIAN, Role.PROVIDER)
# What a technician does on site, in the order the buttons appear.
FIELD_EVENTS = (
    EventType.CONTACT,
    EventType.CHECK_IN,
    EventType.PROGRESS,
    EventType.HOLD,
    EventType.RESUME,
    EventType.RESULT,
)


@router.get("/jobs")
def jobs(request: Request, session: SessionDep, clock: ClockDep, signed: ConsoleUser) -> Response:
    """My open jobs, the most pressing deadline first."""
    require_role(signed, *FIELD_ROLES)
    _ = gettext_for(request)
    now = clock.now()
    user_id = signed.actor.user_id or 0
    # Today's plan decides the order and gives the ETAs; jobs outside it follow, most pressing first.
    planned = {
        stop.ticket_id: stop for stop in dayplans.today_stops_of_technician(session, clock=clock, user_id=user_id)
    }
    tickets = queries.jobs_of(session, user_id=user_id)
    order = {ticket_id: index for index, ticket_id in enumerate(planned)}
    tickets.sort(key=lambda ticket: order.get(ticket.id, len(order)))
    rows = [{"ticket": ticket, "due": next_due(ticket, now, _), "stop": planned.get(ticket.id)} for ticket in tickets]
    return render(request, "tickets/jobs.html", {"rows": rows})


@router.get("/jobs/{ticket_id}")
def job_card(request: Request, session: SessionDep, clock: ClockDep, signed: ConsoleUser, ticket_id: int) -> Response:
    """The job card: address with a map link, customer, product, deadlines, what to do next."""
    require_role(signed, *FIELD_ROLES)
    _ = gettext_for(request)
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    if signed.actor.role == Role.TECHNICIAN and ticket.assignee_id != signed.actor.user_id:
        raise PermissionDeniedError("这不是派给您的工单")
    allowed = set(ticket_rules.allowed_events(TicketStatus(ticket.status)))
    return render(
        request,
        "tickets/job.html",
        {
            "ticket": ticket,
            "badges": sla_badges(ticket, clock.now(), _),
            "events": tickets_service.events_of(session, ticket.id),
            "actions": [event for event in FIELD_EVENTS if event in allowed],
            "flash": _("已记录：%(action)s") % {"action": request.query_params["done"]}
            if request.query_params.get("done")
            else None,
        },
    )


@router.post("/jobs/{ticket_id}/events")
def job_event(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: ConsoleUser,
    ticket_id: int,
    type: Annotated[str, Form(max_length=32)],
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """One step on site (check-in meets the on-site SLA at this moment)."""
    require_role(signed, *FIELD_ROLES)
    _ = gettext_for(request)
    try:
        event = EventType(type) if type in {e.value for e in FIELD_EVENTS} else None
        if event is None:
            raise DomainError(_("未知的操作"))
        ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
        if signed.actor.role == Role.TECHNICIAN and ticket.assignee_id != signed.actor.user_id:
            raise PermissionDeniedError("这不是派给您的工单")
        tickets_service.apply_event(
            session,
            clock=clock,
            actor=signed.actor,
            ticket_id=ticket_id,
            event_type=event,
            note=note.strip() or None,
            expected_version=version,
        )
    except DomainError as error:
        session.rollback()
        return render(request, "web/error.html", {"status": 409, "message": domain_message(error, _)}, status_code=409)
    commit(session)
    from aftersales.web.labels import label

    return redirect(request, f"/console/jobs/{ticket_id}?done={_(label('event', event))}")
