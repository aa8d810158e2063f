"""Decisions that race (real commits, concurrent units of work): exactly one wins, the others are refused
with a conflict and change nothing (PostgreSQL locks the row; SQLite serialises writers)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.quality import compensation
from aftersales.quality.models import Compensation
from tests import factories
from tests.conftest import race


def test_ten_approvals_against_ten_rejections_decide_once(committed_engine: Engine, clock: FrozenClock) -> None:
    factory = make_session_factory(committed_engine)
    with unit_of_work(factory) as session:
        boss = factories.user(session, clock=clock, role=Role.ADMIN, username="boss_race").actor
        agent = factories.user(session, clock=clock, role=Role.AGENT, username="agent_proposer").actor
        ticket = factories.ticket(session, clock=clock)
        entry = compensation.propose_compensation(
            session, clock=clock, actor=agent, ticket_id=ticket.id, kind="coupon", amount_cents=5_000, reason="超时"
        )
        entry_id = entry.id

    def decision(approve: bool):  # type: ignore[no-untyped-def]
        return lambda session: compensation.decide(
            session, clock=clock, actor=boss, compensation_id=entry_id, approve=approve
        )

    outcomes = race(factory, [decision(index % 2 == 0) for index in range(20)])
    assert sorted(set(outcomes)) == ["compensation.already_decided", "ok"]
    assert outcomes.count("ok") == 1
    with unit_of_work(factory) as session:
        decided = session.get(Compensation, entry_id)
        assert decided is not None and decided.status in ("approved", "rejected")
        audited = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.in_(DECISIONS)))
        assert audited == 1


def test_ten_proposals_under_one_rule_make_one_ledger_entry(committed_engine: Engine, clock: FrozenClock) -> None:
    factory = make_session_factory(committed_engine)
    with unit_of_work(factory) as session:
        agent = factories.user(session, clock=clock, role=Role.AGENT, username="agent_race").actor
        ticket_id = factories.ticket(session, clock=clock).id

    def propose(session: Session) -> object:
        return compensation.propose_compensation(
            session,
            clock=clock,
            actor=agent,
            ticket_id=ticket_id,
            kind="coupon",
            amount_cents=5_000,
            reason="服务超时",
            rule="sla_breached",
        )

    outcomes = race(factory, [propose] * 10)
    assert (outcomes.count("ok"), outcomes.count("compensation.duplicate")) == (1, 9)
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(Compensation)) == 1


DECISIONS = ("compensation.approved", "compensation.rejected")
