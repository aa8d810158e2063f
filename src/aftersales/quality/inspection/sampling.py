"""Regional (20 %) and HQ (5 %) samples of closed tickets, stratified by provider, reproducible by seed.

HQ draws its 5 % from the same population as the region, independently (its own generator), not from
the regional sample: what HQ looks at must not depend on what the region chose, and a ticket in both
samples simply gets two forms whose scores can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError
from aftersales.core.i18n import N_, Joined
from aftersales.quality import rules
from aftersales.quality.inspection.access import require_inspector
from aftersales.quality.models import Inspection, Sample
from aftersales.tickets.enums import TicketStatus
from aftersales.tickets.models import Ticket

# --- Sampling -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawnSample:
    sample: Sample
    inspections: list[Inspection]
    created: bool


def draw_sample(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    level: str,
    period_start: datetime,
    period_end: datetime,
    seed: int,
) -> DrawnSample:
    """Sample the tickets closed in [period_start, period_end) for inspection at ``level``; drawing the
    same level and period again with the same seed returns the stored sample, another seed is refused."""
    require_inspector(actor)
    problems: dict[str, str] = {}
    if level not in rules.SAMPLE_RATES:
        problems["level"] = N_("抽检级别须为 regional 或 hq")
    if period_start.tzinfo is None or period_end.tzinfo is None or period_end <= period_start:
        problems["period_end"] = N_("结束时间须晚于开始时间（带时区）")
    if not 0 <= seed < 2**63:
        problems["seed"] = N_("随机种子须为非负整数")
    if problems:
        raise InvalidInputError(Joined(problems.values()), code="quality.invalid", fields=problems)
    existing = _stored_sample(session, level, period_start, period_end, seed)
    if existing is not None:
        return existing
    overlapping = session.scalar(
        select(Sample.id).where(
            Sample.level == level, Sample.period_start < period_end, Sample.period_end > period_start
        )
    )
    if overlapping is not None:
        raise ConflictError(
            N_("该时段与已有抽样重叠"), code="quality.sample_overlaps", fields={"sample_id": overlapping}
        )
    rows = session.execute(
        select(Ticket.id, Ticket.organisation_id, Ticket.assignee_id).where(
            Ticket.status == TicketStatus.CLOSED, Ticket.closed_at >= period_start, Ticket.closed_at < period_end
        )
    ).all()
    if not rows:
        raise ConflictError(N_("该时段没有已闭环的工单"), code="quality.empty_population")
    by_id = {ticket_id: (organisation_id, assignee_id) for ticket_id, organisation_id, assignee_id in rows}
    units = [rules.SampleUnit(ticket_id, rules.stratum_of(org)) for ticket_id, (org, _) in by_id.items()]
    rate = rules.SAMPLE_RATES[level]
    chosen = rules.stratified_sample(units, rate=rate, seed=seed, salt=level)
    strata: dict[str, dict[str, int]] = {}
    for unit in units:
        strata.setdefault(unit.stratum, {"population": 0, "sampled": 0})["population"] += 1
    for unit in chosen:
        strata[unit.stratum]["sampled"] += 1
    now = clock.now()
    sample = Sample(
        level=level,
        period_start=period_start,
        period_end=period_end,
        seed=seed,
        rate=float(rate),
        population=len(units),
        size=len(chosen),
        strata=strata,
        drawn_by=actor.username,
        drawn_at=now,
    )
    try:
        with session.begin_nested():
            session.add(sample)
            session.flush()
    except IntegrityError:  # drawn concurrently by someone else: theirs stands
        stored = _stored_sample(session, level, period_start, period_end, seed)
        if stored is None:
            raise
        return stored
    session.execute(
        insert(Inspection),
        [
            {
                "sample_id": sample.id,
                "ticket_id": unit.ticket_id,
                "level": level,
                "stratum": unit.stratum,
                "organisation_id": by_id[unit.ticket_id][0],
                "technician_id": by_id[unit.ticket_id][1],
                "status": "pending",
                "created_at": now,
            }
            for unit in chosen
        ],
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="quality.sample_drawn",
        entity_type="quality_sample",
        entity_id=sample.id,
        after={"level": level, "seed": seed, "population": len(units), "size": len(chosen)},
    )
    return DrawnSample(sample, _inspections_of(session, sample.id), created=True)


def _stored_sample(session: Session, level: str, start: datetime, end: datetime, seed: int) -> DrawnSample | None:
    sample = session.scalar(
        select(Sample).where(Sample.level == level, Sample.period_start == start, Sample.period_end == end)
    )
    if sample is None:
        return None
    if sample.seed != seed:
        raise ConflictError(
            N_("该时段已按种子 %(seed)s 抽样，不能换种子重抽"),
            {"seed": sample.seed},
            code="quality.sample_exists",
            fields={"sample_id": sample.id, "seed": sample.seed},
        )
    return DrawnSample(sample, _inspections_of(session, sample.id), created=False)


def _inspections_of(session: Session, sample_id: int) -> list[Inspection]:
    return list(
        session.scalars(select(Inspection).where(Inspection.sample_id == sample_id).order_by(Inspection.ticket_id))
    )


def get_sample(session: Session, sample_id: int) -> Sample:
    """One drawn sample."""
    sample = session.get(Sample, sample_id)
    if sample is None:
        raise NotFoundError(N_("抽样 %(id)s 不存在"), {"id": sample_id}, code="quality.not_found")
    return sample


def recent_samples(session: Session, *, limit: int = 10) -> list[Sample]:
    """The latest drawn samples, newest first."""
    return list(session.scalars(select(Sample).order_by(Sample.drawn_at.desc(), Sample.id.desc()).limit(limit)))
