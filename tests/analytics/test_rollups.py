"""The dashboard's daily rollups (``analytics.rollups`` and ``jobs.rollup_job``) on the dashboard scenario:
rolled-up dates give exactly the figures counted live, changed and expired dates are rolled up again, a
pass is bounded, and the dashboard reads rolled-up dates from the rollups (not from the tickets)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts.enums import Role
from aftersales.analytics import jobs as analytics_jobs
from aftersales.analytics import rollups, rules, service
from aftersales.analytics.models import DailyVolume, RollupDay
from aftersales.analytics.schemas import Dashboard, SlaCompliance
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.tickets.enums import EventType, TicketKind
from aftersales.tickets.models import Ticket
from aftersales.worker import jobs
from tests import factories, races
from tests.analytics.scenario import NOW, Scenario, build_scenario
from tests.conftest import UserFactory, console_login
from tests.factories import local

DAY_19, DAY_20, DAY_21, DAY_22 = (date(2026, 11, day) for day in (19, 20, 21, 22))
REGIONS = [None, "广东省", "深圳市", "广州市", "上海市", "北京市"]
PERIODS = [(DAY_19, DAY_22), (DAY_20, DAY_21), (DAY_22, DAY_22), (date(2026, 11, 1), DAY_22)]


@pytest.fixture
def scenario(db: Session, clock: FrozenClock) -> Scenario:
    return build_scenario(db, clock)


def _live(db: Session, monkeypatch: pytest.MonkeyPatch, **query: object) -> Dashboard:
    """The dashboard counted from the tickets alone, as if nothing were rolled up."""
    with monkeypatch.context() as patched:
        patched.setattr(rollups, "rolled_up_days", lambda *_args, **_kwargs: {})
        return service.dashboard(db, **query)  # type: ignore[arg-type]


def _every_board(db: Session, now: object) -> list[Dashboard]:
    return [
        service.dashboard(db, now=now, start=start, end=end, region=region)  # type: ignore[arg-type]
        for region in REGIONS
        for start, end in PERIODS
    ]


Run = Callable[..., dict[str, int]]


@pytest.fixture
def run(session_factory: sessionmaker[Session], clock: FrozenClock, scenario: Scenario) -> Run:
    """One pass of the rollup job over the scenario (``run(pauses)`` records the pauses it takes)."""

    def one_pass(pauses: list[float] | None = None) -> dict[str, int]:
        record = (pauses if pauses is not None else []).append
        return analytics_jobs.rollup_job(session_factory, clock, Settings(), pause=record)

    return one_pass


@pytest.mark.parametrize(
    ("skip", "runs"),
    [
        (set(), [(DAY_19, DAY_22)]),
        ({DAY_19, DAY_20, DAY_21}, [(DAY_22, DAY_22)]),
        ({DAY_20}, [(DAY_19, DAY_19), (DAY_21, DAY_22)]),
        ({DAY_19, DAY_20, DAY_21, DAY_22}, []),
        ({date(2026, 11, 30)}, [(DAY_19, DAY_22)]),
    ],
)
def test_the_dates_counted_live_are_the_runs_not_rolled_up(skip: set[date], runs: list[tuple[date, date]]) -> None:
    assert rules.date_runs(DAY_19, DAY_22, skip=skip) == runs


def test_rolled_up_dates_give_exactly_the_figures_counted_live(db: Session, clock: FrozenClock, run: Run) -> None:
    before = _every_board(db, NOW)
    assert db.scalar(select(func.count()).select_from(RollupDay)) == 0
    pauses: list[float] = []
    assert run(pauses) == {"redone": 0, "rolled_up": 3}  # the 21st, 20th and 19th
    assert pauses == [analytics_jobs.PAUSE_SECONDS] * 2
    assert set(rollups.rolled_up_days(db, start=DAY_19, end=DAY_22, today=DAY_22)) == {DAY_19, DAY_20, DAY_21}
    after = _every_board(db, NOW)
    assert after == before
    assert [(board.rolled_up_days, board.rolled_up_at) for board in after[:4]] == [
        (3, NOW),
        (2, NOW),
        (0, None),
        (3, NOW),
    ]
    # All regions of the 21st: C 08h and I 14h in Guangzhou, F 09h in Shanghai, D 23h in Shenzhen.
    hours = db.execute(
        select(DailyVolume.scope, func.sum(DailyVolume.tickets)).where(DailyVolume.day == DAY_21).group_by("scope")
    ).all()
    assert sorted(hours) == [("all", 4), ("city", 4)]
    # Nothing changed since: the next pass has nothing to do.
    clock.advance(timedelta(minutes=5))
    assert run() == {"redone": 0, "rolled_up": 0}


def test_the_dashboard_reads_rolled_up_dates_from_the_rollups(
    db: Session, clock: FrozenClock, run: Run, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    run()
    # A change written behind the services' back (no updated_at): the live count sees it, the rollup not.
    db.execute(update(Ticket).where(Ticket.id == scenario.ids["B"]).values(kind=TicketKind.CONSULTATION))
    query = {"now": NOW, "start": DAY_19, "end": DAY_22, "region": "深圳市"}
    assert dict(service.dashboard(db, **query).top_fault_types)["被锁门外/无法开门"] == 1  # type: ignore[arg-type]
    assert "被锁门外/无法开门" not in dict(_live(db, monkeypatch, **query).top_fault_types)


def test_a_changed_ticket_rolls_its_date_up_again(
    db: Session, clock: FrozenClock, run: Run, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    run()
    clock.set(local(2026, 11, 22, 10, 5))
    factories.walk(db, clock=clock, ticket_id=scenario.ids["I"], events=[EventType.CANCEL])
    db.commit()
    query = {"now": clock.now(), "start": DAY_19, "end": DAY_22, "region": "广东省"}
    live = _live(db, monkeypatch, **query)
    # A (the 19th) breached both; D contacted in time; I's two targets left out now it is cancelled.
    assert live.sla_compliance["routine"] == SlaCompliance(met=1, breached=2, running=1)
    # Until the job's next pass the 21st is as rolled up (I still running).
    stale = service.dashboard(db, **query)  # type: ignore[arg-type]
    assert stale.sla_compliance["routine"] == SlaCompliance(met=1, breached=2, running=3)
    assert run() == {"redone": 1, "rolled_up": 0}
    assert service.dashboard(db, **query) == live  # type: ignore[arg-type]
    # The change is within CHANGE_MARGIN of that rollup's start, so it is redone once more, then left alone.
    clock.advance(timedelta(minutes=5))
    assert run() == {"redone": 1, "rolled_up": 0}
    clock.advance(timedelta(minutes=5))
    assert run() == {"redone": 0, "rolled_up": 0}
    assert service.dashboard(db, **query) == live  # type: ignore[arg-type]


def test_expired_sla_figures_are_rolled_up_again_by_the_next_pass(
    db: Session, clock: FrozenClock, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run()
    valid_until = db.scalar(select(RollupDay.valid_until).where(RollupDay.day == DAY_21))
    assert valid_until is not None and valid_until > NOW  # I's first contact, still running
    later = valid_until + timedelta(minutes=1)
    clock.set(later)
    query = {"now": later, "start": DAY_19, "end": DAY_21, "region": "广州市"}
    live = _live(db, monkeypatch, **query)
    stale = service.dashboard(db, **query)  # type: ignore[arg-type]
    # Counted live, I's first contact is now late; the rollup still has it running until the next pass.
    assert (stale.sla_compliance["routine"], live.sla_compliance["routine"]) == (
        SlaCompliance(met=0, breached=0, running=2),
        SlaCompliance(met=0, breached=1, running=1),
    )
    assert run()["redone"] == 1
    assert service.dashboard(db, **query) == live  # type: ignore[arg-type]


def test_a_pass_rolls_up_at_most_its_limit_newest_first(db: Session, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analytics_jobs, "ROLLUP_DAYS_PER_PASS", 2)
    assert run() == {"redone": 0, "rolled_up": 2}
    assert set(db.scalars(select(RollupDay.day))) == {DAY_20, DAY_21}
    assert run() == {"redone": 0, "rolled_up": 1}
    assert set(db.scalars(select(RollupDay.day))) == {DAY_19, DAY_20, DAY_21}


def test_the_worker_runs_the_rollups() -> None:
    [job] = [job for job in jobs(Settings()) if job.name == "dashboard_rollups"]
    assert (job.run, job.interval_seconds) == (analytics_jobs.rollup_job, 120.0)


def test_the_dashboard_page_says_which_dates_come_from_the_rollups(
    client: TestClient, db: Session, run: Run, make_user: UserFactory
) -> None:
    make_user(Role.MANAGER, username="rollup_viewer")
    console_login(client, db, "rollup_viewer")
    period = {"start": "2026-11-20", "end": "2026-11-22", "region": "广东省"}
    assert 'id="dashboard-rollup"' not in client.get("/console/dashboard", params=period).text
    run()
    page = client.get("/console/dashboard", params=period).text
    assert "其中 2 天取自后台每两分钟更新的日汇总（最早一天更新于 2026-11-22 10:00），其余日期实时统计。" in page
    assert "<td>2026-11-21</td><td>3</td>" in page and "<td>2026-11-20</td><td>2</td>" in page


def _one_hour(tickets: int) -> rollups.DayFigures:
    at = local(2026, 11, 21, 9)
    row = DailyVolume(day=DAY_21, scope=rollups.SCOPE_ALL, province="", city="", hour_start=at, tickets=tickets)
    return rollups.DayFigures(day=DAY_21, volume=[row], sla=[], faults=[], valid_until=None)


@pytest.mark.parametrize("rolled_up_before", [False, True], ids=["a new date", "a date rolled up before"])
def test_two_workers_rolling_up_one_date_leave_it_counted_once(
    committed_engine: Engine, rolled_up_before: bool
) -> None:
    factory = make_session_factory(committed_engine)
    if rolled_up_before:
        with unit_of_work(factory) as session:
            rollups.write_day(session, figures=_one_hour(3), computed_at=NOW - timedelta(hours=1))
    first = factory()
    rollups.write_day(first, figures=_one_hour(5), computed_at=NOW)
    outcome: dict[str, object] = {}

    def second() -> None:
        with unit_of_work(factory) as session:
            rollups.write_day(session, figures=_one_hour(7), computed_at=NOW + timedelta(minutes=1))
        outcome["done"] = True

    races.commit_while_blocked(committed_engine, first, second)
    assert outcome == {"done": True}
    with committed_engine.connect() as connection:
        rows = connection.execute(text("SELECT tickets FROM analytics_daily_volume WHERE day = :d"), {"d": DAY_21})
        assert [row[0] for row in rows] == [7]
        assert connection.execute(text("SELECT count(*) FROM analytics_rollup_days")).scalar() == 1


def test_the_watermark_never_moves_back(db: Session) -> None:
    rollups.move_watermark(db, at=NOW)
    rollups.move_watermark(db, at=NOW - timedelta(hours=1))  # a slower pass that began earlier
    assert rollups.watermark(db) == NOW - rollups.CHANGE_MARGIN
    rollups.move_watermark(db, at=NOW + timedelta(hours=1))
    assert rollups.watermark(db) == NOW + timedelta(hours=1) - rollups.CHANGE_MARGIN
