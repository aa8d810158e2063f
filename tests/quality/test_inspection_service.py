"""Sampling on a real database: over 1,000 closed tickets from six providers of uneven size the regional
sample is 20 % and the HQ sample 5 %, every provider represented, reproducible and stored once."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import FrozenClock
from aftersales.core.errors import ConflictError, PermissionDeniedError
from aftersales.quality import inspection
from aftersales.quality.models import Inspection, Sample
from tests.conftest import UserFactory, local
from tests.quality.factories import insert_tickets, make_providers

PERIOD = (local(2026, 11, 1), local(2026, 11, 16))
PROVIDER_SIZES = (430, 250, 150, 100, 50, 15)  # plus 5 closed tickets nobody was assigned


@pytest.fixture
def population(db: Session, clock: FrozenClock) -> dict[int | None, list[int]]:
    """1,000 tickets closed in the period, by provider; plus tickets that must never be sampled."""
    providers = make_providers(db, clock, len(PROVIDER_SIZES))
    closed = local(2026, 11, 8, 15)
    by_provider: dict[int | None, list[int]] = {
        org: insert_tickets(db, clock, organisation_id=org, count=size, closed_at=closed)
        for org, size in zip(providers, PROVIDER_SIZES, strict=True)
    }
    by_provider[None] = insert_tickets(db, clock, organisation_id=None, count=5, closed_at=closed)
    insert_tickets(db, clock, organisation_id=providers[0], count=20, closed_at=PERIOD[1], prefix="QX")  # after
    insert_tickets(db, clock, organisation_id=providers[1], count=20, closed_at=None, prefix="QY")  # still open
    db.commit()
    return by_provider


def _draw(db: Session, clock: FrozenClock, actor: Actor, level: str, seed: int) -> inspection.DrawnSample:
    return inspection.draw_sample(
        db, clock=clock, actor=actor, level=level, period_start=PERIOD[0], period_end=PERIOD[1], seed=seed
    )


def test_regional_and_hq_samples_over_1000_closed_tickets(
    db: Session, clock: FrozenClock, make_user: UserFactory, population: dict[int | None, list[int]]
) -> None:
    inspector, _ = make_user(Role.INSPECTOR)
    eligible = {ticket_id: org for org, ids in population.items() for ticket_id in ids}
    assert len(eligible) == 1000
    regional = _draw(db, clock, inspector, "regional", 20261129)
    hq = _draw(db, clock, inspector, "hq", 20261129)
    for drawn, expected in ((regional, 200), (hq, 50)):
        ids = [row.ticket_id for row in drawn.inspections]
        assert drawn.created and drawn.sample.population == 1000 and drawn.sample.size == expected
        assert len(ids) == len(set(ids)) == expected  # 20 % ± 2 %, 5 % ± 1 %: exactly on target
        assert set(ids) <= set(eligible)  # never an open ticket or one closed outside the period
        assert set(Counter(eligible[ticket_id] for ticket_id in ids)) == set(population)  # every provider
        assert all(
            row.status == "pending" and row.organisation_id == eligible[row.ticket_id] for row in drawn.inspections
        )
    assert regional.sample.strata[f"org:{next(iter(population))}"] == {"population": 430, "sampled": 86}
    assert hq.sample.strata["unassigned"] == {"population": 5, "sampled": 1}


def test_drawing_again_returns_the_stored_sample_and_another_seed_is_refused(
    db: Session, clock: FrozenClock, make_user: UserFactory, population: dict[int | None, list[int]]
) -> None:
    inspector, _ = make_user(Role.INSPECTOR)
    first = _draw(db, clock, inspector, "regional", 42)
    db.commit()
    again = _draw(db, clock, inspector, "regional", 42)
    assert not again.created and again.sample.id == first.sample.id
    assert [row.ticket_id for row in again.inspections] == [row.ticket_id for row in first.inspections]
    with pytest.raises(ConflictError) as refused:
        _draw(db, clock, inspector, "regional", 43)
    assert refused.value.code == "quality.sample_exists"
    with pytest.raises(ConflictError) as overlapping:
        inspection.draw_sample(
            db, clock=clock, actor=inspector, level="regional", period_start=local(2026, 11, 10),
            period_end=local(2026, 11, 20), seed=42,
        )  # fmt: skip
    assert overlapping.value.code == "quality.sample_overlaps"
    assert db.scalar(select(func.count()).select_from(Sample)) == 1
    assert db.scalar(select(func.count()).select_from(Inspection)) == 200


def test_the_same_seed_reproduces_the_draw_on_a_fresh_database_state(
    db: Session, clock: FrozenClock, make_user: UserFactory, population: dict[int | None, list[int]]
) -> None:
    inspector, _ = make_user(Role.INSPECTOR)
    first = [row.ticket_id for row in _draw(db, clock, inspector, "hq", 5).inspections]
    db.rollback()  # forget the stored sample: drawing again must pick exactly the same tickets
    second = [row.ticket_id for row in _draw(db, clock, inspector, "hq", 5).inspections]
    db.rollback()
    other = [row.ticket_id for row in _draw(db, clock, inspector, "hq", 6).inspections]
    assert first == second and first != other


def test_only_quality_staff_draw_samples(db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    agent, _ = make_user(Role.AGENT)
    with pytest.raises(PermissionDeniedError) as refused:
        _draw(db, clock, agent, "regional", 1)
    assert refused.value.code == "quality.forbidden"
    assert db.scalar(select(func.count()).select_from(Sample)) == 0
