"""Which tickets a user sees and a listing returns: visibility by role (per ticket, and the same rule as
SQL), the listing's filters and its search term (a ticket number, phone digits or free text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import false, or_
from sqlalchemy.orm import Session

from aftersales.accounts import rules as account_rules
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.customers.models import Customer
from aftersales.sla.enums import SlaState
from aftersales.tickets import rules
from aftersales.tickets.enums import Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket


def is_visible(session: Session, actor: Actor, ticket: Ticket) -> bool:
    """Staff see everything; technicians their own jobs; providers their organisation's; customers theirs."""
    if not account_rules.sees_only_own_tickets(actor.role):
        return True
    if actor.role == Role.TECHNICIAN:
        return ticket.assignee_id == actor.user_id
    if actor.role == Role.PROVIDER:
        return actor.organisation_id is not None and ticket.organisation_id == actor.organisation_id
    if actor.role == Role.CUSTOMER:
        return actor.phone is not None and ticket.customer.phone == actor.phone
    return False


@dataclass
class Alternative:
    """One way a search term may match: conditions on ``Ticket`` (and ``Customer`` when ``joins_customer``).

    ``customers``, when set, is a condition on ``Customer`` alone: the listing looks those customers up
    first and matches their tickets by id (``by_customers``), so the database never has to guess how
    many customers a phone fragment matches (it guessed 30 times too many and read the tickets table
    newest first, probing each ticket's customer: 20 s at 10 million tickets)."""

    conditions: list[Any]
    joins_customer: bool = False
    customers: Any | None = None


# A phone fragment matching more customers than this is joined instead of looked up first.
CUSTOMER_LOOKUP_LIMIT = 20_000


def by_customers(alternative: Alternative, customer_ids: list[int]) -> Alternative:
    """``alternative`` with its customer condition replaced by the customers it matched."""
    return Alternative([Ticket.customer_id.in_(customer_ids)] if customer_ids else [false()])


@dataclass
class Selection:
    """SQL conditions on ``Ticket`` (and on ``Customer`` when ``joins_customer``). A ticket is listed when it
    meets every condition and, if there are ``alternatives``, at least one of them. Alternatives on
    different tables are queried apart and united (each with its own index) instead of as one OR, which
    neither database can answer from an index across a join."""

    conditions: list[Any] = field(default_factory=list)
    joins_customer: bool = False
    alternatives: list[Alternative] = field(default_factory=list)


def selection(
    *,
    actor: Actor,
    status: TicketStatus | None = None,
    priority: Priority | None = None,
    kind: TicketKind | None = None,
    sla_state: SlaState | None = None,
    q: str | None = None,
) -> Selection:
    """The conditions of a listing: the filters, what the actor may see (as ``is_visible``), the term."""
    chosen = Selection()
    for column, value in (
        (Ticket.status, status),
        (Ticket.priority, priority),
        (Ticket.kind, kind),
        (Ticket.sla_state, sla_state),
    ):
        if value is not None:
            chosen.conditions.append(column == value)
    if account_rules.sees_only_own_tickets(actor.role):
        if actor.role == Role.TECHNICIAN:
            chosen.conditions.append(Ticket.assignee_id == actor.user_id)
        elif actor.role == Role.PROVIDER and actor.organisation_id is not None:
            chosen.conditions.append(Ticket.organisation_id == actor.organisation_id)
        elif actor.role == Role.CUSTOMER and actor.phone:
            chosen.joins_customer = True
            chosen.conditions.append(Customer.phone == actor.phone)
        else:
            chosen.conditions.append(Ticket.id.is_(None))
    if q and q.strip():
        _add_term(chosen, q.strip())
    return chosen


def _add_term(chosen: Selection, term: str) -> None:
    """A full ticket number matches exactly; phone-like digits match the phone or the number; other text
    the description or the number (case-insensitive).

    Fragments are ``LIKE '%…%'`` (``ILIKE`` on PostgreSQL, ``lower() LIKE lower()`` on SQLite), which
    PostgreSQL answers from the trigram indexes of migration 0018 when the fragment has three or more
    characters."""
    digits = rules.phone_digits(term)
    if rules.looks_like_number(term):
        chosen.conditions.append(Ticket.number == term.upper())
    elif digits is not None:
        pattern = _containing(digits)
        by_phone = Customer.phone.like(pattern, escape=ESCAPE)
        chosen.alternatives.append(Alternative([by_phone], joins_customer=True, customers=by_phone))
        chosen.alternatives.append(Alternative([Ticket.number.like(pattern, escape=ESCAPE)]))
    else:
        pattern = _containing(term)
        chosen.conditions.append(
            or_(Ticket.description.ilike(pattern, escape=ESCAPE), Ticket.number.ilike(pattern, escape=ESCAPE))
        )


ESCAPE = "/"


def _containing(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere, its wildcards escaped with ``ESCAPE``."""
    escaped = term.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"
