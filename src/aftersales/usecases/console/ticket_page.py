"""One ticket's page: SLA badges refreshed in place, customer and product, the timeline, lifecycle
actions and comments, 售后辞典 suggestions, and the printable slip."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts import policy
from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.config import secret_bytes
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError, PermissionDeniedError
from aftersales.core.i18n import N_
from aftersales.dispatch.fieldwork import flags as field_flags
from aftersales.feedback import visits as feedback_visits
from aftersales.knowledge import service as knowledge_service
from aftersales.tickets import rules as ticket_rules
from aftersales.tickets import service as tickets_service
from aftersales.tickets import timeline as ticket_timeline
from aftersales.tickets.display import sla_badges
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.tickets.errors import InvalidTicketError
from aftersales.usecases.console.common import enum_or_none, under_warranty
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.messages import domain_message
from aftersales.web.pages import Redraw, form_errors, is_htmx, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")

# Lifecycle buttons the workbench offers: the check-in belongs to the technician's phone view, the 回访 to
# the return visit (the page offers to open it instead).
WORKBENCH_EVENTS = [
    event
    for event in EventType
    if event in ticket_rules.LIFECYCLE_EVENTS and event not in (EventType.CHECK_IN, EventType.RETURN_VISIT)
]


def _ticket_context(
    session: Session, clock: Clock, signed: SignedIn, ticket_id: int, request: Request
) -> dict[str, Any]:
    _ = gettext_for(request)
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    now = clock.now()
    names = tickets_service.assignee_names(session, {ticket.assignee_id} if ticket.assignee_id else set())
    staff = ticket_rules.sees_internal_comments(signed.actor.role)
    allowed = set(ticket_rules.allowed_events(TicketStatus(ticket.status)))
    role = signed.actor.role
    awaits_check_in = EventType.RESULT in allowed and tickets_service.awaits_check_in(session, ticket)
    return {
        "ticket": ticket,
        # A result needs the technician's check-in first; a supervisor may let it through with a reason.
        "awaits_check_in": awaits_check_in,
        "may_override": awaits_check_in and ticket_rules.may_override(role),
        "offers_visit": EventType.RETURN_VISIT in allowed and policy.allows(role, Permission.VISIT_RECORD),
        "visit_flags": field_flags.flags_of(session, ticket.id),
        "may_review_flags": policy.allows(role, Permission.QUALITY_INSPECT),
        "badges": sla_badges(ticket, now, _),
        "events": ticket_timeline.events_of(session, ticket.id),
        "comments": ticket_timeline.comments_of(session, ticket.id, include_internal=staff),
        "assignee": names.get(ticket.assignee_id or 0),
        "actions": [
            event
            for event in WORKBENCH_EVENTS
            if event in allowed
            and not (event == EventType.RESULT and awaits_check_in and not ticket_rules.may_override(role))
        ],
        "today": now,
        "under_warranty": under_warranty,
        "today_date": now.date(),
    }


@router.get("/tickets/{ticket_id}")
def ticket_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ)],
    ticket_id: IdPath,
) -> Response:
    """One ticket: SLA, customer, product, timeline, actions, comments."""
    context = _ticket_context(session, clock, signed, ticket_id, request)
    context["flash"] = gettext_for(request)("工单已创建") if request.query_params.get("created") else None
    context["error"] = None
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
    context = _ticket_context(session, clock, signed, ticket_id, request)
    return render(request, "tickets/_sla.html", context)


def _panel(
    request: Request,
    session: Session,
    clock: Clock,
    signed: SignedIn,
    ticket_id: int,
    *,
    flash: str | None,
    error: DomainError | None,
    status: int,
) -> Response:
    """The ticket drawn again after a step or comment (its panel for HTMX, else the page), with what happened."""
    message = domain_message(error, gettext_for(request)) if error is not None else None
    context = _ticket_context(session, clock, signed, ticket_id, request) | {"flash": flash, "error": message}
    template = "tickets/_panel.html" if is_htmx(request) else "tickets/detail.html"
    return render(request, template, context, status_code=status)


def _panel_with_error(request: Request, session: Session, clock: Clock, signed: SignedIn, ticket_id: int) -> Redraw:
    """``form_errors``' redraw for the ticket's forms: the panel (or page) with the error above it."""

    def redraw(error: DomainError, status: int) -> Response:
        return _panel(request, session, clock, signed, ticket_id, flash=None, error=error, status=status)

    return redraw


@router.post("/tickets/{ticket_id}/events")
def ticket_event(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_TRANSITION)],
    ticket_id: IdPath,
    type: Annotated[str, Form(max_length=32)],
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=4000)] = "",
    status: Annotated[str, Form(max_length=32)] = "",
    override_reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """One lifecycle step; a forbidden or stale move changes nothing and says why.

    The page's ``version`` is enforced only when the ticket's status has moved since the page was drawn:
    a change that leaves the status alone (the dispatch decision that follows a new ticket's commit, an
    SLA warning) must not refuse the agent's next step, and the lifecycle table still judges the step."""
    _ = gettext_for(request)
    event = enum_or_none(EventType, type)
    with form_errors(request, session, _panel_with_error(request, session, clock, signed, ticket_id)):
        if event is None:
            raise InvalidTicketError(N_("未知的操作"), fields={"type": type})
        if event == EventType.CHECK_IN:
            raise PermissionDeniedError(N_("上门签到请在技术员的作业页面完成"), code="ticket.use_job_flow")
        current = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
        tickets_service.apply_event(
            session,
            clock=clock,
            actor=signed.actor,
            ticket_id=ticket_id,
            event_type=event,
            note=note.strip() or None,
            expected_version=version if status != current.status else None,
            override_reason=override_reason if event == EventType.RESULT and override_reason.strip() else None,
        )
    commit(session)
    done = _("已记录：%(action)s") % {"action": _(_event_label(event))}
    if not is_htmx(request):
        return redirect(request, request.headers.get("x-return-to") or f"/console/tickets/{ticket_id}")
    return _panel(request, session, clock, signed, ticket_id, flash=done, error=None, status=200)


