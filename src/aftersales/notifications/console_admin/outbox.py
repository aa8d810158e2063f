"""The outbox on screen (operators): every message newest first, filtered by status, channel and the day
it was queued, each with its attempts, next try and last error; a dead letter can be put back in the
queue (``service.requeue``, as ``POST /api/v1/notifications/outbox/retry`` does)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from aftersales.accounts import policy
from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.notifications import rules as notification_rules
from aftersales.notifications import service as notifications_service
from aftersales.notifications.console_admin import common
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.models import OutboxMessage
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.pages import redirect
from aftersales.web.params import IdQuery
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/notifications/outbox")
Reader = Annotated[SignedIn, page(Permission.NOTIFICATIONS_READ)]
Manager = Annotated[SignedIn, page(Permission.NOTIFICATIONS_MANAGE)]
PAGE_SIZE = 50
COUNT_CAP = 999
TextQuery = Annotated[str, Query(max_length=32)]


def _recipient(message: OutboxMessage) -> str:
    return notification_rules.display_address(Channel(message.channel), message.recipient_address)


@router.get("")
def outbox_page(
    request: Request,
    session: SessionDep,
    signed: Reader,
    status: TextQuery = "",
    channel: TextQuery = "",
    date_from: TextQuery = "",
    date_to: TextQuery = "",
    before: IdQuery = None,
    requeued: Annotated[int | None, Query(ge=0, le=500)] = None,
) -> Response:
    """A page of the outbox, newest first; ``before`` pages on to older messages."""
    _ = gettext_for(request)
    errors: dict[str, str] = {}
    chosen_status = OutboxStatus(status) if status in common.STATUSES else None
    chosen_channel = Channel(channel) if channel in common.CHANNELS else None
    start = common.parse_day(common.clip(date_from)) if date_from else None
    end = common.parse_day(common.clip(date_to)) if date_to else None
    if date_from and start is None:
        errors["date_from"] = _(common.BAD_DATE)
    if date_to and end is None:
        errors["date_to"] = _(common.BAD_DATE)
    if start and end and end < start:
        errors["date_to"] = _("结束日期不能早于开始日期")
    found = notifications_service.OutboxPage(messages=[], next_before=None)
    if not errors:
        found = notifications_service.page_outbox(
            session,
            status=chosen_status,
            channel=chosen_channel,
            created_from=common.day_start(start) if start else None,
            created_before=common.day_end(end) if end else None,
            before_id=before,
            limit=PAGE_SIZE,
        )
    filters = {"status": status if chosen_status else "", "channel": channel if chosen_channel else ""}
    filters |= {"date_from": common.clip(date_from), "date_to": common.clip(date_to)}
    context = {
        "found": found,
        "filters": filters,
        "errors": errors,
        "statuses": common.STATUSES,
        "channels": common.CHANNELS,
        "recipient": _recipient,
        "dead_letters": notifications_service.count_dead_letters(session, cap=COUNT_CAP),
        "count_cap": COUNT_CAP,
        "before": before,
        "requeued": requeued,
        "may_retry": policy.allows(signed.actor.role, Permission.NOTIFICATIONS_MANAGE),
    }
    return render(request, "notifications/outbox.html", context, status_code=422 if errors else 200)


@router.post("/retry")
def retry(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Manager,
    message_id: Annotated[list[int] | None, Form(max_length=200)] = None,
) -> Response:
    """Put dead letters back in the queue with fresh attempts (others are left as they are), audited."""
    ids = [i for i in (message_id or []) if 0 < i < 2**63]
    count = notifications_service.requeue(session, clock=clock, message_ids=ids, actor=signed.actor) if ids else 0
    commit(session)
    return redirect(request, f"/console/notifications/outbox?status=failed&requeued={count}")
