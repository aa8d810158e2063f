"""Dashboard figures computed by the database (GROUP BY aggregates), never by loading tickets.

Local-time buckets are built portably: the database counts tickets per UTC hour (an hour-precision text
key), Python shifts each hour into the local zone and folds them into hours of the day and dates
(``rules.fold_hourly_counts``). At most 24 x 366 rows come back, however many tickets there are.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, literal_column, or_, select
from sqlalchemy.orm import Session

from aftersales.analytics import rules
from aftersales.analytics.schemas import Dashboard, Region, SlaCompliance
from aftersales.core.db import dialect_of
from aftersales.core.timeutil import to_local
from aftersales.customers.models import Address
from aftersales.sla.models import Target
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
    (a province or city name; None for all). ``now`` fixes "today" and the current backlog."""
    today = to_local(now).date()
    in_period = _reported_between(start, end) + _in_region(region)
    volume = rules.fold_hourly_counts(_hourly_counts(session, in_period), start=start, end=end)
    compliance, breached_tickets = sla_outcomes(session, in_period, now=now)
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
        top_fault_types=top_fault_types(session, in_period),
        breached_tickets=breached_tickets,
    )


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


def _reported_between(start: date, end: date) -> list[ColumnElement[bool]]:
    lower, upper = rules.utc_bounds(start, end)
    return [Ticket.reported_at >= lower, Ticket.reported_at < upper]


def _in_region(region: str | None) -> list[ColumnElement[bool]]:
    if not region:
        return []
    addresses = select(Address.id).where(or_(Address.province == region, Address.city == region))
    return [Ticket.address_id.in_(addresses)]


def _utc_hour_key(session: Session) -> ColumnElement[Any]:
    """``reported_at`` as 'YYYY-MM-DD HH' in UTC. PostgreSQL formats its timestamptz; SQLite keeps naive UTC
    text 'YYYY-MM-DD HH:MM:SS.ffffff' (every write goes through ``UTCDateTime``), whose first 13
    characters are that key, read straight from the covering index on ``reported_at``."""
    if dialect_of(session) == "postgresql":
        return func.to_char(func.timezone("UTC", Ticket.reported_at), "YYYY-MM-DD HH24")
    return func.substr(Ticket.reported_at, 1, 13)


def _grouped_count(inner: Select[Any]) -> Select[Any]:
    """Count rows of ``inner`` per its selected columns. Grouping a subquery's columns (instead of the
    expressions themselves) keeps PostgreSQL from seeing two different bind parameters in the SELECT
    and GROUP BY of one expression."""
    keys = inner.subquery()
    columns = list(keys.c)
    return select(*columns, func.count()).group_by(*columns)


def _hourly_counts(session: Session, conditions: list[ColumnElement[bool]]) -> list[tuple[datetime, int]]:
    inner = select(_utc_hour_key(session).label("hour_key")).where(*conditions)
    return [
        (datetime.fromisoformat(f"{key}:00").replace(tzinfo=UTC), count)
        for key, count in session.execute(_grouped_count(inner))
    ]


def _is_breached(now: datetime) -> ColumnElement[bool]:
    """A target that is or was late at ``now``, as ``sla.rules.target_state`` has it: breach recorded, met
    after its due time, or running past due (the sweep may not have recorded it yet)."""
    return or_(
        Target.breached_at.is_not(None),
        Target.met_at > Target.due_at,
        and_(Target.met_at.is_(None), Target.paused_since.is_(None), Target.due_at <= now),
    )


def _is_met() -> ColumnElement[bool]:
    """A target met by its due time (and never recorded as breached)."""
    return and_(Target.met_at.is_not(None), Target.breached_at.is_(None), Target.met_at <= Target.due_at)