def _event_label(event: EventType) -> str:
    from aftersales.web.labels import label

    return label("event", event)


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
    with form_errors(request, session, _panel_with_error(request, session, clock, signed, ticket_id)):
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
    with form_errors(request, session, _panel_with_error(request, session, clock, signed, ticket_id)):
        flag = field_flags.review(session, clock=clock, actor=signed.actor, flag_id=flag_id, note=note)
        if flag.ticket_id != ticket_id:
            raise InvalidTicketError(N_("该记录不属于此工单"), fields={"flag_id": flag_id})
    commit(session)
    if not is_htmx(request):
        return redirect(request, f"/console/tickets/{ticket_id}")
    return _panel(request, session, clock, signed, ticket_id, flash=_("已复核"), error=None, status=200)


@router.post("/tickets/{ticket_id}/comments")
def ticket_comment(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_COMMENT)],
    ticket_id: IdPath,
    body: Annotated[str, Form(max_length=4000)] = "",
    internal: Annotated[str, Form()] = "",
) -> Response:
    """Add a comment (internal by default; public ones are shown to the customer)."""
    _ = gettext_for(request)
    with form_errors(request, session, _panel_with_error(request, session, clock, signed, ticket_id)):
        tickets_service.add_comment(
            session, clock=clock, actor=signed.actor, ticket_id=ticket_id, body=body, is_internal=bool(internal)
        )
    commit(session)
    if not is_htmx(request):
        return redirect(request, f"/console/tickets/{ticket_id}")
    return _panel(request, session, clock, signed, ticket_id, flash=_("备注已添加"), error=None, status=200)


@router.get("/tickets/{ticket_id}/print")
def ticket_slip(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ)],
    ticket_id: IdPath,
) -> Response:
    """The A4 work-order slip handed to the customer."""
    context = _ticket_context(session, clock, signed, ticket_id, request)
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
