"""Daily rollups of the dashboard's figures, so that a month or a year of a large installation is read
from a few thousand rows instead of millions of tickets (docs/benchmarks.md §12).

A local date's figures are computed by the dashboard's own queries (``queries``), grouped by province and
city as well, and stored for all regions (scope ``all``) and per place (scope ``city``); the dashboard
sums the rolled-up dates and counts only the others live (today, and dates not rolled up yet). The
background job (``jobs.rollup_job``) rolls up the dates that ended, and again the dates whose tickets
changed since (``tickets.updated_at``) or whose SLA figures expired (``valid_until``: a target still
running then came due and now counts as breached): past dates on the dashboard are at most one pass of
the job behind the tickets. (Counting expired dates live instead made every recent date live between
two passes: their targets come due all the time.) Changing an address's province or city afterwards
does not roll its tickets' dates up again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from aftersales.analytics import queries
from aftersales.analytics.models import DailyFault, DailySla, DailyVolume, RollupDay, RollupWatermark
from aftersales.core.db import dialect_insert, dialect_of, get_for_update
from aftersales.core.timeutil import to_local
from aftersales.sla.models import Target
from aftersales.tickets.models import Ticket

R = TypeVar("R", DailyVolume, DailySla, DailyFault)

SCOPE_ALL = "all"
SCOPE_CITY = "city"
# A rolled-up date counts as computed this long before its queries began: a ticket change committed
# while they ran (and so not seen by them) is then still newer than the date's figures.
CHANGE_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True)
class DayFigures:
    """What one local date's rollup holds (rows not yet added to a session)."""

    day: date
    volume: list[DailyVolume]
    sla: list[DailySla]
    faults: list[DailyFault]
    valid_until: datetime | None


def compute_day(session: Session, *, day: date, now: datetime) -> DayFigures:
    """The figures of the tickets reported on the local date ``day``, as the dashboard counts them at
    ``now``: per place, and for all regions (the sums of the places). Reads only."""
    in_day = queries.reported_between(day, day)
    volume: list[DailyVolume] = []
    totals: dict[datetime, int] = {}
    for province, city, hour_start, count in queries.hourly_counts(session, in_day, by_place=True):
        volume.append(_row(DailyVolume, day, province, city, hour_start=hour_start, tickets=count))
        totals[hour_start] = totals.get(hour_start, 0) + count
    volume += [_row(DailyVolume, day, None, None, hour_start=at, tickets=n) for at, n in sorted(totals.items())]
    sla: list[DailySla] = []
    summed: dict[str, list[int]] = {}
    for found in queries.sla_rows(session, in_day, now=now, by_place=True):
        figures = [found.met, found.breached, found.targets, found.breached_tickets]
        sla.append(_row(DailySla, day, found.province, found.city, priority=found.priority, **_sla_fields(figures)))
        summed[found.priority] = [a + b for a, b in zip(summed.get(found.priority, [0] * 4), figures, strict=True)]
    sla += [_row(DailySla, day, None, None, priority=p, **_sla_fields(f)) for p, f in sorted(summed.items())]
    faults: list[DailyFault] = []
    by_fault: dict[tuple[str, str], int] = {}
    for province, city, fault, kind, count in queries.fault_counts(session, in_day, by_place=True):
        faults.append(_row(DailyFault, day, province, city, kind=kind, fault=fault or "", tickets=count))
        by_fault[(kind, fault or "")] = by_fault.get((kind, fault or ""), 0) + count
    faults += [
        _row(DailyFault, day, None, None, kind=kind, fault=fault, tickets=n) for (kind, fault), n in by_fault.items()
    ]
    # The SLA figures hold until a target still running on this date comes due (it then counts as breached).
    valid_until = session.scalar(
        select(func.min(Target.due_at))
        .join(Ticket, Ticket.id == Target.ticket_id)
        .where(
            *in_day,
            Target.met_at.is_(None),
            Target.breached_at.is_(None),
            Target.paused_since.is_(None),
            Target.due_at > now,
        )
    )
    return DayFigures(day=day, volume=volume, sla=sla, faults=faults, valid_until=valid_until)


def _sla_fields(figures: list[int]) -> dict[str, int]:
    met, breached, targets, breached_tickets = figures
    return {"met": met, "breached": breached, "targets": targets, "breached_tickets": breached_tickets}


def _row(model: type[R], day: date, province: str | None, city: str | None, **fields: object) -> R:
    """A rollup row of one place (province and city given) or of all regions (both None)."""
    scope = SCOPE_ALL if province is None else SCOPE_CITY
    return model(day=day, scope=scope, province=province or "", city=city or "", **fields)


def write_day(session: Session, *, figures: DayFigures, computed_at: datetime) -> None:
    """Replace the date's rollup with ``figures`` (computed from queries that began at ``computed_at``).

    The date's mark is created if need be and locked first: two workers rolling up one date write one
    after the other (on PostgreSQL the second would otherwise not see, and so not delete, the rows the
    first inserted, and the date would be counted twice)."""
    insert = dialect_insert(dialect_of(session))
    marked_at = computed_at - CHANGE_MARGIN
    session.execute(
        insert(RollupDay)
        .values(day=figures.day, computed_at=marked_at, valid_until=figures.valid_until)
        .on_conflict_do_nothing(index_elements=["day"])
    )
    marked = get_for_update(session, RollupDay, figures.day)
    assert marked is not None  # created above, and marks are never deleted
    for model in (DailyVolume, DailySla, DailyFault):
        session.execute(delete(model).where(model.day == figures.day))
    session.add_all([*figures.volume, *figures.sla, *figures.faults])
    marked.computed_at = marked_at
    marked.valid_until = figures.valid_until
    session.flush()


