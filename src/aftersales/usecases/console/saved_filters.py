"""Saved filters on the ticket list: save the current filter set under a name, delete one after a
confirmation page. A refused save draws the list again with the message beside the name and what was
typed kept, and saves nothing. Only the owner's filters are found (another id is "not found")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.policy import Scope
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError
from aftersales.tickets.saved_filters import service as saved_filters
from aftersales.usecases.console.workbench import list_page
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/tickets/filters")
Reader = Annotated[SignedIn, page(Permission.TICKET_READ, Scope.ALL)]
Short = Annotated[str, Form(max_length=40)]


@router.post("")
def save(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Reader,
    name: Annotated[str, Form(max_length=200)] = "",
    status: Short = "",
    priority: Short = "",
    kind: Short = "",
    sla_state: Short = "",
    q: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Keep the list's current filters under ``name``; then show the list filtered by them."""
    filters = {"status": status, "priority": priority, "kind": kind, "sla_state": sla_state, "q": q}

    def redraw(error: DomainError, status_code: int) -> Response:
        _ = gettext_for(request)
        errors = field_messages(error, _) or {"name": domain_message(error, _)}
        return list_page(
            request,
            session,
            clock,
            signed,
            filters=filters,
            save={"name": name},
            errors=errors,
            status_code=status_code,
        )

    with form_errors(request, session, redraw):
        saved = saved_filters.save_filter(session, clock=clock, actor=signed.actor, name=name, filters=filters)
    query = saved.query
    commit(session)
    return redirect(request, f"/console/tickets?{query}&done=filter_saved")


@router.get("/{filter_id}/delete")
def confirm_delete(request: Request, session: SessionDep, signed: Reader, filter_id: IdPath) -> Response:
    """Ask before deleting: the filter's name and what it selects."""
    saved = saved_filters.get_filter(session, actor=signed.actor, filter_id=filter_id)
    conditions = saved_filters.filters_of(saved.query)
    return render(request, "tickets/filter_delete.html", {"saved": saved, "conditions": conditions})


@router.post("/{filter_id}/delete")
def delete(request: Request, session: SessionDep, clock: ClockDep, signed: Reader, filter_id: IdPath) -> Response:
    """Delete one of the user's saved filters."""
    with form_errors(request, session):
        saved_filters.delete_filter(session, clock=clock, actor=signed.actor, filter_id=filter_id)
    commit(session)
    return redirect(request, "/console/tickets?done=filter_deleted")
