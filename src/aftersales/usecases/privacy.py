"""Personal-information requests (PIPL): a customer's data exported whole, or erased — name, phone,
addresses and the free text they wrote replaced, while the work orders stay for the statistics (kind,
product, status, region, times, SLA results). Both are audited, without the personal data.

The staff's timeline notes are immutable records of the work and are kept; they are not meant to carry
a customer's contact details (the console shows masked phones)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import NotFoundError
from aftersales.core.i18n import N_
from aftersales.customers import rules as customer_rules
from aftersales.customers.models import Address, Customer, InstalledProduct
from aftersales.feedback.models import SurveyResponse
from aftersales.notifications.models import NotificationPreference, OutboxMessage
from aftersales.tickets.models import AssistSession, Ticket, TicketComment

ERASED = "（已删除）"
ERASED_NAME = "已删除用户"


def _update(session: Session, statement: Any, **values: Any) -> int:
    """Run a bulk UPDATE with ``values``; returns how many rows it changed."""
    result = session.execute(statement.values(**values).execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


def _customer(session: Session, phone: str) -> Customer:
    parsed = customer_rules.parse_phone(phone)
    customer = session.scalar(select(Customer).where(Customer.phone == (parsed.number if parsed else phone.strip())))
    if customer is None:
        raise NotFoundError(N_("没有手机号为 %(phone)s 的客户"), {"phone": customer_rules.mask_phone(phone)})
    return customer


def export_customer(session: Session, *, clock: Clock, actor: Actor, phone: str) -> dict[str, Any]:
    """Everything held about the customer reachable at ``phone``, as plain JSON-ready data."""
    customer = _customer(session, phone)
    tickets = list(session.scalars(select(Ticket).where(Ticket.customer_id == customer.id).order_by(Ticket.id)))
    ids = [ticket.id for ticket in tickets]
    comments = session.scalars(
        select(TicketComment).where(TicketComment.ticket_id.in_(ids), TicketComment.is_internal.is_(False))
    ).all()
    surveys = session.scalars(select(SurveyResponse).where(SurveyResponse.ticket_id.in_(ids))).all()
    preference = session.scalar(select(NotificationPreference).where(NotificationPreference.phone == customer.phone))
    data = {
        "customer": {"name": customer.name, "phone": customer.phone, "created_at": customer.created_at.isoformat()},
        "addresses": [
            {"address": address.raw, "city": address.city, "created_at": address.created_at.isoformat()}
            for address in customer.addresses
        ],
        "products": [
            {
                "model": product.model,
                "serial_number": product.serial_number,
                "purchase_date": product.purchase_date.isoformat() if product.purchase_date else None,
                "warranty_end": product.warranty_end.isoformat() if product.warranty_end else None,
            }
            for product in customer.products
        ],
        "tickets": [
            {
                "number": ticket.number,
                "kind": str(ticket.kind),
                "status": str(ticket.status),
                "description": ticket.description,
                "reported_at": ticket.reported_at.isoformat(),
                "comments": [c.body for c in comments if c.ticket_id == ticket.id],
                "surveys": [
                    {"scores": s.scores, "comment": s.comment, "submitted_at": s.submitted_at.isoformat()}
                    for s in surveys
                    if s.ticket_id == ticket.id
                ],
            }
            for ticket in tickets
        ],
        "notification_preference": {
            "email": preference.email,
            "opted_out_channels": preference.opted_out_channels,
            "preferred_channel": str(preference.preferred_channel) if preference.preferred_channel else None,
        }
        if preference
        else None,
    }
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="customer.exported",
        entity_type="customer",
        entity_id=customer.id,
        after={"tickets": len(tickets)},
    )
    return data


@dataclass(frozen=True)
class Erasure:
    customer_id: int
    tickets: int
    addresses: int
    comments: int
    surveys: int
    messages: int


def erase_customer(session: Session, *, clock: Clock, actor: Actor, phone: str) -> Erasure:
    """Anonymise the customer reachable at ``phone``; the work orders remain, without personal data."""
    customer = _customer(session, phone)
    original_phone, email = customer.phone, None
    preference = session.scalar(select(NotificationPreference).where(NotificationPreference.phone == original_phone))
    if preference is not None:
        email = preference.email
        session.delete(preference)
    customer.name, customer.phone = ERASED_NAME, f"erased-{customer.id}"
    # Region fields stay for the statistics; the street address and the exact point go.
    addresses = _update(
        session, update(Address).where(Address.customer_id == customer.id), raw=ERASED, detail=ERASED,
        longitude=None, latitude=None,
    )  # fmt: skip
    _update(session, update(InstalledProduct).where(InstalledProduct.customer_id == customer.id), serial_number=None)
    ids = list(session.scalars(select(Ticket.id).where(Ticket.customer_id == customer.id)))
    for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(ids))):
        ticket.description = ERASED
    # What the customer saw or wrote: the public comments.
    public = update(TicketComment).where(TicketComment.ticket_id.in_(ids), TicketComment.is_internal.is_(False))
    comments = _update(session, public, body=ERASED)
    answered = update(SurveyResponse).where(SurveyResponse.ticket_id.in_(ids), SurveyResponse.comment.is_not(None))
    surveys = _update(session, answered, comment=ERASED)
    addressed = [original_phone, *([email] if email else [])]
    sent = update(OutboxMessage).where(
        or_(OutboxMessage.recipient_address.in_(addressed), OutboxMessage.ticket_id.in_(ids))
    )
    messages = _update(session, sent, recipient_address=None, body=ERASED)
    chats = update(AssistSession).where(AssistSession.customer_phone == original_phone)
    _update(session, chats, customer_phone=None, messages=[])
    erasure = Erasure(customer.id, len(ids), addresses, comments, surveys, messages)
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="customer.erased",
        entity_type="customer",
        entity_id=customer.id,
        after={
            "tickets": erasure.tickets,
            "addresses": erasure.addresses,
            "comments": erasure.comments,
            "surveys": erasure.surveys,
            "messages": erasure.messages,
        },
    )
    return erasure
