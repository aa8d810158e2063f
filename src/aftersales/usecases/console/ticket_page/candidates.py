"""Dispatch candidates on the ticket page: for an installation or repair, the technicians and providers
the dispatch network judges eligible now (same service area, the skill, on shift, capacity left, in time
for the on-site target), with the reason and the estimated travel time and arrival, each with a button
that assigns the job. The others are listed apart, collapsed, with why not; they cannot be assigned here.

The judgement is ``dispatch.network.service.candidates``, the one behind
``GET /api/v1/tickets/{id}/dispatch/candidates``; the assignment is the tickets service's, as on the board.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import ConflictError, DomainError
from aftersales.core.i18n import N_
from aftersales.dispatch.network import service as network_service
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import service as tickets_service
from aftersales.tickets.errors import VersionConflictError
from aftersales.usecases.console.candidates_common import judge_offers
from aftersales.usecases.console.ticket_page.panel import (
    ENDED,
    FIELD_KINDS,
    PanelState,
    drafts_of,
    draw,
    redraw_with,
)
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message
from aftersales.web.pages import form_errors, is_htmx, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")
Assigner = Annotated[SignedIn, page(Permission.DISPATCH_ASSIGN)]


@router.get("/tickets/{ticket_id}/candidates")
def candidates(request: Request, session: SessionDep, clock: ClockDep, signed: Assigner, ticket_id: IdPath) -> Response:
    """Fragment: who may take this field job now and why, best first; the others collapsed with why not."""
    _ = gettext_for(request)
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    assignee = tickets_assignment.assignee_names(session, {ticket.assignee_id} if ticket.assignee_id else set())
    context = {
        "ticket": ticket,
        "assignee": assignee.get(ticket.assignee_id or 0, ""),
        "eligible": [],
        "ineligible": [],
        "message": None,
    }
    if ticket.kind not in FIELD_KINDS or ticket.status in ENDED:
        context["message"] = _("只有进行中的安装、报修工单需要派单")
    else:
        try:
            context["eligible"], context["ineligible"] = judge_offers(
                session, clock=clock, actor=signed.actor, ticket_id=ticket_id, gettext=_
            )
        except DomainError as error:  # no address or no coordinates: nothing to judge distances from
            context["message"] = domain_message(error, _)
    return render(request, "tickets/_candidates.html", context)


@router.post("/tickets/{ticket_id}/candidates/assign")
def assign_candidate(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Assigner,
    ticket_id: IdPath,
    username: Annotated[str, Form(max_length=64)],
    version: Annotated[int, Form()],
    assignee_was: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    override_reason: Annotated[str, Form(max_length=500)] = "",
    body: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Give the job to an eligible candidate (judged again now: one no longer eligible is refused).

    The ``version`` the list was drawn at is enforced only when the assignee changed since: anything else
    that moved (an SLA warning, a note) does not make this choice stale."""
    _ = gettext_for(request)
    drafts = drafts_of({"note": note, "override_reason": override_reason, "body": body})
    with form_errors(
        request, session, redraw_with(request, session, clock, signed, ticket_id, PanelState(drafts=drafts))
    ):
        ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
        current = tickets_assignment.assignee_names(session, {ticket.assignee_id} if ticket.assignee_id else set())
        expected = ticket.version if current.get(ticket.assignee_id or 0, "") == assignee_was else version
        if expected != ticket.version:
            raise VersionConflictError(tickets_service.VERSION_CONFLICT, {"version": ticket.version, "given": version})
        judged = network_service.candidates(session, clock=clock, actor=signed.actor, ticket_id=ticket_id)
        chosen = next((c for c in judged if c.username == username), None)
        if chosen is None or not chosen.eligible:
            raise ConflictError(
                N_("%(name)s 现在不能接此单，请刷新候选名单"), {"name": username}, code="dispatch.candidate_ineligible"
            )
        tickets_service.update_ticket(
            session, clock=clock, actor=signed.actor, ticket_id=ticket_id, version=expected, assignee_username=username
        )
    commit(session)
    if not is_htmx(request):
        return redirect(request, f"/console/tickets/{ticket_id}")
    done = _("已派给 %(name)s") % {"name": username}
    return draw(request, session, clock, signed, ticket_id, PanelState(flash=done, drafts=drafts))
