"""Helpers shared by the ticket console pages: who counts as staff, lenient enum parsing of form and query
values, caller history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.core.timeutil import to_local
from aftersales.customers import rules as customer_rules
from aftersales.customers import service as customers_service
from aftersales.customers.models import Customer
from aftersales.tickets.models import Ticket
from aftersales.tickets.rules import OPEN_STATUSES


def enum_or_none(enum: Any, value: str | None) -> Any:
    """``enum(value)``, or None when the value is empty or not one of the enum's."""
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class CallerHistory:
    """What the agent sees about a caller before opening a ticket."""

    customer: Customer
    phone_masked: str
    ticket_count: int
    open_count: int
    recent: list[Ticket]
    today: Any

    @property
    def is_repeat_caller(self) -> bool:
        return self.ticket_count > 0


def caller_history(session: Session, phone: str, now: datetime, *, recent: int = 5) -> CallerHistory | None:
    """The customer with this phone, their products and latest tickets; None for a new caller."""
    customer = customers_service.find_by_phone(session, phone)
    if customer is None:
        return None
    total, open_count = session.execute(
        select(func.count(Ticket.id), func.count(Ticket.id).filter(Ticket.status.in_(OPEN_STATUSES))).where(
            Ticket.customer_id == customer.id
        )
    ).one()
    latest = list(
        session.scalars(
            select(Ticket).where(Ticket.customer_id == customer.id).order_by(Ticket.reported_at.desc()).limit(recent)
        ).unique()
    )
    return CallerHistory(
        customer=customer,
        phone_masked=customer_rules.mask_phone(customer.phone),
        ticket_count=total,
        open_count=open_count,
        recent=latest,
        today=to_local(now).date(),
    )


def under_warranty(warranty_end: Any, today: Any) -> bool | None:
    """True/False when the warranty end is known, else None."""
    return customer_rules.is_under_warranty(warranty_end, today) if warranty_end else None
