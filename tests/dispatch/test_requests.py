"""Dispatch requests: written with the ticket, decided after its commit under a lease."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts.enums import Role
from aftersales.accounts.models import User
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.dispatch.planning import decisions, jobs, requests
from aftersales.dispatch.planning.models import DispatchRequest
from aftersales.tickets.models import Ticket, TicketEvent
from aftersales.tickets.schemas import TicketCreate
from aftersales.usecases import intake
from tests import factories
from tests.conftest import UserFactory, ticket_body


def _open(db: Session, clock: FrozenClock, make_user: UserFactory, *, kind: str = "repair", auto: bool = True) -> int:
    actor, _ = make_user(Role.AGENT)
    request = TicketCreate.model_validate(ticket_body(kind=kind, priority="routine"))
    ticket, created = intake.open_ticket(db, clock=clock, actor=actor, request=request, auto_dispatch=auto)
    assert created
    db.commit()
    return ticket.id


def _requests(db: Session) -> list[DispatchRequest]:
    return list(db.scalars(select(DispatchRequest).order_by(DispatchRequest.id)))


def test_intake_queues_a_field_job_and_nothing_else(db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    repair = _open(db, clock, make_user)
    _open(db, clock, make_user, kind="consultation")
    _open(db, clock, make_user, auto=False)
    [queued] = _requests(db)
    assert (queued.ticket_id, queued.requested_at, queued.is_urgent, queued.done_at, queued.attempts) == (
        repair,
        clock.now(),
        False,
        None,
        0,
    )
    # Intake itself decided nothing: no dispatch line on the timeline yet.
    assert db.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.type == "dispatch")) == 0


def test_a_claim_is_leased_then_taken_again_and_a_stale_claim_cannot_complete(
    db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    ticket_id = _open(db, clock, make_user)
    [first] = requests.claim(db, clock=clock)
    assert (first.ticket_id, first.attempts) == (ticket_id, 1)
    assert requests.claim(db, clock=clock) == []  # leased
    clock.advance(requests.LEASE + timedelta(seconds=1))
    [second] = requests.claim(db, clock=clock)
    assert second.attempts == 2 and second.token != first.token
    assert requests.complete(db, clock=clock, claimed=first, outcome="tech01") is False
    assert _requests(db)[0].done_at is None
    assert requests.complete(db, clock=clock, claimed=second, outcome="tech01") is True
    db.expire_all()
    [done] = _requests(db)
    assert (done.done_at, done.outcome, done.claimed_until) == (clock.now(), "tech01", None)
    assert requests.claim(db, clock=clock) == []


def test_a_request_that_keeps_failing_is_given_up_after_three_tries(
    db: Session,
    clock: FrozenClock,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _open(db, clock, make_user)
    calls: list[int] = []

    def broken(session: Session, **kwargs: object) -> str | None:
        calls.append(int(kwargs["ticket_id"]))  # type: ignore[call-overload]
        raise RuntimeError("routing engine down")

    monkeypatch.setattr(decisions, "dispatch_at_intake", broken)
    report = jobs.dispatch_job(session_factory, clock, Settings())
    assert (report.decided, report.failed, len(calls)) == (0, requests.MAX_ATTEMPTS, requests.MAX_ATTEMPTS)
    db.expire_all()
    [given_up] = _requests(db)
    assert given_up.done_at == clock.now()
    assert given_up.outcome == "RuntimeError: routing engine down（多次尝试失败，已放弃自动派单）"
    assert jobs.dispatch_job(session_factory, clock, Settings()) == jobs.DispatchReport(decided=0, failed=0)


def test_the_job_decides_each_request_once(
    db: Session,
    clock: FrozenClock,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = _open(db, clock, make_user), _open(db, clock, make_user)
    decided: list[int] = []

    def decide(session: Session, **kwargs: object) -> str | None:
        decided.append(int(kwargs["ticket_id"]))  # type: ignore[call-overload]
        return "tech01"

    monkeypatch.setattr(decisions, "dispatch_at_intake", decide)
    assert jobs.dispatch_job(session_factory, clock, Settings()) == jobs.DispatchReport(decided=2, failed=0)
    assert jobs.dispatch_job(session_factory, clock, Settings()) == jobs.DispatchReport(decided=0, failed=0)
    assert decided == [first, second]
    db.expire_all()
    assert [(r.ticket_id, r.outcome, r.attempts) for r in _requests(db)] == [
        (first, "tech01", 1),
        (second, "tech01", 1),
    ]


def test_urgent_jobs_are_claimed_before_older_routine_ones(
    db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    actor, _ = make_user(Role.AGENT)
    routine = _open(db, clock, make_user)
    clock.advance(timedelta(minutes=1))
    request = TicketCreate.model_validate(ticket_body(kind="repair", priority="urgent"))
    urgent, _ = intake.open_ticket(db, clock=clock, actor=actor, request=request, auto_dispatch=True)
    db.commit()
    [first] = requests.claim(db, clock=clock, limit=1)
    [second] = requests.claim(db, clock=clock, limit=1)
    assert (first.ticket_id, second.ticket_id) == (urgent.id, routine)


def test_routine_decisions_give_way_to_people_and_urgent_ones_never_do(
    db: Session,
    clock: FrozenClock,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    actor, _ = make_user(Role.AGENT)
    routine = _open(db, clock, make_user)
    request = TicketCreate.model_validate(ticket_body(kind="repair", priority="urgent"))
    urgent, _ = intake.open_ticket(db, clock=clock, actor=actor, request=request, auto_dispatch=True)
    db.commit()
    timeline: list[object] = []
    monkeypatch.setattr(
        decisions, "dispatch_at_intake", lambda session, **kwargs: timeline.append(kwargs["ticket_id"]) or None
    )
    report = jobs.dispatch_job(
        session_factory, clock, Settings(), people_waiting=lambda: True, pause=lambda seconds: timeline.append(seconds)
    )
    assert report == jobs.DispatchReport(decided=2, failed=0)
    # The urgent job at once; the routine one after giving way for YIELD_SECONDS in steps, then anyway.
    steps = round(jobs.YIELD_SECONDS / jobs.YIELD_STEP)
    assert timeline == [urgent.id, *[jobs.YIELD_STEP] * steps, routine]


def test_with_nobody_waiting_no_decision_pauses(
    db: Session,
    clock: FrozenClock,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    routine = _open(db, clock, make_user)
    timeline: list[object] = []
    monkeypatch.setattr(
        decisions, "dispatch_at_intake", lambda session, **kwargs: timeline.append(kwargs["ticket_id"]) or None
    )
    jobs.dispatch_job(
        session_factory, clock, Settings(), people_waiting=lambda: False, pause=lambda seconds: timeline.append(seconds)
    )
    assert timeline == [routine]


def test_the_routine_part_of_a_batch_is_written_in_one_transaction_counting_its_own_assignments(
    db: Session,
    clock: FrozenClock,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = factories.organisation_tree(db, clock=clock)
    factories.service_point(db, organisation_id=tree.service_center.id)
    code = tree.service_center.code
    # The nearer technician has room for one more job today; the second job must not go to her as well.
    factories.technician(db, clock=clock, username="near", organisation_code=code, max_jobs_per_day=1)
    factories.technician(db, clock=clock, username="far", organisation_code=code, home=(113.99, 22.56))
    db.commit()
    first, second = _open(db, clock, make_user), _open(db, clock, make_user)
    units: list[str] = []
    real_unit_of_work = jobs.unit_of_work

    def counted(factory: sessionmaker[Session]) -> object:
        units.append("unit")
        return real_unit_of_work(factory)

    monkeypatch.setattr(jobs, "unit_of_work", counted)
    assert jobs.dispatch_job(session_factory, clock, Settings()) == jobs.DispatchReport(decided=2, failed=0)
    # The claim, both decisions in one write, the empty claim that ends the run.
    assert len(units) == 3
    db.expire_all()
    assignees = db.execute(
        select(Ticket.id, User.username).join(User, User.id == Ticket.assignee_id).where(Ticket.id.in_([first, second]))
    ).all()
    assert sorted(assignees) == [(first, "near"), (second, "far")]
    assert [(r.ticket_id, r.outcome, r.attempts, r.done_at) for r in _requests(db)] == [
        (first, "near", 1, clock.now()),
        (second, "far", 1, clock.now()),
    ]


def test_a_decision_that_fails_in_a_batch_is_undone_alone_and_released(
    db: Session,
    clock: FrozenClock,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second, third = (_open(db, clock, make_user) for _ in range(3))

    def decide(session: Session, **kwargs: object) -> str | None:
        ticket_id = int(kwargs["ticket_id"])  # type: ignore[call-overload]
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.description = f"decided {ticket_id}"  # a write the failing decision must not leave behind
        session.flush()
        if ticket_id == second:
            raise RuntimeError("routing engine down")
        return "tech01"

    monkeypatch.setattr(decisions, "dispatch_at_intake", decide)
    report = jobs.dispatch_job(session_factory, clock, Settings())
    # Released at once, the failing one is claimed again in the same run until it is given up.
    assert report == jobs.DispatchReport(decided=2, failed=requests.MAX_ATTEMPTS)
    db.expire_all()
    descriptions = dict(
        db.execute(select(Ticket.id, Ticket.description).where(Ticket.id.in_([first, second, third]))).all()
    )
    assert descriptions[first] == f"decided {first}" and descriptions[third] == f"decided {third}"
    assert not descriptions[second].startswith("decided")
    assert [(r.ticket_id, r.outcome, r.attempts) for r in _requests(db)] == [
        (first, "tech01", 1),
        (second, "RuntimeError: routing engine down（多次尝试失败，已放弃自动派单）", requests.MAX_ATTEMPTS),
        (third, "tech01", 1),
    ]
