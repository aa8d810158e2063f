"""The board's read model: the open field jobs that need a dispatcher (unassigned, or assigned and at risk
of breaching), filtered by city, district, kind, priority and SLA state, most urgent first (breached, then
warning, then the earliest open SLA target), one page of cards at a time; and what the page's map draws.

A partner provider sees only its organisation's tickets and its own bases."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import Organisation, User
from aftersales.accounts.schemas import Actor
from aftersales.customers.models import Address
from aftersales.dispatch.network.models import ServicePoint, Technician
from aftersales.sla.enums import SlaState
from aftersales.sla.models import Target
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets.display import SlaBadge, next_due
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.models import Ticket
from aftersales.tickets.queries import AT_RISK, FIELD_KINDS
from aftersales.tickets.rules import OPEN_STATUSES
from aftersales.usecases.console.common import enum_or_none
from aftersales.web.labels import label

Gettext = Callable[[str], str]
PAGE_SIZE = 30
# The map's colours, those of the SLA badges (web/static/css/console.css).
STATE_COLOURS = {
    SlaState.BREACHED: "#c81e1e",
    SlaState.WARNING: "#b25e09",
    SlaState.ON_TRACK: "#1c7c3a",
    SlaState.PAUSED: "#52606d",
    SlaState.MET: "#2f6f9f",
}


@dataclass(frozen=True)
class BoardFilters:
    """What the dispatcher narrowed the board to; kept in the page's URL and every link it draws."""

    city: str = ""
    district: str = ""
    kind: TicketKind | None = None
    priority: Priority | None = None
    sla_state: SlaState | None = None

    @classmethod
    def parse(cls, *, city: str | None, district: str | None, kind: str | None, priority: str | None,
              sla_state: str | None) -> BoardFilters:  # fmt: skip
        """Lenient: an unknown kind, priority or state is no filter; a district needs its city."""
        field_kind = enum_or_none(TicketKind, kind)
        city = (city or "").strip()
        return cls(
            city=city,
            district=(district or "").strip() if city else "",
            kind=field_kind if field_kind in FIELD_KINDS else None,
            priority=enum_or_none(Priority, priority),
            sla_state=enum_or_none(SlaState, sla_state),
        )

    def query(self, **extra: object) -> str:
        """The filters (and ``extra``, e.g. the page) as a query string, empty ones left out."""
        values = {
            "city": self.city,
            "district": self.district,
            "kind": self.kind.value if self.kind else "",
            "priority": self.priority.value if self.priority else "",
            "sla_state": self.sla_state.value if self.sla_state else "",
            **extra,
        }
        return urlencode({key: value for key, value in values.items() if value not in ("", None)})


@dataclass(frozen=True)
class Card:
    """One job on the board."""

    ticket: Ticket
    due: SlaBadge | None
    assignee: str | None


@dataclass(frozen=True)
class BoardPage:
    """One page of the board, its counts, and the map's data, under the filters in force."""

    filters: BoardFilters
    cards: list[Card]
    total: int
    unassigned: int
    page: int
    pages: int
    districts: list[str]
    map: dict[str, Any] = field(default_factory=dict)


def _conditions(actor: Actor, filters: BoardFilters, *, with_district: bool = True) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.kind.in_([filters.kind] if filters.kind else FIELD_KINDS),
        or_(Ticket.assignee_id.is_(None), Ticket.sla_state.in_(AT_RISK)),
    ]
    if actor.role == Role.PROVIDER:
        conditions.append(Ticket.organisation_id == actor.organisation_id)
    if filters.city:
        conditions.append(Address.city == filters.city)
    if filters.district and with_district:
        conditions.append(Address.district == filters.district)
    if filters.priority:
        conditions.append(Ticket.priority == filters.priority)
    if filters.sla_state:
        conditions.append(Ticket.sla_state == filters.sla_state)
    return conditions


def _ordered(query: Select[Ticket]) -> Select[Ticket]:
    """Breached, then warning, then the rest; within each the earliest open SLA target first (one lookup
    per ticket through the targets' (ticket_id, kind) index), then the oldest ticket."""
    next_due_at = (
        select(func.min(Target.due_at))
        .where(Target.ticket_id == Ticket.id, Target.met_at.is_(None))
        .correlate(Ticket)
        .scalar_subquery()
    )
    urgency = case((Ticket.sla_state == SlaState.BREACHED, 0), (Ticket.sla_state == SlaState.WARNING, 1), else_=2)
    return query.order_by(urgency, next_due_at.asc().nulls_last(), Ticket.id)


