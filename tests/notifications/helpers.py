"""Small helpers shared by the delivery tests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.core.clock import FrozenClock
from aftersales.notifications import rendering
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel
from aftersales.notifications.models import OutboxMessage

INVITATION = {
    "ticket_number": "SH20261122-000001",
    "survey_url": "https://svc.example.cn/survey/1.1795000000.abc",
    "valid_days": 7,
}


def context_for(kind: str) -> dict[str, object]:
    """A context for ``kind``: the invitation of ticket SH20261122-000001, else the template's sample."""
    return dict(INVITATION) if kind == "visit_invitation" else dict(rendering.TEMPLATES[kind].sample)


def put(
    db: Session,
    clock: FrozenClock,
    *,
    key: str = "visit_invitation:1",
    kind: str = "visit_invitation",
    channel: Channel = Channel.EMAIL,
    address: str | None = "zhang@example.cn",
    context: dict[str, object] | None = None,
    payload: dict[str, object] | None = None,
) -> bool:
    """Enqueue one message (``context_for(kind)`` unless a context is given) and commit (as the use
    case's edge would)."""
    written = notifications_service.enqueue(
        db,
        clock=clock,
        kind=kind,
        dedupe_key=key,
        context=context if context is not None else context_for(kind),
        channel=channel,
        recipient_address=address,
        payload=payload,
    )
    db.commit()
    return written


def row(db: Session, key: str = "visit_invitation:1") -> OutboxMessage:
    """The current state of one outbox row (fresh from the database)."""
    db.expire_all()
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
    assert message is not None
    return message


def state(db: Session, key: str = "visit_invitation:1") -> tuple[object, ...]:
    """(status, attempts, next_attempt_at, sent_at, last_error, locked_until) of one row."""
    message = row(db, key)
    return (
        message.status,
        message.attempts,
        message.next_attempt_at,
        message.sent_at,
        message.last_error,
        message.locked_until,
    )
