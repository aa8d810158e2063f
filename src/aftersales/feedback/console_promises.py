"""Promises in the console: the panel on a ticket's page (what was promised, by when, who owns it, how it
stands; a form to make one and a confirmed fulfilment) and the promises every department sees, with the
overdue ones, one's own and a department's. The technician acknowledges on the job card
(``feedback.console``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts import policy
from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.policy import Scope
from aftersales.accounts.sessions import SignedIn
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.core.timeutil import LOCAL, ensure_utc, to_local
from aftersales.feedback import promises, rules
from aftersales.feedback.errors import InvalidPromiseError
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import TicketStatus
from aftersales.tickets.rules import OPEN_STATUSES
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, is_htmx, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console")
BOARD_SIZE = 50
# promises.DEPARTMENTS with their labels marked for the English catalog.
DEPARTMENTS = {
    "customer_service": N_("客服"),
    "dispatch": N_("调度"),
    "field_service": N_("上门服务"),
    "warehouse": N_("仓储"),
    "logistics": N_("物流配送"),
    "quality": N_("质检"),
    "sales": N_("销售"),
}
STATES = {
    "open": N_("待确认"),
    "acknowledged": N_("已确认"),
    "overdue": N_("已逾期"),
    "fulfilled": N_("已兑现"),
    "cancelled": N_("已取消"),
}
DUE_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


def state_of(promise: promises.Promise, now: datetime) -> str:
    """How the promise stands now (``rules.promise_state``)."""
    return rules.promise_state(
        status=promise.status, due_at=promise.due_at, acknowledged=promise.acknowledged_at is not None, now=now
    )


def _labels() -> dict[str, Any]:
    return {"departments": DEPARTMENTS, "states": STATES}


# --- The panel on a ticket's page ------------------------------------------------------------------------


def _panel(
    request: Request,
    session: Session,
    clock: Clock,
    signed: SignedIn,
    ticket_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    flash: str | None = None,
    status: int = 200,
) -> Response:
    """The ticket's promises with the form; a fragment for HTMX, else a page of its own."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    now = clock.now()
    found = promises.promises_of(session, ticket.id)
    # The service takes promises on open tickets and on those waiting for their return visit.
    may_make = policy.allows(signed.actor.role, Permission.PROMISE_MAKE) and (
        ticket.status in OPEN_STATUSES or ticket.status == TicketStatus.RESOLVED
    )
    default_due = (to_local(now) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    context = _labels() | {
        "ticket": ticket,
        "rows": [(promise, state_of(promise, now)) for promise in found],
        "owner_names": promises.owner_names(session, found),
        "owners": promises.owner_choices(session, ticket_id=ticket.id) if may_make else [],
        "values": values
        or {"owner": signed.actor.username, "due_at": f"{default_due:%Y-%m-%dT%H:%M}", "departments": []},
        "errors": errors or {},
        "message": message,
        "flash": flash,
        "may_make": may_make,
        "may_keep": policy.allows(signed.actor.role, Permission.PROMISE_KEEP),
    }
    template = "feedback/_promises.html" if is_htmx(request) else "feedback/ticket_promises.html"
    return render(request, template, context, status_code=status)


@router.get("/tickets/{ticket_id}/promises")
def ticket_promises(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ)],
    ticket_id: IdPath,
) -> Response:
    """The promise panel of the ticket's page (loaded by HTMX), or the same as a page."""
    return _panel(request, session, clock, signed, ticket_id)


def _due_at(text: str) -> datetime | None:
    """A local 年-月-日 时:分 as a UTC time, or None when it is not one."""
    for pattern in DUE_FORMATS:
        try:
            return ensure_utc(datetime.strptime(text, pattern).replace(tzinfo=LOCAL))
        except ValueError:
            continue
    return None


