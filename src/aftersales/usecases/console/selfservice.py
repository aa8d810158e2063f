"""Customer self-service pages (no login): submit a request, check a ticket's status.

Nobody is signed in, so the request form carries its own double-submit CSRF token (an HttpOnly,
SameSite=Strict cookie echoed by a hidden field). The status lookup needs the ticket number and the
phone on the ticket; a wrong phone and an unknown number get the same 404 page, so the page never
tells whether a number exists. No page shows a full phone number, a staff name or an internal note.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import sessions
from aftersales.accounts.deps import anyone
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.db import mark_read_only
from aftersales.core.errors import DomainError
from aftersales.customers import rules as customer_rules
from aftersales.customers.models import ProductModel
from aftersales.sla.enums import TargetKind
from aftersales.tickets import service as tickets_service
from aftersales.tickets import timeline as ticket_timeline
from aftersales.tickets.enums import Channel, EventType
from aftersales.tickets.errors import TicketNotFoundError
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import TicketCreate
from aftersales.usecases import intake as flows
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.i18n import N_
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors
from aftersales.web.ratelimit import enforce, per_minute
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/self-service", dependencies=[anyone("self_service")])

CSRF_COOKIE = "as_selfservice_csrf"
CSRF_COOKIE_PATH = "/self-service"
# Pages with personal data are never kept by the browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}
SELF_SERVICE_ACTOR = Actor(user_id=None, username="self-service", role=Role.CUSTOMER)
DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 2000
FORM_FIELDS = ("name", "phone", "address", "product_model", "serial_number", "description")
MAX_LENGTHS = {"name": 100, "phone": 40, "address": 500, "product_model": 64, "serial_number": 64}
NUMBER_MAX = 32
NOT_FOUND = N_("未找到与该手机号匹配的工单")
FORM_EXPIRED = N_("表单已过期，请刷新页面后重试")
# What a customer sees of the timeline: lifecycle steps only (no SLA alarms, edits or assignments).
PUBLIC_EVENTS = frozenset(
    {
        EventType.REGISTER,
        EventType.CONTACT,
        EventType.PROGRESS,
        EventType.CHECK_IN,
        EventType.RESULT,
        EventType.RETURN_VISIT,
        EventType.CLOSE,
        EventType.REOPEN,
        EventType.HOLD,
        EventType.RESUME,
        EventType.CANCEL,
    }
)
TARGET_ORDER = (TargetKind.FIRST_RESPONSE, TargetKind.ONSITE, TargetKind.RESOLUTION)
# Where a pydantic error on TicketCreate belongs on the form.
FIELD_BY_LOCATION: dict[tuple[str, ...], str] = {
    ("customer", "name"): "name",
    ("customer", "phone"): "phone",
    ("customer", "address"): "address",
    ("product", "model"): "product_model",
    ("product", "serial_number"): "serial_number",
    ("description",): "description",
}


@dataclass(frozen=True)
class RequestForm:
    """The self-service request form as typed (shown again when something is wrong)."""

    name: str = ""
    phone: str = ""
    address: str = ""
    product_model: str = ""
    serial_number: str = ""
    description: str = ""


def _csrf_token(request: Request) -> str:
    """The browser's current form token (kept across tabs), or a new one."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    return existing if 20 <= len(existing) <= 64 else secrets.token_urlsafe(24)


def _product_models(session: Session) -> list[tuple[str, str]]:
    """Catalog models offered as suggestions (code, name); the field also accepts free text."""
    rows = session.execute(select(ProductModel.code, ProductModel.name).order_by(ProductModel.code).limit(300))
    return [(code, name) for code, name in rows]


def _request_page(
    request: Request,
    session: Session,
    *,
    form: RequestForm,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    token = _csrf_token(request)
    response = render(
        request,
        "tickets/selfservice_request.html",
        {
            "form": asdict(form),
            "errors": dict(errors or {}),
            "message": message,
            "csrf": token,
            "product_models": _product_models(session),
            "description_min": DESCRIPTION_MIN,
            "description_max": DESCRIPTION_MAX,
            "max_lengths": MAX_LENGTHS,
        },
        status_code=status,
        headers=NO_STORE,
    )
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=CSRF_COOKIE_PATH,
    )
    return response


def validate_request(form: RequestForm, _: Callable[[str], str]) -> tuple[TicketCreate | None, dict[str, str]]:
    """Check the form field by field; returns the ticket request, or None with Chinese messages per field."""
    errors: dict[str, str] = {}
    name, address, description = form.name.strip(), form.address.strip(), form.description.strip()
    model, serial = form.product_model.strip(), form.serial_number.strip()
    for field, value in asdict(form).items():
        limit = MAX_LENGTHS.get(field, DESCRIPTION_MAX)
        if len(value.strip()) > limit:
            errors[field] = _("内容过长，最多 %(count)d 个字") % {"count": limit}
    if not name:
        errors.setdefault("name", _("请填写您的姓名"))
    if not form.phone.strip():
        errors.setdefault("phone", _("请填写手机号或座机号码"))
    elif customer_rules.parse_phone(form.phone) is None:
        errors.setdefault("phone", _(customer_rules.PHONE_ERROR))
    if not address:
        errors.setdefault("address", _("请填写服务地址"))
    if serial and not model:
        errors.setdefault("product_model", _("填写序列号时请同时填写产品型号"))
    if len(description) < DESCRIPTION_MIN:
        errors.setdefault("description", _("请描述遇到的问题，至少 %(count)d 个字") % {"count": DESCRIPTION_MIN})
    if errors:
        return None, errors
    payload: dict[str, Any] = {
        "channel": Channel.WEB,
        "customer": {"name": name, "phone": form.phone, "address": address},
        "description": description,
    }
    if model:
        payload["product"] = {"model": model, "serial_number": serial or None}
    try:
        return TicketCreate.model_validate(payload), {}
    except ValidationError as error:
        for item in error.errors():
            field = FIELD_BY_LOCATION.get(tuple(str(part) for part in item["loc"]), "form")
            text = str(item["msg"])
            # Our own validators speak Chinese; pydantic's built-in messages do not.
            if item["type"] == "value_error":
                message = _(text.removeprefix("Value error, "))
            else:
                message = _("请检查此项") if field != "form" else _("提交的内容有误，请检查后重试")
            errors.setdefault(field, message)
        return None, errors


