"""The panel's two forms: a lifecycle step (with a confirmation and a reason for the steps that end or
undo work) and a comment. Refused or stale, either is drawn again with what the user typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_
from aftersales.tickets import guards as tickets_guards
from aftersales.tickets import rules as ticket_rules
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType
from aftersales.tickets.errors import InvalidTicketError, VersionConflictError
from aftersales.usecases.console.common import enum_or_none
from aftersales.usecases.console.ticket_page.panel import (
    CONFIRMED_EVENTS,
    Confirm,
    PanelState,
    drafts_of,
    draw,
    redraw_with,
)
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.labels import label
from aftersales.web.pages import form_errors, is_htmx, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for

router = APIRouter(prefix="/console")

# The reason each confirmed step asks for, when it is left empty.
REASON_MISSING = {
    EventType.CANCEL: N_("请填写取消原因"),
    EventType.REOPEN: N_("请填写重新打开的原因"),
    EventType.RESULT: N_("请填写未签到即反馈结果的原因"),
}


def _status_moved(session: Session, request: Request, signed: SignedIn, ticket_id: int, drawn: str) -> list[str]:
    """After a conflict: the status someone else moved the ticket to since the form was drawn."""
    _ = gettext_for(request)
    current = tickets_service.get_ticket(session, ticket_id, actor=signed.actor).status
    if not drawn or drawn == current:
        return []
    moved = _("状态：%(before)s → %(after)s") % {
        "before": _(label("status", drawn)),
        "after": _(label("status", current)),
    }
    return [moved]


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
    reason: Annotated[str, Form(max_length=4000)] = "",
    confirmed: Annotated[str, Form(max_length=8)] = "",
    back: Annotated[str, Form(max_length=8)] = "",
    body: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """One lifecycle step; a forbidden or stale move changes nothing, says why and keeps what was typed.

    Cancel and reopen, and a supervisor's result without a check-in, are drawn first as a confirmation
    asking for the reason (``confirmed`` is then set); an empty reason is refused, nothing recorded.

    The page's ``version`` is enforced only when the ticket's status has moved since the page was drawn:
    a change that leaves the status alone (the dispatch decision that follows a new ticket's commit, an
    SLA warning) must not refuse the agent's next step, and the lifecycle table still judges the step."""
    _ = gettext_for(request)
    event = enum_or_none(EventType, type)
    typed = {"note": note, "override_reason": override_reason, "body": body}
    if back:  # the confirmation was declined: the panel as it was, with what had been typed
        return draw(request, session, clock, signed, ticket_id, PanelState(drafts=drafts_of(typed)))
    state = PanelState(drafts=drafts_of(typed))
    refused = redraw_with(
        request,
        session,
        clock,
        signed,
        ticket_id,
        state,
        changes=lambda error: (
            _status_moved(session, request, signed, ticket_id, status)
            if isinstance(error, VersionConflictError)
            else []
        ),
    )
    with form_errors(request, session, refused):
        if event is None:
            raise InvalidTicketError(N_("未知的操作"), fields={"type": type})
        if event == EventType.CHECK_IN:
            raise PermissionDeniedError(N_("上门签到请在技术员的作业页面完成"), code="ticket.use_job_flow")
        current = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
        expected = version if status != current.status else None
        overriding = (
            event == EventType.RESULT
            and ticket_rules.may_override(signed.actor.role)
            and tickets_guards.awaits_check_in(session, current)
        )
        if event in CONFIRMED_EVENTS or overriding:
            confirm = Confirm(event=event, version=str(version), status=status)
            given = (override_reason if overriding else reason).strip()
            if confirmed and given and event in CONFIRMED_EVENTS:
                # The reason is what was typed last: the note draft, should the step be refused from here on.
                state.drafts["note"] = given
            if expected is not None and expected != current.version:
                _refuse_stale(current.version, expected)
            if not confirmed:
                # Nothing recorded yet: the confirmation, its reason field filled with what was typed.
                state.confirm = confirm
                if event in CONFIRMED_EVENTS:
                    state.drafts["reason"] = note
                return draw(request, session, clock, signed, ticket_id, state)
            state.confirm = confirm  # a refusal below draws the confirmation again
            state.drafts["reason"] = reason
            if not given:
                problem = REASON_MISSING[event]
                raise InvalidTicketError(problem, fields={"override_reason" if overriding else "reason": problem})
            if event in CONFIRMED_EVENTS:
                note = given  # the reason is the step's note on the timeline
            state.confirm = None  # confirmed: a refusal from here on is the step's, shown on the panel
        tickets_service.apply_event(
            session,
            clock=clock,
            actor=signed.actor,
            ticket_id=ticket_id,
            event_type=event,
            note=note.strip() or None,
            expected_version=expected,
            override_reason=override_reason if event == EventType.RESULT and override_reason.strip() else None,
        )
    commit(session)
    done = _("已记录：%(action)s") % {"action": _(label("event", event))}
    if not is_htmx(request):
        return redirect(request, request.headers.get("x-return-to") or f"/console/tickets/{ticket_id}")
    kept = drafts_of(typed, used=("note", "override_reason"))
    return draw(request, session, clock, signed, ticket_id, PanelState(flash=done, drafts=kept))


def _refuse_stale(current: int, given: int) -> None:
    """A confirmation for a form drawn before the status moved: refused as the service would refuse it."""
    raise VersionConflictError(tickets_service.VERSION_CONFLICT, {"version": current, "given": given})


@router.post("/tickets/{ticket_id}/comments")
def ticket_comment(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_COMMENT)],
    ticket_id: IdPath,
    body: Annotated[str, Form(max_length=4000)] = "",
    internal: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    override_reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Add a comment (internal by default; public ones are shown to the customer). The lifecycle form's
    text comes along (``note``, ``override_reason``) so that the redrawn panel keeps it."""
    _ = gettext_for(request)
    typed = {"note": note, "override_reason": override_reason, "body": body}
    state = PanelState(drafts=drafts_of(typed))
    with form_errors(request, session, redraw_with(request, session, clock, signed, ticket_id, state)):
        tickets_service.add_comment(
            session, clock=clock, actor=signed.actor, ticket_id=ticket_id, body=body, is_internal=bool(internal)
        )
    commit(session)
    if not is_htmx(request):
        return redirect(request, f"/console/tickets/{ticket_id}")
    kept = drafts_of(typed, used=("body",))
    return draw(request, session, clock, signed, ticket_id, PanelState(flash=_("备注已添加"), drafts=kept))
