"""SLA use cases on a real session: planning a ticket's targets from the seeded policies and calendars,
editing calendars, holds and resumes, meeting, reopening and stopping clocks, and the warning/breach
evaluation the sweep relies on. The clock is frozen at Sunday 2026-11-22 10:00 (Asia/Shanghai)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_engine, make_session_factory, unit_of_work
from aftersales.db_models import Base
from aftersales.sla import service as sla_service
from aftersales.sla.defaults import seed_defaults
from aftersales.sla.enums import OutcomeKind, SlaState
from aftersales.sla.enums import TargetKind as T
from aftersales.sla.errors import CalendarNotFoundError, InvalidCalendarError, PolicyNotFoundError
from aftersales.sla.models import CalendarDay, Target
from aftersales.tickets.enums import Priority, TicketKind
from tests import factories
from tests.factories import local

NOW = local(2026, 11, 22, 10)


@pytest.fixture
def own_databases(tmp_path: Path) -> Iterator[Callable[[str], sessionmaker[Session]]]:
    """Seeded SQLite databases of the test's own, for calendar edits that really commit; disposed after."""
    engines: list[Engine] = []

    def make(name: str) -> sessionmaker[Session]:
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        engines.append(engine)
        Base.metadata.create_all(engine)
        sessions = make_session_factory(engine)
        with unit_of_work(sessions) as session:
            seed_defaults(session)
        return sessions

    yield make
    for engine in engines:
        engine.dispose()


Plan = tuple[timedelta, datetime, datetime]  # duration, warn at, due at


def plans(planned: sla_service.PlannedTargets) -> dict[T, Plan]:
    return {plan.kind: (plan.duration, plan.warn_at, plan.due_at) for plan in planned.plans}


def row(target: Target) -> tuple[object, ...]:
    """Everything about a stored target that a use case may change."""
    return (
        target.kind,
        target.state,
        target.warn_at,
        target.due_at,
        target.paused_seconds,
        target.paused_since,
        target.met_at,
        target.warned_at,
        target.breached_at,
        target.next_check_at,
    )


def targets(db: Session, ticket_id: int) -> dict[str, Target]:
    return {target.kind: target for target in sla_service.targets_of(db, ticket_id)}


H, M = timedelta(hours=1), timedelta(minutes=1)


@pytest.mark.parametrize(
    ("priority", "kind", "start", "calendar", "expected"),
    [
        # urgent on 7x24: contact 30 min, on site 2 h, resolution 24 h; warnings at 80 %
        (
            Priority.URGENT,
            TicketKind.REPAIR,
            NOW,
            "7x24",
            {
                T.FIRST_RESPONSE: (30 * M, local(2026, 11, 22, 10, 24), local(2026, 11, 22, 10, 30)),
                T.ONSITE: (2 * H, local(2026, 11, 22, 11, 36), local(2026, 11, 22, 12)),
                T.RESOLUTION: (24 * H, local(2026, 11, 23, 5, 12), local(2026, 11, 23, 10)),
            },
        ),
        # a consultation needs nobody on site
        (
            Priority.URGENT,
            TicketKind.CONSULTATION,
            NOW,
            "7x24",
            {
                T.FIRST_RESPONSE: (30 * M, local(2026, 11, 22, 10, 24), local(2026, 11, 22, 10, 30)),
                T.RESOLUTION: (24 * H, local(2026, 11, 23, 5, 12), local(2026, 11, 23, 10)),
            },
        ),
        # routine on service hours 08–20: 10 h left today, the rest tomorrow
        (
            Priority.ROUTINE,
            TicketKind.REPAIR,
            NOW,
            "service_hours",
            {
                T.FIRST_RESPONSE: (12 * H, local(2026, 11, 22, 19, 36), local(2026, 11, 23, 10)),
                T.RESOLUTION: (24 * H, local(2026, 11, 23, 17, 12), local(2026, 11, 24, 10)),
            },
        ),
        # registered after hours: the clock starts at 08:00 the next day; a target may end at closing time
        (
            Priority.ROUTINE,
            TicketKind.INSTALLATION,
            local(2026, 11, 22, 21),
            "service_hours",
            {
                T.FIRST_RESPONSE: (12 * H, local(2026, 11, 23, 17, 36), local(2026, 11, 23, 20)),
                T.RESOLUTION: (24 * H, local(2026, 11, 24, 15, 12), local(2026, 11, 24, 20)),
            },
        ),
        # complex: 48 h of service hours
        (
            Priority.COMPLEX,
            TicketKind.COMPLAINT,
            NOW,
            "service_hours",
            {
                T.FIRST_RESPONSE: (12 * H, local(2026, 11, 22, 19, 36), local(2026, 11, 23, 10)),
                T.RESOLUTION: (48 * H, local(2026, 11, 25, 12, 24), local(2026, 11, 26, 10)),
            },
        ),
    ],
)
def test_plan_for_ticket(
    db: Session, priority: Priority, kind: TicketKind, start: datetime, calendar: str, expected: dict[T, Plan]
) -> None:
    planned = sla_service.plan_for_ticket(db, priority=priority.value, ticket_kind=kind.value, start=start)
    assert plans(planned) == expected
    assert list(plans(planned)) == list(expected)  # first response, on site, resolution
    assert planned.calendar_id == sla_service.get_calendar(db, calendar).id
    assert (planned.warning_ratio, planned.start, planned.unknown_years) == (0.8, start, frozenset())


