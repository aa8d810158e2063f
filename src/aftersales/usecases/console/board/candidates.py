"""A card's candidates, loaded when the dispatcher presses 指派: only the people the dispatch network judges
eligible now (service area, skill, on shift, capacity, in time for the on-site target), each with the
reason, the distance and the arrival, and a button that assigns; the others collapsed with why not. A
partner provider is offered only its own people. The board itself carries no list of people at all."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aftersales.core.errors import DomainError
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import queries
from aftersales.tickets import service as tickets_service
from aftersales.tickets.rules import OPEN_STATUSES
from aftersales.usecases.console.board.page import Dispatcher
from aftersales.usecases.console.candidates_common import judge_offers
from aftersales.web.deps import ClockDep, SessionDep
from aftersales.web.messages import domain_message
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")
# The others are listed nearest first and only so many: with a national network every technician is judged,
# and why someone 2,000 km away cannot go is no help (1,200 of them made the fragment hundreds of KB).
OTHERS_SHOWN = 20


@router.get("/board/tickets/{ticket_id}/candidates")
def board_candidates(
    request: Request, session: SessionDep, clock: ClockDep, signed: Dispatcher, ticket_id: IdPath
) -> Response:
    """Fragment: who may take this job now and why, best first, with distance and arrival."""
    _ = gettext_for(request)
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    current = tickets_assignment.assignee_names(session, {ticket.assignee_id} if ticket.assignee_id else set())
    context: dict[str, object] = {
        "ticket": ticket,
        "assignee": current.get(ticket.assignee_id or 0, ""),
        "eligible": [],
        "ineligible": [],
        "ineligible_total": 0,
        "message": None,
    }
    if ticket.kind not in queries.FIELD_KINDS or ticket.status not in OPEN_STATUSES:
        context["message"] = _("只有进行中的安装、报修工单需要派单")
    else:
        # Only the people this dispatcher may give work to: everyone's for the office, a provider its own.
        people = {person.username for person in queries.assignable_people(session, actor=signed.actor)}
        try:
            eligible, others = judge_offers(
                session, clock=clock, actor=signed.actor, ticket_id=ticket_id, gettext=_, usernames=people
            )
            others.sort(key=lambda offer: offer.km)
            context |= {"eligible": eligible, "ineligible": others[:OTHERS_SHOWN], "ineligible_total": len(others)}
        except DomainError as error:  # no address or no coordinates: nothing to judge distances from
            context["message"] = domain_message(error, _)
    return render(request, "tickets/_board_candidates.html", context)
