"""End to end against the real local SMTP server: a resolved ticket yields exactly one visit invitation,
by the channel the customer prefers, however often the jobs run."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts.enums import Role
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.feedback.jobs import feedback_job
from aftersales.notifications import preferences
from aftersales.notifications.enums import Channel
from aftersales.notifications.jobs import deliver_due
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.enums import Priority, TicketKind, TicketStatus
from tests import factories
from tests.conftest import UserFactory
from tests.notifications.conftest import SmtpServer


def test_a_resolved_ticket_yields_exactly_one_emailed_invitation(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
    make_user: UserFactory,
) -> None:
    preferences.set_preference(
        db, clock=clock, phone="13800138000", email="zhang.san@example.cn", preferred_channel=Channel.EMAIL
    )
    closer, _ = make_user(Role.AGENT, username="closer")
    ticket = factories.ticket_in_status(
        db,
        clock=clock,
        status=TicketStatus.RESOLVED,
        actor=closer,
        kind=TicketKind.CONSULTATION,
        priority=Priority.ROUTINE,
    )
    db.commit()
    for _ in range(2):
        assert feedback_job(session_factory, clock, delivery_settings)["visits_scheduled"] in (0, 1)
        deliver_due(session_factory, clock, delivery_settings)
    mails = smtp_server.mailbox.messages()
    assert len(mails) == 1
    assert mails[0]["To"] == "zhang.san@example.cn"
    assert mails[0]["Subject"] == f"工单 {ticket.number} 服务评价邀请"
    assert "/survey/" in mails[0].get_content()
    sent = db.scalar(
        select(func.count()).where(OutboxMessage.kind == "visit_invitation", OutboxMessage.status == "sent")
    )
    assert sent == 1