def test_unknown_priority_has_no_policy(db: Session) -> None:
    with pytest.raises(PolicyNotFoundError) as error:
        sla_service.plan_for_ticket(db, priority="someday", ticket_kind="repair", start=NOW)
    assert (error.value.code, error.value.fields) == ("sla.policy_not_found", {"priority": "someday"})
    with pytest.raises(PolicyNotFoundError):
        sla_service.get_policy(db, "someday")


def test_intake_stores_the_planned_targets(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    stored = sla_service.targets_of(db, ticket.id)
    seven_by_24 = sla_service.get_calendar(db, "7x24").id
    assert [
        (t.kind, t.calendar_id, t.started_at, t.duration_seconds, t.warning_ratio, t.paused_seconds) for t in stored
    ] == [
        (T.FIRST_RESPONSE, seven_by_24, NOW, 1800, 0.8, 0),
        (T.ONSITE, seven_by_24, NOW, 7200, 0.8, 0),
        (T.RESOLUTION, seven_by_24, NOW, 86400, 0.8, 0),
    ]
    assert [row(t) for t in stored] == [
        (T.FIRST_RESPONSE, SlaState.ON_TRACK, local(2026, 11, 22, 10, 24), local(2026, 11, 22, 10, 30), 0, None,
         None, None, None, local(2026, 11, 22, 10, 24)),
        (T.ONSITE, SlaState.ON_TRACK, local(2026, 11, 22, 11, 36), local(2026, 11, 22, 12), 0, None,
         None, None, None, local(2026, 11, 22, 11, 36)),
        (T.RESOLUTION, SlaState.ON_TRACK, local(2026, 11, 23, 5, 12), local(2026, 11, 23, 10), 0, None,
         None, None, None, local(2026, 11, 23, 5, 12)),
    ]  # fmt: skip
    assert sla_service.ticket_state(stored) == SlaState.ON_TRACK


def test_statutory_calendar_flags_a_year_without_holidays_and_marking_it_clears_the_flag(
    db: Session, clock: FrozenClock
) -> None:
    calendar = sla_service.get_calendar(db, "statutory")
    assert calendar.known_years is not None and 2026 in calendar.known_years
    assert 2027 not in calendar.known_years, "chinese-calendar now knows 2027: move these dates to an unknown year"
    revision = calendar.revision
    factories.sla_policy(db, priority=Priority.ROUTINE, calendar_code="statutory")
    clock.set(local(2026, 12, 31, 10))  # Thursday; office hours 09–18, 2027 falls back to Mon–Fri
    ticket = factories.ticket(db, clock=clock, priority=Priority.ROUTINE)
    assert {t.kind: (t.warn_at, t.due_at) for t in sla_service.targets_of(db, ticket.id)} == {
        T.FIRST_RESPONSE: (local(2027, 1, 1, 10, 36), local(2027, 1, 1, 13)),
        T.RESOLUTION: (local(2027, 1, 4, 11, 12), local(2027, 1, 4, 16)),
    }
    assert (calendar.flagged_years, calendar.revision) == ([2027], revision)  # flagged; the spec is unchanged

    sla_service.mark_year_known(db, code="statutory", year=2027)
    assert (calendar.known_years[-1], calendar.flagged_years, calendar.revision) == (2027, [], revision + 1)
    replanned = sla_service.plan_for_ticket(db, priority="routine", ticket_kind="repair", start=clock.now())
    assert replanned.unknown_years == frozenset()


def test_a_holiday_entered_on_a_calendar_moves_the_plan(db: Session) -> None:
    calendar = sla_service.get_calendar(db, "service_hours")
    revision = calendar.revision
    holiday = sla_service.set_calendar_day(db, code="service_hours", day=date(2026, 11, 23), hours=[], note="停电检修")
    assert (holiday.calendar_id, holiday.day, holiday.hours, holiday.note) == (
        calendar.id,
        date(2026, 11, 23),
        [],
        "停电检修",
    )
    assert calendar.revision == revision + 1
    assert sla_service.calendar_spec(db, calendar.id).intervals_on(date(2026, 11, 23)) == ()
    planned = sla_service.plan_for_ticket(db, priority="routine", ticket_kind="repair", start=NOW)
    # 10 h on Sunday, nothing on Monday, 2 h on Tuesday
    assert plans(planned)[T.FIRST_RESPONSE] == (12 * H, local(2026, 11, 22, 19, 36), local(2026, 11, 24, 10))

    # Entering the same day again replaces it: a make-up workday with a lunch break.
    again = sla_service.set_calendar_day(
        db, code="service_hours", day=date(2026, 11, 23), hours=["9:00-12:00", " 13:00-18:00"], note="调休"
    )
    assert (again.id, again.hours, again.note, calendar.revision) == (
        holiday.id,
        ["09:00-12:00", "13:00-18:00"],
        "调休",
        revision + 2,
    )
    assert sla_service.calendar_spec(db, calendar.id).intervals_on(date(2026, 11, 23)) == ((540, 720), (780, 1080))


@pytest.mark.parametrize("hours", [["25:00-26:00"], ["18:00-09:00"], ["08:00"], ["08:00-20:00", "nonsense"]])
def test_bad_calendar_hours_change_nothing(db: Session, hours: list[str]) -> None:
    calendar = sla_service.get_calendar(db, "service_hours")
    revision = calendar.revision
    with pytest.raises(InvalidCalendarError) as error:
        sla_service.set_calendar_day(db, code="service_hours", day=date(2026, 11, 23), hours=hours, note=None)
    assert error.value.code == "sla.invalid_calendar"
    assert error.value.fields == {"hours": error.value.detail}
    assert calendar.revision == revision
    assert db.scalars(select(CalendarDay).where(CalendarDay.calendar_id == calendar.id)).all() == []


def test_unknown_calendars(db: Session) -> None:
    with pytest.raises(CalendarNotFoundError) as error:
        sla_service.set_calendar_day(db, code="nope", day=date(2026, 11, 23), hours=[], note=None)
    assert (error.value.code, error.value.fields) == ("sla.calendar_not_found", {"calendar": "nope"})
    with pytest.raises(CalendarNotFoundError):
        sla_service.calendar_spec(db, 987_654)


def test_a_rolled_back_calendar_edit_does_not_leak_into_the_next_one(db: Session) -> None:
    calendar = sla_service.get_calendar(db, "service_hours")
    revision = calendar.revision
    nested = db.begin_nested()
    sla_service.set_calendar_day(db, code="service_hours", day=date(2026, 11, 23), hours=[], note="撤回")
    assert sla_service.calendar_spec(db, calendar.id).overrides == {date(2026, 11, 23): ()}
    nested.rollback()
    sla_service.set_calendar_day(db, code="service_hours", day=date(2026, 11, 24), hours=[], note="停工")
    assert calendar.revision == revision + 1  # the revision the rolled-back edit had reached
    assert sla_service.calendar_spec(db, calendar.id).overrides == {date(2026, 11, 24): ()}


def test_an_unchanged_calendar_is_built_once_and_then_read_from_the_cache(db: Session) -> None:
    calendar_id = sla_service.get_calendar(db, "statutory").id
    first = sla_service.calendar_spec(db, calendar_id)
    assert sla_service.calendar_spec(db, calendar_id) is first
    planned = sla_service.plan_for_ticket(db, priority="routine", ticket_kind="repair", start=NOW)
    assert sla_service.calendar_spec(db, planned.calendar_id) is sla_service.calendar_spec(db, planned.calendar_id)


def test_only_committed_calendar_edits_are_cached(own_databases: Callable[[str], sessionmaker[Session]]) -> None:
    sessions = own_databases("committed")
    with sessions() as session:
        calendar = sla_service.get_calendar(session, "service_hours")
        calendar_id, revision = calendar.id, calendar.revision
        committed = sla_service.calendar_spec(session, calendar_id)
        assert committed.overrides == {}
        sla_service.set_calendar_day(session, code="service_hours", day=date(2026, 11, 23), hours=[], note="撤回")
        edited = sla_service.calendar_spec(session, calendar_id)
        assert edited.overrides == {date(2026, 11, 23): ()}
        assert sla_service.calendar_spec(session, calendar_id) is not edited  # built afresh until committed
        session.rollback()
        assert sla_service.calendar_spec(session, calendar_id) is committed  # the cached committed revision

        sla_service.set_calendar_day(session, code="service_hours", day=date(2026, 11, 24), hours=[], note="停工")
        assert calendar.revision == revision + 1  # the same revision the rolled-back edit had
        assert sla_service.calendar_spec(session, calendar_id).overrides == {date(2026, 11, 24): ()}
        session.commit()
    with sessions() as session:
        after = sla_service.calendar_spec(session, calendar_id)
        assert after.overrides == {date(2026, 11, 24): ()}
        assert sla_service.calendar_spec(session, calendar_id) is after  # committed: cached from now on
    with sessions() as session:
        assert sla_service.calendar_spec(session, calendar_id) is after


def test_each_database_caches_its_own_calendars(own_databases: Callable[[str], sessionmaker[Session]]) -> None:
    north, south = own_databases("north"), own_databases("south")
    for sessions, day in ((north, date(2026, 11, 23)), (south, date(2026, 11, 24))):
        with unit_of_work(sessions) as session:
            sla_service.set_calendar_day(session, code="service_hours", day=day, hours=[], note=None)
    specs = {}
    for name, sessions in (("north", north), ("south", south)):
        with sessions() as session:
            calendar = sla_service.get_calendar(session, "service_hours")
            specs[name] = (calendar.id, calendar.revision, sla_service.calendar_spec(session, calendar.id).overrides)
    # The same calendar id at the same revision in both databases, and each keeps its own holiday.
    assert specs["north"][:2] == specs["south"][:2]
    assert (specs["north"][2], specs["south"][2]) == ({date(2026, 11, 23): ()}, {date(2026, 11, 24): ()})


def test_hold_pauses_on_site_and_resolution_and_resume_moves_them_by_the_hold(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    sla_service.pause_targets(db, ticket_id=ticket.id, at=local(2026, 11, 22, 10, 20), now=local(2026, 11, 22, 10, 20))
    held = targets(db, ticket.id)
    assert held[T.FIRST_RESPONSE].paused_since is None  # contacting the customer is never on hold
    assert held[T.FIRST_RESPONSE].state == SlaState.ON_TRACK
    for kind in (T.ONSITE, T.RESOLUTION):
        assert (held[kind].paused_since, held[kind].state, held[kind].next_check_at) == (
            local(2026, 11, 22, 10, 20),
            SlaState.PAUSED,
            None,
        )
    before = [row(t) for t in held.values()]
    sla_service.pause_targets(db, ticket_id=ticket.id, at=local(2026, 11, 22, 10, 40), now=local(2026, 11, 22, 10, 40))
    assert [row(t) for t in targets(db, ticket.id).values()] == before  # a second hold changes nothing

    at = local(2026, 11, 22, 13, 20)
    sla_service.resume_targets(db, ticket_id=ticket.id, at=at, now=at)
    resumed = targets(db, ticket.id)
    assert row(resumed[T.ONSITE]) == (
        T.ONSITE, SlaState.ON_TRACK, local(2026, 11, 22, 14, 36), local(2026, 11, 22, 15), 10800, None,
        None, None, None, local(2026, 11, 22, 14, 36),
    )  # fmt: skip
    assert row(resumed[T.RESOLUTION]) == (
        T.RESOLUTION, SlaState.ON_TRACK, local(2026, 11, 23, 8, 12), local(2026, 11, 23, 13), 10800, None,
        None, None, None, local(2026, 11, 23, 8, 12),
    )  # fmt: skip
    after = [row(t) for t in resumed.values()]
    sla_service.resume_targets(db, ticket_id=ticket.id, at=local(2026, 11, 22, 14), now=local(2026, 11, 22, 14))
    assert [row(t) for t in targets(db, ticket.id).values()] == after  # nothing was paused: nothing moves


def test_a_hold_overnight_counts_only_service_hours(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock, priority=Priority.ROUTINE)
    sla_service.pause_targets(db, ticket_id=ticket.id, at=local(2026, 11, 22, 19), now=local(2026, 11, 22, 19))
    at = local(2026, 11, 23, 9)
    sla_service.resume_targets(db, ticket_id=ticket.id, at=at, now=at)
    resolution = targets(db, ticket.id)[T.RESOLUTION]
    # 19–20 on Sunday and 08–09 on Monday: two open hours on hold
    assert (resolution.paused_seconds, resolution.warn_at, resolution.due_at) == (
        7200,
        local(2026, 11, 23, 19, 12),
        local(2026, 11, 24, 12),
    )


def test_meeting_targets_in_time_late_and_twice(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    met = sla_service.meet_target(
        db, ticket_id=ticket.id, kind=T.FIRST_RESPONSE, at=local(2026, 11, 22, 10, 20), now=local(2026, 11, 22, 10, 20)
    )
    assert met is not None
    assert (met.met_at, met.state, met.next_check_at) == (local(2026, 11, 22, 10, 20), SlaState.MET, None)
    before = [row(t) for t in targets(db, ticket.id).values()]
    again = sla_service.meet_target(
        db, ticket_id=ticket.id, kind=T.FIRST_RESPONSE, at=local(2026, 11, 22, 10, 50), now=local(2026, 11, 22, 10, 50)
    )
    assert again is None
    assert [row(t) for t in targets(db, ticket.id).values()] == before

    late = sla_service.meet_target(
        db, ticket_id=ticket.id, kind=T.ONSITE, at=local(2026, 11, 22, 12, 30), now=local(2026, 11, 22, 12, 30)
    )
    assert late is not None
    assert (late.met_at, late.breached_at, late.state, late.next_check_at) == (
        local(2026, 11, 22, 12, 30),
        None,
        SlaState.BREACHED,  # met, but after its due time
        None,
    )
    assert sla_service.ticket_state(sla_service.targets_of(db, ticket.id)) == SlaState.BREACHED


def test_meeting_a_kind_the_ticket_does_not_have_changes_nothing(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock, priority=Priority.ROUTINE)  # routine: no on-site target
    before = [row(t) for t in targets(db, ticket.id).values()]
    assert sla_service.meet_target(db, ticket_id=ticket.id, kind=T.ONSITE, at=NOW, now=NOW) is None
    assert [row(t) for t in targets(db, ticket.id).values()] == before


def test_meeting_a_paused_target_first_adds_the_hold(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    sla_service.pause_targets(db, ticket_id=ticket.id, at=local(2026, 11, 22, 10, 20), now=local(2026, 11, 22, 10, 20))
    at = local(2026, 11, 22, 11, 20)
    met = sla_service.meet_target(db, ticket_id=ticket.id, kind=T.RESOLUTION, at=at, now=at)
    assert met is not None
    assert (met.paused_seconds, met.paused_since, met.due_at, met.met_at, met.state) == (
        3600,
        None,
        local(2026, 11, 23, 11),
        at,
        SlaState.MET,
    )


def test_reopening_restarts_resolution_without_counting_the_time_it_was_met(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    before = [row(t) for t in targets(db, ticket.id).values()]
    sla_service.restart_target(db, ticket_id=ticket.id, kind=T.RESOLUTION, at=NOW, now=NOW)
    assert [row(t) for t in targets(db, ticket.id).values()] == before  # never met: nothing to restart

    noon, three = local(2026, 11, 22, 12), local(2026, 11, 22, 15)
    sla_service.meet_target(db, ticket_id=ticket.id, kind=T.RESOLUTION, at=noon, now=noon)
    sla_service.restart_target(db, ticket_id=ticket.id, kind=T.RESOLUTION, at=three, now=three)
    assert row(targets(db, ticket.id)[T.RESOLUTION]) == (
        T.RESOLUTION, SlaState.ON_TRACK, local(2026, 11, 23, 8, 12), local(2026, 11, 23, 13), 10800, None,
        None, None, None, local(2026, 11, 23, 8, 12),
    )  # fmt: skip


def test_cancelling_stops_every_running_clock(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    sla_service.meet_target(
        db, ticket_id=ticket.id, kind=T.FIRST_RESPONSE, at=local(2026, 11, 22, 10, 10), now=local(2026, 11, 22, 10, 10)
    )
    sla_service.pause_targets(db, ticket_id=ticket.id, at=local(2026, 11, 22, 10, 20), now=local(2026, 11, 22, 10, 20))
    at = local(2026, 11, 22, 10, 50)
    sla_service.stop_all(db, ticket_id=ticket.id, at=at, now=at)
    stopped = targets(db, ticket.id)
    assert {kind: (t.met_at, t.paused_seconds, t.due_at, t.state, t.next_check_at) for kind, t in stopped.items()} == {
        T.FIRST_RESPONSE: (local(2026, 11, 22, 10, 10), 0, local(2026, 11, 22, 10, 30), SlaState.MET, None),
        T.ONSITE: (at, 1800, local(2026, 11, 22, 12, 30), SlaState.MET, None),
        T.RESOLUTION: (at, 1800, local(2026, 11, 23, 10, 30), SlaState.MET, None),
    }
    assert sla_service.ticket_state(stopped.values()) == SlaState.MET


def test_each_warning_and_breach_is_found_exactly_once(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    stored = sla_service.targets_of(db, ticket.id)
    assert sla_service.evaluate_targets(stored, local(2026, 11, 22, 10, 23)) == []
    assert sla_service.evaluate_targets(stored, local(2026, 11, 22, 10, 24)) == [
        sla_service.Outcome(
            ticket.id, T.FIRST_RESPONSE, OutcomeKind.WARNING, local(2026, 11, 22, 10, 24), local(2026, 11, 22, 10, 30)
        )
    ]
    first = targets(db, ticket.id)[T.FIRST_RESPONSE]
    assert (first.warned_at, first.state, first.next_check_at) == (
        local(2026, 11, 22, 10, 24),
        SlaState.WARNING,
        local(2026, 11, 22, 10, 30),
    )
    assert sla_service.evaluate_targets(stored, local(2026, 11, 22, 10, 25)) == []
    # At 13:00 the contact target breaches and the on-site one is past due: a breach, no late warning.
    assert sla_service.evaluate_targets(stored, local(2026, 11, 22, 13)) == [
        sla_service.Outcome(
            ticket.id, T.FIRST_RESPONSE, OutcomeKind.BREACHED, local(2026, 11, 22, 10, 30), local(2026, 11, 22, 10, 30)
        ),
        sla_service.Outcome(
            ticket.id, T.ONSITE, OutcomeKind.BREACHED, local(2026, 11, 22, 12), local(2026, 11, 22, 12)
        ),
    ]
    assert sla_service.evaluate_targets(stored, local(2026, 11, 22, 13, 5)) == []
    assert [(t.kind, t.state, t.breached_at, t.next_check_at) for t in stored] == [
        (T.FIRST_RESPONSE, SlaState.BREACHED, local(2026, 11, 22, 10, 30), None),
        (T.ONSITE, SlaState.BREACHED, local(2026, 11, 22, 12), None),
        (T.RESOLUTION, SlaState.ON_TRACK, None, local(2026, 11, 23, 5, 12)),
    ]
    assert sla_service.ticket_state(stored) == SlaState.BREACHED


def test_claim_due_targets_by_next_check_time(db: Session, clock: FrozenClock) -> None:
    urgent = factories.ticket(db, clock=clock, priority=Priority.URGENT)
    factories.ticket(db, clock=clock, priority=Priority.ROUTINE, phone="13900139000")

    def claimed(now: datetime, limit: int = 100) -> list[tuple[int, str]]:
        return [(t.ticket_id, t.kind) for t in sla_service.claim_due_targets(db, now=now, limit=limit)]

    assert claimed(local(2026, 11, 22, 10, 23)) == []
    assert claimed(local(2026, 11, 22, 10, 24)) == [(urgent.id, T.FIRST_RESPONSE)]
    assert claimed(local(2026, 11, 22, 12)) == [(urgent.id, T.FIRST_RESPONSE), (urgent.id, T.ONSITE)]
    assert claimed(local(2026, 11, 22, 12), limit=1) == [(urgent.id, T.FIRST_RESPONSE)]
    sla_service.meet_target(db, ticket_id=urgent.id, kind=T.FIRST_RESPONSE, at=NOW, now=NOW)
    assert claimed(local(2026, 11, 22, 12)) == [(urgent.id, T.ONSITE)]  # met targets are never claimed


def test_replanning_keeps_met_targets_and_replaces_the_rest(db: Session, clock: FrozenClock) -> None:
    ticket = factories.ticket(db, clock=clock, priority=Priority.ROUTINE)
    contact = local(2026, 11, 22, 10, 30)
    sla_service.meet_target(db, ticket_id=ticket.id, kind=T.FIRST_RESPONSE, at=contact, now=contact)
    sla_service.replan_targets(db, ticket_id=ticket.id, priority="urgent", ticket_kind="repair", start=NOW)
    calendars = {sla_service.get_calendar(db, code).id: code for code in ("7x24", "service_hours")}
    assert [
        (t.kind, calendars[t.calendar_id], t.due_at, t.met_at, t.state) for t in sla_service.targets_of(db, ticket.id)
    ] == [
        (T.FIRST_RESPONSE, "service_hours", local(2026, 11, 23, 10), contact, SlaState.MET),
        (T.ONSITE, "7x24", local(2026, 11, 22, 12), None, SlaState.ON_TRACK),
        (T.RESOLUTION, "7x24", local(2026, 11, 23, 10), None, SlaState.ON_TRACK),
    ]
