"""The dashboard's aggregates as SQL (GROUP BY in the database, never loading tickets), over the tickets
that meet some conditions, optionally per province and city of their address (for the daily rollups).

Local-time buckets are built portably: the database counts tickets per UTC hour (an hour-precision text
key), Python shifts each hour into the local zone and folds them into hours of the day and dates
(``rules.fold_hourly_counts``). At most 24 x 366 rows (per place) come back, however many tickets there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, literal_column, or_, select
from sqlalchemy.orm import Session

from aftersales.analytics import rules
from aftersales.core.db import dialect_of
from aftersales.customers.models import Address
from aftersales.sla.models import Target
from aftersales.tickets.enums import TicketStatus
from aftersales.tickets.models import Ticket


@dataclass(frozen=True)
class SlaRow:
    """SLA targets of some tickets of one priority (and place): met in time and breached among tickets not
    cancelled, all targets of tickets not cancelled, and tickets with a breached target (cancelled too)."""

    priority: str
    met: int
    breached: int
    targets: int
    breached_tickets: int
    province: str = ""
    city: str = ""


def reported_between(start: date, end: date) -> list[ColumnElement[bool]]:
    """Tickets reported on the local dates [start, end]."""
    lower, upper = rules.utc_bounds(start, end)
    return [Ticket.reported_at >= lower, Ticket.reported_at < upper]


def reported_on_any(ranges: Sequence[tuple[date, date]]) -> list[ColumnElement[bool]]:
    """Tickets reported on any of the ranges of local dates (one range: the same as ``reported_between``)."""
    if len(ranges) == 1:
        return reported_between(*ranges[0])
    return [or_(*(and_(*reported_between(start, end)) for start, end in ranges))]


def in_region(region: str | None) -> list[ColumnElement[bool]]:
    """Tickets whose address is in the province or city named ``region`` (no condition for None)."""
    if not region:
        return []
    addresses = select(Address.id).where(or_(Address.province == region, Address.city == region))
    return [Ticket.address_id.in_(addresses)]


def _places(by_place: bool) -> list[ColumnElement[Any]]:
    """The (province, city) columns of a grouping per place ('' where the address has none), or constants."""
    if by_place:
        return [func.coalesce(Address.province, "").label("province"), func.coalesce(Address.city, "").label("city")]
    return [literal_column("''").label("province"), literal_column("''").label("city")]


def _from_tickets(query: Select[Any], by_place: bool) -> Select[Any]:
    return query.outerjoin(Address, Address.id == Ticket.address_id) if by_place else query


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


def hourly_counts(
    session: Session, conditions: list[ColumnElement[bool]], *, by_place: bool = False
) -> list[tuple[str, str, datetime, int]]:
    """(province, city, start of the UTC hour, tickets) of the selected tickets; places '' unless ``by_place``."""
    inner = _from_tickets(select(*_places(by_place), _utc_hour_key(session).label("hour_key")), by_place)
    return [
        (str(province), str(city), datetime.fromisoformat(f"{key}:00").replace(tzinfo=UTC), int(count))
        for province, city, key, count in session.execute(_grouped_count(inner.where(*conditions)))
    ]


def is_breached(now: datetime) -> ColumnElement[bool]:
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


def sla_rows(
    session: Session, conditions: list[ColumnElement[bool]], *, now: datetime, by_place: bool = False
) -> list[SlaRow]:
    """The selected tickets' SLA targets per priority (and place) at ``now``, in one pass over the targets.

    Cancelled tickets are left out of the compliance: cancelling stops (meets) their running clocks,
    which would count as kept promises; their breaches still count as breached tickets."""
    met, breached = _is_met(), is_breached(now)
    kept = Ticket.status != TicketStatus.CANCELLED
    places = _places(by_place)
    query = select(
        *places,
        Ticket.priority,
        func.sum(case((and_(kept, met), 1), else_=0)),
        func.sum(case((and_(kept, breached), 1), else_=0)),
        func.sum(case((kept, 1), else_=0)),
        func.count(distinct(case((breached, Target.ticket_id), else_=None))),
    ).select_from(Target)
    query = _from_tickets(query.join(Ticket, Ticket.id == Target.ticket_id), by_place)
    grouped = query.where(*conditions).group_by(*(places if by_place else []), Ticket.priority)
    rows: list[Any] = list(session.execute(grouped))
    return [
        SlaRow(
            priority=str(priority),
            met=int(in_time or 0),
            breached=int(late or 0),
            targets=int(total or 0),
            breached_tickets=int(tickets or 0),
            province=str(province),
            city=str(city),
        )
        for province, city, priority, in_time, late, total, tickets in rows
    ]


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


def fault_counts(
    session: Session, conditions: list[ColumnElement[bool]], *, by_place: bool = False
) -> list[tuple[str, str, str | None, str, int]]:
    """(province, city, fault, kind, tickets) of the selected repairs and complaints (fault None: none)."""
    inner = _from_tickets(
        select(*_places(by_place), _fault_key(session).label("fault"), Ticket.kind.label("kind")), by_place
    )
    rows = session.execute(_grouped_count(inner.where(*conditions, Ticket.kind.in_(rules.FAULT_KINDS))))
    return [
        (str(province), str(city), None if fault is None else str(fault), str(kind), int(count))
        for province, city, fault, kind, count in rows
    ]