def board_page(
    session: Session, *, actor: Actor, filters: BoardFilters, page: int, now: datetime, gettext: Gettext
) -> BoardPage:
    """The board's page ``page`` (past the last one: the last one) with its counts and map data. A district
    that has no job of the city on the board (one left over from the city chosen before) is no filter."""
    found_districts = districts(session, actor=actor, filters=filters) if filters.city else []
    if filters.district not in found_districts:
        filters = replace(filters, district="")
    conditions = _conditions(actor, filters)
    counting = select(func.count(Ticket.id), func.count(Ticket.id).filter(Ticket.assignee_id.is_(None)))
    if filters.city:  # the address only when a place is asked for
        counting = counting.select_from(Ticket).join(Address, Address.id == Ticket.address_id)
    total, unassigned = session.execute(counting.where(*conditions)).one()
    pages = max(1, -(-int(total) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    query = select(Ticket).outerjoin(Address, Address.id == Ticket.address_id).where(*conditions)
    tickets = list(session.scalars(_ordered(query).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).unique())
    names = tickets_assignment.assignee_names(session, {t.assignee_id for t in tickets if t.assignee_id})
    cards = [card_of(ticket, now=now, gettext=gettext, names=names) for ticket in tickets]
    return BoardPage(
        filters=filters,
        cards=cards,
        total=int(total),
        unassigned=int(unassigned or 0),
        page=page,
        pages=pages,
        districts=found_districts,
        map=map_data(session, actor=actor, filters=filters, cards=cards, gettext=gettext),
    )


def card_of(ticket: Ticket, *, now: datetime, gettext: Gettext, names: Mapping[int, str]) -> Card:
    """A ticket as a card: its most pressing SLA target and its assignee's username."""
    return Card(ticket=ticket, due=next_due(ticket, now, gettext), assignee=names.get(ticket.assignee_id or 0))


def districts(session: Session, *, actor: Actor, filters: BoardFilters) -> list[str]:
    """The districts of the city's jobs on the board (whatever the other filters), for the district filter."""
    found = session.scalars(
        select(Address.district)
        .distinct()
        .select_from(Ticket)
        .join(Address, Address.id == Ticket.address_id)
        .where(*_conditions(actor, filters, with_district=False), Address.district.is_not(None))
    )
    return sorted(district for district in found if district)


def _city_names(city: str) -> list[str]:
    """Organisations name their city "深圳" or "深圳市"; parsed addresses always "深圳市"."""
    short = city.strip().removesuffix("市")
    return [short, f"{short}市"]


def map_data(
    session: Session, *, actor: Actor, filters: BoardFilters, cards: list[Card], gettext: Gettext
) -> dict[str, Any]:
    """The page's jobs as points (longitude, latitude) by SLA state, and the bases: the service points (of
    the chosen city; all of them otherwise) and, once a city is chosen, its technicians' home bases."""
    _ = gettext
    jobs = [
        {
            "id": card.ticket.id,
            "number": card.ticket.number,
            "state": str(card.ticket.sla_state),
            "x": card.ticket.address.longitude,
            "y": card.ticket.address.latitude,
            "place": " ".join(filter(None, [card.ticket.address.city, card.ticket.address.district])),
        }
        for card in cards
        if card.ticket.address is not None
        and card.ticket.address.longitude is not None
        and card.ticket.address.latitude is not None
    ]
    points = select(Organisation.name, ServicePoint.longitude, ServicePoint.latitude).join(
        Organisation, Organisation.id == ServicePoint.organisation_id
    )
    homes = (
        select(User.display_name, Technician.home_longitude, Technician.home_latitude)
        .join(User, User.id == Technician.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.is_active.is_(True))
    )
    if actor.role == Role.PROVIDER:
        points = points.where(ServicePoint.organisation_id == actor.organisation_id)
        homes = homes.where(User.organisation_id == actor.organisation_id)
    if filters.city:
        points = points.where(Organisation.city.in_(_city_names(filters.city)))
        homes = homes.where(Organisation.city.in_(_city_names(filters.city)))
    bases = [{"name": name, "x": x, "y": y} for name, x, y in session.execute(points.order_by(Organisation.name))]
    technicians = (
        [{"name": name, "x": x, "y": y} for name, x, y in session.execute(homes.order_by(User.username))]
        if filters.city
        else []
    )
    return {
        "states": [
            {"state": state.value, "name": _(label("sla_state", state)), "colour": colour}
            for state, colour in STATE_COLOURS.items()
        ],
        "jobs": jobs,
        "points": {"name": _("服务网点"), "items": bases},
        "technicians": {"name": _("技术员驻地"), "items": technicians},
        "axes": {"x": _("经度"), "y": _("纬度")},
    }
