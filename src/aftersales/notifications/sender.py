"""Claiming due outbox messages and recording what became of them (the sender's database half).

Flushes, never commits: ``jobs.deliver_due`` commits the claim *before* sending and each outcome after,
so a send never happens inside an open transaction and a crash between the two is healed by the lease.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import dialect_of
from aftersales.notifications import preferences, rules
from aftersales.notifications.channels import Delivery
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.errors import DeliveryError, PermanentDeliveryError
from aftersales.notifications.models import OutboxMessage

LEASE_EXPIRED = "notifications.lease_expired: the sender that claimed this message did not report back"


@dataclass
class Claim:
    """One claimed batch: what to send now, and what the claim settled without sending."""

    deliveries: list[Delivery] = field(default_factory=list)
    examined: int = 0
    internal: int = 0
    suppressed: int = 0
    postponed: int = 0
    abandoned: int = 0  # leases that expired on the last allowed attempt: dead-lettered


def _due(now: object) -> object:
    return or_(
        and_(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.locked_until <= now),
    )


def claim_due(session: Session, *, clock: Clock, settings: Settings, token: str) -> Claim:
    """Lock up to ``notify_batch_size`` due messages and settle each: internal ones are marked sent,
    opted-out ones suppressed, quiet-hour SMS postponed (the recipient's own quiet hours, else the
    system's), the rest marked ``sending`` under a lease (``locked_until``, ``claim_token``) with the
    attempt counted, and returned for sending."""
    now = clock.now()
    query = (
        select(OutboxMessage)
        .where(_due(now))  # type: ignore[arg-type]
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(settings.notify_batch_size)
    )
    if dialect_of(session) == "postgresql":
        # Several workers: each takes rows the others have not locked. SQLite has one writer at a time.
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query).all())
    claim = Claim(examined=len(rows))
    addresses = [row.recipient_address for row in rows if row.recipient_address]
    opted = preferences.opted_out_by_address(session, addresses)
    zone = ZoneInfo(settings.timezone)
    lease_until = now + timedelta(seconds=settings.notify_lease_seconds)
    for row in rows:
        if row.status == OutboxStatus.SENDING:
            # A sender crashed (or hung) after claiming: the row is due again.
            if row.attempts >= settings.notify_max_attempts:
                _settle(row, OutboxStatus.FAILED, error=LEASE_EXPIRED)
                claim.abandoned += 1
                continue
            row.last_error = LEASE_EXPIRED
        entry = opted.get((row.recipient_address or "").strip())
        quiet_start, quiet_end = settings.notify_quiet_start, settings.notify_quiet_end
        if entry and entry[0].quiet_start is not None and entry[0].quiet_end is not None:
            quiet_start, quiet_end = entry[0].quiet_start, entry[0].quiet_end  # the customer's own
        decision = rules.decide(
            channel=Channel(row.channel),
            kind=row.kind,
            payload=row.payload,
            opted_out_channels=entry[1] if entry else (),
            now=now,
            zone=zone,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
        )
        if decision.action is rules.Action.MARK_SENT:
            _settle(row, OutboxStatus.SENT)
            row.sent_at = now
            claim.internal += 1
        elif decision.action is rules.Action.SUPPRESS:
            _settle(row, OutboxStatus.SUPPRESSED)
            row.suppressed_reason = decision.reason
            claim.suppressed += 1
        elif decision.action is rules.Action.POSTPONE:
            _settle(row, OutboxStatus.PENDING)
            row.next_attempt_at = decision.until
            claim.postponed += 1
        else:
            # The attempt is counted when it starts (``start_attempt``), not here: a sender that dies after
            # claiming spends nothing of the messages it never tried.
            row.status = OutboxStatus.SENDING
            row.locked_until = lease_until
            row.claim_token = token
            claim.deliveries.append(_snapshot(row))
    session.flush()
    return claim


def _settle(row: OutboxMessage, status: OutboxStatus, *, error: str | None = None) -> None:
    row.status = status
    row.locked_until = None
    row.claim_token = None
    if error is not None:
        row.last_error = error


def _snapshot(row: OutboxMessage) -> Delivery:
    return Delivery(
        id=row.id,
        kind=row.kind,
        channel=Channel(row.channel),
        dedupe_key=row.dedupe_key,
        subject=row.subject,
        body=row.body,
        recipient_address=row.recipient_address,
        ticket_id=row.ticket_id,
        payload=dict(row.payload) if row.payload else None,
        created_at=row.created_at,
        attempt=row.attempts + 1,
    )


def _owned(message_id: int, token: str) -> object:
    return and_(
        OutboxMessage.id == message_id,
        OutboxMessage.claim_token == token,
        OutboxMessage.status == OutboxStatus.SENDING,
    )


def start_attempt(session: Session, *, message_id: int, token: str) -> bool:
    """Count the attempt just before it is made (committed first): a message whose sending kills the
    sender is counted each time, so it reaches its last attempt and fails alone. False when the lease
    was lost meanwhile."""
    result = session.execute(
        update(OutboxMessage)
        .where(_owned(message_id, token))  # type: ignore[arg-type]
        .values(attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def record_sent(session: Session, *, clock: Clock, message_id: int, token: str) -> bool:
    """Mark a claimed message sent; False when the lease was lost (another sender re-claimed it)."""
    result = session.execute(
        update(OutboxMessage)
        .where(_owned(message_id, token))  # type: ignore[arg-type]
        .values(status=OutboxStatus.SENT, sent_at=clock.now(), locked_until=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def record_failure(
    session: Session,
    *,
    clock: Clock,
    settings: Settings,
    message_id: int,
    token: str,
    attempt: int,
    error: DeliveryError,
    unit: float,
) -> OutboxStatus | None:
    """Schedule a retry with backoff (``unit`` is the jitter's random draw in [0, 1)), or dead-letter the
    message on a permanent error or the last attempt. Returns the new status; None when the lease was lost."""
    if isinstance(error, PermanentDeliveryError) or attempt >= settings.notify_max_attempts:
        values: dict[str, object] = {"status": OutboxStatus.FAILED, "next_attempt_at": None}
    else:
        delay = rules.retry_delay(
            attempt,
            base_seconds=settings.notify_retry_base_seconds,
            max_seconds=settings.notify_retry_max_seconds,
            jitter=settings.notify_retry_jitter,
            unit=unit,
        )
        values = {"status": OutboxStatus.PENDING, "next_attempt_at": clock.now() + delay}
    result = session.execute(
        update(OutboxMessage)
        .where(_owned(message_id, token))  # type: ignore[arg-type]
        .values(locked_until=None, claim_token=None, last_error=str(error)[:2000], **values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    status = values["status"]
    assert isinstance(status, OutboxStatus)
    return status
