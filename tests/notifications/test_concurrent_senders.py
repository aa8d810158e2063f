"""Two senders at once on PostgreSQL: FOR UPDATE SKIP LOCKED gives each its own rows (SQLite has a
single writer at a time, so there the second sender simply waits for the first)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.notifications import sender
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.models import OutboxMessage


def test_concurrent_claims_never_share_a_row(committed_engine: Engine, clock: FrozenClock, settings: Settings) -> None:
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    factory = make_session_factory(committed_engine)
    with unit_of_work(factory) as session:
        for number in range(3):
            notifications_service.enqueue(
                session,
                clock=clock,
                kind="visit_invitation",
                dedupe_key=f"visit_invitation:{number}",
                context={
                    "ticket_number": f"SH20261122-00000{number}",
                    "survey_url": f"https://svc.example.cn/survey/{number}",
                    "valid_days": 7,
                },
                channel=Channel.EMAIL,
                recipient_address=f"c{number}@example.cn",
            )
    small = settings.model_copy(update={"notify_batch_size": 2})
    first: Session = factory()
    try:
        claim_a = sender.claim_due(first, clock=clock, settings=small, token="a")  # rows locked, not committed
        with unit_of_work(factory) as second:
            claim_b = sender.claim_due(second, clock=clock, settings=small, token="b")
        keys_a = {d.dedupe_key for d in claim_a.deliveries}
        keys_b = {d.dedupe_key for d in claim_b.deliveries}
        assert len(keys_a) == 2
        assert len(keys_b) == 1
        assert keys_a.isdisjoint(keys_b)
    finally:
        first.rollback()
        first.close()
    with unit_of_work(factory) as session:
        statuses = {
            key: status for key, status in session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.status))
        }
    assert sorted(statuses.values()) == [OutboxStatus.PENDING, OutboxStatus.PENDING, OutboxStatus.SENDING]
