"""Dispatch requests: intake writes one for a new field job in the ticket's own transaction; after the
commit, the server's dispatcher (or any worker) claims it under a lease and records the decision
through ``decisions.dispatch_at_intake`` in a unit of work of its own. A claim whose holder died is
taken again once its lease has run out; a request that keeps failing is given up after a few tries,
so the job stays in the dispatcher's queue with the reason."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from aftersales.core.clock import Clock
from aftersales.core.db import dialect_of
from aftersales.dispatch.planning.models import DispatchRequest

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ClaimedRequest:
    """One request this claimant may now decide."""

    id: int
    ticket_id: int
    token: str
    attempts: int
    is_urgent: bool = False


def request_dispatch(session: Session, *, clock: Clock, ticket_id: int, is_urgent: bool) -> DispatchRequest:
    """Ask for a dispatch decision once the current transaction commits (one request per ticket)."""
    request = DispatchRequest(ticket_id=ticket_id, requested_at=clock.now(), is_urgent=is_urgent, attempts=0)
    session.add(request)
    return request


def claim(session: Session, *, clock: Clock, limit: int = 8) -> list[ClaimedRequest]:
    """Claim up to ``limit`` pending requests, urgent ones first, then oldest first, under a lease (SKIP
    LOCKED on PostgreSQL). Small batches: an urgent job that arrives meanwhile waits for one batch at most."""
    now = clock.now()
    query = (
        select(DispatchRequest)
        .where(
            DispatchRequest.done_at.is_(None),
            or_(DispatchRequest.claimed_until.is_(None), DispatchRequest.claimed_until < now),
        )
        .order_by(DispatchRequest.is_urgent.desc(), DispatchRequest.requested_at, DispatchRequest.id)
        .limit(limit)
    )
    if dialect_of(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[ClaimedRequest] = []
    for request in session.scalars(query).all():
        if request.attempts >= MAX_ATTEMPTS:
            request.done_at = now
            request.outcome = (request.outcome or "")[:450] + "（多次尝试失败，已放弃自动派单）"
            continue
        request.claim_token = secrets.token_hex(16)
        request.claimed_until = now + LEASE
        request.attempts += 1
        claimed.append(
            ClaimedRequest(request.id, request.ticket_id, request.claim_token, request.attempts, request.is_urgent)
        )
    session.flush()
    return claimed


def complete(session: Session, *, clock: Clock, claimed: ClaimedRequest, outcome: str) -> bool:
    """Mark the request decided; False when the claim was lost (lease expired and taken by another)."""
    result = session.execute(
        update(DispatchRequest)
        .where(DispatchRequest.id == claimed.id, DispatchRequest.claim_token == claimed.token)
        .values(done_at=clock.now(), outcome=outcome[:500], claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release(session: Session, *, claimed: ClaimedRequest, error: str) -> None:
    """Give a failed claim back at once (it is tried again, up to ``MAX_ATTEMPTS``)."""
    session.execute(
        update(DispatchRequest)
        .where(DispatchRequest.id == claimed.id, DispatchRequest.claim_token == claimed.token)
        .values(claimed_until=None, claim_token=None, outcome=error[:500])
        .execution_options(synchronize_session=False)
    )


def pending_count(session: Session) -> int:
    """Requests not yet decided (for the benchmark and health views)."""
    return len(session.scalars(select(DispatchRequest.id).where(DispatchRequest.done_at.is_(None))).all())
