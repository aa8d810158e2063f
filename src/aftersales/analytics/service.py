"""The manager dashboard's figures: rolled-up dates summed from ``rollups``, the rest counted by the
database (``queries``: GROUP BY aggregates, never loading tickets); the current backlog, today's
breaches and the regions to choose from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from aftersales.analytics import queries, rollups, rules
from aftersales.analytics.schemas import Dashboard, Region, SlaCompliance
from aftersales.core.timeutil import to_local
from aftersales.customers.models import Address
from aftersales.tickets.enums import EventType, Priority, TicketStatus
from aftersales.tickets.models import Ticket, TicketEvent

OPEN_STATUSES = (
    TicketStatus.REGISTERED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.ON_HOLD,
    TicketStatus.RESOLVED,
    TicketStatus.VISITED,
)


def dashboard(session: Session, *, now: datetime, start: date, end: date, region: str | None = None) -> Dashboard:
    """Every dashboard figure for tickets reported in [start, end] (local dates) and ``region``
    (a province or city name; None for all). ``now`` fixes "today" and the current backlog.

    Dates the background job has rolled up are summed from ``rollups`` (at most one pass of the job
    behind the tickets); the others (today, dates not rolled up yet) are counted from the tickets, in
    one query per figure."""
    today = to_local(now).date()
    computed = rollups.rolled_up_days(session, start=start, end=end, today=today)
    stored = set(computed)
    live = rules.date_runs(start, end, skip=stored)
    hourly = rollups.hourly_counts(session, days=stored, region=region)
    sla = rollups.sla_rows(session, days=stored, region=region)
    faults = rollups.fault_counts(session, days=stored, region=region)
    if live:
        in_live = queries.reported_on_any(live) + queries.in_region(region)
        hourly += [(at, count) for _p, _c, at, count in queries.hourly_counts(session, in_live)]
        sla += queries.sla_rows(session, in_live, now=now)
        faults += [(fault, kind, count) for _p, _c, fault, kind, count in queries.fault_counts(session, in_live)]
    volume = rules.fold_hourly_counts(hourly, start=start, end=end)
    compliance, breached_tickets = _compliance(sla)
    named = ((rules.fault_name(fault, kind), count) for fault, kind, count in faults)
    return Dashboard(
        start=start,
        end=end,
        today=today,
        region=region,
        volume_by_hour=volume.by_hour,
        volume_by_day=volume.by_day,
        sla_compliance=compliance,
        backlog_by_status=backlog_by_status(session, region=region),
        breaches_today=breaches_on(session, day=today, region=region),
        top_fault_types=rules.top_counts(named, rules.TOP_FAULT_COUNT),
        breached_tickets=breached_tickets,
        rolled_up_days=len(stored),
        rolled_up_at=min(computed.values()) if computed else None,
    )


def _compliance(rows: list[queries.SlaRow]) -> tuple[dict[str, SlaCompliance], int]:
    """SLA compliance per priority (every priority, urgent first, then any other found) and the tickets with
    a breached target, from rows that may repeat a priority (rolled-up and live parts)."""
    summed: dict[str, list[int]] = {}
    for row in rows:
        figures = summed.setdefault(row.priority, [0, 0, 0])
        figures[0] += row.met
        figures[1] += row.breached
        figures[2] += row.targets
    found = {
        priority: SlaCompliance(met=met, breached=breached, running=total - met - breached)
        for priority, (met, breached, total) in summed.items()
        if total
    }
    empty = SlaCompliance(met=0, breached=0, running=0)
    ordered = {priority.value: found.pop(priority.value, empty) for priority in Priority}
    # A ticket has one priority and one report date: breached tickets add up across rows.
    return ordered | found, sum(row.breached_tickets for row in rows)


def regions(session: Session) -> list[Region]:
    """Provinces with the cities in them that have tickets, sorted by name.

    Read by skipping through the (province, city) index of addresses, one lookup per distinct pair, and
    one ticket lookup per pair (``ix_tickets_address_id``): a DISTINCT over every ticket joined to its
    address read the whole tickets table for a few dozen names."""
    cities: dict[str, set[str]] = {}
    for province, city in _distinct_places(session):
        if _has_tickets(session, province, city):
            found = cities.setdefault(province, set())
            if city and city != province:
                found.add(city)
    return [Region(province=name, cities=tuple(sorted(cities[name]))) for name in sorted(cities)]


def _distinct_places(session: Session) -> list[tuple[str, str | None]]:
    """Distinct (province, city) of addresses with a province, by a loose index scan."""
    places: list[tuple[str, str | None]] = []
    province = session.scalar(select(func.min(Address.province)))
    while province is not None:
        if session.scalar(select(Address.id).where(Address.province == province, Address.city.is_(None)).limit(1)):
            places.append((province, None))
        city = session.scalar(select(func.min(Address.city)).where(Address.province == province))
        while city is not None:
            places.append((province, city))
            city = session.scalar(
                select(func.min(Address.city)).where(Address.province == province, Address.city > city)
            )
        province = session.scalar(select(func.min(Address.province)).where(Address.province > province))
    return places


def _has_tickets(session: Session, province: str, city: str | None) -> bool:
    in_place = [Address.province == province, Address.city.is_(None) if city is None else Address.city == city]
    return (
        session.scalar(select(Ticket.id).join(Address, Address.id == Ticket.address_id).where(*in_place).limit(1))
        is not None
    )


def region_names(found: list[Region]) -> set[str]:
    """Every province and city name of ``found`` (the values a region filter may take)."""
    return {region.province for region in found} | {city for region in found for city in region.cities}


def backlog_by_status(session: Session, *, region: str | None = None) -> dict[str, int]:
    """Tickets not closed or cancelled, now, per status (every open status, in lifecycle order)."""
    rows = session.execute(
        select(Ticket.status, func.count())
        .where(Ticket.status.in_([status.value for status in OPEN_STATUSES]), *queries.in_region(region))
        .group_by(Ticket.status)
    ).all()
    found = {str(status): int(count) for status, count in rows}
    return {status.value: found.get(status.value, 0) for status in OPEN_STATUSES}


def breaches_on(session: Session, *, day: date, region: str | None = None) -> int:
    """SLA breach events (one per breached target) that happened on the local date ``day``."""
    lower, upper = rules.utc_bounds(day, day)
    return (
        session.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(
                # A literal, not a parameter: it selects the partial index ix_ticket_events_breached_at
                # (SQLite uses a partial index only for a literal that matches its condition).
                TicketEvent.type == literal_column(f"'{EventType.SLA_BREACHED.value}'"),
                TicketEvent.at >= lower,
                TicketEvent.at < upper,
                *queries.in_region(region),
            )
        )
        or 0
    )