@router.get("/request")
def request_form(request: Request, session: SessionDep) -> Response:
    """The service request form."""
    return _request_page(request, session, form=RequestForm())


@router.post("/request")
def submit_request(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    product_model: Annotated[str, Form()] = "",
    serial_number: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    form_token: Annotated[str, Form()] = "",
) -> Response:
    """Register the request as a web ticket; a bad field re-shows the form and saves nothing."""
    _ = gettext_for(request)
    enforce(request, "self-service", per_minute(request, "rate_limit_self_service_per_minute"))
    form = RequestForm(name, phone, address, product_model, serial_number, description)
    if not sessions.csrf_matches(request.cookies.get(CSRF_COOKIE, ""), form_token):
        mark_read_only(session)
        return _request_page(request, session, form=form, message=_(FORM_EXPIRED), status=403)
    ticket_request, errors = validate_request(form, _)
    if ticket_request is None:
        mark_read_only(session)
        message = errors.pop("form", None)
        return _request_page(request, session, form=form, errors=errors, message=message, status=422)

    def redraw(error: DomainError, status: int) -> Response:
        mark_read_only(session)
        known = {field: text for field, text in field_messages(error, _).items() if field in FORM_FIELDS}
        message = None if known else domain_message(error, _)
        return _request_page(request, session, form=form, errors=known, message=message, status=status)

    with form_errors(request, session, redraw):
        ticket, _created = flows.open_ticket(
            session,
            clock=clock,
            actor=SELF_SERVICE_ACTOR,
            request=ticket_request,
            number_prefix=settings.ticket_number_prefix,
            auto_dispatch=settings.auto_dispatch,
        )
    commit(session)
    if _created and settings.auto_dispatch:
        request.app.state.dispatcher.kick()  # the dispatch decision, after the commit
    response = render(
        request,
        "tickets/selfservice_submitted.html",
        {
            "number": ticket.number,
            "status": ticket.status,
            "phone_masked": ticket.customer.phone_masked,
        },
        headers=NO_STORE,
    )
    # The used token is gone: resubmitting this page (reload, back button) cannot open a second ticket.
    response.delete_cookie(CSRF_COOKIE, path=CSRF_COOKIE_PATH)
    return response


def _status_form(
    request: Request,
    *,
    number: str = "",
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    # The phone is never written back into the page.
    return render(
        request,
        "tickets/selfservice_status.html",
        {"number": number, "errors": dict(errors or {}), "message": message},
        status_code=status,
        headers=NO_STORE,
    )


def find_ticket(session: Session, *, number: str, phone: str) -> Ticket | None:
    """The ticket with this number whose customer has this phone (compared normalised), else None."""
    parsed = customer_rules.parse_phone(phone)
    if parsed is None:
        return None
    try:
        ticket = tickets_service.get_by_number(session, number)
    except TicketNotFoundError:
        return None
    return ticket if secrets.compare_digest(ticket.customer.phone, parsed.number) else None


def _lookup(request: Request, session: Session, *, number: str, phone: str) -> Response:
    _ = gettext_for(request)
    number = number.strip()
    errors: dict[str, str] = {}
    if not number:
        errors["number"] = _("请填写工单号")
    elif len(number) > NUMBER_MAX:
        errors["number"] = _("工单号格式不正确")
    if not phone.strip():
        errors["phone"] = _("请填写报修时留的手机号或座机号码")
    elif len(phone) > MAX_LENGTHS["phone"] or customer_rules.parse_phone(phone) is None:
        errors["phone"] = _(customer_rules.PHONE_ERROR)
    if errors:
        return _status_form(request, number=number, errors=errors, status=422)
    ticket = find_ticket(session, number=number, phone=phone)
    if ticket is None:
        return _status_form(request, number=number, message=_(NOT_FOUND), status=404)
    order = {kind: index for index, kind in enumerate(TARGET_ORDER)}
    targets = sorted(ticket.sla_targets, key=lambda target: order.get(TargetKind(target.kind), len(order)))
    events = [event for event in ticket_timeline.events_of(session, ticket.id) if event.type in PUBLIC_EVENTS]
    return render(
        request,
        "tickets/selfservice_status_result.html",
        {
            "ticket": ticket,
            "phone_masked": customer_rules.mask_phone(ticket.customer.phone),
            "targets": targets,
            "events": events,
        },
        headers=NO_STORE,
    )


@router.get("/status")
def status_page(request: Request, session: SessionDep, number: str = "", phone: str = "") -> Response:
    """The status lookup form; with both a number and a phone in the query, the lookup itself."""
    if not phone:
        return _status_form(request, number=number.strip()[:NUMBER_MAX])
    return _lookup(request, session, number=number, phone=phone)


@router.post("/status")
def status_lookup(
    request: Request,
    session: SessionDep,
    number: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
) -> Response:
    """Look a ticket up by number and phone (a POST keeps the phone out of URLs and logs)."""
    # Numbers are sequential: guessing them against a known phone is slowed per address.
    enforce(request, "status-lookup", per_minute(request, "rate_limit_lookup_per_minute"))
    mark_read_only(session)
    return _lookup(request, session, number=number, phone=phone)
