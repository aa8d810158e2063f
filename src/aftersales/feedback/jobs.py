"""Background jobs of the feedback loop: schedule return visits for new results, alert on promises."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from aftersales.config import Settings, secret_bytes
from aftersales.core.clock import Clock
from aftersales.core.db import unit_of_work
from aftersales.feedback import promises, visits


def feedback_job(session_factory: sessionmaker[Session], clock: Clock, settings: Settings) -> dict[str, int]:
    """One pass: visits for results without one (with their invitation), alerts for due promises."""
    scheduled = 0
    with unit_of_work(session_factory) as session:
        if visits.has_results_awaiting_a_visit(session):
            scheduled = visits.schedule_due(
                session, clock=clock, key=secret_bytes(settings), base_url=settings.public_base_url
            )
    with unit_of_work(session_factory) as session:
        alerted = promises.alert_due(session, clock=clock)
    return {"visits_scheduled": scheduled, "promise_alerts": alerted}
