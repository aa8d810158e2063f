"""Background job: map new requests to topics and raise hot-issue alerts."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from aftersales.analytics import hot_issues
from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import unit_of_work


def hot_issue_job(factory: sessionmaker[Session], clock: Clock, _settings: Settings) -> dict[str, int]:
    """One pass: assign topics to up to 500 new requests, then alert on hot or surging topics."""
    with unit_of_work(factory) as session:
        assigned = hot_issues.assign_topics(session, clock=clock)
    with unit_of_work(factory) as session:
        alerts = hot_issues.raise_alerts(session, clock=clock)
    return {"assigned": assigned, "alerts": alerts}
