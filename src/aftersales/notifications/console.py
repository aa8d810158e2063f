"""The staff inbox in the console: the page, the header's unread badge (polled, so it updates on an open
page without a reload) and mark-read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission, Role
from aftersales.accounts.sessions import SignedIn
from aftersales.notifications import inbox
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.pages import is_htmx, redirect
from aftersales.web.params import IdQuery
from aftersales.web.templating import render

router = APIRouter(prefix="/console/inbox")
Reader = Annotated[SignedIn, page(Permission.INBOX_READ)]
FIELD_ROLES = (Role.TECHNICIAN, Role.PROVIDER)


def _context(
    session: SessionDep, signed: SignedIn, settings: SettingsDep, *, unread_only: bool, before: int | None
) -> dict[str, object]:
    assert signed.actor.user_id is not None  # a console session always has a user
    found = inbox.list_inbox(session, user_id=signed.actor.user_id, unread_only=unread_only, before_id=before)
    # Field roles open their tickets as job cards; the office opens the ticket page.
    ticket_base = "/console/jobs/" if signed.actor.role in FIELD_ROLES else "/console/tickets/"
    return {
        "found": found,
        "unread_only": unread_only,
        "before": before,
        "ticket_base": ticket_base,
        "poll_seconds": settings.inbox_poll_seconds,
        "count_cap": inbox.COUNT_CAP,
    }


@router.get("")
def inbox_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signed: Reader,
    unread: bool = False,
    before: IdQuery = None,
) -> Response:
    """The signed-in person's messages, newest first, unread ones marked. The open page asks again for its
    list alone (an HTMX request) every few seconds, so new messages appear without a reload."""
    context = _context(session, signed, settings, unread_only=unread, before=before)
    template = "notifications/_inbox_list.html" if is_htmx(request) else "notifications/inbox.html"
    return render(request, template, context)


@router.get("/badge")
def inbox_badge(request: Request, session: SessionDep, settings: SettingsDep, signed: Reader) -> Response:
    """The header's link with the unread count; it asks again every ``inbox_poll_seconds``."""
    assert signed.actor.user_id is not None
    unread = inbox.unread_count(session, user_id=signed.actor.user_id)
    context = {"unread": unread, "poll_seconds": settings.inbox_poll_seconds, "count_cap": inbox.COUNT_CAP}
    return render(request, "notifications/_badge.html", context)


@router.post("/read")
def inbox_read(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    signed: Reader,
    message_id: Annotated[list[int] | None, Form(max_length=200)] = None,
    everything: Annotated[bool, Form()] = False,
) -> Response:
    """Mark one message (or every unread one) read; HTMX gets the list back, a plain form a redirect."""
    ids = None if everything else [i for i in (message_id or []) if 0 < i < 2**63]
    inbox.mark_read(session, clock=clock, actor=signed.actor, message_ids=ids)
    commit(session)
    if is_htmx(request):
        context = _context(session, signed, settings, unread_only=False, before=None)
        return render(request, "notifications/_inbox_list.html", context)
    return redirect(request, "/console/inbox")
