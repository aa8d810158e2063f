"""The technician's self-check on the phone (level 1 of quality inspection): a panel on the job card with
the checklist for the ticket's kind, yes or no per item, and the checks already recorded for the job.
Loaded by HTMX into the job card; a refused check is drawn again with the answers kept."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.quality.inspection import self_check
from aftersales.tickets import service as tickets_service
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/jobs")
Checker = Annotated[SignedIn, page(Permission.QUALITY_SELF_CHECK)]
ANSWERS = {"yes": True, "no": False}


def _panel(
    request: Request,
    session: Session,
    signed: SignedIn,
    ticket_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    items = self_check.checklist(session, kind=ticket.kind)
    context = {
        "ticket": ticket,
        "items": items,
        "is_open": bool(items) and ticket.status in self_check.SELF_CHECK_STATUSES,
        "records": self_check.self_checks_of(session, ticket.id),
        "values": values or {},
        "errors": errors or {},
        "message": message,
        "saved": saved,
    }
    return render(request, "quality/_self_check.html", context, status_code=status)


@router.get("/{ticket_id}/self-check")
def self_check_panel(request: Request, session: SessionDep, signed: Checker, ticket_id: IdPath) -> Response:
    """The job's self-check panel: the form while the job is in progress or resolved, and past checks."""
    return _panel(request, session, signed, ticket_id)


@router.post("/{ticket_id}/self-check")
async def record_self_check(
    request: Request, session: SessionDep, clock: ClockDep, signed: Checker, ticket_id: IdPath
) -> Response:
    """Record the self-check: every required item answered; bad input changes nothing."""
    _ = gettext_for(request)
    form = await request.form()
    values = {str(name): str(value) for name, value in form.items() if str(name).startswith("item:")}
    note = str(form.get("note") or "").strip()
    values["note"] = note[:1000]

    def redraw(error: DomainError, status: int) -> Response:
        errors = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
        message = domain_message(error, _)
        return _panel(request, session, signed, ticket_id, values=values, errors=errors, message=message, status=status)

    answers = {
        name.removeprefix("item:"): ANSWERS[value]
        for name, value in values.items()
        if name.startswith("item:") and value in ANSWERS
    }
    with form_errors(request, session, redraw):
        self_check.record_self_check(
            session, clock=clock, actor=signed.actor, ticket_id=ticket_id, answers=answers, note=note
        )
    commit(session)
    return _panel(request, session, signed, ticket_id, saved=True)
