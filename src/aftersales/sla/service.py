"""SLA use cases: calendars and policies as data, starting, pausing and meeting targets, and finding
what is due. Flushes, never commits; takes ``now`` from the caller's clock."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from aftersales.core.db import core_connection, table_of
from aftersales.core.prepared import Prepared
from aftersales.sla import rules
from aftersales.sla.enums import CalendarKind, OutcomeKind, SlaState, TargetKind
from aftersales.sla.errors import CalendarNotFoundError, InvalidCalendarError, PolicyNotFoundError
from aftersales.sla.models import Calendar, CalendarDay, Policy, Target

_cache_lock = threading.Lock()
_spec_cache: dict[tuple[int, int], rules.CalendarSpec] = {}


@dataclass(frozen=True)
class Outcome:
    """A warning or breach the sweep found on a target."""

    ticket_id: int
    target: TargetKind
    kind: OutcomeKind
    at: datetime
    due_at: datetime


@lru_cache(maxsize=1)
def _statements() -> dict[str, Any]:
    """Statements of the intake path, built once (building one costs more than running it)."""
    policies, calendars, targets = table_of(Policy), table_of(Calendar), table_of(Target)
    return {
        "policy": Prepared(
            select(
                policies.c.first_response_minutes,
                policies.c.onsite_minutes,
                policies.c.resolution_minutes,
                policies.c.onsite_kinds,
                policies.c.warning_ratio,
                policies.c.calendar_id,
            ).where(policies.c.priority == bindparam("priority"))
        ),
        "revision": Prepared(select(calendars.c.revision).where(calendars.c.id == bindparam("calendar_id"))),
        "targets": Prepared(insert(targets), keys=_TARGET_KEYS),
    }


_TARGET_KEYS = (
    "ticket_id",
    "kind",
    "calendar_id",
    "started_at",
    "duration_seconds",
    "warning_ratio",
    "paused_seconds",
    "warn_at",
    "due_at",
    "state",
    "next_check_at",
)


# --- calendars and policies -------------------------------------------------------------------------


def calendar_spec(session: Session, calendar_id: int) -> rules.CalendarSpec:
    """The pure spec of a stored calendar (cached per calendar revision)."""
    revision = _statements()["revision"].scalar(core_connection(session), {"calendar_id": calendar_id})
    if revision is None:
        raise CalendarNotFoundError(f"日历 {calendar_id} 不存在")
    key = (calendar_id, revision)
    with _cache_lock:
        cached = _spec_cache.get(key)
    if cached is not None:
        return cached
    calendar = session.get(Calendar, calendar_id)
    assert calendar is not None
    spec = build_spec(calendar, session.scalars(select(CalendarDay).where(CalendarDay.calendar_id == calendar.id)))
    with _cache_lock:
        _spec_cache[key] = spec
    return spec


def build_spec(calendar: Calendar, days: Iterable[CalendarDay]) -> rules.CalendarSpec:
    """Turn the stored rows into a CalendarSpec."""
    if calendar.kind == CalendarKind.ALWAYS:
        return rules.always_open(calendar.timezone)
    weekly = {
        int(weekday): tuple(rules.parse_interval(text) for text in intervals)
        for weekday, intervals in (calendar.weekly_hours or {}).items()
    }
    overrides = {day.day: tuple(rules.parse_interval(text) for text in day.hours) for day in days}
    known = frozenset(calendar.known_years or ()) if calendar.kind == CalendarKind.STATUTORY else None
    return rules.CalendarSpec(timezone=calendar.timezone, weekly=weekly, overrides=overrides, known_years=known)


def get_calendar(session: Session, code: str) -> Calendar:
    """Look a calendar up by code."""
    calendar = session.scalar(select(Calendar).where(Calendar.code == code))
    if calendar is None:
        raise CalendarNotFoundError(f"日历 {code} 不存在", fields={"calendar": code})
    return calendar


def set_calendar_day(session: Session, *, code: str, day: date, hours: Sequence[str], note: str | None) -> CalendarDay:
    """Enter or replace one holiday (no hours) or make-up workday; clears the year's flag once entered."""
    calendar = get_calendar(session, code)
    try:
        parsed = [rules.parse_interval(text) for text in hours]
    except ValueError as error:
        raise InvalidCalendarError(str(error), fields={"hours": str(error)}) from error
    row = session.scalar(select(CalendarDay).where(CalendarDay.calendar_id == calendar.id, CalendarDay.day == day))
    if row is None:
        row = CalendarDay(calendar_id=calendar.id, day=day)
        session.add(row)
    row.hours = [rules.format_interval(interval) for interval in parsed]
    row.note = note
    calendar.revision += 1
    session.flush()
    return row


def mark_year_known(session: Session, *, code: str, year: int) -> Calendar:
    """Declare that a statutory calendar's holidays for ``year`` have been entered."""
    calendar = get_calendar(session, code)
    calendar.known_years = sorted({*(calendar.known_years or []), year})
    calendar.flagged_years = [y for y in (calendar.flagged_years or []) if y != year]
    calendar.revision += 1
    session.flush()
    return calendar


def get_policy(session: Session, priority: str) -> Policy:
    """The SLA policy of a priority."""
    policy = session.scalar(select(Policy).where(Policy.priority == priority))
    if policy is None:
        raise PolicyNotFoundError(f"优先级 {priority} 没有 SLA 策略", fields={"priority": priority})
    return policy


