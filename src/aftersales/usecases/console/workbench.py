"""Agent workbench: ticket list with SLA countdowns and the user's saved filters (saved and deleted in
``saved_filters``), new ticket with caller lookup and a pick of the caller's products. One ticket's page
(timeline, actions, comments, slip) is ``ticket_page``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.policy import Scope
from aftersales.accounts.sessions import SignedIn
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError
from aftersales.core.i18n import N_
from aftersales.core.pagination import MAX_LIMIT, MAX_OFFSET
from aftersales.customers import rules as customer_rules
from aftersales.sla.enums import SlaState
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import listing as tickets_listing
from aftersales.tickets.display import next_due
from aftersales.tickets.enums import Channel, Priority, TicketKind, TicketStatus
from aftersales.tickets.saved_filters import service as saved_filters
from aftersales.tickets.schemas import TicketCreate
from aftersales.usecases import intake as flows
from aftersales.usecases.console.common import caller_history, enum_or_none, under_warranty
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.forms import pydantic_fields
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, is_htmx, redirect
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")
PAGE_SIZE = 25
FORM_FIELDS = {
    "customer.name": "name",
    "customer.phone": "phone",
    "customer.address": "address",
    "product.model": "product_model",
    "product.serial_number": "serial_number",
    "product.purchase_date": "purchase_date",
}
DONE = {"filter_saved": N_("筛选已保存"), "filter_deleted": N_("筛选已删除")}


@router.get("/tickets")
def ticket_list(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ, Scope.ALL)],
    status: str | None = None,
    priority: str | None = None,
    kind: str | None = None,
    sla_state: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_OFFSET // PAGE_SIZE + 1)] = 1,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Tickets the user may see, newest first, with filters, SLA countdown badges and the user's saved filters."""
    filters = {"status": status, "priority": priority, "kind": kind, "sla_state": sla_state, "q": q}
    if is_htmx(request) and request.query_params.get("rows"):
        return list_page(request, session, clock, signed, filters=filters, page=page, rows_only=True)
    return list_page(request, session, clock, signed, filters=filters, page=page, done=done)


def list_page(
    request: Request,
    session: Session,
    clock: Clock,
    signed: SignedIn,
    *,
    filters: Mapping[str, str | None],
    page: int = 1,
    rows_only: bool = False,
    done: str | None = None,
    save: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The ticket list (or only its rows, for the 30-second refresh) for ``filters`` as typed (values that
    are not one of a filter's are ignored); ``save`` and ``errors``: the save-filter form drawn again."""
    _ = gettext_for(request)
    now = clock.now()
    chosen = {
        "status": enum_or_none(TicketStatus, filters.get("status")),
        "priority": enum_or_none(Priority, filters.get("priority")),
        "kind": enum_or_none(TicketKind, filters.get("kind")),
        "sla_state": enum_or_none(SlaState, filters.get("sla_state")),
    }
    q = (filters.get("q") or "")[:100]
    result = tickets_listing.list_tickets(
        session,
        actor=signed.actor,
        q=q.strip() or None,
        limit=min(PAGE_SIZE, MAX_LIMIT),
        offset=(page - 1) * PAGE_SIZE,
        **chosen,
    )
    names = tickets_assignment.assignee_names(session, {t.assignee_id for t in result.items if t.assignee_id})
    rows = [
        {"ticket": ticket, "due": next_due(ticket, now, _), "assignee": names.get(ticket.assignee_id or 0)}
        for ticket in result.items
    ]
    shown = {key: (value.value if value else "") for key, value in chosen.items()} | {"q": q}
    context = {
        "rows": rows,
        "total": result.total,
        "searched_since": result.searched_since,
        "page": page,
        "pages": max(1, -(-result.total // PAGE_SIZE)),
        "filters": shown,
        "statuses": list(TicketStatus),
        "priorities": list(Priority),
        "kinds": list(TicketKind),
        "sla_states": list(SlaState),
    }
    if rows_only:
        return render(request, "tickets/_ticket_rows.html", context)
    current = saved_filters.query_string(shown)
    context |= {
        "saved_filters": saved_filters.list_filters(session, actor=signed.actor),
        "current_query": current,
        "max_saved": saved_filters.MAX_PER_USER,
        "save": save or {},
        "save_errors": errors or {},
        "done": DONE.get(done or ""),
    }
    return render(request, "tickets/list.html", context, status_code=status_code)


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
def new_ticket_form(request: Request, signed: Annotated[SignedIn, page(Permission.TICKET_REGISTER)]) -> Response:
    """The new-ticket form (the caller is looked up by phone first)."""
    return _new_form(request, signed, values={"channel": Channel.HOTLINE.value})


@router.get("/callers")
def caller_lookup(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.CUSTOMER_LOOKUP)],
    phone: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Fragment: who is calling — products and warranty, past tickets; a repeat caller stands out."""
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
    signed: Annotated[SignedIn, page(Permission.TICKET_REGISTER)],
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

    def redraw(error: DomainError, status: int) -> Response:
        fields = {FORM_FIELDS.get(f"customer.{key}", key): text for key, text in field_messages(error, _).items()}
        return _new_form(
            request, signed, values=values, errors=fields or {"form": domain_message(error, _)}, status=status
        )

    with form_errors(request, session, redraw):
        ticket, _created = flows.open_ticket(
            session,
            clock=clock,
            actor=signed.actor,
            request=request_body,
            number_prefix=settings.ticket_number_prefix,
            auto_dispatch=settings.auto_dispatch,
        )
    commit(session)
    if _created and settings.auto_dispatch:
        request.app.state.dispatcher.kick()  # the dispatch decision, after the commit
    return redirect(request, f"/console/tickets/{ticket.id}?created=1")
