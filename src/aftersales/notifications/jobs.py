"""Background job: deliver due outbox messages (run by the worker and ``aftersales notifications deliver``).

Delivery is at-least-once, never exactly-once: a message is claimed and committed as ``sending`` with a
lease, sent outside any transaction, and its outcome committed afterwards. A process killed between the
claim and the outcome leaves the row ``sending``; once the lease expires the next run sends it again —
nothing is lost, and if the first send had in fact gone out, the receiver sees the same idempotency key
(the SMTP Message-ID derived from the dedupe key, the webhook's ``X-Aftersales-Delivery`` header, the SMS
adapter's ``idempotency_key``) and can drop the duplicate.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import unit_of_work
from aftersales.notifications import sender
from aftersales.notifications.channels import ChannelSender, Delivery, build_channels
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.errors import DeliveryError, PermanentDeliveryError

log = logging.getLogger("aftersales.notifications")


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    internal: int = 0
    suppressed: int = 0
    postponed: int = 0
    lease_lost: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def deliver_due(
    session_factory: sessionmaker[Session],
    clock: Clock,
    settings: Settings,
    *,
    channels: Mapping[Channel, ChannelSender] | None = None,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Claim, send and record due messages batch by batch until a batch comes back short."""
    senders = channels if channels is not None else build_channels(settings, clock)
    draw = rng or random.Random()
    report = DeliveryReport()
    while True:
        token = str(uuid.uuid4())
        with unit_of_work(session_factory) as session:
            claim = sender.claim_due(session, clock=clock, settings=settings, token=token)
        report.internal += claim.internal
        report.suppressed += claim.suppressed
        report.postponed += claim.postponed
        report.failed += claim.abandoned
        for delivery in claim.deliveries:
            _deliver_one(session_factory, clock, settings, senders, delivery, token, draw, report)
        if claim.examined < settings.notify_batch_size:
            return report


def _deliver_one(
    session_factory: sessionmaker[Session],
    clock: Clock,
    settings: Settings,
    senders: Mapping[Channel, ChannelSender],
    delivery: Delivery,
    token: str,
    draw: random.Random,
    report: DeliveryReport,
) -> None:
    with unit_of_work(session_factory) as session:
        started = sender.start_attempt(session, message_id=delivery.id, token=token)
    if not started:
        report.lease_lost += 1
        log.warning("notification %s: lease lost before its attempt started", delivery.id)
        return
    error: DeliveryError | None = None
    channel = senders.get(delivery.channel)
    try:
        if channel is None:
            raise PermanentDeliveryError(f"no sender for channel {delivery.channel}", code="notifications.no_channel")
        channel.send(delivery)
    except DeliveryError as raised:
        error = raised
    except Exception as unexpected:  # a bug in an adapter must not stop the other messages
        log.exception("notification %s: unexpected error", delivery.id)
        error = PermanentDeliveryError(f"{type(unexpected).__name__}: {unexpected}", code="notifications.crashed")
    with unit_of_work(session_factory) as session:
        if error is None:
            owned = sender.record_sent(session, clock=clock, message_id=delivery.id, token=token)
            status: OutboxStatus | None = OutboxStatus.SENT if owned else None
        else:
            status = sender.record_failure(
                session,
                clock=clock,
                settings=settings,
                message_id=delivery.id,
                token=token,
                attempt=delivery.attempt,
                error=error,
                unit=draw.random(),
            )
    if status is None:
        report.lease_lost += 1
        log.warning("notification %s: lease lost before the outcome was recorded", delivery.id)
    elif status is OutboxStatus.SENT:
        report.sent += 1
    elif status is OutboxStatus.PENDING:
        report.retrying += 1
        log.info("notification %s: attempt %s failed, retrying: %s", delivery.id, delivery.attempt, error)
    else:
        report.failed += 1
        log.warning("notification %s: failed for good after %s attempts: %s", delivery.id, delivery.attempt, error)


def deliver_job(session_factory: sessionmaker[Session], clock: Clock, settings: Settings) -> dict[str, int]:
    """The worker's entry point."""
    return deliver_due(session_factory, clock, settings).as_dict()
