"""The ticket's page itself and what hangs off it without a form of its own on the panel: SLA badges
refreshed in place, the printable slip, 售后辞典 suggestions, the return visit and the inspector's review
of a flagged visit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.config import secret_bytes
from aftersales.core.i18n import N_
from aftersales.dispatch.fieldwork import flags as field_flags
from aftersales.feedback import visits as feedback_visits
from aftersales.knowledge import service as knowledge_service
from aftersales.tickets.errors import InvalidTicketError
from aftersales.usecases.console.ticket_page.panel import PanelState, draw, redraw_with, ticket_context
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.pages import form_errors, is_htmx, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")

# What the page says when it is drawn after another page sent the user here (``?created=1``).
ARRIVALS = {"created": N_("工单已创建"), "updated": N_("工单已更新")}


@router.get("/tickets/{ticket_id}")
def ticket_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ)],
    ticket_id: IdPath,
) -> Response:
    """One ticket: SLA, customer, product, emotion report, timeline, actions, candidates, comments."""
    _ = gettext_for(request)
    context = ticket_context(session, clock, signed, ticket_id, request)
    context["flash"] = next((_(text) for key, text in ARRIVALS.items() if request.query_params.get(key)), None)
    return render(request, "tickets/detail.html", context)


@router.get("/tickets/{ticket_id}/sla")
def ticket_sla(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ)],
    ticket_id: IdPath,
) -> Response:
    """Fragment polled by the ticket page so SLA states and countdowns update without reloading."""
    context = ticket_context(session, clock, signed, ticket_id, request)
    return render(request, "tickets/_sla.html", context)


@router.post("/tickets/{ticket_id}/return-visit")
def ticket_return_visit(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    signed: Annotated[SignedIn, page(Permission.VISIT_RECORD)],
    ticket_id: IdPath,
) -> Response:
    """The 回访 of the ticket's result: its return visit (scheduled now if the job has not yet), to call."""
    with form_errors(request, session, redraw_with(request, session, clock, signed, ticket_id, PanelState())):
        visit = feedback_visits.visit_for_result(
            session,
            clock=clock,
            actor=signed.actor,
            ticket_id=ticket_id,
            key=secret_bytes(settings),
            base_url=settings.public_base_url,
        )
    commit(session)
    return redirect(request, f"/console/visits/{visit.id}")


@router.post("/tickets/{ticket_id}/visit-flags/{flag_id}/review")
def ticket_flag_review(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.QUALITY_INSPECT)],
    ticket_id: IdPath,
    flag_id: IdPath,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The inspector reviewed a flagged visit: the flag is cleared (audited)."""
    _ = gettext_for(request)
    with form_errors(request, session, redraw_with(request, session, clock, signed, ticket_id, PanelState())):
        flag = field_flags.review(session, clock=clock, actor=signed.actor, flag_id=flag_id, note=note)
        if flag.ticket_id != ticket_id:
            raise InvalidTicketError(N_("该记录不属于此工单"), fields={"flag_id": flag_id})
    commit(session)
    if not is_htmx(request):
        return redirect(request, f"/console/tickets/{ticket_id}")
    return draw(request, session, clock, signed, ticket_id, PanelState(flash=_("已复核")))


@router.get("/tickets/{ticket_id}/print")
def ticket_slip(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ)],
    ticket_id: IdPath,
) -> Response:
    """The A4 work-order slip handed to the customer."""
    context = ticket_context(session, clock, signed, ticket_id, request)
    return render(request, "tickets/slip.html", context)


@router.get("/tickets/{ticket_id}/suggestions")
def ticket_suggestions(
    request: Request,
    session: SessionDep,
    signed: Annotated[SignedIn, page(Permission.KNOWLEDGE_READ)],
    ticket_id: IdPath,
) -> Response:
    """Fragment: the 售后辞典 articles that best match the ticket, each with "solved by this article"."""
    hits = knowledge_service.suggestions_for_ticket(session, actor=signed.actor, ticket_id=ticket_id)
    articles = {hit.article_id: knowledge_service.get_article(session, hit.article_id) for hit in hits}
    return render(request, "tickets/_suggestions.html", {"hits": hits, "articles": articles, "ticket_id": ticket_id})


@router.post("/tickets/{ticket_id}/solutions")
def ticket_solution(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_UPDATE)],
    ticket_id: IdPath,
    article_id: Annotated[int, Form()],
) -> Response:
    """Record that an article solved the ticket."""
    _ = gettext_for(request)
    with form_errors(request, session, target=f"#solution-{article_id}"):
        knowledge_service.record_solution(
            session, clock=clock, actor=signed.actor, ticket_id=ticket_id, article_id=article_id
        )
    commit(session)
    return render(request, "web/flash_fragment.html", {"message": _("已记录：此文章解决了问题")})
