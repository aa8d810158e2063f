"""Delivery over SMTP against a real local SMTP server (aiosmtpd): exactly one copy per message, retries
without duplicates, nothing lost when a sender dies between its claim and its send."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.core.db import unit_of_work
from aftersales.notifications import rules, sender
from aftersales.notifications import service as notifications_service
from aftersales.notifications.channels import SmtpChannel
from aftersales.notifications.enums import OutboxStatus
from aftersales.notifications.jobs import DeliveryReport, deliver_due
from tests.notifications.conftest import SmtpServer, free_port
from tests.notifications.helpers import put, row, state

KEY = "visit_invitation:1"
NOTHING = DeliveryReport()


def test_a_resolved_ticket_yields_exactly_one_visit_invitation(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    assert put(db, clock) is True
    assert put(db, clock) is False  # the resolve replayed: same dedupe key, no second row
    report = deliver_due(session_factory, clock, delivery_settings)
    assert report == DeliveryReport(sent=1)
    assert deliver_due(session_factory, clock, delivery_settings) == NOTHING

    [email] = smtp_server.mailbox.messages()
    assert email["Subject"] == "工单 SH20261122-000001 服务评价邀请"
    assert email["To"] == "zhang@example.cn"
    assert email["From"] == "售后服务 <service@example.cn>"
    assert email["Message-ID"] == rules.message_id(KEY, "example.cn")
    assert email["X-Aftersales-Delivery"] == KEY
    assert email.get_content_charset() == "utf-8"
    assert email.get_content().strip() == (
        "您好，您的工单 SH20261122-000001 已处理完毕。请花 1 分钟评价本次服务：https://svc.example.cn/survey/1.1795000000.abc"
        "（7 天内有效）。客服也可能致电回访，感谢支持。"
    )
    assert state(db) == (OutboxStatus.SENT, 1, clock.now(), clock.now(), None, None)
    assert row(db).claim_token is None


def test_a_refused_send_is_retried_with_backoff_without_duplicates(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    put(db, clock)
    smtp_server.mailbox.refuse = 2
    start = clock.now()

    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(retrying=1)
    error = "notifications.smtp_deferred: 451 4.3.0 Mailbox busy, try again later"
    assert state(db) == (OutboxStatus.PENDING, 1, start + timedelta(minutes=1), None, error, None)

    clock.advance(timedelta(seconds=59))  # not due yet: nothing is tried, nothing changes
    assert deliver_due(session_factory, clock, delivery_settings) == NOTHING
    assert smtp_server.mailbox.refusals == 1
    assert state(db) == (OutboxStatus.PENDING, 1, start + timedelta(minutes=1), None, error, None)

    clock.advance(timedelta(seconds=1))
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(retrying=1)
    assert state(db) == (OutboxStatus.PENDING, 2, start + timedelta(minutes=3), None, error, None)

    clock.advance(timedelta(minutes=2))
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(sent=1)
    assert deliver_due(session_factory, clock, delivery_settings) == NOTHING
    assert smtp_server.mailbox.refusals == 2
    assert len(smtp_server.mailbox.received) == 1
    assert state(db) == (OutboxStatus.SENT, 3, start + timedelta(minutes=3), clock.now(), error, None)


def test_attempts_exhausted_is_a_dead_letter(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    settings = delivery_settings.model_copy(update={"notify_max_attempts": 2})
    put(db, clock)
    smtp_server.mailbox.refuse = 5
    assert deliver_due(session_factory, clock, settings) == DeliveryReport(retrying=1)
    clock.advance(timedelta(minutes=1))
    assert deliver_due(session_factory, clock, settings) == DeliveryReport(failed=1)
    clock.advance(timedelta(days=1))
    assert deliver_due(session_factory, clock, settings) == NOTHING
    assert smtp_server.mailbox.refusals == 2
    assert smtp_server.mailbox.received == []
    error = "notifications.smtp_deferred: 451 4.3.0 Mailbox busy, try again later"
    assert state(db) == (OutboxStatus.FAILED, 2, None, None, error, None)
    assert [m.dedupe_key for m in notifications_service.list_outbox(db, status=OutboxStatus.FAILED)] == [KEY]

    # The server recovers; an operator puts the dead letter back; it is then delivered once.
    smtp_server.mailbox.refuse = 0
    assert notifications_service.requeue(db, clock=clock, message_ids=[row(db).id]) == 1
    db.commit()
    assert deliver_due(session_factory, clock, settings) == DeliveryReport(sent=1)
    assert len(smtp_server.mailbox.received) == 1


def test_a_permanent_refusal_is_not_retried(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    put(db, clock)
    smtp_server.mailbox.refuse = 1
    smtp_server.mailbox.reply = "550 5.1.1 No such user"
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(failed=1)
    clock.advance(timedelta(hours=2))
    assert deliver_due(session_factory, clock, delivery_settings) == NOTHING
    assert smtp_server.mailbox.refusals == 1
    error = "notifications.smtp_rejected: 550 5.1.1 No such user"
    assert state(db) == (OutboxStatus.FAILED, 1, None, None, error, None)


def test_a_process_killed_between_claim_and_send_loses_nothing(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    put(db, clock)
    start = clock.now()
    # The dying process: claims and commits, then never sends nor reports.
    with unit_of_work(session_factory) as session:
        claim = sender.claim_due(session, clock=clock, settings=delivery_settings, token="dead-process")
    assert [delivery.dedupe_key for delivery in claim.deliveries] == [KEY]
    # Claimed, never tried: no attempt spent.
    leased = (OutboxStatus.SENDING, 0, start, None, None, start + timedelta(minutes=5))
    assert state(db) == leased

    clock.advance(timedelta(seconds=299))  # the lease still holds: another sender leaves the row alone
    assert deliver_due(session_factory, clock, delivery_settings) == NOTHING
    assert state(db) == leased

    clock.advance(timedelta(seconds=1))
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(sent=1)
    assert deliver_due(session_factory, clock, delivery_settings) == NOTHING
    assert len(smtp_server.mailbox.received) == 1
    assert state(db) == (OutboxStatus.SENT, 1, start, clock.now(), sender.LEASE_EXPIRED, None)

    # Should the dead process come back, its stale token changes nothing.
    with unit_of_work(session_factory) as session:
        assert (
            sender.record_sent(session, clock=clock, message_id=claim.deliveries[0].id, token="dead-process") is False
        )
    assert state(db) == (OutboxStatus.SENT, 1, start, clock.now(), sender.LEASE_EXPIRED, None)


def test_a_send_whose_outcome_was_lost_is_resent_with_the_same_message_id(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    # At-least-once: the process sent, then died before recording it. The resend is recognisable.
    put(db, clock)
    with unit_of_work(session_factory) as session:
        claim = sender.claim_due(session, clock=clock, settings=delivery_settings, token="dead-process")
    SmtpChannel(delivery_settings).send(claim.deliveries[0])
    clock.advance(timedelta(minutes=5))
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(sent=1)
    first, second = smtp_server.mailbox.messages()
    assert first["Message-ID"] == second["Message-ID"] == rules.message_id(KEY, "example.cn")
    assert first["Date"] == second["Date"]


def test_a_lease_expiring_on_the_last_attempt_is_a_dead_letter(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    settings = delivery_settings.model_copy(update={"notify_max_attempts": 1})
    put(db, clock)
    # The sender died while sending (a poison message): the attempt had started and counts.
    with unit_of_work(session_factory) as session:
        [delivery] = sender.claim_due(session, clock=clock, settings=settings, token="dead-process").deliveries
    with unit_of_work(session_factory) as session:
        assert sender.start_attempt(session, message_id=delivery.id, token="dead-process") is True
    clock.advance(timedelta(minutes=5))
    assert deliver_due(session_factory, clock, settings) == DeliveryReport(failed=1)
    assert smtp_server.mailbox.received == []
    assert state(db) == (OutboxStatus.FAILED, 1, row(db).next_attempt_at, None, sender.LEASE_EXPIRED, None)


def test_an_unreachable_server_is_retried(
    db: Session, clock: FrozenClock, session_factory: sessionmaker[Session], delivery_settings: Settings
) -> None:
    settings = delivery_settings.model_copy(update={"smtp_port": free_port()})  # nothing listens there
    put(db, clock)
    assert deliver_due(session_factory, clock, settings) == DeliveryReport(retrying=1)
    message = row(db)
    assert (message.status, message.attempts, message.next_attempt_at) == (
        OutboxStatus.PENDING,
        1,
        clock.now() + timedelta(minutes=1),
    )
    assert message.last_error is not None
    assert message.last_error.startswith("notifications.smtp_unreachable: ConnectionRefusedError")


def test_missing_configuration_or_address_fails_for_good(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    put(db, clock, key="a", address="13800138000")
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(failed=1)
    assert row(db, "a").last_error == "notifications.bad_address: not an email address: '13800138000'"
    put(db, clock, key="b")
    unconfigured = delivery_settings.model_copy(update={"smtp_host": ""})
    assert deliver_due(session_factory, clock, unconfigured) == DeliveryReport(failed=1)
    assert row(db, "b").last_error == "notifications.not_configured: AFTERSALES_SMTP_HOST is not set"
    assert smtp_server.mailbox.received == []


def test_many_messages_go_in_batches_each_once(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    for number in range(25):
        put(db, clock, key=f"visit_invitation:{number}", address=f"customer{number}@example.cn")
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(sent=25)
    ids = [email["Message-ID"] for email in smtp_server.mailbox.messages()]
    assert sorted(ids) == sorted(rules.message_id(f"visit_invitation:{n}", "example.cn") for n in range(25))
    assert notifications_service.list_outbox(db, status=OutboxStatus.PENDING) == []


def test_a_sender_dying_on_one_message_spends_no_attempt_of_the_others(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    settings = delivery_settings.model_copy(update={"notify_max_attempts": 2})
    keys = [f"visit_invitation:{number}" for number in (1, 2, 3)]
    for key in keys:
        put(db, clock, key=key)
    # Twice a sender claims the batch, starts on the first (poison) message and dies there.
    for _ in range(2):
        with unit_of_work(session_factory) as session:
            deliveries = sender.claim_due(session, clock=clock, settings=settings, token="dying").deliveries
        assert [d.dedupe_key for d in deliveries][:1] == [keys[0]]
        with unit_of_work(session_factory) as session:
            assert sender.start_attempt(session, message_id=deliveries[0].id, token="dying") is True
        clock.advance(timedelta(minutes=5))
    # The poison message has used its two attempts and fails alone; the others go out on their first.
    assert deliver_due(session_factory, clock, settings) == DeliveryReport(sent=2, failed=1)
    assert [(row(db, key).status, row(db, key).attempts) for key in keys] == [
        (OutboxStatus.FAILED, 2),
        (OutboxStatus.SENT, 1),
        (OutboxStatus.SENT, 1),
    ]
    assert len(smtp_server.mailbox.received) == 2
