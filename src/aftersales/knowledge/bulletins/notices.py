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
HEADLINES = {
    "published": "新发布",
    "changed": "已更新",
    "fixed": "已修复",
    "withdrawn": "已撤回",
}


def _department_body(bulletin: Bulletin) -> str:
    lines = [
        f"已知问题 {bulletin.number}：{bulletin.title}",
        f"影响产品：{'、'.join(bulletin.product_models) or '全部'}"
        + (f"；影响版本：{'、'.join(bulletin.versions)}" if bulletin.versions else ""),
        f"原因：{bulletin.cause}",
        f"临时解决办法：{bulletin.workaround}",
    ]
    if bulletin.agent_script:
        lines.append(f"客服话术：{bulletin.agent_script}")
    if bulletin.expected_fix_at:
        lines.append(f"预计修复时间：{to_local(bulletin.expected_fix_at):%Y-%m-%d %H:%M}")
    if bulletin.fix_note:
        lines.append(f"修复说明：{bulletin.fix_note}")
    return "\n".join(lines)


def notify_departments(session: Session, *, clock: Clock, bulletin: Bulletin, action: str) -> int:
    """One internal notice per recipient for this version of the bulletin; returns how many were new."""
    if not bulletin.departments:
        return 0
    recipients = session.scalars(
        select(User.id).where(User.role.in_(list(bulletin.departments)), User.is_active.is_(True)).order_by(User.id)
    ).all()
    subject = f"【已知问题{HEADLINES.get(action, '已更新')}】{bulletin.number} {bulletin.title}"
    body = _department_body(bulletin)
    payload = {"bulletin_id": bulletin.id, "version": bulletin.version, "action": action}
    return notifications_service.enqueue_many(
        session,
        clock=clock,
        messages=[
            NewMessage(
                kind=DEPARTMENT_KIND,
                dedupe_key=f"bulletin:{bulletin.id}:v{bulletin.version}:user:{user_id}",
                subject=subject[:255],
                body=body,
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
    note = f"：{bulletin.fix_note}" if bulletin.fix_note else ""
    return notifications_service.enqueue_many(
        session,
        clock=clock,
        messages=[
            NewMessage(
                kind=CUSTOMER_KIND,
                dedupe_key=f"bulletin:{bulletin.id}:fixed:ticket:{ticket_id}",
                subject=f"工单 {number} 反映的问题已修复",
                body=(
                    f"您好，您在工单 {number} 中反映的问题（{bulletin.title}）已修复{note}。"
                    "如仍有问题，请直接回复或致电客服。"
                ),
                channel=Channel.SMS,
                recipient_address=phone,
                ticket_id=ticket_id,
                payload={"bulletin_id": bulletin.id},
            )
            for ticket_id, number, phone in rows
        ],
    )
