"""Running SLA clocks: holds and resumes, meeting, reopening and stopping targets, and the sweep's part
(claiming due targets, recording each warning and breach exactly once). Flushes, never commits; ``at`` and
``now`` come from the caller's clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.sla import rules
from aftersales.sla.enums import OutcomeKind, SlaState, TargetKind
from aftersales.sla.models import Target
from aftersales.sla.service.calendars import calendar_spec, flag_unknown_years
from aftersales.sla.service.targets import targets_of


@dataclass(frozen=True)
class Outcome:
    """A warning or breach the sweep found on a target."""

    ticket_id: int
    target: TargetKind
    kind: OutcomeKind
    at: datetime
    due_at: datetime


def _status(target: Target) -> rules.TargetStatus:
    return rules.TargetStatus(
        due_at=target.due_at,
        warn_at=target.warn_at,
        met_at=target.met_at,
        paused_since=target.paused_since,
        breached_at=target.breached_at,
    )


def state_at(target: Target, now: datetime) -> SlaState:
    """The target's state at ``now`` (the stored ``state`` is the sweep's, which may lag behind)."""
    return rules.target_state(_status(target), now)


def _refresh(target: Target, now: datetime) -> None:
    status = _status(target)
    target.state = rules.target_state(status, now)
    # A breach or warning already recorded is not re-checked; one not yet recorded keeps the target due.
    target.next_check_at = rules.next_check_at(status, warned=target.warned_at is not None)


def meet_target(session: Session, *, ticket_id: int, kind: TargetKind, at: datetime, now: datetime) -> Target | None:
    """Stop a running target at ``at`` (met in time, or late if past due)."""
    for target in targets_of(session, ticket_id):
        if target.kind == kind and target.met_at is None:
            if target.paused_since is not None:
                _unpause(session, target, at)
            target.met_at = at
            _refresh(target, now)
            return target
    return None


def pause_targets(session: Session, *, ticket_id: int, at: datetime, now: datetime) -> None:
    """Stop the running on-site and resolution clocks (hold)."""
    for target in targets_of(session, ticket_id):
        if target.kind != TargetKind.FIRST_RESPONSE and target.met_at is None and target.paused_since is None:
            target.paused_since = at
            _refresh(target, now)


def resume_targets(session: Session, *, ticket_id: int, at: datetime, now: datetime) -> None:
    """Restart paused clocks; the open time spent paused is added to their due times."""
    for target in targets_of(session, ticket_id):
        if target.paused_since is not None:
            _unpause(session, target, at)
            _refresh(target, now)


def restart_target(session: Session, *, ticket_id: int, kind: TargetKind, at: datetime, now: datetime) -> None:
    """Reopen a met target: the time between meeting it and ``at`` does not count against it."""
    for target in targets_of(session, ticket_id):
        if target.kind == kind and target.met_at is not None:
            target.paused_since = target.met_at
            target.met_at = None
            _unpause(session, target, at)
            _refresh(target, now)


def stop_all(session: Session, *, ticket_id: int, at: datetime, now: datetime) -> None:
    """Stop every running clock (cancellation): no further warnings or breaches."""
    for target in targets_of(session, ticket_id):
        if target.met_at is None:
            if target.paused_since is not None:
                _unpause(session, target, at)
            target.met_at = at
            _refresh(target, now)


def _unpause(session: Session, target: Target, at: datetime) -> None:
    assert target.paused_since is not None
    spec = calendar_spec(session, target.calendar_id)
    paused = rules.business_time_between(spec, target.paused_since, at)
    target.paused_seconds += int(paused.total_seconds())
    target.paused_since = None
    plan = rules.plan_target(
        target.kind,
        timedelta(seconds=target.duration_seconds),
        target.warning_ratio,
        spec,
        start=target.started_at,
        paused=timedelta(seconds=target.paused_seconds),
    )
    target.warn_at, target.due_at = plan.warn_at, plan.due_at
    if target.warned_at is not None and target.warned_at < target.warn_at:
        # The warning came before the hold moved the clock; warn again when the new time comes.
        target.warned_at = None
    flag_unknown_years(session, target.calendar_id, spec, at, target.due_at)


def evaluate_targets(targets: Iterable[Target], now: datetime) -> list[Outcome]:
    """Record warnings and breaches that have come due by ``now``; each is found exactly once."""
    outcomes: list[Outcome] = []
    for target in targets:
        if target.met_at is not None or target.paused_since is not None or target.breached_at is not None:
            _refresh(target, now)
            continue
        if now >= target.due_at:
            target.breached_at = target.due_at
            outcomes.append(
                Outcome(
                    target.ticket_id,
                    TargetKind(target.kind),
                    OutcomeKind.BREACHED,
                    target.due_at,
                    target.due_at,
                )
            )
        elif now >= target.warn_at and target.warned_at is None:
            target.warned_at = target.warn_at
            outcomes.append(
                Outcome(
                    target.ticket_id,
                    TargetKind(target.kind),
                    OutcomeKind.WARNING,
                    target.warn_at,
                    target.due_at,
                )
            )
        _refresh(target, now)
    return outcomes


def claim_due_targets(session: Session, *, now: datetime, limit: int) -> list[Target]:
    """Targets whose next check time has come, locked for this sweep (other workers skip them)."""
    query = (
        select(Target)
        .where(Target.next_check_at.isnot(None), Target.next_check_at <= now)
        .order_by(Target.next_check_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query).all())


def ticket_state(targets: Iterable[Target]) -> SlaState:
    """The ticket-level state from its targets' stored states."""
    return rules.combine_states(target.state for target in targets)