def rolled_up_days(session: Session, *, start: date, end: date, today: date) -> dict[date, datetime]:
    """The rolled-up dates of [start, end] before ``today``, with when each was computed."""
    rows = session.execute(
        select(RollupDay.day, RollupDay.computed_at).where(
            RollupDay.day >= start, RollupDay.day <= end, RollupDay.day < today
        )
    )
    return {day: computed_at + CHANGE_MARGIN for day, computed_at in rows}


def _stored_in(
    model: type[DailyVolume | DailySla | DailyFault], days: Iterable[date], region: str | None
) -> list[ColumnElement[bool]]:
    where = [model.day.in_(sorted(days))]
    if region is None:
        return [*where, model.scope == SCOPE_ALL]
    return [*where, model.scope == SCOPE_CITY, or_(model.province == region, model.city == region)]


def hourly_counts(session: Session, *, days: set[date], region: str | None) -> list[tuple[datetime, int]]:
    """(start of the UTC hour, tickets) rolled up for ``days`` in ``region`` (None: all)."""
    if not days:
        return []
    rows = session.execute(
        select(DailyVolume.hour_start, func.sum(DailyVolume.tickets))
        .where(*_stored_in(DailyVolume, days, region))
        .group_by(DailyVolume.hour_start)
    )
    return [(hour_start, int(count)) for hour_start, count in rows]


def sla_rows(session: Session, *, days: set[date], region: str | None) -> list[queries.SlaRow]:
    """The SLA figures per priority rolled up for ``days`` in ``region`` (None: all)."""
    if not days:
        return []
    rows = session.execute(
        select(
            DailySla.priority,
            func.sum(DailySla.met),
            func.sum(DailySla.breached),
            func.sum(DailySla.targets),
            func.sum(DailySla.breached_tickets),
        )
        .where(*_stored_in(DailySla, days, region))
        .group_by(DailySla.priority)
    )
    return [
        queries.SlaRow(priority=str(p), met=int(m), breached=int(b), targets=int(t), breached_tickets=int(n))
        for p, m, b, t, n in rows
    ]


def fault_counts(session: Session, *, days: set[date], region: str | None) -> list[tuple[str | None, str, int]]:
    """(fault or None, kind, tickets) rolled up for ``days`` in ``region`` (None: all)."""
    if not days:
        return []
    rows = session.execute(
        select(DailyFault.fault, DailyFault.kind, func.sum(DailyFault.tickets))
        .where(*_stored_in(DailyFault, days, region))
        .group_by(DailyFault.fault, DailyFault.kind)
    )
    return [(fault or None, str(kind), int(count)) for fault, kind, count in rows]


# --- what the job rolls up --------------------------------------------------------------------------------


def watermark(session: Session) -> datetime | None:
    """Ticket changes before this moment are in the rollups (None before the first complete pass)."""
    return session.scalar(select(RollupWatermark.at).where(RollupWatermark.id == 1))


def move_watermark(session: Session, *, at: datetime) -> None:
    """Record that every ticket change before ``at`` is in the rollups (never moved back by a slower pass)."""
    insert = dialect_insert(dialect_of(session))
    moved = at - CHANGE_MARGIN
    session.execute(insert(RollupWatermark).values(id=1, at=moved).on_conflict_do_nothing(index_elements=["id"]))
    session.execute(update(RollupWatermark).where(RollupWatermark.id == 1, RollupWatermark.at < moved).values(at=moved))


def days_to_redo(session: Session, *, since: datetime | None, today: date, now: datetime) -> list[date]:
    """Rolled-up dates before ``today`` whose tickets changed after their rollup was computed (changes
    since ``since``), or whose SLA figures expired by ``now``; newest first."""
    marks = {day: computed for day, computed in session.execute(select(RollupDay.day, RollupDay.computed_at))}
    redo = set(session.scalars(select(RollupDay.day).where(RollupDay.valid_until <= now, RollupDay.day < today)))
    if since is not None:
        changed = session.execute(select(Ticket.reported_at, Ticket.updated_at).where(Ticket.updated_at >= since))
        for reported_at, updated_at in changed:
            day = to_local(reported_at).date()
            if day < today and day in marks and updated_at >= marks[day]:
                redo.add(day)
    return sorted(redo, reverse=True)


def days_not_rolled_up(session: Session, *, today: date, limit: int) -> list[date]:
    """Up to ``limit`` dates from the first ticket's to yesterday with no rollup yet, newest first."""
    first = session.scalar(select(func.min(Ticket.reported_at)))
    if first is None:
        return []
    start = to_local(first).date()
    marked = set(session.scalars(select(RollupDay.day).where(RollupDay.day >= start, RollupDay.day < today)))
    missing: list[date] = []
    day = today - timedelta(days=1)
    while day >= start and len(missing) < limit:
        if day not in marked:
            missing.append(day)
        day -= timedelta(days=1)
    return missing
