"""Background job: hot-issue topics and alerts."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from aftersales.analytics import hot_issues
from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import mark_read_only, unit_of_work

# A pass maps at most this many requests, a batch at a time, pausing between batches so that people's
# writes are never queued behind it (the demo's history is worked through over several passes).
PASS_LIMIT = 1_000
PAUSE_SECONDS = 0.2


def hot_issue_job(
    factory: sessionmaker[Session],
    clock: Clock,
    _settings: Settings,
    *,
    pause: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """One pass: assign topics to new requests in batches (each worked out in a read-only transaction and
    written in a short one), then alert on hot or surging topics."""
    assigned = batches = 0
    while assigned < PASS_LIMIT:
        session = factory()
        mark_read_only(session)
        try:
            work = hot_issues.plan_topics(session, limit=hot_issues.ASSIGN_BATCH)
        finally:
            session.rollback()
            session.close()
        if not work.assignments:
            break
        with unit_of_work(factory) as session:
            assigned += hot_issues.write_topics(session, clock=clock, work=work)
        batches += 1
        if len(work.assignments) < hot_issues.ASSIGN_BATCH:
            break
        pause(PAUSE_SECONDS)
    with unit_of_work(factory) as session:
        alerts = hot_issues.raise_alerts(session, clock=clock)
    return {"assigned": assigned, "batches": batches, "alerts": alerts}
