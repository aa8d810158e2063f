"""Agent workbench: ticket list with SLA countdowns, new ticket with caller lookup, ticket page with
timeline, lifecycle actions and comments, the SLA badges refreshed in place, and the printable slip."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.accounts.deps import ConsoleUser, require_role
from aftersales.accounts.enums import Role
from aftersales.accounts.sessions import SignedIn
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError
from aftersales.core.pagination import MAX_LIMIT
from aftersales.customers import rules as customer_rules
from aftersales.knowledge import service as knowledge_service
from aftersales.sla.enums import SlaState
from aftersales.tickets import rules as ticket_rules
from aftersales.tickets import service as tickets_service
from aftersales.tickets.display import next_due, sla_badges
from aftersales.tickets.enums import Channel, EventType, Priority, TicketKind, TicketStatus
from aftersales.tickets.schemas import TicketCreate
from aftersales.usecases import intake as flows
from aftersales.usecases.console.common import caller_history, under_warranty
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.forms import pydantic_fields
from aftersales.web.messages import domain_message
from aftersales.web.pages import is_htmx, redirect
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")
STAFF = (Role.AGENT, Role.MANAGER, Role.INSPECTOR, Role.DISPATCHER)
PAGE_SIZE = 25
FORM_FIELDS = {
    "customer.name": "name",
    "customer.phone": "phone",
    "customer.address": "address",
    "product.model": "product_model",
    "product.serial_number": "serial_number",
    "product.purchase_date": "purchase_date",
}
# Lifecycle buttons the workbench offers (check-in belongs to the technician's phone view).
WORKBENCH_EVENTS = [
    event for event in EventType if event in ticket_rules.LIFECYCLE_EVENTS and event != EventType.CHECK_IN
]


def _enum_or_none(enum: Any, value: str | None) -> Any:
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        return None


@router.get("/tickets")
def ticket_list(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: ConsoleUser,
    status: str | None = None,
    priority: str | None = None,
    kind: str | None = None,
    sla_state: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Tickets the user may see, newest first, with filters and SLA countdown badges."""
    require_role(signed, *STAFF)
    _ = gettext_for(request)
    now = clock.now()
    filters = {
        "status": _enum_or_none(TicketStatus, status),
        "priority": _enum_or_none(Priority, priority),
        "kind": _enum_or_none(TicketKind, kind),
        "sla_state": _enum_or_none(SlaState, sla_state),
    }
    result = tickets_service.list_tickets(
        session,
        actor=signed.actor,
        q=(q or "").strip() or None,
        limit=min(PAGE_SIZE, MAX_LIMIT),
        offset=(page - 1) * PAGE_SIZE,
        **filters,
    )
    names = tickets_service.assignee_names(session, {t.assignee_id for t in result.items if t.assignee_id})
    rows = [
        {"ticket": ticket, "due": next_due(ticket, now, _), "assignee": names.get(ticket.assignee_id or 0)}
        for ticket in result.items
    ]
    context = {
        "rows": rows,
        "total": result.total,
        "page": page,
        "pages": max(1, -(-result.total // PAGE_SIZE)),
        "filters": {key: (value.value if value else "") for key, value in filters.items()} | {"q": q or ""},
        "statuses": list(TicketStatus),
        "priorities": list(Priority),
        "kinds": list(TicketKind),
        "sla_states": list(SlaState),
    }
    template = (
        "tickets/_ticket_rows.html" if is_htmx(request) and request.query_params.get("rows") else "tickets/list.html"
    )
    return render(request, template, context)


def _new_form(
    request: Request,
    signed: SignedIn,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "tickets/new.html",
        {
            "values": values or {},
            "errors": errors or {},
            "kinds": list(TicketKind),
            "priorities": list(Priority),
            "channels": [Channel.HOTLINE, Channel.WECHAT, Channel.EMAIL, Channel.WALK_IN, Channel.WEB, Channel.APP],
        },
        status_code=status,
    )


@router.get("/tickets/new")
def new_ticket_form(request: Request, signed: ConsoleUser) -> Response:
    """The new-ticket form (the caller is looked up by phone first)."""
    require_role(signed, Role.AGENT)
    return _new_form(request, signed, values={"channel": Channel.HOTLINE.value})


@router.get("/callers")
def caller_lookup(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: ConsoleUser,
    phone: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Fragment: who is calling — products and warranty, past tickets; a repeat caller stands out."""
    require_role(signed, *STAFF)
    parsed = customer_rules.parse_phone(phone) if phone.strip() else None
    history = caller_history(session, phone, clock.now()) if parsed else None
    return render(
        request,
        "tickets/_caller.html",
        {
            "phone_given": bool(phone.strip()),
            "valid": parsed is not None,
            "history": history,
            "under_warranty": under_warranty,
        },
    )


@router.post("/tickets/new")
def create_ticket(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    signed: ConsoleUser,
    name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=60)] = "",
    address: Annotated[str, Form(max_length=1000)] = "",
    product_model: Annotated[str, Form(max_length=100)] = "",
    serial_number: Annotated[str, Form(max_length=100)] = "",
    channel: Annotated[str, Form(max_length=20)] = "hotline",
    kind: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=20)] = "",
    description: Annotated[str, Form(max_length=6000)] = "",
) -> Response:
    """Register the ticket; any bad field re-shows the form with the message next to it and saves nothing."""
    require_role(signed, Role.AGENT)
    _ = gettext_for(request)
    values = {
        "name": name,
        "phone": phone,
        "address": address,
        "product_model": product_model,
        "serial_number": serial_number,
        "channel": channel,
        "kind": kind,
        "priority": priority,
        "description": description,
    }
    body: dict[str, Any] = {
        "channel": channel,
        "customer": {"name": name, "phone": phone, "address": address.strip() or None},
        "description": description,
    }
    if kind:
        body["kind"] = kind
    if priority:
        body["priority"] = priority
    if product_model.strip():
        body["product"] = {"model": product_model.strip(), "serial_number": serial_number.strip() or None}
    errors: dict[str, str] = {}
    if customer_rules.parse_phone(phone) is None:
        errors["phone"] = _(customer_rules.PHONE_ERROR)
    try:
        request_body = TicketCreate.model_validate(body)
    except ValidationError as error:
        errors = pydantic_fields(error, _, FORM_FIELDS) | errors
    if errors:
        return _new_form(request, signed, values=values, errors=errors, status=422)
    try:
        ticket, _created = flows.open_ticket(
            session,
            clock=clock,
            actor=signed.actor,
            request=request_body,
            number_prefix=settings.ticket_number_prefix,
            auto_dispatch=settings.auto_dispatch,
        )
    except DomainError as error:
        session.rollback()
        fields = {FORM_FIELDS.get(f"customer.{key}", key): _(str(message)) for key, message in error.fields.items()}
        return _new_form(
            request, signed, values=values, errors=fields or {"form": domain_message(error, _)}, status=422
        )
    commit(session)
    return redirect(request, f"/console/tickets/{ticket.id}?created=1")


def _ticket_context(
    session: Session, clock: Clock, signed: SignedIn, ticket_id: int, request: Request
) -> dict[str, Any]:
    _ = gettext_for(request)
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    now = clock.now()
    names = tickets_service.assignee_names(session, {ticket.assignee_id} if ticket.assignee_id else set())
    staff = signed.actor.role not in (Role.TECHNICIAN, Role.PROVIDER)
    allowed = set(ticket_rules.allowed_events(TicketStatus(ticket.status)))
    return {
        "ticket": ticket,
        "badges": sla_badges(ticket, now, _),
        "events": tickets_service.events_of(session, ticket.id),
        "comments": tickets_service.comments_of(session, ticket.id, include_internal=staff),
        "assignee": names.get(ticket.assignee_id or 0),
        "actions": [event for event in WORKBENCH_EVENTS if event in allowed],
        "today": now,
        "under_warranty": under_warranty,
        "today_date": now.date(),
    }


@router.get("/tickets/{ticket_id}")
def ticket_page(
    request: Request, session: SessionDep, clock: ClockDep, signed: ConsoleUser, ticket_id: int
) -> Response:
    """One ticket: SLA, customer, product, timeline, actions, comments."""
    context = _ticket_context(session, clock, signed, ticket_id, request)
    context["flash"] = gettext_for(request)("工单已创建") if request.query_params.get("created") else None
    context["error"] = None
    return render(request, "tickets/detail.html", context)


@router.get("/tickets/{ticket_id}/sla")
def ticket_sla(request: Request, session: SessionDep, clock: ClockDep, signed: ConsoleUser, ticket_id: int) -> Response:
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
    error: str | None,
    status: int,
) -> Response:
    context = _ticket_context(session, clock, signed, ticket_id, request) | {"flash": flash, "error": error}
    if is_htmx(request):
        return render(request, "tickets/_panel.html", context)
    return render(request, "tickets/detail.html", context, status_code=status)


@router.post("/tickets/{ticket_id}/events")
def ticket_event(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: ConsoleUser,
    ticket_id: int,
    type: Annotated[str, Form(max_length=32)],
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """One lifecycle step; a forbidden or stale move changes nothing and says why."""
    _ = gettext_for(request)
    event = _enum_or_none(EventType, type)
    try:
        if event is None:
            raise DomainError(_("未知的操作"))
        if event == EventType.CHECK_IN and signed.actor.role not in (Role.TECHNICIAN, Role.PROVIDER, Role.ADMIN):
            raise DomainError(_("只有上门的技术员可以签到"))
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
        return _panel(
            request, session, clock, signed, ticket_id, flash=None, error=domain_message(error, _), status=409
        )
    commit(session)
    done = _("已记录：%(action)s") % {"action": _(_event_label(event))}
    if not is_htmx(request):
        return redirect(request, request.headers.get("x-return-to") or f"/console/tickets/{ticket_id}")
    return _panel(request, session, clock, signed, ticket_id, flash=done, error=None, status=200)


def _event_label(event: EventType) -> str:
    from aftersales.web.labels import label

    return label("event", event)


@router.post("/tickets/{ticket_id}/comments")
def ticket_comment(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: ConsoleUser,
    ticket_id: int,
    body: Annotated[str, Form(max_length=4000)] = "",
    internal: Annotated[str, Form()] = "",
) -> Response:
    """Add a comment (internal by default; public ones are shown to the customer)."""
    _ = gettext_for(request)
    try:
        tickets_service.add_comment(
            session, clock=clock, actor=signed.actor, ticket_id=ticket_id, body=body, is_internal=bool(internal)
        )
    except DomainError as error:
        session.rollback()
        return _panel(
            request, session, clock, signed, ticket_id, flash=None, error=domain_message(error, _), status=422
        )
    commit(session)
    if not is_htmx(request):
        return redirect(request, f"/console/tickets/{ticket_id}")
    return _panel(request, session, clock, signed, ticket_id, flash=_("备注已添加"), error=None, status=200)


@router.get("/tickets/{ticket_id}/print")
def ticket_slip(
    request: Request, session: SessionDep, clock: ClockDep, signed: ConsoleUser, ticket_id: int
) -> Response:
    """The A4 work-order slip handed to the customer."""
    context = _ticket_context(session, clock, signed, ticket_id, request)
    return render(request, "tickets/slip.html", context)


@router.get("/tickets/{ticket_id}/suggestions")
def ticket_suggestions(request: Request, session: SessionDep, signed: ConsoleUser, ticket_id: int) -> Response:
    """Fragment: the 售后辞典 articles that best match the ticket, each with "solved by this article"."""
    require_role(signed, *STAFF)
    hits = knowledge_service.suggestions_for_ticket(session, actor=signed.actor, ticket_id=ticket_id)
    articles = {hit.article_id: knowledge_service.get_article(session, hit.article_id) for hit in hits}
    return render(request, "tickets/_suggestions.html", {"hits": hits, "articles": articles, "ticket_id": ticket_id})


@router.post("/tickets/{ticket_id}/solutions")
def ticket_solution(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: ConsoleUser,
    ticket_id: int,
    article_id: Annotated[int, Form()],
) -> Response:
    """Record that an article solved the ticket."""
    require_role(signed, Role.AGENT)
    _ = gettext_for(request)
    try:
        knowledge_service.record_solution(
            session, clock=clock, actor=signed.actor, ticket_id=ticket_id, article_id=article_id
        )
    except DomainError as error:
        session.rollback()
        return render(request, "web/error_fragment.html", {"status": 422, "message": domain_message(error, _)})
    commit(session)
    return render(request, "web/flash_fragment.html", {"message": _("已记录：此文章解决了问题")})
