"""Background job: decide the dispatch requests intake left behind, each in its own unit of work."""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import make_engine, make_session_factory, read_only, unit_of_work
from aftersales.core.errors import DomainError
from aftersales.core.write_gate import WriteTurn
from aftersales.dispatch.network import service as dispatch_service
from aftersales.dispatch.planning import decisions, emergencies, requests
from aftersales.tickets.models import Ticket

log = logging.getLogger("aftersales.dispatch")


@dataclass(frozen=True)
class DispatchReport:
    decided: int
    failed: int


# How long a routine decision waits, at most, for people's writes of this process to go first.
YIELD_SECONDS = 0.02
YIELD_STEP = 0.002


def dispatch_job(
    session_factory: sessionmaker[Session],
    clock: Clock,
    settings: Settings,
    *,
    people_waiting: Callable[[], bool] | None = None,
    pause: Callable[[float], None] = time.sleep,
) -> DispatchReport:
    """Claim pending requests in batches and decide them; a failing one is released to be retried.

    Urgent requests are decided one by one, each in its own write transaction, as soon as claimed. The
    routine ones of a batch are judged together in one read-only transaction (each judgement counting the
    jobs the earlier ones gave out) and written together in one write transaction, one savepoint each:
    on SQLite every write transaction takes the single write lock and a commit, which intake needs too.

    ``people_waiting`` (the serving process's writer is busy): the routine part of a batch first gives
    way for up to ``YIELD_SECONDS``, so that under a rush intake answers people before background
    decisions that no one waits on (a routine job's first target is hours away); urgent decisions never
    wait."""
    decided = failed = 0
    while True:
        with unit_of_work(session_factory) as session:
            batch = requests.claim(session, clock=clock)
        if not batch:
            return DispatchReport(decided=decided, failed=failed)
        for claimed in (claimed for claimed in batch if claimed.is_urgent):
            if _decide_one(session_factory, clock, claimed):
                decided += 1
            else:
                failed += 1
        routine = [claimed for claimed in batch if not claimed.is_urgent]
        if routine:
            waited = 0.0
            while people_waiting is not None and waited < YIELD_SECONDS and people_waiting():
                pause(YIELD_STEP)
                waited += YIELD_STEP
            done, given_back = _decide_together(session_factory, clock, routine)
            decided += done
            failed += given_back


def _decide_one(session_factory: sessionmaker[Session], clock: Clock, claimed: requests.ClaimedRequest) -> bool:
    """Judge, then write one decision in a write transaction of its own; False when it failed."""
    try:
        found = _judge(session_factory, clock, claimed.ticket_id)
        with unit_of_work(session_factory) as session:
            _write(session, clock, claimed, found)
        return True
    except Exception as error:
        log.exception("dispatch of ticket %s failed", claimed.ticket_id)
        with unit_of_work(session_factory) as session:
            requests.release(session, claimed=claimed, error=f"{type(error).__name__}: {error}")
        return False


def _decide_together(
    session_factory: sessionmaker[Session], clock: Clock, batch: list[requests.ClaimedRequest]
) -> tuple[int, int]:
    """Judge the batch, then write it in one transaction; a decision that fails is rolled back to its
    savepoint and its request released. Returns (decided, failed)."""
    decided = failed = 0
    try:
        judged = _judge_batch(session_factory, clock, [claimed.ticket_id for claimed in batch])
        with unit_of_work(session_factory) as session:
            for claimed in batch:
                try:
                    with session.begin_nested():
                        _write(session, clock, claimed, judged.get(claimed.ticket_id))
                    decided += 1
                except Exception as error:
                    log.exception("dispatch of ticket %s failed", claimed.ticket_id)
                    requests.release(session, claimed=claimed, error=f"{type(error).__name__}: {error}")
                    failed += 1
        return decided, failed
    except Exception as error:  # judging or the commit failed: nothing of the batch was written
        log.exception("dispatch of tickets %s failed", [claimed.ticket_id for claimed in batch])
        with unit_of_work(session_factory) as session:
            for claimed in batch:
                requests.release(session, claimed=claimed, error=f"{type(error).__name__}: {error}")
        return 0, len(batch)


Judgement = list[dispatch_service.Candidate] | emergencies.PlannedInsertion | None


def _write(session: Session, clock: Clock, claimed: requests.ClaimedRequest, found: Judgement) -> None:
    assigned = decisions.dispatch_at_intake(
        session,
        clock=clock,
        actor=SYSTEM_ACTOR,
        ticket_id=claimed.ticket_id,
        found=found if isinstance(found, list) else None,
        planned=found if isinstance(found, emergencies.PlannedInsertion) else None,
    )
    requests.complete(session, clock=clock, claimed=claimed, outcome=assigned or "")


def dispatcher_process(
    settings: Settings, clock: Clock, write_turn: WriteTurn | None = None
) -> Callable[[], DispatchReport]:
    """In the dispatcher's own process (``core.background.ProcessRunner``): its engine, the serving
    process's clock (a running demo clock is measured on the machine-wide monotonic clock, so it reads
    the same in both), and the job to run when woken. Decisions no longer take CPU from the serving
    process. On SQLite (``WriteTurn``) its writers let the child's write transactions go first, and
    routine decisions still give way while people's writes are in hand (urgent ones never do)."""
    logging.basicConfig(level=settings.log_level)
    if write_turn is not None:
        write_turn.release()  # a child that died mid-write left the flag up
    engine = make_engine(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=2,
        write_turn=write_turn,
        takes_turn=True,
    )
    people_waiting = (lambda: write_turn.people_are_busy) if write_turn is not None else None
    return functools.partial(dispatch_job, make_session_factory(engine), clock, settings, people_waiting=people_waiting)


def _judge(session_factory: sessionmaker[Session], clock: Clock, ticket_id: int) -> Judgement:
    """One ticket's judgement in a read-only transaction (see ``_judge_in``)."""
    return _judge_batch(session_factory, clock, [ticket_id]).get(ticket_id)


def _judge_batch(session_factory: sessionmaker[Session], clock: Clock, ticket_ids: list[int]) -> dict[int, Judgement]:
    """Judge each ticket in one read-only transaction, in order; a job an earlier judgement gives to a
    technician counts in that technician's load for the later ones, as it will once written."""
    pending: Counter[str] = Counter()
    judged: dict[int, Judgement] = {}
    with read_only(session_factory) as session:
        for ticket_id in ticket_ids:
            found = _judge_in(session, clock, ticket_id, pending)
            judged[ticket_id] = found
            if isinstance(found, list):
                best = next((candidate for candidate in found if candidate.eligible), None)
                if best is not None:
                    pending[best.username] += 1
    return judged


def _judge_in(session: Session, clock: Clock, ticket_id: int, pending: Counter[str]) -> Judgement:
    """Work out the decision without writing: the candidates of a job that goes to one technician, or
    where an urgent job goes in today's plan (the re-plan included). On SQLite the write lock is then held
    only to write the decision, not while the field network is read or a plan solved; the write checks
    that the plan is still the one the insertion was worked out on. None when the write transaction must
    judge by itself (the ticket is gone, or the judgement failed: it records why)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    try:
        if decisions.goes_into_a_plan(session, clock=clock, ticket=ticket):
            return emergencies.plan_insertion(session, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket_id)
        return dispatch_service.candidates(
            session, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket_id, pending=pending
        )
    except DomainError:
        return None
