"""Dispatcher board: unassigned and at-risk work orders by city and district; assign or reassign."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import ConflictError
from aftersales.core.i18n import N_
from aftersales.tickets import queries
from aftersales.tickets import service as tickets_service
from aftersales.tickets.display import next_due
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.pages import form_errors, is_htmx, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")


@router.get("/board")
def board(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.DISPATCH_BOARD)],
    city: str | None = None,
) -> Response:
    """Work orders waiting for a technician or about to miss their SLA, grouped by city and district."""
    _ = gettext_for(request)
    now = clock.now()
    tickets = queries.board_tickets(session, actor=signed.actor, city=city or None)
    names = tickets_service.assignee_names(session, {t.assignee_id for t in tickets if t.assignee_id})
    groups: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
    for ticket in tickets:
        address = ticket.address
        key = (
            (address.city or _("未识别城市")) if address else _("无地址"),
            (address.district or "") if address else "",
        )
        groups[key].append(
            {"ticket": ticket, "due": next_due(ticket, now, _), "assignee": names.get(ticket.assignee_id or 0)}
        )
    return render(
        request,
        "tickets/board.html",
        {
            "groups": sorted(groups.items()),
            "count": len(tickets),
            "unassigned": sum(1 for t in tickets if t.assignee_id is None),
            "cities": queries.board_cities(session),
            "city": city or "",
            "people": queries.assignable_people(session, actor=signed.actor),
        },
    )


@router.post("/tickets/{ticket_id}/assign")
def assign(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.DISPATCH_BOARD)],
    ticket_id: IdPath,
    assignee: Annotated[str, Form(max_length=64)],
    version: Annotated[int, Form()],
) -> Response:
    """Give the work order to a technician or provider (reassigning is the same action)."""
    _ = gettext_for(request)
    allowed = {person.username for person in queries.assignable_people(session, actor=signed.actor)}
    with form_errors(request, session, target=f"#assign-result-{ticket_id}"):
        if assignee not in allowed:  # no longer on the board's list (gone, or another provider's)
            raise ConflictError(N_("请选择可派单的技术员或服务商"), code="ticket.assignee_unavailable")
        ticket = tickets_service.update_ticket(
            session, clock=clock, actor=signed.actor, ticket_id=ticket_id, version=version, assignee_username=assignee
        )
    commit(session)
    if is_htmx(request):
        return render(
            request,
            "tickets/_assigned.html",
            {"ticket": ticket, "assignee": assignee, "message": _("已派给 %(name)s") % {"name": assignee}},
        )
    return redirect(request, "/console/board")
