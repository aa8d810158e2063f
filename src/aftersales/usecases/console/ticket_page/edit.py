"""Editing a ticket: kind, priority, description, the customer's product and the assignee, through the
tickets service behind ``PATCH /api/v1/tickets/{id}`` with the ticket's version.

The form carries the values it was drawn with (``base_*``). When someone else saved one of those fields
first, the save is refused (409) and the form comes back with what the user typed and a list of the
fields that changed, with their new values, so the user can re-apply; nothing is saved. A version bumped
by something the form does not show (an SLA warning, a lifecycle step) refuses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.models import User
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.tickets import queries
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.errors import InvalidTicketError, VersionConflictError
from aftersales.tickets.models import Ticket
from aftersales.usecases.console.common import enum_or_none
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.labels import label
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")
Editor = Annotated[SignedIn, page(Permission.TICKET_UPDATE)]


async def _posted(request: Request) -> dict[str, str]:
    """The form's text fields (read here, so that the route itself runs in the thread pool)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


Posted = Annotated[dict[str, str], Depends(_posted)]

# The form's fields in the order it shows them, with their labels (also those of the "changed" list).
FIELDS = {
    "kind": N_("类型"),
    "priority": N_("优先级"),
    "description": N_("问题描述"),
    "product_model": N_("产品型号"),
    "serial_number": N_("序列号"),
    "assignee": N_("处理人"),
}
MAX_DESCRIPTION = 5000
MAX_PRODUCT = 64
FORM_LIMIT = 20_000  # longer posts are not a person typing; their fields are cut, then judged


@dataclass(frozen=True)
class Changed:
    """A field someone else saved since the form was drawn: its label and its new value as shown."""

    name: str
    label: str
    value: str


def _values(session: Session, ticket: Ticket) -> dict[str, str]:
    """The ticket's editable values as the form shows them (the assignee by username)."""
    product = ticket.installed_product
    assignee = (
        session.scalar(select(User.username).where(User.id == ticket.assignee_id)) if ticket.assignee_id else None
    )
    return {
        "kind": str(ticket.kind),
        "priority": str(ticket.priority),
        "description": ticket.description,
        "product_model": ticket.product_model or "",
        "serial_number": (product.serial_number or "") if product is not None else "",
        "assignee": assignee or "",
    }


def _shown(request: Request, name: str, value: str) -> str:
    """A value as the "changed" list shows it: labels for kind and priority, a dash for nothing."""
    _ = gettext_for(request)
    if not value:
        return "—"
    if name in ("kind", "priority"):
        return str(_(label(name, value)))
    return value


def _page(
    request: Request,
    session: Session,
    signed: SignedIn,
    ticket: Ticket,
    *,
    values: dict[str, str],
    base: dict[str, str],
    version: int,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    changed: list[Changed] | None = None,
    status: int = 200,
) -> Response:
    everyone = queries.assignable_people(session, actor=signed.actor)
    city = ticket.address.city if ticket.address else None
    people = everyone.near(city, current=base.get("assignee") or None)
    typed = values.get("assignee")
    if typed and all(person.username != typed for person in people):
        people += [person for person in everyone if person.username == typed]
    context = {
        "ticket": ticket,
        "values": values,
        "base": base,
        "version": version,
        "errors": errors or {},
        "message": message,
        "changed": changed or [],
        "kinds": list(TicketKind),
        "priorities": list(Priority),
        "people": people,
        "fields": FIELDS,
    }
    return render(request, "tickets/edit.html", context, status_code=status)


@router.get("/tickets/{ticket_id}/edit")
def edit_form(request: Request, session: SessionDep, signed: Editor, ticket_id: IdPath) -> Response:
    """The edit form, filled with the ticket as it is now."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    current = _values(session, ticket)
    return _page(request, session, signed, ticket, values=dict(current), base=current, version=ticket.version)


def _problems(session: Session, signed: SignedIn, values: dict[str, str], current: dict[str, str]) -> dict[str, str]:
    """Field problems of the typed values (marked Chinese messages), before anything is written."""
    problems: dict[str, str] = {}
    if enum_or_none(TicketKind, values["kind"]) is None:
        problems["kind"] = N_("请选择有效的选项")
    if enum_or_none(Priority, values["priority"]) is None:
        problems["priority"] = N_("请选择有效的选项")
    if not values["description"]:
        problems["description"] = N_("请填写问题描述")
    elif len(values["description"]) > MAX_DESCRIPTION:
        problems["description"] = N_("问题描述不能超过 5000 个字")
    for name in ("product_model", "serial_number"):
        if len(values[name]) > MAX_PRODUCT:
            problems[name] = N_("不能超过 64 个字符")
    if values["serial_number"] and not values["product_model"]:
        problems["product_model"] = N_("填写序列号时请同时填写产品型号")
    wanted = values["assignee"]
    if wanted and wanted != current["assignee"]:
        allowed = {person.username for person in queries.assignable_people(session, actor=signed.actor)}
        if wanted not in allowed:
            problems["assignee"] = N_("请选择可派单的技术员或服务商")
    return problems


@router.post("/tickets/{ticket_id}/edit")
def edit_ticket(
    request: Request, session: SessionDep, clock: ClockDep, signed: Editor, ticket_id: IdPath, form: Posted
) -> Response:
    """Save the edit: field problems and conflicts come back on the form with the typed values kept."""
    _ = gettext_for(request)

    def text(name: str) -> str:
        return form.get(name, "").strip()[:FORM_LIMIT]

    values = {name: text(name) for name in FIELDS}
    base = {name: text(f"base_{name}") for name in FIELDS}
    given_version = int(text("version")) if text("version").isdigit() else 0
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)

    def redraw(error: DomainError, status: int) -> Response:
        fresh = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
        now = _values(session, fresh)
        if isinstance(error, VersionConflictError):
            # Someone saved first: show what they changed; the next save is judged against what is shown.
            changed = [
                Changed(name, _(FIELDS[name]), _shown(request, name, now[name]))
                for name in FIELDS
                if base[name] != now[name]
            ]
            message = _(
                "保存失败：在您编辑期间，工单已被他人修改。您填写的内容已保留，请对照下面的最新值确认后再保存。"
            )
            return _page(
                request,
                session,
                signed,
                fresh,
                values=values,
                base=now,
                version=fresh.version,
                message=message,
                changed=changed,
                status=status,
            )
        errors = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
        return _page(
            request,
            session,
            signed,
            fresh,
            values=values,
            base=base,
            version=given_version,
            errors={name: text for name, text in errors.items() if name in FIELDS},
            message=domain_message(error, _),
            status=status,
        )

    with form_errors(request, session, redraw):
        current = _values(session, ticket)
        version = given_version
        if version != ticket.version and all(base[name] == current[name] for name in FIELDS):
            # Nothing the form shows has moved since it was drawn: saving cannot overwrite anyone's change.
            version = ticket.version
        problems = _problems(session, signed, values, current)
        if problems:
            raise InvalidTicketError(N_("工单内容有误，请按提示修改"), fields=problems)
        tickets_service.update_ticket(
            session,
            clock=clock,
            actor=signed.actor,
            ticket_id=ticket_id,
            version=version,
            kind=TicketKind(values["kind"]),
            priority=Priority(values["priority"]),
            description=values["description"],
            product_model=values["product_model"],
            serial_number=values["serial_number"] or None,
            # The select starts on the current assignee; another name is a reassignment (none: left alone).
            assignee_username=values["assignee"] if values["assignee"] not in ("", current["assignee"]) else None,
        )
    commit(session)
    return redirect(request, f"/console/tickets/{ticket_id}?updated=1")
