"""Feedback steps that race (real commits, concurrent units of work): a promise is kept once, a visit's
calls are counted one at a time, a survey is taken once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.feedback import promises, rules, surveys, visits
from aftersales.feedback.enums import FeedbackEventType
from aftersales.feedback.models import ReturnVisit, SurveyResponse, VisitAttempt
from aftersales.tickets.models import TicketEvent
from tests import factories
from tests.conftest import race

# The factory's ticket is an on-site repair: its survey has the two on-site questions too.
SCORES = {"overall": 5, "reach_human": 4, "ivr": 4, "attitude": 5, "problem_solving": 5, "outcome": 5}
SCORES |= {"punctuality": 5, "tidiness": 4}


def test_ten_fulfils_of_one_promise_keep_it_once(committed_engine: Engine, clock: FrozenClock) -> None:
    factory = make_session_factory(committed_engine)
    with unit_of_work(factory) as session:
        agent = factories.user(session, clock=clock, role=Role.AGENT, username="agent_promise").actor
        ticket_id = factories.ticket(session, clock=clock).id
        promise_id = promises.add_promise(
            session,
            clock=clock,
            actor=agent,
            ticket_id=ticket_id,
            description="明天上午送来备用锁芯",
            due_at=clock.now() + timedelta(days=1),
            owner_username="agent_promise",
        ).id

    def fulfil(session: Session) -> object:
        return promises.fulfil(session, clock=clock, actor=agent, promise_id=promise_id)

    outcomes = race(factory, [fulfil] * 10)
    assert (outcomes.count("ok"), len(outcomes)) == (1, 10)
    with unit_of_work(factory) as session:
        kept = session.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .where(TicketEvent.type == FeedbackEventType.PROMISE_FULFILLED.value)
        )
        assert kept == 1


def test_concurrent_calls_are_counted_one_at_a_time_and_end_the_visit_once(
    committed_engine: Engine, clock: FrozenClock
) -> None:
    factory = make_session_factory(committed_engine)
    with unit_of_work(factory) as session:
        agent = factories.user(session, clock=clock, role=Role.AGENT, username="agent_calls").actor
        visit_id = factories.return_visit(session, clock=clock).id

    def call(session: Session) -> object:
        return visits.record_attempt(session, clock=clock, actor=agent, visit_id=visit_id, outcome="no_answer")

    outcomes = race(factory, [call] * 6)
    assert (outcomes.count("ok"), outcomes.count("visit.closed")) == (rules.MAX_ATTEMPTS, 6 - rules.MAX_ATTEMPTS)
    with unit_of_work(factory) as session:
        visit = session.get(ReturnVisit, visit_id)
        assert visit is not None and (visit.attempts, visit.status) == (rules.MAX_ATTEMPTS, "unreachable")
        assert session.scalar(select(func.count()).select_from(VisitAttempt)) == rules.MAX_ATTEMPTS


def test_ten_surveys_of_one_visit_are_taken_once(committed_engine: Engine, clock: FrozenClock) -> None:
    factory = make_session_factory(committed_engine)
    with unit_of_work(factory) as session:
        agent = factories.user(session, clock=clock, role=Role.AGENT, username="agent_survey").actor
        visit_id = factories.return_visit(session, clock=clock).id

    def survey(session: Session) -> object:
        visit = visits.get_visit(session, visit_id)
        return surveys.record_survey(
            session, clock=clock, actor=agent, visit=visit, scores=dict(SCORES), comment=None, anger=0.0, source="call"
        )

    outcomes = race(factory, [survey] * 10)
    assert (outcomes.count("ok"), outcomes.count("visit.closed")) == (1, 9)
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
