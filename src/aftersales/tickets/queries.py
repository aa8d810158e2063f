"""Read models for the field side of the console: the dispatcher board and a technician's jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.customers.models import Address
from aftersales.sla.enums import SlaState, TargetKind
from aftersales.tickets.enums import TicketStatus
from aftersales.tickets.models import Ticket
from aftersales.tickets.rules import OPEN_STATUSES

BOARD_LIMIT = 300
AT_RISK = (SlaState.WARNING, SlaState.BREACHED)


@dataclass(frozen=True)
class Assignable:
    """Someone a dispatcher can give a job to."""

    username: str
    display_name: str
    role: Role
    organisation_id: int | None


def board_tickets(session: Session, *, actor: Actor, city: str | None = None) -> list[Ticket]:
    """Open tickets that need a dispatcher: unassigned ones and assigned ones at risk of breaching.

    Urgent and breached first; a partner provider sees only its organisation's tickets.
    """
    query = (
        select(Ticket)
        .outerjoin(Address, Address.id == Ticket.address_id)
        .where(
            Ticket.status.in_(OPEN_STATUSES),
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
    """Cities that have open tickets (for the board's filter)."""
    rows = session.scalars(
        select(Address.city)
        .join(Ticket, Ticket.address_id == Address.id)
        .where(Ticket.status.in_(OPEN_STATUSES), Address.city.is_not(None))
        .distinct()
    )
    return sorted(city for city in rows if city)


def assignable_people(session: Session, *, actor: Actor) -> list[Assignable]:
    """Active technicians and provider accounts; a provider only its own organisation's people."""
    query = select(User).where(User.is_active.is_(True), User.role.in_([Role.TECHNICIAN, Role.PROVIDER]))
    if actor.role == Role.PROVIDER:
        query = query.where(User.organisation_id == actor.organisation_id)
    return [
        Assignable(user.username, user.display_name, Role(user.role), user.organisation_id)
        for user in session.scalars(query.order_by(User.role, User.username))
    ]


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
