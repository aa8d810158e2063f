"""Who hears about a bulletin: its departments (every active staff user of the listed roles, one
internal notice per bulletin version), and — when it is fixed — the customer of every linked ticket
that is open or closed recently (one SMS per ticket). All through the outbox, deduplicated."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aftersales.accounts.models import User
from aftersales.core.clock import Clock
from aftersales.core.timeutil import to_local
from aftersales.customers.models import Customer
from aftersales.knowledge.models import Bulletin, BulletinTicket
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel
from aftersales.notifications.service import NewMessage
from aftersales.tickets.enums import TicketStatus
from aftersales.tickets.models import Ticket

# A ticket closed this recently still gets the "fixed" SMS: the customer may have been given the
# workaround and be waiting for the real fix.
RECENT_CLOSE = timedelta(days=30)
DEPARTMENT_KIND = "bulletin"
CUSTOMER_KIND = "bulletin_fixed"


def _department_context(bulletin: Bulletin, action: str) -> dict[str, object]:
    """The fields of the ``bulletin`` notice (optional ones empty when the bulletin has none)."""
    return {
        "action": action,
        "number": bulletin.number,
        "title": bulletin.title,
        "products": "、".join(bulletin.product_models),
        "versions": "、".join(bulletin.versions),
        "cause": bulletin.cause,
        "workaround": bulletin.workaround,
        "agent_script": bulletin.agent_script or "",
        "expected_fix_at": f"{to_local(bulletin.expected_fix_at):%Y-%m-%d %H:%M}" if bulletin.expected_fix_at else "",
        "fix_note": bulletin.fix_note or "",
    }


def notify_departments(session: Session, *, clock: Clock, bulletin: Bulletin, action: str) -> int:
    """One internal notice per recipient for this version of the bulletin; returns how many were new."""
    if not bulletin.departments:
        return 0
    recipients = session.scalars(
        select(User.id).where(User.role.in_(list(bulletin.departments)), User.is_active.is_(True)).order_by(User.id)
    ).all()
    context = _department_context(bulletin, action)
    payload = {"bulletin_id": bulletin.id, "version": bulletin.version, "action": action}
    return notifications_service.enqueue_many(
        session,
        clock=clock,
        messages=[
            NewMessage(
                kind=DEPARTMENT_KIND,
                dedupe_key=f"bulletin:{bulletin.id}:v{bulletin.version}:user:{user_id}",
                context=context,
                recipient_user_id=user_id,
                payload=payload,
            )
            for user_id in recipients
        ],
    )


def notify_customers_fixed(session: Session, *, clock: Clock, bulletin: Bulletin) -> int:
    """One SMS per linked ticket that is open or closed within ``RECENT_CLOSE``; returns how many."""
    since = clock.now() - RECENT_CLOSE
    rows = session.execute(
        select(Ticket.id, Ticket.number, Customer.phone)
        .join(BulletinTicket, BulletinTicket.ticket_id == Ticket.id)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(
            BulletinTicket.bulletin_id == bulletin.id,
            Ticket.status != TicketStatus.CANCELLED,
            or_(Ticket.status != TicketStatus.CLOSED, Ticket.closed_at >= since),
        )
        .order_by(Ticket.id)
    ).all()
    return notifications_service.enqueue_many(
        session,
        clock=clock,
        messages=[
            NewMessage(
                kind=CUSTOMER_KIND,
                dedupe_key=f"bulletin:{bulletin.id}:fixed:ticket:{ticket_id}",
                context={"ticket_number": number, "title": bulletin.title, "fix_note": bulletin.fix_note or ""},
                channel=Channel.SMS,
                recipient_address=phone,
                ticket_id=ticket_id,
                payload={"bulletin_id": bulletin.id},
            )
            for ticket_id, number, phone in rows
        ],
    )
