"""Routing end to end: an SLA breach of a 深圳 ticket, found by the sweep, reaches the 深圳 WeCom robot, the
深圳 webhook (signed) and the region's mailbox — exactly one request per matching rule, none for 广州's
rule, none again when the sweep and the sender run again — through the local receivers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.notifications import routing, rules
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.jobs import DeliveryReport, deliver_due
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets import sla_tracking
from aftersales.tickets.enums import Priority
from tests import factories
from tests.conftest import local
from tests.notifications.conftest import WEBHOOK_SECRET, HttpReceiver, SmtpServer


def test_a_breach_in_shenzhen_reaches_the_shenzhen_channels_once(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    http_receiver: HttpReceiver,
    smtp_server: SmtpServer,
) -> None:
    shenzhen = factories.organisation_tree(db, clock=clock, prefix="S", city="深圳")
    guangzhou = factories.organisation_tree(db, clock=clock, prefix="G", city="广州")
    factories.user(
        db, clock=clock, role=Role.MANAGER, username="sz_boss", organisation_code=shenzhen.service_center.code
    )
    factories.technician(db, clock=clock, username="sz_tech", organisation_code=shenzhen.service_center.code)
    robot = f"{http_receiver.url}/cgi-bin/webhook/send?key=sz-robot"
    made = {
        "wecom": routing.create_rule(
            db, clock=clock, actor=SYSTEM_ACTOR, event="sla_breached", channel="wecom", target=robot,
            organisation_id=shenzhen.service_center.id,
        ),
        "webhook": routing.create_rule(
            db, clock=clock, actor=SYSTEM_ACTOR, event="sla_breached", channel="webhook",
            target=f"{http_receiver.url}/hooks/shenzhen", region="深圳",
        ),
        "email": routing.create_rule(
            db, clock=clock, actor=SYSTEM_ACTOR, event="sla_breached", channel="email", target="south@example.cn",
            organisation_id=shenzhen.region.id,
        ),
    }  # fmt: skip
    routing.create_rule(
        db, clock=clock, actor=SYSTEM_ACTOR, event="sla_breached", channel="webhook",
        target=f"{http_receiver.url}/hooks/guangzhou", organisation_id=guangzhou.service_center.id,
    )  # fmt: skip
    routing.create_rule(
        db, clock=clock, actor=SYSTEM_ACTOR, event="sla_warning", channel="webhook",
        target=f"{http_receiver.url}/hooks/warnings",
    )  # fmt: skip
    ticket = factories.ticket(db, clock=clock, priority=Priority.URGENT, assignee_username="sz_tech")
    assert ticket.organisation_id == shenzhen.service_center.id
    db.commit()

    clock.set(local(2026, 11, 22, 10, 30))  # urgent: first contact within 30 minutes, not made
    report = sla_tracking.sweep(db, clock=clock)
    db.commit()
    assert (report.warnings, report.breaches) == (0, 1)
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(sent=3, internal=2)

    by_path = {request.path: request for request in http_receiver.requests}
    assert sorted(by_path) == ["/cgi-bin/webhook/send?key=sz-robot", "/hooks/shenzhen"]
    hook = by_path["/hooks/shenzhen"]
    assert rules.is_valid_signature(WEBHOOK_SECRET.encode(), hook.body, hook.headers["X-Aftersales-Signature"])
    assert hook.headers["X-Aftersales-Event"] == "sla_breached"
    document = hook.json()
    assert document["subject"] == f"【SLA 超时】工单 {ticket.number} 首次联系已超时"
    assert document["body"] == f"工单 {ticket.number} 的首次联系时限 2026-11-22 10:30 已过，请立即处理。"
    assert document["ticket_id"] == ticket.id
    assert document["payload"]["routing_rule_id"] == made["webhook"].id
    assert hook.headers["X-Aftersales-Delivery"] == document["delivery_id"]
    assert document["delivery_id"].startswith(f"route:{made['webhook'].id}:")
    robot_message = by_path["/cgi-bin/webhook/send?key=sz-robot"].json()
    assert robot_message == {
        "msgtype": "markdown",
        "markdown": {"content": f"### {document['subject']}\n{document['body']}"},
    }
    [mail] = smtp_server.mailbox.messages()
    assert (mail["To"], mail["Subject"]) == ("south@example.cn", document["subject"])

    # The sweep and the sender again, later: nothing new is sent.
    clock.advance(timedelta(minutes=5))
    sla_tracking.sweep(db, clock=clock)
    db.commit()
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport()
    assert len(http_receiver.requests) == 2 and len(smtp_server.mailbox.messages()) == 1
    routed = db.scalars(select(OutboxMessage).where(OutboxMessage.channel != Channel.INTERNAL)).all()
    assert sorted((str(m.channel), m.status) for m in routed) == [
        ("email", OutboxStatus.SENT),
        ("webhook", OutboxStatus.SENT),
        ("wecom", OutboxStatus.SENT),
    ]


def test_a_rejected_robot_is_a_dead_letter_with_its_reason(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    http_receiver: HttpReceiver,
) -> None:
    http_receiver.replies = [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    routing.create_rule(
        db, clock=clock, actor=SYSTEM_ACTOR, event="sla_escalation", channel="wecom",
        target=f"{http_receiver.url}/cgi-bin/webhook/send?key=gone",
    )  # fmt: skip
    factories.user(db, clock=clock, role=Role.MANAGER, username="boss")
    factories.ticket(db, clock=clock, priority=Priority.URGENT)  # unassigned: the breach is escalated to boss
    db.commit()
    clock.set(local(2026, 11, 22, 10, 30))
    sla_tracking.sweep(db, clock=clock)
    db.commit()
    assert deliver_due(session_factory, clock, delivery_settings).failed == 1
    [copy] = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.WECOM)).all()
    db.refresh(copy)
    assert (copy.status, copy.attempts) == (OutboxStatus.FAILED, 1)
    assert copy.last_error == "notifications.wecom_rejected: WeCom errcode 93000: invalid webhook url"
