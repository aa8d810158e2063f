"""Background job: decide the dispatch requests intake left behind, each in its own unit of work."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import mark_read_only, unit_of_work
from aftersales.core.errors import DomainError
from aftersales.dispatch.network import service as dispatch_service
from aftersales.dispatch.planning import emergencies, requests
from aftersales.tickets.models import Ticket

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
                found = _judge(session_factory, clock, claimed.ticket_id)
                with unit_of_work(session_factory) as session:
                    assigned = emergencies.dispatch_at_intake(
                        session, clock=clock, actor=SYSTEM_ACTOR, ticket_id=claimed.ticket_id, found=found
                    )
                    requests.complete(session, clock=clock, claimed=claimed, outcome=assigned or "")
                decided += 1
            except Exception as error:
                log.exception("dispatch of ticket %s failed", claimed.ticket_id)
                with unit_of_work(session_factory) as session:
                    requests.release(session, claimed=claimed, error=f"{type(error).__name__}: {error}")
                failed += 1


def _judge(
    session_factory: sessionmaker[Session], clock: Clock, ticket_id: int
) -> list[dispatch_service.Candidate] | None:
    """Judge the candidates of a job that goes to one technician, in a read-only transaction: on SQLite
    the write lock is then held only for the assignment, not for reading the whole field network.
    None when the job needs the write transaction's own judgement (emergency insertion, or gone)."""
    session = session_factory()
    mark_read_only(session)
    try:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or emergencies.goes_into_a_plan(session, clock=clock, ticket=ticket):
            return None
        try:
            return dispatch_service.candidates(session, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket_id)
        except DomainError:
            return None  # the write transaction records why
    finally:
        session.rollback()
        session.close()
