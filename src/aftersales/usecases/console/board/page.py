"""The board page and its list (which the open page asks for again every few seconds), and the assignment
a card's candidate list posts: it answers with the card redrawn, showing the new assignee."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import ConflictError
from aftersales.core.i18n import N_
from aftersales.dispatch.network import service as network_service
from aftersales.sla.enums import SlaState
from aftersales.tickets import queries
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Priority
from aftersales.usecases.console.board import listing
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.pages import form_errors, is_htmx, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")
Dispatcher = Annotated[SignedIn, page(Permission.DISPATCH_BOARD)]
Filter = Annotated[str | None, Query(max_length=64)]
LIST_TARGET = "board-list"  # the element the open page refreshes (tickets/_board_list.html)


@router.get("/board")
def board(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    signed: Dispatcher,
    city: Filter = None,
    district: Filter = None,
    kind: Filter = None,
    priority: Filter = None,
    sla_state: Filter = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Field jobs waiting for a technician or about to miss their SLA, most urgent first, a page at a time,
    with the page's jobs on a map; the open page's own refresh gets the list alone."""
    _ = gettext_for(request)
    filters = listing.BoardFilters.parse(
        city=city, district=district, kind=kind, priority=priority, sla_state=sla_state
    )
    found = listing.board_page(session, actor=signed.actor, filters=filters, page=page, now=clock.now(), gettext=_)
    context: dict[str, object] = {
        "board": found,
        "filters": found.filters,
        "poll_seconds": settings.inbox_poll_seconds,
        "preserve": True,
        "flash": None,
    }
    if is_htmx(request) and request.headers.get("hx-target") == LIST_TARGET:
        return render(request, "tickets/_board_list.html", context)
    context |= {
        "cities": queries.board_cities(session),
        "kinds": queries.FIELD_KINDS,
        "priorities": list(Priority),
        "sla_states": list(SlaState),
    }
    return render(request, "tickets/board.html", context)


@router.post("/tickets/{ticket_id}/assign")
def assign(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Dispatcher,
    ticket_id: IdPath,
    assignee: Annotated[str, Form(max_length=64)],
    version: Annotated[int, Form()],
    eligible_only: Annotated[bool, Form()] = False,
) -> Response:
    """Give the work order to a technician or provider (reassigning is the same action). From a card's
    candidate list (``eligible_only``) the choice is judged again now: one no longer eligible is refused."""
    _ = gettext_for(request)
    allowed = {person.username for person in queries.assignable_people(session, actor=signed.actor)}
    with form_errors(request, session, target=f"#assign-result-{ticket_id}"):
        if assignee not in allowed:  # no longer assignable (gone, or another provider's)
            raise ConflictError(N_("请选择可派单的技术员或服务商"), code="ticket.assignee_unavailable")
        if eligible_only:
            judged = network_service.candidates(session, clock=clock, actor=signed.actor, ticket_id=ticket_id)
            if not any(candidate.username == assignee and candidate.eligible for candidate in judged):
                raise ConflictError(
                    N_("%(name)s 现在不能接此单，请刷新候选名单"),
                    {"name": assignee},
                    code="dispatch.candidate_ineligible",
                )
        ticket = tickets_service.update_ticket(
            session, clock=clock, actor=signed.actor, ticket_id=ticket_id, version=version, assignee_username=assignee
        )
        card = listing.card_of(ticket, now=clock.now(), gettext=_, names={ticket.assignee_id or 0: assignee})
    commit(session)
    if is_htmx(request):
        context = {"card": card, "flash": _("已派给 %(name)s") % {"name": assignee}, "preserve": False}
        return render(request, "tickets/_board_card.html", context)
    return redirect(request, "/console/board")
