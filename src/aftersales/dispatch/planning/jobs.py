"""Background job: decide the dispatch requests intake left behind, each in its own unit of work."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import unit_of_work
from aftersales.dispatch.planning import emergencies, requests

log = logging.getLogger("aftersales.dispatch")


@dataclass(frozen=True)
class DispatchReport:
    decided: int
    failed: int


def dispatch_job(session_factory: sessionmaker[Session], clock: Clock, settings: Settings) -> DispatchReport:
    """Claim pending requests in batches and decide each; a failing one is released to be retried."""
    decided = failed = 0
    while True:
        with unit_of_work(session_factory) as session:
            batch = requests.claim(session, clock=clock)
        if not batch:
            return DispatchReport(decided=decided, failed=failed)
        for claimed in batch:
            try:
                with unit_of_work(session_factory) as session:
                    assigned = emergencies.dispatch_at_intake(
                        session, clock=clock, actor=SYSTEM_ACTOR, ticket_id=claimed.ticket_id
                    )
                    requests.complete(session, clock=clock, claimed=claimed, outcome=assigned or "")
                decided += 1
            except Exception as error:
                log.exception("dispatch of ticket %s failed", claimed.ticket_id)
                with unit_of_work(session_factory) as session:
                    requests.release(session, claimed=claimed, error=f"{type(error).__name__}: {error}")
                failed += 1