def policy_spec(policy: Policy) -> rules.PolicySpec:
    """The pure spec of a stored policy."""
    return rules.PolicySpec(
        first_response=timedelta(minutes=policy.first_response_minutes),
        onsite=timedelta(minutes=policy.onsite_minutes) if policy.onsite_minutes is not None else None,
        resolution=timedelta(minutes=policy.resolution_minutes),
        onsite_kinds=frozenset(policy.onsite_kinds or ()),
        warning_ratio=policy.warning_ratio,
    )


def list_policies(session: Session) -> list[Policy]:
    """All policies."""
    return list(session.scalars(select(Policy).order_by(Policy.id)).all())


def _flag_unknown_years(
    session: Session, calendar_id: int, spec: rules.CalendarSpec, start: datetime, end: datetime
) -> None:
    unknown = rules.unknown_years_between(spec, start, end)
    if unknown:
        _flag_years(session, calendar_id, unknown)


def _flag_years(session: Session, calendar_id: int, unknown: Iterable[int]) -> None:
    unknown = set(unknown)
    calendar = session.get(Calendar, calendar_id)
    if calendar is not None and not unknown.issubset(calendar.flagged_years or []):
        # The revision is left alone: the spec itself did not change.
        calendar.flagged_years = sorted({*(calendar.flagged_years or []), *unknown})


# --- targets ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedTargets:
    """A ticket's targets planned under its policy, before they are stored."""

    calendar_id: int
    warning_ratio: float
    start: datetime
    plans: list[rules.TargetPlan]
    # Years the plan crossed that a statutory calendar has no holidays for (flagged when stored).
    unknown_years: frozenset[int] = frozenset()


@dataclass(frozen=True)
class TargetRow:
    """A stored target as the API shows it (same attribute names as the model)."""

    kind: str
    state: SlaState
    due_at: datetime
    warn_at: datetime
    met_at: datetime | None = None
    breached_at: datetime | None = None
    paused_since: datetime | None = None


def plan_for_ticket(session: Session, *, priority: str, ticket_kind: str, start: datetime) -> PlannedTargets:
    """Plan a ticket's targets under the policy of its priority, counted from ``start``."""
    row = _statements()["policy"].first(core_connection(session), {"priority": priority})
    if row is None:
        raise PolicyNotFoundError(f"优先级 {priority} 没有 SLA 策略", fields={"priority": priority})
    spec = calendar_spec(session, row.calendar_id)
    policy = rules.PolicySpec(
        first_response=timedelta(minutes=row.first_response_minutes),
        onsite=timedelta(minutes=row.onsite_minutes) if row.onsite_minutes is not None else None,
        resolution=timedelta(minutes=row.resolution_minutes),
        onsite_kinds=frozenset(row.onsite_kinds or ()),
        warning_ratio=row.warning_ratio,
    )
    plans = rules.plan_targets(policy, spec, start=start, ticket_kind=ticket_kind)
    unknown = rules.unknown_years_between(spec, start, max(plan.due_at for plan in plans))
    return PlannedTargets(
        calendar_id=row.calendar_id,
        warning_ratio=row.warning_ratio,
        start=start,
        plans=plans,
        unknown_years=frozenset(unknown),
    )


def insert_targets(
    session: Session, *, ticket_id: int, planned: PlannedTargets, kinds: set[str] | None = None
) -> list[TargetRow]:
    """Store planned targets (optionally only some kinds) in one statement; they start on track."""
    chosen = [plan for plan in planned.plans if kinds is None or plan.kind.value in kinds]
    if planned.unknown_years:
        _flag_years(session, planned.calendar_id, planned.unknown_years)
    if not chosen:
        return []
    _statements()["targets"].execute(
        core_connection(session),
        [
            {
                "ticket_id": ticket_id,
                "kind": plan.kind.value,
                "calendar_id": planned.calendar_id,
                "started_at": planned.start,
                "duration_seconds": int(plan.duration.total_seconds()),
                "warning_ratio": planned.warning_ratio,
                "paused_seconds": 0,
                "warn_at": plan.warn_at,
                "due_at": plan.due_at,
                "state": SlaState.ON_TRACK.value,
                "next_check_at": plan.warn_at,
            }
            for plan in chosen
        ],
    )
    return [TargetRow(plan.kind.value, SlaState.ON_TRACK, plan.due_at, plan.warn_at) for plan in chosen]


def replan_targets(session: Session, *, ticket_id: int, priority: str, ticket_kind: str, start: datetime) -> None:
    """After a kind or priority change: targets not yet met or breached follow the new policy."""
    kept = set()
    for target in targets_of(session, ticket_id):
        if target.met_at is None and target.breached_at is None and target.paused_since is None:
            session.delete(target)
        else:
            kept.add(target.kind)
    session.flush()
    planned = plan_for_ticket(session, priority=priority, ticket_kind=ticket_kind, start=start)
    insert_targets(
        session, ticket_id=ticket_id, planned=planned, kinds={plan.kind.value for plan in planned.plans} - kept
    )


def targets_of(session: Session, ticket_id: int) -> list[Target]:
    """A ticket's targets in a stable order."""
    return list(session.scalars(select(Target).where(Target.ticket_id == ticket_id).order_by(Target.id)).all())


def _status(target: Target) -> rules.TargetStatus:
    return rules.TargetStatus(
        due_at=target.due_at,
        warn_at=target.warn_at,
        met_at=target.met_at,
        paused_since=target.paused_since,
        breached_at=target.breached_at,
    )


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
    _flag_unknown_years(session, target.calendar_id, spec, at, target.due_at)


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