@router.post("/tickets/{ticket_id}/promises")
async def make_promise(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.PROMISE_MAKE)],
    ticket_id: IdPath,
) -> Response:
    """Record a promise made to the customer; bad input is shown by its field, with what was typed, and
    changes nothing."""
    _ = gettext_for(request)
    form = await request.form()
    values: dict[str, Any] = {
        "description": str(form.get("description") or "")[:600],
        "due_at": str(form.get("due_at") or "").strip()[:32],
        "owner": str(form.get("owner") or "").strip()[:64],
        "departments": [str(name)[:32] for name in form.getlist("departments")][:10],
    }

    def redraw(error: DomainError, status: int) -> Response:
        errors = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
        errors = {"owner" if name == "owner_username" else name: text for name, text in errors.items()}
        message = None if errors else domain_message(error, _)
        return _panel(
            request, session, clock, signed, ticket_id, values=values, errors=errors, message=message, status=status
        )

    tickets_service.get_ticket(session, ticket_id, actor=signed.actor)  # a ticket not theirs is not found
    with form_errors(request, session, redraw):
        due_at = _due_at(values["due_at"])
        problems = {}
        if due_at is None:
            problems["due_at"] = N_("请按 年-月-日 时:分 填写期限")
        owners = {username for username, _name in promises.owner_choices(session, ticket_id=ticket_id)}
        if values["owner"] not in owners:
            problems["owner_username"] = N_("请选择负责人")
        if problems or due_at is None:
            raise InvalidPromiseError(N_("承诺内容有误，请按提示修改"), fields=problems)
        promises.add_promise(
            session,
            clock=clock,
            actor=signed.actor,
            ticket_id=ticket_id,
            description=values["description"],
            due_at=due_at,
            owner_username=values["owner"],
            departments=values["departments"],
        )
    commit(session)
    if not is_htmx(request):
        return redirect(request, f"/console/tickets/{ticket_id}")
    return _panel(request, session, clock, signed, ticket_id, flash=_("承诺已登记，已通知负责人"))


@router.post("/promises/{promise_id}/fulfil")
async def fulfil_promise(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.PROMISE_KEEP)],
    promise_id: IdPath,
) -> Response:
    """The promise is kept (confirmed in its own step, with an optional note): on the timeline. From the
    ticket's panel (HTMX) the panel comes back; from the promise list, the list."""
    _ = gettext_for(request)
    form = await request.form()
    note = str(form.get("note") or "").strip()[:500]
    back = str(form.get("next") or "")
    htmx = is_htmx(request)
    ticket_id = promises.get_promise(session, promise_id, actor=signed.actor).ticket_id

    def redraw(error: DomainError, status: int) -> Response:
        if htmx:
            return _panel(request, session, clock, signed, ticket_id, message=domain_message(error, _), status=status)
        return _board_page(request, session, clock, signed, message=domain_message(error, _), status=status)

    with form_errors(request, session, redraw):
        promises.fulfil(session, clock=clock, actor=signed.actor, promise_id=promise_id, note=note)
    commit(session)
    if htmx:
        return _panel(request, session, clock, signed, ticket_id, flash=_("承诺已兑现，已记入时间线"))
    if back.startswith("/console/promises?"):
        return redirect(request, f"{back}&done=1")
    return redirect(request, f"/console/tickets/{ticket_id}")


# --- The promises every department sees -----------------------------------------------------------------


def _board_page(
    request: Request,
    session: Session,
    clock: Clock,
    signed: SignedIn,
    *,
    view: str = "",
    department: str = "",
    page_number: int = 1,
    message: str | None = None,
    status: int = 200,
) -> Response:
    now = clock.now()
    found = promises.open_promises(
        session,
        now=now,
        overdue_only=view == "overdue",
        owner_id=signed.actor.user_id if view == "mine" else None,
        department=department or None,
        limit=BOARD_SIZE,
        offset=(page_number - 1) * BOARD_SIZE,
    )
    query = "&".join(
        part for part in (f"view={view}" if view else "", f"department={department}" if department else "") if part
    )
    context = _labels() | {
        "rows": [(row, state_of(row.promise, now)) for row in found.rows],
        "total": found.total,
        "view": view,
        "department": department,
        "page": page_number,
        "pages": max(1, -(-found.total // BOARD_SIZE)),
        "query": query,
        "here": f"/console/promises?{query}&page={page_number}" if query else f"/console/promises?page={page_number}",
        "message": message,
        "done": request.query_params.get("done") == "1",
        "may_keep": policy.allows(signed.actor.role, Permission.PROMISE_KEEP),
    }
    return render(request, "feedback/promises.html", context, status_code=status)


@router.get("/promises")
def promise_board(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ, Scope.ALL)],
    view: Annotated[str, Query(max_length=16)] = "",
    department: Annotated[str, Query(max_length=32)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    """Open promises, the earliest due first: everyone's, the overdue, mine, or one department's."""
    return _board_page(
        request,
        session,
        clock,
        signed,
        view=view if view in ("overdue", "mine") else "",
        department=department if department in DEPARTMENTS else "",
        page_number=page_number,
    )
