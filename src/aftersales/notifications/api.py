"""JSON API of notifications: customers' channel preferences, the outbox for operators, requeueing dead
letters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.core.errors import InvalidInputError, NotFoundError
from aftersales.core.timeutil import to_local
from aftersales.customers import rules as customer_rules
from aftersales.notifications import inbox, preferences
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.models import NotificationPreference
from aftersales.notifications.schemas import (
    InboxMessageRead,
    InboxRead,
    InboxReadWrite,
    OutboxRead,
    PreferenceRead,
    PreferenceWrite,
    RetryWrite,
)
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.params import IdQuery

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


def _phone(raw: str) -> str:
    phone = customer_rules.parse_phone(raw)
    if phone is None:
        raise InvalidInputError(
            customer_rules.PHONE_ERROR, code="notifications.invalid_preference", fields={"phone": raw}
        )
    return phone.number


def _read(saved: NotificationPreference) -> PreferenceRead:
    return PreferenceRead(
        phone=customer_rules.mask_phone(saved.phone),
        email=saved.email,
        opted_out_channels=list(saved.opted_out_channels),
        preferred_channel=saved.preferred_channel,
        quiet_start=f"{saved.quiet_start:%H:%M}" if saved.quiet_start else None,
        quiet_end=f"{saved.quiet_end:%H:%M}" if saved.quiet_end else None,
    )


@router.put("/preferences/{phone}", response_model=PreferenceRead)
def put_preference(
    phone: str,
    body: PreferenceWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.PREFERENCES_WRITE)],
) -> PreferenceRead:
    """A customer's choices: opted-out channels, preferred channel, email for email invitations, and their
    own quiet hours for texts (both times or neither)."""
    if body.preferred_channel is Channel.EMAIL and not body.email:
        raise InvalidInputError(
            "首选邮件时需要邮箱地址", code="notifications.invalid_preference", fields={"email": "必填"}
        )
    saved = preferences.save_preference(
        session,
        clock=clock,
        actor=actor,
        phone=_phone(phone),
        email=body.email,
        opted_out_channels=body.opted_out_channels,
        preferred_channel=body.preferred_channel,
        quiet_start=body.quiet_start,
        quiet_end=body.quiet_end,
    )
    read = _read(saved)
    commit(session)
    return read


@router.get("/preferences/{phone}", response_model=PreferenceRead)
def get_preference(
    phone: str, session: SessionDep, actor: Annotated[Actor, allowed(Permission.PREFERENCES_READ)]
) -> PreferenceRead:
    """A customer's choices (404 when none were recorded)."""
    saved = preferences.get_preference(session, address=_phone(phone))
    if saved is None:
        raise NotFoundError("该号码没有登记通知偏好", code="notifications.preference_not_found")
    return _read(saved)


@router.get("/outbox", response_model=list[OutboxRead])
def outbox(
    session: SessionDep,
    actor: Annotated[Actor, allowed(Permission.NOTIFICATIONS_READ)],
    status: OutboxStatus | None = None,
    kind: str | None = None,
    ticket_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OutboxRead]:
    """Messages for operators (phones masked): ``status=failed`` lists the dead letters."""
    rows = notifications_service.list_outbox(session, ticket_id=ticket_id, kind=kind, status=status, limit=limit)
    return [
        OutboxRead(
            id=row.id,
            kind=row.kind,
            channel=row.channel,
            status=row.status,
            recipient=customer_rules.mask_phone(row.recipient_address) if row.recipient_address else None,
            subject=row.subject,
            attempts=row.attempts,
            next_attempt_at=to_local(row.next_attempt_at) if row.next_attempt_at else None,
            last_error=row.last_error,
            ticket_id=row.ticket_id,
        )
        for row in rows
    ]


@router.post("/outbox/retry")
def retry(
    body: RetryWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.NOTIFICATIONS_MANAGE)],
) -> dict[str, int]:
    """Put dead letters back in the queue (managers and admins: the inspector only reads)."""
    count = notifications_service.requeue(session, clock=clock, message_ids=body.ids, actor=actor)
    commit(session)
    return {"requeued": count}


@router.get("/inbox", response_model=InboxRead)
def get_inbox(
    session: SessionDep,
    actor: Annotated[Actor, allowed(Permission.INBOX_READ)],
    unread: bool = False,
    before: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=inbox.MAX_PAGE_SIZE)] = inbox.PAGE_SIZE,
) -> InboxRead:
    """The caller's internal messages, newest first (``before`` pages on)."""
    if actor.user_id is None:
        return InboxRead(items=[], unread=0, next_before=None)
    found = inbox.list_inbox(session, user_id=actor.user_id, unread_only=unread, before_id=before, limit=limit)
    items = [InboxMessageRead.model_validate(message, from_attributes=True) for message in found.messages]
    return InboxRead(items=items, unread=found.unread, next_before=found.next_before)


@router.post("/inbox/read")
def read_inbox(
    body: InboxReadWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.INBOX_READ)],
) -> dict[str, int]:
    """Mark the caller's own messages read (others' ids are ignored)."""
    changed = inbox.mark_read(session, clock=clock, actor=actor, message_ids=body.ids)
    commit(session)
    return {"read": changed}
