"""The visit appointment in the console: a compact panel (the booked window, the history, a form to book
or reschedule with a reason) on the technician's job card and on the agent's ticket page, both loaded
by HTMX. The customer gets the appointment SMS the service queues."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts import policy
from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission, Role
from aftersales.accounts.sessions import SignedIn
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.core.timeutil import to_local
from aftersales.dispatch.errors import InvalidDispatchInputError
from aftersales.dispatch.planning import appointments
from aftersales.dispatch.planning.models import Appointment
from aftersales.tickets import guards as tickets_guards
from aftersales.tickets import service as tickets_service
from aftersales.tickets.rules import OPEN_STATUSES
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, is_htmx, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")
FIELD_ROLES = (Role.TECHNICIAN, Role.PROVIDER)
STATUSES = {"booked": N_("已预约"), "rescheduled": N_("已改约"), "cancelled": N_("已取消")}
# The service's fields → the form's: a window's problem is the slot's (or the date's) to fix.
FORM_FIELDS = {"start": "slot", "end": "slot", "day": "date"}
BOOKING_DAYS = 60  # how far ahead the date picker reaches
SLOT_KEYS = tuple(appointments.slot_key(start, end) for start, end in appointments.SLOTS)


def _slot_of(record: Appointment) -> str:
    """The form's slot key of a booking (its window as HH:MM-HH:MM, whether or not it is one of the slots)."""
    return appointments.slot_key(f"{to_local(record.window_start):%H:%M}", f"{to_local(record.window_end):%H:%M}")


def _back(signed: SignedIn, ticket_id: int) -> str:
    """The page the panel sits on: the job card for field roles, else the ticket page."""
    return f"/console/jobs/{ticket_id}" if signed.actor.role in FIELD_ROLES else f"/console/tickets/{ticket_id}"


def _panel(
    request: Request,
    session: Session,
    clock: Clock,
    signed: SignedIn,
    ticket_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    flash: str | None = None,
    status: int = 200,
) -> Response:
    """The ticket's appointment panel; a fragment for HTMX, else a page of its own."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    records = appointments.history(session, actor=signed.actor, ticket_id=ticket.id)
    booked = next((record for record in reversed(records) if record.status == "booked"), None)
    today = to_local(clock.now()).date()
    tomorrow = today + timedelta(days=1)
    chosen = values or {
        "date": f"{to_local(booked.window_start):%Y-%m-%d}" if booked else tomorrow.isoformat(),
        "slot": _slot_of(booked) if booked else "",
        "note": "",
    }
    context: dict[str, Any] = {
        "ticket": ticket,
        "booked": booked,
        "history": [record for record in reversed(records) if record is not booked],
        "statuses": STATUSES,
        "slots": SLOT_KEYS,
        "shift": appointments.shift_of(session, ticket.assignee_id),
        "values": chosen,
        "errors": errors or {},
        "message": message,
        "flash": flash,
        "today": today.isoformat(),
        "last_day": (today + timedelta(days=BOOKING_DAYS)).isoformat(),
        "may_book": policy.allows(signed.actor.role, Permission.APPOINTMENT_BOOK) and ticket.status in OPEN_STATUSES,
        "back": _back(signed, ticket.id),
        # Phone-only and counter work has no visit to book: the panel stays empty unless one was booked.
        "offered": bool(records) or tickets_guards.needs_check_in(session, ticket),
    }
    template = "dispatch/_appointments.html" if is_htmx(request) else "dispatch/appointments.html"
    return render(request, template, context, status_code=status)


@router.get("/tickets/{ticket_id}/appointments")
def ticket_appointments(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ)],
    ticket_id: IdPath,
) -> Response:
    """The appointment panel of the job card and the ticket page (loaded by HTMX), or the same as a page."""
    return _panel(request, session, clock, signed, ticket_id)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@router.post("/tickets/{ticket_id}/appointments")
async def book_appointment(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.APPOINTMENT_BOOK)],
    ticket_id: IdPath,
) -> Response:
    """Book the visit in one of the slots, or move it with a reason; a slot in the past, outside the
    technician's shift or taken by another of their visits is refused by its field, and changes nothing."""
    _ = gettext_for(request)
    form = await request.form()
    values = {
        "date": str(form.get("date") or "").strip()[:10],
        "slot": str(form.get("slot") or "").strip()[:16],
        "note": str(form.get("note") or "").strip()[:200],
    }

    def redraw(error: DomainError, status: int) -> Response:
        fields = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
        errors: dict[str, str] = {}
        for name, text in fields.items():
            errors.setdefault(FORM_FIELDS.get(name, name), text)
        known = {"date", "slot", "note"}
        message = None if errors and set(errors) <= known else domain_message(error, _)
        return _panel(
            request,
            session,
            clock,
            signed,
            ticket_id,
            values=values,
            errors={name: text for name, text in errors.items() if name in known},
            message=message,
            status=status,
        )

    booked = appointments.current(session, actor=signed.actor, ticket_id=ticket_id)  # not theirs: not found
    with form_errors(request, session, redraw):
        day = _day(values["date"])
        problems: dict[str, str] = {}
        if day is None:
            problems["date"] = N_("请选择上门日期")
        elif day < to_local(clock.now()).date():
            problems["date"] = N_("上门日期不能早于今天")
        if values["slot"] not in SLOT_KEYS:
            problems["slot"] = N_("请选择上门时段")
        window = appointments.slot_window(day, values["slot"]) if day is not None else None
        if booked is not None and not values["note"]:
            problems["note"] = N_("改约须填写原因")
        if problems or window is None:
            raise InvalidDispatchInputError(N_("预约信息有误，请按提示修改"), fields=problems)
        appointments.book(
            session,
            clock=clock,
            actor=signed.actor,
            ticket_id=ticket_id,
            start=window[0],
            end=window[1],
            note=values["note"] or None,
        )
    commit(session)
    if not is_htmx(request):
        return redirect(request, _back(signed, ticket_id))
    flash = _("已改约，已短信通知客户") if booked is not None else _("已预约，已短信通知客户")
    return _panel(request, session, clock, signed, ticket_id, flash=flash)
