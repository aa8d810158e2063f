"""The inspector's list of flagged visits (a check-in far from the address, a stay shorter than the minimum):
open, reviewed or all, by technician and reason, a page at a time; and the review, confirmed on its own page
with an optional note, which clears the flag through the same service as the API (timeline and audit)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.core.pagination import Page
from aftersales.dispatch.fieldwork import flags as field_flags
from aftersales.dispatch.fieldwork.models import VisitFlag
from aftersales.dispatch.fieldwork.rules import FlagReason
from aftersales.tickets import service as tickets_service
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/visit-flags")
# The API's gate: whoever may review a flag through /api/v1/visit-flags may do it here.
Inspector = Annotated[SignedIn, page(Permission.QUALITY_INSPECT)]
PAGE_SIZE = 20
MAX_PAGE = 10_000
STATES = {"open": N_("待复核"), "reviewed": N_("已复核"), "all": N_("全部")}
REASONS = tuple(reason.value for reason in FlagReason)
MAX_NOTE_ECHO = 2000  # a longer note is refused by the service; only this much is shown back


class Filters:
    """The list's filters from a query string or a form, unknown values replaced by the defaults (the list
    never fails on a hand-edited address)."""

    def __init__(
        self, state: object = None, technician: object = None, reason: object = None, page_number: object = None
    ) -> None:
        self.state = str(state) if state in STATES else "open"
        self.technician = str(technician or "").strip()[:64]
        self.reason = str(reason) if reason in REASONS else ""
        number = str(page_number or "")
        self.page = int(number) if number.isascii() and number.isdigit() and 1 <= int(number) <= MAX_PAGE else 1

    def query(self, **changes: object) -> str:
        """The list's query string with these filters (and ``changes``), the defaults left out."""
        values = {"state": self.state, "technician": self.technician, "reason": self.reason, "page": self.page}
        values |= changes
        defaults = {"state": "open", "technician": "", "reason": "", "page": 1}
        return urlencode({key: value for key, value in values.items() if value != defaults.get(key)})

    def href(self, path: str, **changes: object) -> str:
        """``path`` with the list's query string, if any."""
        query = self.query(**changes)
        return f"{path}?{query}" if query else path


def _found(session: Session, filters: Filters) -> Page[VisitFlag]:
    return field_flags.list_flags(
        session,
        state=None if filters.state == "all" else filters.state,
        technician=filters.technician or None,
        reason=filters.reason or None,
        limit=PAGE_SIZE,
        offset=(filters.page - 1) * PAGE_SIZE,
    )


def _list_page(request: Request, session: Session, filters: Filters, *, reviewed: bool) -> Response:
    found = _found(session, filters)
    if not found.items and found.total and filters.page > 1:  # past the end (the last flag of a page reviewed)
        filters.page = -(-found.total // PAGE_SIZE)
        found = _found(session, filters)
    technicians = field_flags.flagged_technicians(session)
    names = dict(technicians)
    numbers = field_flags.ticket_numbers(session, [flag.ticket_id for flag in found.items])
    context = {
        "rows": [
            {"flag": flag, "number": numbers.get(flag.ticket_id, ""), "name": names.get(flag.technician_name, "")}
            for flag in found.items
        ],
        "total": found.total,
        "pages": max(1, -(-found.total // PAGE_SIZE)),
        "filters": filters,
        "states": STATES,
        "reasons": REASONS,
        "technicians": technicians,
        "reviewed": reviewed,
    }
    return render(request, "fieldwork/visit_flags.html", context)


@router.get("")
def flag_list(
    request: Request,
    session: SessionDep,
    signed: Inspector,
    state: Annotated[str | None, Query(max_length=16)] = None,
    technician: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str | None, Query(max_length=32)] = None,
    page_number: Annotated[str | None, Query(alias="page", max_length=8)] = None,
    reviewed: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """Flagged visits, the newest first: open ones by default, or reviewed, or all; by technician and reason."""
    filters = Filters(state, technician, reason, page_number)
    return _list_page(request, session, filters, reviewed=reviewed == "1")


def _review_page(
    request: Request,
    session: Session,
    signed: SignedIn,
    flag: VisitFlag,
    filters: Filters,
    *,
    note: str = "",
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    ticket = tickets_service.get_ticket(session, flag.ticket_id, actor=signed.actor)
    names = dict(field_flags.flagged_technicians(session))
    context = {
        "flag": flag,
        "ticket": ticket,
        "name": names.get(flag.technician_name, ""),
        "filters": filters,
        "note": note,
        "errors": errors or {},
        "message": message,
        "max_note": field_flags.MAX_REVIEW_NOTE,
    }
    return render(request, "fieldwork/visit_flag_review.html", context, status_code=status)


@router.get("/{flag_id}/review")
def review_confirm(
    request: Request,
    session: SessionDep,
    signed: Inspector,
    flag_id: IdPath,
    state: Annotated[str | None, Query(max_length=16)] = None,
    technician: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str | None, Query(max_length=32)] = None,
    page_number: Annotated[str | None, Query(alias="page", max_length=8)] = None,
) -> Response:
    """The review, confirmed: what was flagged, an optional note, and the button (nothing changes here)."""
    flag = field_flags.get_flag(session, flag_id)
    return _review_page(request, session, signed, flag, Filters(state, technician, reason, page_number))


@router.post("/{flag_id}/review")
async def review(
    request: Request, session: SessionDep, clock: ClockDep, signed: Inspector, flag_id: IdPath
) -> Response:
    """The inspector reviewed the visit: the flag is cleared (timeline and audit, as through the API); back to
    the list with its filters. A flag reviewed already, or a note too long, changes nothing."""
    _ = gettext_for(request)
    form = await request.form()
    note = str(form.get("note") or "")[:MAX_NOTE_ECHO]
    filters = Filters(form.get("state"), form.get("technician"), form.get("reason"), form.get("page"))

    def redraw(error: DomainError, status: int) -> Response:
        flag = field_flags.get_flag(session, flag_id)  # as it stands after the rollback
        if isinstance(error, InvalidInputError):
            errors = field_messages(error, _)
            return _review_page(request, session, signed, flag, filters, note=note, errors=errors, status=status)
        message = domain_message(error, _)
        return _review_page(request, session, signed, flag, filters, note=note, message=message, status=status)

    with form_errors(request, session, redraw):
        field_flags.review(session, clock=clock, actor=signed.actor, flag_id=flag_id, note=note)
    commit(session)
    return redirect(request, filters.href("/console/visit-flags", reviewed=1))
