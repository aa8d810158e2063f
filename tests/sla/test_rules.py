"""Table-driven tests of the pure SLA arithmetic."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from aftersales.sla import rules
from aftersales.sla.defaults import statutory_days
from aftersales.sla.enums import SlaState, TargetKind
from tests.conftest import local

SERVICE_HOURS = rules.daily_hours(time(8), time(20))
ALWAYS = rules.always_open()
URGENT = rules.PolicySpec(
    first_response=timedelta(minutes=30), onsite=timedelta(hours=2), resolution=timedelta(hours=24)
)
ROUTINE = rules.PolicySpec(first_response=timedelta(hours=12), resolution=timedelta(hours=24))
COMPLEX = rules.PolicySpec(first_response=timedelta(hours=12), resolution=timedelta(hours=48))


def due(policy: rules.PolicySpec, calendar: rules.CalendarSpec, start, kind: str = "repair"):  # type: ignore[no-untyped-def]
    return {plan.kind: plan.due_at for plan in rules.plan_targets(policy, calendar, start=start, ticket_kind=kind)}


@pytest.mark.parametrize(
    ("policy", "calendar", "start", "kind", "expected"),
    [
        # routine registered 19:00 on service hours: contact 19:00 next day, resolution 19:00 the day after
        (
            ROUTINE,
            SERVICE_HOURS,
            local(2026, 11, 22, 19),
            "repair",
            {
                TargetKind.FIRST_RESPONSE: local(2026, 11, 23, 19),
                TargetKind.RESOLUTION: local(2026, 11, 24, 19),
            },
        ),
        # urgent at 23:50 on 7x24: contact 00:20, on site 01:50, resolution 23:50 next day
        (
            URGENT,
            ALWAYS,
            local(2026, 11, 22, 23, 50),
            "repair",
            {
                TargetKind.FIRST_RESPONSE: local(2026, 11, 23, 0, 20),
                TargetKind.ONSITE: local(2026, 11, 23, 1, 50),
                TargetKind.RESOLUTION: local(2026, 11, 23, 23, 50),
            },
        ),
        # complex at 19:00: resolution 19:00 four days later
        (
            COMPLEX,
            SERVICE_HOURS,
            local(2026, 11, 22, 19),
            "repair",
            {
                TargetKind.FIRST_RESPONSE: local(2026, 11, 23, 19),
                TargetKind.RESOLUTION: local(2026, 11, 26, 19),
            },
        ),
        # registered at night: the clock starts at 08:00
        (
            ROUTINE,
            SERVICE_HOURS,
            local(2026, 11, 22, 23, 30),
            "repair",
            {
                TargetKind.FIRST_RESPONSE: local(2026, 11, 23, 20),
                TargetKind.RESOLUTION: local(2026, 11, 24, 20),
            },
        ),
        # registered before opening
        (
            ROUTINE,
            SERVICE_HOURS,
            local(2026, 11, 22, 6),
            "repair",
            {
                TargetKind.FIRST_RESPONSE: local(2026, 11, 22, 20),
                TargetKind.RESOLUTION: local(2026, 11, 23, 20),
            },
        ),
        # a consultation gets no on-site target even when urgent
        (
            URGENT,
            ALWAYS,
            local(2026, 11, 22, 10),
            "consultation",
            {
                TargetKind.FIRST_RESPONSE: local(2026, 11, 22, 10, 30),
                TargetKind.RESOLUTION: local(2026, 11, 23, 10),
            },
        ),
    ],
)
def test_target_due_times(policy, calendar, start, kind, expected) -> None:  # type: ignore[no-untyped-def]
    assert due(policy, calendar, start, kind) == expected


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (local(2026, 11, 22, 19), timedelta(hours=1), local(2026, 11, 22, 20)),  # exactly to closing
        (local(2026, 11, 22, 19), timedelta(hours=1, minutes=1), local(2026, 11, 23, 8, 1)),
        (local(2026, 11, 22, 20), timedelta(minutes=1), local(2026, 11, 23, 8, 1)),  # at closing
        (local(2026, 11, 22, 7, 59), timedelta(0), local(2026, 11, 22, 8)),  # zero waits for opening
        (local(2026, 11, 22, 12), timedelta(hours=36), local(2026, 11, 25, 12)),
    ],
)
def test_add_business_time_service_hours(start, duration, expected) -> None:  # type: ignore[no-untyped-def]
    assert rules.add_business_time(SERVICE_HOURS, start, duration) == expected


def test_warning_at_eighty_percent() -> None:
    plans = rules.plan_targets(ROUTINE, SERVICE_HOURS, start=local(2026, 11, 22, 8), ticket_kind="repair")
    first = plans[0]
    assert first.kind == TargetKind.FIRST_RESPONSE
    assert first.warn_at == local(2026, 11, 22, 17, 36)  # 80% of 12 h = 9 h 36 min
    assert first.due_at == local(2026, 11, 22, 20)


def test_business_time_between() -> None:
    assert rules.business_time_between(SERVICE_HOURS, local(2026, 11, 22, 19), local(2026, 11, 23, 9)) == timedelta(
        hours=2
    )
    assert rules.business_time_between(SERVICE_HOURS, local(2026, 11, 23, 9), local(2026, 11, 22, 19)) == timedelta(0)
    assert rules.business_time_between(ALWAYS, local(2026, 11, 22, 19), local(2026, 11, 23, 9)) == timedelta(hours=14)


def test_three_hours_on_hold_move_resolution_by_three_hours() -> None:
    start = local(2026, 11, 22, 10)
    before = rules.plan_target(TargetKind.RESOLUTION, timedelta(hours=24), 0.8, ALWAYS, start=start)
    after = rules.plan_target(
        TargetKind.RESOLUTION, timedelta(hours=24), 0.8, ALWAYS, start=start, paused=timedelta(hours=3)
    )
    assert after.due_at - before.due_at == timedelta(hours=3)
    # On service hours a hold 10:00–13:00 is three open hours: due moves by three hours too.
    held = rules.business_time_between(SERVICE_HOURS, local(2026, 11, 22, 10), local(2026, 11, 22, 13))
    base = rules.plan_target(TargetKind.RESOLUTION, timedelta(hours=24), 0.8, SERVICE_HOURS, start=start)
    moved = rules.plan_target(TargetKind.RESOLUTION, timedelta(hours=24), 0.8, SERVICE_HOURS, start=start, paused=held)
    assert (base.due_at, moved.due_at) == (local(2026, 11, 24, 10), local(2026, 11, 24, 13))


def _statutory() -> rules.CalendarSpec:
    overrides, known = statutory_days(range(2025, 2028))
    return rules.CalendarSpec(
        weekly={weekday: ((540, 1080),) for weekday in range(5)},
        overrides={day: tuple(rules.parse_interval(text) for text in hours) for day, (hours, _) in overrides.items()},
        known_years=frozenset(known),
    )


def test_statutory_calendar_skips_national_day_and_works_make_up_saturday() -> None:
    spec = _statutory()
    assert spec.intervals_on(date(2026, 10, 1)) == ()  # National Day, a Thursday
    assert spec.intervals_on(date(2026, 9, 30)) == ((540, 1080),)
    # 2026-09-30 17:00 + 2 working hours: 1 h on the 30th, then the holiday week, then the next workday.
    result = rules.add_business_time(spec, local(2026, 9, 30, 17), timedelta(hours=2))
    next_workday = min(day for day in (date(2026, 10, d) for d in range(2, 31)) if spec.intervals_on(day))
    assert result == local(next_workday.year, next_workday.month, next_workday.day, 10)


def test_statutory_calendar_2027_falls_back_to_weekdays_and_is_flagged() -> None:
    spec = _statutory()
    assert 2027 not in (spec.known_years or ())
    # Friday 2027-01-08 17:00 + 2 h → Monday 2027-01-11 10:00 by the weekday rule; no crash.
    assert rules.add_business_time(spec, local(2027, 1, 8, 17), timedelta(hours=2)) == local(2027, 1, 11, 10)
    assert rules.unknown_years_between(spec, local(2026, 12, 31, 17), local(2027, 1, 4, 10)) == {2027}
    assert rules.unknown_years_between(spec, local(2026, 6, 1), local(2026, 6, 2)) == set()


T0 = local(2026, 11, 22, 10)


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (
            rules.TargetStatus(due_at=T0, warn_at=T0 - timedelta(minutes=6)),
            T0 - timedelta(minutes=10),
            SlaState.ON_TRACK,
        ),
        (
            rules.TargetStatus(due_at=T0, warn_at=T0 - timedelta(minutes=6)),
            T0 - timedelta(minutes=6),
            SlaState.WARNING,
        ),
        (rules.TargetStatus(due_at=T0, warn_at=T0 - timedelta(minutes=6)), T0, SlaState.BREACHED),
        (rules.TargetStatus(due_at=T0, warn_at=T0, met_at=T0), T0 + timedelta(hours=1), SlaState.MET),
        (rules.TargetStatus(due_at=T0, warn_at=T0, met_at=T0 + timedelta(seconds=1)), T0, SlaState.BREACHED),
        (
            rules.TargetStatus(due_at=T0, warn_at=T0, paused_since=T0 - timedelta(hours=1)),
            T0 + timedelta(days=3),
            SlaState.PAUSED,
        ),
        (rules.TargetStatus(due_at=T0, warn_at=T0, breached_at=T0, paused_since=T0), T0, SlaState.BREACHED),
    ],
)
def test_target_state(status: rules.TargetStatus, now, expected: SlaState) -> None:  # type: ignore[no-untyped-def]
    assert rules.target_state(status, now) == expected


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([SlaState.MET, SlaState.BREACHED, SlaState.ON_TRACK], SlaState.BREACHED),
        ([SlaState.MET, SlaState.WARNING, SlaState.ON_TRACK], SlaState.WARNING),
        ([SlaState.MET, SlaState.ON_TRACK], SlaState.ON_TRACK),
        ([SlaState.MET, SlaState.PAUSED], SlaState.PAUSED),
        ([SlaState.MET, SlaState.MET], SlaState.MET),
    ],
)
def test_combine_states(states: list[SlaState], expected: SlaState) -> None:
    assert rules.combine_states(states) == expected


@pytest.mark.parametrize("text", ["08:00-25:00", "8-20", "20:00-08:00", "0800-2000", "08:60-09:00"])
def test_bad_intervals_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="时间段"):
        rules.parse_interval(text)


def test_calendar_without_hours_refuses_instead_of_looping() -> None:
    with pytest.raises(ValueError, match="no working time"):
        rules.add_business_time(rules.CalendarSpec(), T0, timedelta(hours=1))
