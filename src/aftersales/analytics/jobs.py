"""Background jobs: hot-issue topics and alerts; the dashboard's daily rollups."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from aftersales.analytics import hot_issues, rollups
from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import read_only, unit_of_work
from aftersales.core.timeutil import to_local

# A pass maps at most this many requests, a batch at a time, pausing between batches so that people's
# writes are never queued behind it (the demo's history is worked through over several passes).
PASS_LIMIT = 1_000
PAUSE_SECONDS = 0.2
# A rollup pass does at most this many dates (each read in a read-only transaction of its own and written
# in a short one): the 1,100 dates of a three-year history are rolled up over a dozen passes, newest first.
ROLLUP_DAYS_PER_PASS = 90


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
        with read_only(factory) as session:
            work = hot_issues.plan_topics(session, limit=hot_issues.ASSIGN_BATCH)
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


def rollup_job(
    factory: sessionmaker[Session],
    clock: Clock,
    _settings: Settings,
    *,
    pause: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """One pass: roll up again the dates whose tickets changed or whose SLA figures expired, then dates
    not rolled up yet, newest first, up to ``ROLLUP_DAYS_PER_PASS``; the watermark moves only when every
    changed date was redone."""
    started = clock.now()
    today = to_local(started).date()
    with read_only(factory) as session:
        since = rollups.watermark(session)
        redo = rollups.days_to_redo(session, since=since, today=today, now=started)
        missing = rollups.days_not_rolled_up(session, today=today, limit=ROLLUP_DAYS_PER_PASS)
    chosen = (redo + missing)[:ROLLUP_DAYS_PER_PASS]
    for index, day in enumerate(chosen):
        computed_at = clock.now()
        with read_only(factory) as session:
            figures = rollups.compute_day(session, day=day, now=computed_at)
        with unit_of_work(factory) as session:
            rollups.write_day(session, figures=figures, computed_at=computed_at)
        if index + 1 < len(chosen):
            pause(PAUSE_SECONDS)
    if len(redo) <= ROLLUP_DAYS_PER_PASS:
        with unit_of_work(factory) as session:
            rollups.move_watermark(session, at=started)
    return {"redone": min(len(redo), len(chosen)), "rolled_up": len(chosen) - min(len(redo), len(chosen))}
