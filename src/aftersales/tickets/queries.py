"""Read models for the field side of the console: the dispatcher board and a technician's jobs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import Organisation, User
from aftersales.accounts.schemas import Actor
from aftersales.customers.models import Address
from aftersales.sla.enums import SlaState, TargetKind
from aftersales.tickets.enums import TicketKind, TicketStatus
from aftersales.tickets.models import Ticket
from aftersales.tickets.rules import OPEN_STATUSES

BOARD_LIMIT = 300
AT_RISK = (SlaState.WARNING, SlaState.BREACHED)
FIELD_KINDS = (TicketKind.INSTALLATION, TicketKind.REPAIR)  # the jobs a technician goes out for


@dataclass(frozen=True)
class Assignable:
    """Someone a dispatcher can give a job to (``city``: their organisation's)."""

    username: str
    display_name: str
    role: Role
    organisation_id: int | None
    city: str | None = None


def _city_key(city: str) -> str:
    """Organisations name their city "深圳" or "深圳市"; parsed addresses always "深圳市"."""
    return city.strip().removesuffix("市")


class People(list[Assignable]):
    """Assignable people, also looked up by city: with a national network of technicians, offering every one
    of them on every card made the board megabytes of options (1,200 technicians x 300 cards)."""

    def __init__(self, people: Iterable[Assignable]) -> None:
        super().__init__(people)
        self._by_city: dict[str, list[Assignable]] = {}
        for person in self:
            if person.city:
                self._by_city.setdefault(_city_key(person.city), []).append(person)
        self._anywhere = [person for person in self if not person.city]

    def near(self, city: str | None, *, current: str | None = None) -> list[Assignable]:
        """Whom to offer for a ticket in ``city``: the people of that city and those of no city (and the
        current assignee); everyone when the city is unknown or has no one of its own."""
        local = self._by_city.get(_city_key(city)) if city else None
        if not local:
            return list(self)
        chosen = local + self._anywhere
        if current is not None and all(person.username != current for person in chosen):
            chosen += [person for person in self if person.username == current]
        return chosen


def board_tickets(session: Session, *, actor: Actor, city: str | None = None) -> list[Ticket]:
    """Open field jobs (installations, repairs) that need a dispatcher: unassigned ones and assigned ones at
    risk of breaching. A consultation or complaint is handled on the phone: it never waits for a technician.

    Urgent and breached first; a partner provider sees only its organisation's tickets.
    """
    query = (
        select(Ticket)
        .outerjoin(Address, Address.id == Ticket.address_id)
        .where(
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.kind.in_(FIELD_KINDS),
            or_(Ticket.assignee_id.is_(None), Ticket.sla_state.in_(AT_RISK)),
        )
    )
    if actor.role == Role.PROVIDER:
        query = query.where(Ticket.organisation_id == actor.organisation_id)
    if city:
        query = query.where(Address.city == city)
    tickets = list(session.scalars(query.order_by(Ticket.reported_at).limit(BOARD_LIMIT)).unique())
    urgency = {SlaState.BREACHED: 0, SlaState.WARNING: 1}
    tickets.sort(key=lambda t: (urgency.get(SlaState(t.sla_state), 2), t.priority != "urgent", t.reported_at))
    return tickets


def board_cities(session: Session) -> list[str]:
    """Cities that have open tickets (for the board's filter).

    The distinct cities of addresses come from skipping through ``ix_addresses_city`` (one lookup per
    city), then each is checked for one open ticket: a DISTINCT over every open ticket's address read
    tens of thousands of addresses on each board view."""
    found = []
    city = session.scalar(select(func.min(Address.city)))
    while city is not None:
        has_open = session.scalar(
            select(Ticket.id)
            .join(Address, Address.id == Ticket.address_id)
            .where(Address.city == city, Ticket.status.in_(OPEN_STATUSES))
            .limit(1)
        )
        if has_open is not None and city:
            found.append(city)
        city = session.scalar(select(func.min(Address.city)).where(Address.city > city))
    return sorted(found)


def assignable_people(session: Session, *, actor: Actor) -> People:
    """Active technicians and provider accounts; a provider only its own organisation's people."""
    query = (
        select(User.username, User.display_name, User.role, User.organisation_id, Organisation.city)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(User.is_active.is_(True), User.role.in_([Role.TECHNICIAN, Role.PROVIDER]))
    )
    if actor.role == Role.PROVIDER:
        query = query.where(User.organisation_id == actor.organisation_id)
    return People(
        Assignable(username, display_name, Role(role), organisation_id, city)
        for username, display_name, role, organisation_id, city in session.execute(
            query.order_by(User.role, User.username)
        )
    )


def jobs_of(session: Session, *, user_id: int) -> list[Ticket]:
    """A technician's open jobs in the order to do them: the earliest on-site (else any) deadline first."""
    tickets = list(
        session.scalars(
            select(Ticket).where(
                Ticket.assignee_id == user_id,
                Ticket.status.in_([*OPEN_STATUSES, TicketStatus.RESOLVED]),
            )
        ).unique()
    )

    def deadline(ticket: Ticket) -> tuple[int, datetime]:
        pending = [t for t in ticket.sla_targets if t.met_at is None]
        onsite = [t.due_at for t in pending if t.kind == TargetKind.ONSITE]
        due = min(onsite or [t.due_at for t in pending] or [ticket.reported_at])
        return (1 if ticket.status == TicketStatus.RESOLVED else 0, due)

    return sorted(tickets, key=deadline)
