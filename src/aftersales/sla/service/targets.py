"""SLA targets of a ticket: the policy of its priority, planning its targets on the policy's calendar,
storing them (one prepared insert on the intake path) and re-planning them after a kind or priority change.
Flushes, never commits; times come from the caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.core.db import core_connection
from aftersales.core.i18n import N_
from aftersales.sla import rules
from aftersales.sla.enums import SlaState
from aftersales.sla.errors import PolicyNotFoundError
from aftersales.sla.models import Policy, Target
from aftersales.sla.service.calendars import calendar_spec, flag_years
from aftersales.sla.service.statements import statements

NO_POLICY = N_("优先级 %(priority)s 没有 SLA 策略")


def get_policy(session: Session, priority: str) -> Policy:
    """The SLA policy of a priority."""
    policy = session.scalar(select(Policy).where(Policy.priority == priority))
    if policy is None:
        raise PolicyNotFoundError(NO_POLICY, {"priority": priority}, fields={"priority": priority})
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
    row = statements()["policy"].first(core_connection(session), {"priority": priority})
    if row is None:
        raise PolicyNotFoundError(NO_POLICY, {"priority": priority}, fields={"priority": priority})
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
        flag_years(session, planned.calendar_id, planned.unknown_years)
    if not chosen:
        return []
    statements()["targets"].execute(
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