def sla_outcomes(
    session: Session, conditions: list[ColumnElement[bool]], *, now: datetime
) -> tuple[dict[str, SlaCompliance], int]:
    """SLA targets of the selected tickets per priority (every priority, urgent first): met in time,
    breached, still running at ``now``; and how many selected tickets have a breached target at ``now``.

    One pass over the targets for both (each pass joins every target of the period to its ticket: at
    10 million tickets a second each for 30 days). Cancelled tickets are left out of the compliance:
    cancelling stops (meets) their running clocks, which would count as kept promises; their breaches
    still count as breached tickets.
    """
    is_met, is_breached = _is_met(), _is_breached(now)
    kept = Ticket.status != TicketStatus.CANCELLED
    rows = session.execute(
        select(
            Ticket.priority,
            func.sum(case((and_(kept, is_met), 1), else_=0)),
            func.sum(case((and_(kept, is_breached), 1), else_=0)),
            func.sum(case((kept, 1), else_=0)),
            func.count(distinct(case((is_breached, Target.ticket_id), else_=None))),
        )
        .select_from(Target)
        .join(Ticket, Ticket.id == Target.ticket_id)
        .where(*conditions)
        .group_by(Ticket.priority)
    ).all()
    found = {
        str(priority): SlaCompliance(
            met=int(met or 0), breached=int(breached or 0), running=int(total or 0) - int(met or 0) - int(breached or 0)
        )
        for priority, met, breached, total, _ in rows
        if total
    }
    empty = SlaCompliance(met=0, breached=0, running=0)
    ordered = {priority.value: found.pop(priority.value, empty) for priority in Priority}
    # A ticket has one priority: its breached count per priority adds up to the distinct total.
    return ordered | found, sum(int(tickets) for *_, tickets in rows)


def backlog_by_status(session: Session, *, region: str | None = None) -> dict[str, int]:
    """Tickets not closed or cancelled, now, per status (every open status, in lifecycle order)."""
    rows = session.execute(
        select(Ticket.status, func.count())
        .where(Ticket.status.in_([status.value for status in OPEN_STATUSES]), *_in_region(region))
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
                *_in_region(region),
            )
        )
        or 0
    )


def _mentions(session: Session, keyword: str) -> ColumnElement[bool]:
    """The description contains ``keyword``, ignoring ASCII case like ``rules.classify_fault``.

    SQLite's LIKE ignores ASCII case already; PostgreSQL needs ILIKE, used only for keywords with Latin
    letters (ILIKE over every Chinese keyword made the query three times slower). Keywords hold no LIKE
    wildcards (checked by the rules tests).
    """
    pattern = f"%{keyword}%"
    if dialect_of(session) == "postgresql" and any(char.isascii() and char.isalpha() for char in keyword):
        return Ticket.description.ilike(pattern)
    return Ticket.description.like(pattern)


def _fault_key(session: Session) -> ColumnElement[Any]:
    """Triage's fault type when it gave one, else the code of the first FAULT_TYPES entry whose keyword
    occurs in the description (NULL when none does): the same rule as ``rules.classify_fault``."""
    by_keyword = case(
        *(
            (or_(*(_mentions(session, keyword) for keyword in fault.keywords)), fault.code)
            for fault in rules.FAULT_TYPES
        ),
        else_=None,
    )
    from_triage = func.nullif(func.trim(Ticket.triage["fault_type"].as_string()), "")
    return func.coalesce(from_triage, by_keyword)


def top_fault_types(
    session: Session, conditions: list[ColumnElement[bool]], limit: int = rules.TOP_FAULT_COUNT
) -> list[tuple[str, int]]:
    """The most reported fault types among the selected repairs and complaints: (name, count)."""
    inner = select(_fault_key(session).label("fault"), Ticket.kind.label("kind")).where(
        *conditions, Ticket.kind.in_(rules.FAULT_KINDS)
    )
    rows = session.execute(_grouped_count(inner)).all()
    named = (
        (rules.fault_name(None if fault is None else str(fault), str(kind)), int(count)) for fault, kind, count in rows
    )
    return rules.top_counts(named, limit)
