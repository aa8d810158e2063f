"""Day plans in the console: each technician's ordered stops with ETAs for a city and day, the jobs
left unassigned with the reason, and (re-)optimising the day."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.models import Organisation
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError
from aftersales.core.timeutil import to_local
from aftersales.dispatch.network import rules
from aftersales.dispatch.planning import decisions
from aftersales.dispatch.planning import service as dayplans
from aftersales.tickets import service as tickets_service
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message
from aftersales.web.pages import form_errors, is_htmx, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")


def _areas(session: SessionDep) -> list[str]:
    rows = session.scalars(select(Organisation.city).where(Organisation.city.is_not(None)).distinct())
    return sorted({rules.canonical_city(city) for city in rows if city})


@router.get("/plans")
def plans(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.DISPATCH_PLAN)],
    area: str | None = None,
    day: date | None = None,
) -> Response:
    """The active plan of a city and day: routes with ETAs, unassigned jobs with reasons."""
    areas = _areas(session)
    area = rules.canonical_city(area or (areas[0] if areas else ""))
    day = day or to_local(clock.now()).date()
    plan = dayplans.active_plan(session, area=area, day=day) if area else None
    return render(
        request,
        "dispatch/plan.html",
        {
            "areas": areas,
            "area": area,
            "day": day.isoformat(),
            "plan": plan,
            "routes": dayplans.plan_routes(session, plan) if plan else [],
            "error": request.query_params.get("error"),
        },
    )


@router.post("/plans")
def build(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.DISPATCH_PLAN)],
    area: Annotated[str, Form(max_length=64)],
    day: Annotated[date, Form()],
) -> Response:
    """Optimise the day again (the previous plan is kept as superseded)."""

    def redraw(error: DomainError, status: int) -> Response:
        context = {"areas": _areas(session), "area": area, "day": day.isoformat(), "plan": None, "routes": []}
        context["error"] = domain_message(error, gettext_for(request))
        return render(request, "dispatch/plan.html", context, status_code=status)

    with form_errors(request, session, redraw):
        dayplans.build_plan(session, clock=clock, actor=signed.actor, area=area, day=day, seconds=5.0)
    commit(session)
    return redirect(request, f"/console/plans?area={area}&day={day.isoformat()}")


@router.post("/tickets/{ticket_id}/auto-dispatch")
def auto_dispatch(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.DISPATCH_PLAN)],
    ticket_id: IdPath,
) -> Response:
    """Dispatch one ticket from the board: emergency insertion for an urgent job of a planned city, else
    the best eligible technician; the reason is shown and kept on the timeline."""
    assigned, reason = decisions.dispatch_now(session, clock=clock, actor=signed.actor, ticket_id=ticket_id)
    commit(session)
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    context = {"ticket": ticket, "assignee": assigned or "", "message": reason, "is_assigned": assigned is not None}
    if is_htmx(request):
        return render(request, "dispatch/_dispatched.html", context)
    return redirect(request, "/console/board")
