"""An administrator's SLA edits (``sla.service.editing``) on a real session: a policy change applies to
tickets registered afterwards while open tickets keep their targets, every bad value is named by its field
and changes nothing, a stale form is refused, and every change is one audit entry with what it replaced.
The clock is frozen at Sunday 2026-11-22 10:00 (Asia/Shanghai)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.sla import service as sla_service
from aftersales.sla.enums import TargetKind
from aftersales.sla.errors import (
    CalendarDayNotFoundError,
    InvalidCalendarError,
    InvalidPolicyError,
    PolicyChangedError,
)
from aftersales.sla.models import CalendarDay
from aftersales.tickets.enums import Priority
from tests import factories

URGENT = sla_service.PolicyChange(
    calendar_code="7x24", first_response_minutes=30, onsite_minutes=120, resolution_minutes=24 * 60
)


def _audit(db: Session) -> list[tuple[str, str, object, object]]:
    return [
        (entry.action, entry.entity_type, entry.before, entry.after)
        for entry in db.scalars(select(AuditEntry).where(AuditEntry.entity_type.like("sla_%")).order_by(AuditEntry.id))
    ]


def _first_response_due(db: Session, ticket_id: int) -> object:
    return next(t.due_at for t in sla_service.targets_of(db, ticket_id) if t.kind == TargetKind.FIRST_RESPONSE)


def test_a_policy_change_applies_to_new_tickets_and_open_ones_keep_their_targets(
    db: Session, clock: FrozenClock
) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN, username="sla_admin")
    before = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    policy = sla_service.get_policy(db, "urgent")
    fingerprint = sla_service.policy_fingerprint(policy)
    clock.advance(timedelta(minutes=5))
    sla_service.change_policy(
        db,
        clock=clock,
        actor=admin.actor,
        priority="urgent",
        change=replace(URGENT, first_response_minutes=20),
        expected=fingerprint,
    )
    after = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    assert _first_response_due(db, before.id) == factories.local(2026, 11, 22, 10, 30)
    assert _first_response_due(db, after.id) == factories.local(2026, 11, 22, 10, 25)
    assert _audit(db) == [
        (
            "sla_policy.changed",
            "sla_policy",
            {
                "priority": "urgent", "calendar": "7x24", "first_response_minutes": 30, "onsite_minutes": 120,
                "resolution_minutes": 1440, "onsite_kinds": ["installation", "repair"], "warning_ratio": 0.8,
            },
            {
                "priority": "urgent", "calendar": "7x24", "first_response_minutes": 20, "onsite_minutes": 120,
                "resolution_minutes": 1440, "onsite_kinds": ["installation", "repair"], "warning_ratio": 0.8,
            },
        )
    ]  # fmt: skip


def test_a_policy_moves_to_another_calendar_and_warning_ratio(db: Session, clock: FrozenClock) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN)
    change = sla_service.PolicyChange(
        calendar_code="statutory",
        first_response_minutes=8 * 60,
        onsite_minutes=None,
        resolution_minutes=3 * 24 * 60,
        onsite_kinds=(),
        warning_percent=75,
    )
    policy = sla_service.change_policy(
        db, clock=clock, actor=admin.actor, priority="complex", change=change, expected=None
    )
    assert (policy.calendar.code, policy.first_response_minutes, policy.onsite_minutes) == ("statutory", 480, None)
    assert (policy.resolution_minutes, policy.onsite_kinds, policy.warning_ratio) == (4320, [], 0.75)


def test_saving_the_same_values_records_nothing(db: Session, clock: FrozenClock) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN)
    sla_service.change_policy(db, clock=clock, actor=admin.actor, priority="urgent", change=URGENT, expected=None)
    assert _audit(db) == []


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (replace(URGENT, first_response_minutes=0), {"first_response": "时限必须大于 0"}),
        (replace(URGENT, first_response_minutes=-5), {"first_response": "时限必须大于 0"}),
        (replace(URGENT, resolution_minutes=0), {"resolution": "时限必须大于 0"}),
        (replace(URGENT, onsite_minutes=0), {"onsite": "时限必须大于 0"}),
        (replace(URGENT, resolution_minutes=91 * 24 * 60), {"resolution": "时限不能超过 90 天"}),
        (replace(URGENT, first_response_minutes=25 * 60), {"resolution": "解决时限不能短于首次联系时限"}),
        (replace(URGENT, onsite_minutes=25 * 60), {"onsite": "上门时限不能长于解决时限"}),
        (replace(URGENT, onsite_kinds=()), {"onsite_kinds": "设了上门时限，请选择适用的工单类型"}),
        (replace(URGENT, onsite_kinds=("consultation",)), {"onsite_kinds": "请选择有效的工单类型"}),
        (replace(URGENT, warning_percent=100), {"warning_percent": "预警比例应在 10% 到 99% 之间"}),
        (replace(URGENT, warning_percent=5), {"warning_percent": "预警比例应在 10% 到 99% 之间"}),
        (replace(URGENT, calendar_code="nowhere"), {"calendar": "请选择有效的日历"}),
        (
            replace(URGENT, first_response_minutes=0, resolution_minutes=0, calendar_code="x"),
            {"calendar": "请选择有效的日历", "first_response": "时限必须大于 0", "resolution": "时限必须大于 0"},
        ),
    ],
)
def test_a_bad_policy_is_refused_field_by_field_and_changes_nothing(
    db: Session, clock: FrozenClock, change: sla_service.PolicyChange, fields: dict[str, str]
) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN)
    policy = sla_service.get_policy(db, "urgent")
    kept = sla_service.policy_values(policy)
    with pytest.raises(InvalidPolicyError) as refused:
        sla_service.change_policy(db, clock=clock, actor=admin.actor, priority="urgent", change=change, expected=None)
    assert (refused.value.code, refused.value.detail) == ("sla.invalid_policy", "SLA 策略有误，请按提示修改")
    assert {name: str(text) for name, text in refused.value.fields.items()} == fields
    db.expire_all()
    assert sla_service.policy_values(sla_service.get_policy(db, "urgent")) == kept
    assert _audit(db) == []


def test_a_stale_policy_form_is_refused(db: Session, clock: FrozenClock) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN)
    stale = sla_service.policy_fingerprint(sla_service.get_policy(db, "urgent"))
    sla_service.change_policy(
        db, clock=clock, actor=admin.actor, priority="urgent", change=replace(URGENT, first_response_minutes=25),
        expected=stale,
    )  # fmt: skip
    with pytest.raises(PolicyChangedError) as refused:
        sla_service.change_policy(
            db, clock=clock, actor=admin.actor, priority="urgent", change=replace(URGENT, first_response_minutes=15),
            expected=stale,
        )  # fmt: skip
    assert refused.value.code == "sla.changed_meanwhile"
    assert sla_service.get_policy(db, "urgent").first_response_minutes == 25
    assert [action for action, *_ in _audit(db)] == ["sla_policy.changed"]


def test_weekly_hours_are_replaced_checked_and_audited(db: Session, clock: FrozenClock) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN)
    calendar = sla_service.get_calendar(db, "service_hours")
    revision = calendar.revision
    weekly = {0: ["09:00-12:00", "13:00-18:00"], 5: ["10:00-16:00"]}
    sla_service.change_weekly_hours(
        db, clock=clock, actor=admin.actor, code="service_hours", weekly=weekly, expected_revision=revision
    )
    assert calendar.weekly_hours == {"0": ["09:00-12:00", "13:00-18:00"], "5": ["10:00-16:00"]}
    assert calendar.revision == revision + 1
    [(action, _, before, after)] = _audit(db)
    assert action == "sla_calendar.hours_set"
    assert before == {"weekly_hours": {str(day): ["08:00-20:00"] for day in range(7)}}
    assert after == {"weekly_hours": {"0": ["09:00-12:00", "13:00-18:00"], "5": ["10:00-16:00"]}}
    with pytest.raises(PolicyChangedError):
        sla_service.change_weekly_hours(
            db, clock=clock, actor=admin.actor, code="service_hours", weekly={}, expected_revision=revision
        )
    assert calendar.weekly_hours == {"0": ["09:00-12:00", "13:00-18:00"], "5": ["10:00-16:00"]}


@pytest.mark.parametrize(
    ("weekly", "fields"),
    [
        ({0: ["8-20"]}, {"weekday_0": "时间段格式应为 HH:MM-HH:MM：'8-20'"}),
        ({2: ["20:00-08:00"]}, {"weekday_2": "时间段开始须早于结束：'20:00-08:00'"}),
        ({6: ["08:00-12:00", "11:00-18:00"]}, {"weekday_6": "同一天的时间段不能重叠"}),
    ],
)
def test_bad_weekly_hours_change_nothing(
    db: Session, clock: FrozenClock, weekly: dict[int, list[str]], fields: dict[str, str]
) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN)
    calendar = sla_service.get_calendar(db, "service_hours")
    kept, revision = dict(calendar.weekly_hours), calendar.revision
    with pytest.raises(InvalidCalendarError) as refused:
        sla_service.change_weekly_hours(
            db, clock=clock, actor=admin.actor, code="service_hours", weekly=weekly, expected_revision=None
        )
    assert {name: str(text) for name, text in refused.value.fields.items()} == fields
    assert (calendar.weekly_hours, calendar.revision, _audit(db)) == (kept, revision, [])


def test_the_always_open_calendar_has_no_hours_or_days(db: Session, clock: FrozenClock) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN)
    with pytest.raises(InvalidCalendarError):
        sla_service.change_weekly_hours(
            db, clock=clock, actor=admin.actor, code="7x24", weekly={0: ["08:00-20:00"]}, expected_revision=None
        )
    with pytest.raises(InvalidCalendarError) as refused:
        sla_service.enter_day(
            db, clock=clock, actor=admin.actor, code="7x24", day=date(2027, 1, 1), hours=[], note=None
        )
    assert refused.value.detail == "7×24 日历全天开放，无需登记节假日"
    assert _audit(db) == []


def test_a_year_chinese_calendar_does_not_know_is_entered_by_hand(db: Session, clock: FrozenClock) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN)
    calendar = sla_service.get_calendar(db, "statutory")
    calendar.flagged_years = [2027]
    db.flush()
    assert 2027 not in (calendar.known_years or [])
    sla_service.enter_day(
        db, clock=clock, actor=admin.actor, code="statutory", day=date(2027, 1, 1), hours=[], note="元旦"
    )
    sla_service.enter_day(
        db, clock=clock, actor=admin.actor, code="statutory", day=date(2027, 2, 6), hours=["09:00-18:00"],
        note="调休上班",
    )  # fmt: skip
    sla_service.enter_year(db, clock=clock, actor=admin.actor, code="statutory", year=2027)
    assert 2027 in (calendar.known_years or []) and calendar.flagged_years == []
    days = sla_service.calendar_days(db, calendar_id=calendar.id, year=2027)
    assert [(day.day, day.hours, day.note) for day in days] == [
        (date(2027, 1, 1), [], "元旦"),
        (date(2027, 2, 6), ["09:00-18:00"], "调休上班"),
    ]
    sla_service.remove_day(db, clock=clock, actor=admin.actor, code="statutory", day=date(2027, 1, 1))
    assert [day.day for day in sla_service.calendar_days(db, calendar_id=calendar.id, year=2027)] == [date(2027, 2, 6)]
    audit = _audit(db)
    assert [action for action, *_ in audit] == [
        "sla_calendar.day_set",
        "sla_calendar.day_set",
        "sla_calendar.year_entered",
        "sla_calendar.day_removed",
    ]
    assert audit[0][2:] == (None, {"day": "2027-01-01", "hours": [], "note": "元旦"})
    assert audit[2][2:] == (
        {"known_years": list(range(2020, 2027)), "flagged_years": [2027]},
        {"known_years": list(range(2020, 2028)), "flagged_years": []},
    )
    assert audit[3][2:] == ({"day": "2027-01-01", "hours": [], "note": "元旦"}, None)


def test_bad_days_and_years_change_nothing(db: Session, clock: FrozenClock) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN)
    count = len(db.scalars(select(CalendarDay)).all())
    with pytest.raises(InvalidCalendarError) as refused:
        sla_service.enter_day(
            db, clock=clock, actor=admin.actor, code="statutory", day=date(2027, 2, 6), hours=["9-18"], note=None
        )
    assert refused.value.fields == {"hours": "时间段格式应为 HH:MM-HH:MM：'9-18'"}
    with pytest.raises(InvalidCalendarError) as refused:
        sla_service.enter_day(
            db, clock=clock, actor=admin.actor, code="statutory", day=date(1999, 1, 1), hours=[], note=None
        )
    assert str(refused.value.fields["day"]) == "日期应在 2000 年到 2100 年之间"
    with pytest.raises(InvalidCalendarError):
        sla_service.enter_year(db, clock=clock, actor=admin.actor, code="service_hours", year=2027)
    with pytest.raises(InvalidCalendarError):
        sla_service.enter_year(db, clock=clock, actor=admin.actor, code="statutory", year=2101)
    with pytest.raises(CalendarDayNotFoundError):
        sla_service.remove_day(db, clock=clock, actor=admin.actor, code="statutory", day=date(2027, 3, 3))
    db.expire_all()
    assert len(db.scalars(select(CalendarDay)).all()) == count
    assert _audit(db) == []
