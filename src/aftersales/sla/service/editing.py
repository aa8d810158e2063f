"""What an administrator changes in SLA settings, each change in the audit trail with what it replaced:
the targets of a priority's policy, a calendar's weekly hours, its holidays and make-up workdays, and the
years whose holidays have been entered.

A policy change applies to tickets registered from then on: a ticket's targets are stored with their own
durations and due times when it is registered, so open tickets keep what they were given. A form carries
the state it was drawn from (a policy's fingerprint, a calendar's revision); a save over someone else's
newer change is refused, never silently overwritten. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_, Message
from aftersales.sla.enums import CalendarKind
from aftersales.sla.errors import CalendarNotFoundError, InvalidCalendarError, InvalidPolicyError, PolicyChangedError
from aftersales.sla.models import Calendar, CalendarDay, Policy
from aftersales.sla.service.calendars import (
    get_calendar,
    mark_year_known,
    remove_calendar_day,
    set_calendar_day,
    set_weekly_hours,
)
from aftersales.sla.service.targets import get_policy

# The ticket kinds that may get an on-site arrival target (the ones a technician travels for).
ONSITE_KINDS = ("installation", "repair")
MAX_MINUTES = 90 * 24 * 60  # no target is longer than 90 days
WARNING_PERCENT = (10, 99)
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class PolicyChange:
    """A policy's new targets, in minutes of its calendar's open time."""

    calendar_code: str
    first_response_minutes: int
    onsite_minutes: int | None
    resolution_minutes: int
    onsite_kinds: tuple[str, ...] = ONSITE_KINDS
    warning_percent: int = 80


def policy_values(policy: Policy) -> dict[str, Any]:
    """A policy as the audit trail records it (and as its fingerprint is built)."""
    return {
        "priority": policy.priority,
        "calendar": policy.calendar.code,
        "first_response_minutes": policy.first_response_minutes,
        "onsite_minutes": policy.onsite_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "onsite_kinds": sorted(policy.onsite_kinds or []),
        "warning_ratio": policy.warning_ratio,
    }


def policy_fingerprint(policy: Policy) -> str:
    """The policy's current state in one string: a form sends it back to show what it was drawn from."""
    values = policy_values(policy)
    return "|".join(
        str(values[key]) if not isinstance(values[key], list) else ",".join(values[key]) for key in sorted(values)
    )


def _duration_problem(minutes: int | None) -> str | None:
    if minutes is None:  # only the on-site target may be left out
        return None
    if minutes <= 0:
        return N_("时限必须大于 0")
    if minutes > MAX_MINUTES:
        return N_("时限不能超过 90 天")
    return None


def _policy_problems(change: PolicyChange, calendar: Calendar | None) -> dict[str, object]:
    problems: dict[str, object] = {}
    if calendar is None:
        problems["calendar"] = N_("请选择有效的日历")
    for field, minutes in (
        ("first_response", change.first_response_minutes),
        ("onsite", change.onsite_minutes),
        ("resolution", change.resolution_minutes),
    ):
        problem = _duration_problem(minutes)
        if problem:
            problems[field] = problem
    durations_valid = not problems.keys() & {"first_response", "onsite", "resolution"}
    if durations_valid and change.resolution_minutes < change.first_response_minutes:
        problems["resolution"] = N_("解决时限不能短于首次联系时限")
    elif durations_valid and change.onsite_minutes is not None and change.onsite_minutes > change.resolution_minutes:
        problems["onsite"] = N_("上门时限不能长于解决时限")
    unknown = set(change.onsite_kinds) - set(ONSITE_KINDS)
    if unknown:
        problems["onsite_kinds"] = N_("请选择有效的工单类型")
    elif change.onsite_minutes is not None and not change.onsite_kinds:
        problems["onsite_kinds"] = N_("设了上门时限，请选择适用的工单类型")
    low, high = WARNING_PERCENT
    if not low <= change.warning_percent <= high:
        problems["warning_percent"] = Message(
            N_("预警比例应在 %(low)s%% 到 %(high)s%% 之间"), {"low": low, "high": high}
        )
    return problems


def change_policy(
    session: Session, *, clock: Clock, actor: Actor, priority: str, change: PolicyChange, expected: str | None
) -> Policy:
    """Give a priority new targets (for tickets registered from now on); every problem is named by its field.

    ``expected``: the fingerprint the form was drawn from; when the policy changed since, nothing is saved."""
    policy = get_policy(session, priority)
    if expected is not None and expected != policy_fingerprint(policy):
        raise PolicyChangedError(N_("该策略已被他人修改，请查看最新内容后再保存"))
    try:
        calendar: Calendar | None = get_calendar(session, change.calendar_code)
    except CalendarNotFoundError:
        calendar = None
    problems = _policy_problems(change, calendar)
    if problems or calendar is None:
        raise InvalidPolicyError(N_("SLA 策略有误，请按提示修改"), fields=problems)
    before = policy_values(policy)
    policy.calendar = calendar
    policy.first_response_minutes = change.first_response_minutes
    policy.onsite_minutes = change.onsite_minutes
    policy.resolution_minutes = change.resolution_minutes
    policy.onsite_kinds = sorted(change.onsite_kinds)
    policy.warning_ratio = change.warning_percent / 100
    session.flush()
    after = policy_values(policy)
    if after != before:
        accounts_service.record_audit(
            session,
            clock=clock,
            actor=actor,
            action="sla_policy.changed",
            entity_type="sla_policy",
            entity_id=policy.id,
            before=before,
            after=after,
            note="applies to tickets registered from now on; open tickets keep their targets",
        )
    return policy


def _day_row(session: Session, calendar: Calendar, day: date) -> CalendarDay | None:
    return session.scalar(select(CalendarDay).where(CalendarDay.calendar_id == calendar.id, CalendarDay.day == day))


def _day_values(row: CalendarDay | None) -> dict[str, Any] | None:
    return None if row is None else {"day": row.day.isoformat(), "hours": list(row.hours), "note": row.note}


def _audit_calendar(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    calendar: Calendar,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action=action,
        entity_type="sla_calendar",
        entity_id=calendar.id,
        before=before,
        after=after,
    )


def change_weekly_hours(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    code: str,
    weekly: Mapping[int, Sequence[str]],
    expected_revision: int | None,
) -> Calendar:
    """Replace a calendar's hours per weekday; refused when the calendar changed since the form was drawn."""
    calendar = get_calendar(session, code)
    if expected_revision is not None and expected_revision != calendar.revision:
        raise PolicyChangedError(N_("该日历已被他人修改，请查看最新内容后再保存"))
    before = {"weekly_hours": dict(calendar.weekly_hours or {})}
    set_weekly_hours(session, code=code, weekly=weekly)
    after = {"weekly_hours": dict(calendar.weekly_hours or {})}
    _audit_calendar(
        session,
        clock=clock,
        actor=actor,
        calendar=calendar,
        action="sla_calendar.hours_set",
        before=before,
        after=after,
    )
    return calendar


def enter_day(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    code: str,
    day: date,
    hours: Sequence[str],
    note: str | None,
) -> CalendarDay:
    """Enter (or replace) a holiday (no hours) or a make-up workday (调休, with hours) on a calendar."""
    calendar = get_calendar(session, code)
    if calendar.kind == CalendarKind.ALWAYS:
        problem = N_("7×24 日历全天开放，无需登记节假日")
        raise InvalidCalendarError(problem, fields={"day": problem})
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        problem = Message(N_("日期应在 %(first)s 年到 %(last)s 年之间"), {"first": FIRST_YEAR, "last": LAST_YEAR})
        raise InvalidCalendarError(problem, fields={"day": problem})
    before = _day_values(_day_row(session, calendar, day))
    row = set_calendar_day(session, code=code, day=day, hours=hours, note=note)
    _audit_calendar(
        session,
        clock=clock,
        actor=actor,
        calendar=calendar,
        action="sla_calendar.day_set",
        before=before,
        after=_day_values(row),
    )
    return row


def remove_day(session: Session, *, clock: Clock, actor: Actor, code: str, day: date) -> None:
    """Take a holiday or make-up workday off a calendar."""
    calendar = get_calendar(session, code)
    before = _day_values(_day_row(session, calendar, day))
    remove_calendar_day(session, code=code, day=day)
    _audit_calendar(
        session,
        clock=clock,
        actor=actor,
        calendar=calendar,
        action="sla_calendar.day_removed",
        before=before,
        after=None,
    )


def enter_year(session: Session, *, clock: Clock, actor: Actor, code: str, year: int) -> Calendar:
    """Declare a statutory calendar's holidays for ``year`` entered: its flag is cleared."""
    calendar = get_calendar(session, code)
    if calendar.kind != CalendarKind.STATUTORY:
        problem = N_("只有法定工作日日历按年份录入节假日")
        raise InvalidCalendarError(problem, fields={"year": problem})
    if not FIRST_YEAR <= year <= LAST_YEAR:
        problem = Message(N_("年份应在 %(first)s 到 %(last)s 之间"), {"first": FIRST_YEAR, "last": LAST_YEAR})
        raise InvalidCalendarError(problem, fields={"year": problem})
    before = {"known_years": list(calendar.known_years or []), "flagged_years": list(calendar.flagged_years or [])}
    mark_year_known(session, code=code, year=year)
    after = {"known_years": list(calendar.known_years or []), "flagged_years": list(calendar.flagged_years or [])}
    _audit_calendar(
        session,
        clock=clock,
        actor=actor,
        calendar=calendar,
        action="sla_calendar.year_entered",
        before=before,
        after=after,
    )
    return calendar
