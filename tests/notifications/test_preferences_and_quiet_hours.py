"""Internal messages, the SMS adapter, quiet hours and customers' opt-outs."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.core.errors import InvalidInputError
from aftersales.notifications import preferences
from aftersales.notifications.channels import (
    ChannelSender,
    LoggingSmsAdapter,
    SmsChannel,
    build_channels,
    load_sms_adapter,
)
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.jobs import DeliveryReport, deliver_due
from aftersales.notifications.models import NotificationPreference
from tests.conftest import local
from tests.notifications.conftest import SmtpServer
from tests.notifications.helpers import put, row, state

PHONE = "13800138000"
KEY = "visit_invitation:1"
INVITATION = (
    "您好，您的工单 SH20261122-000001 已处理完毕。请花 1 分钟评价本次服务：https://svc.example.cn/survey/1.1795000000.abc"
    "（7 天内有效）。客服也可能致电回访，感谢支持。"
)


class RecordingSmsAdapter:
    def __init__(self, settings: Settings | None = None) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send_sms(self, phone: str, text: str, *, idempotency_key: str) -> None:
        self.sent.append((phone, text, idempotency_key))


@pytest.fixture
def sms() -> RecordingSmsAdapter:
    return RecordingSmsAdapter()


@pytest.fixture
def channels(delivery_settings: Settings, clock: FrozenClock, sms: RecordingSmsAdapter) -> dict[Channel, ChannelSender]:
    senders = build_channels(delivery_settings, clock)
    senders[Channel.SMS] = SmsChannel(sms)
    return senders


def _put_sms(db: Session, clock: FrozenClock, *, key: str = KEY, kind: str = "visit_invitation") -> None:
    put(db, clock, key=key, kind=kind, channel=Channel.SMS, address=PHONE)


def test_internal_messages_are_marked_sent_without_sending(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    put(db, clock, key="sla_warning:1", kind="sla_warning", channel=Channel.INTERNAL, address=None)
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(internal=1)
    assert state(db, "sla_warning:1") == (OutboxStatus.SENT, 0, clock.now(), clock.now(), None, None)
    assert smtp_server.mailbox.received == []


def test_sms_in_quiet_hours_is_postponed_to_eight(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    channels: dict[Channel, ChannelSender],
    sms: RecordingSmsAdapter,
) -> None:
    clock.set(local(2026, 11, 22, 23, 10))
    _put_sms(db, clock)
    report = deliver_due(session_factory, clock, delivery_settings, channels=channels)
    assert report == DeliveryReport(postponed=1)
    assert state(db) == (OutboxStatus.PENDING, 0, local(2026, 11, 23, 8, 0), None, None, None)
    assert sms.sent == []

    clock.set(local(2026, 11, 23, 7, 59))
    assert deliver_due(session_factory, clock, delivery_settings, channels=channels) == DeliveryReport()
    clock.set(local(2026, 11, 23, 8, 0))
    assert deliver_due(session_factory, clock, delivery_settings, channels=channels) == DeliveryReport(sent=1)
    assert sms.sent == [(PHONE, INVITATION, KEY)]
    assert state(db)[:4] == (OutboxStatus.SENT, 1, local(2026, 11, 23, 8, 0), local(2026, 11, 23, 8, 0))


def test_urgent_sms_and_email_ignore_quiet_hours(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    channels: dict[Channel, ChannelSender],
    sms: RecordingSmsAdapter,
    smtp_server: SmtpServer,
) -> None:
    clock.set(local(2026, 11, 22, 23, 10))
    _put_sms(db, clock, key="sla_escalation:1", kind="sla_escalation")
    put(db, clock, key="visit_invitation:2")  # email
    report = deliver_due(session_factory, clock, delivery_settings, channels=channels)
    assert report == DeliveryReport(sent=2)
    assert sms.sent == [
        (
            PHONE,
            "工单 SH20261122-000123 的上门到达时限 2026-11-23 10:00 已过，请立即处理。 已升级至主管。",
            "sla_escalation:1",
        )
    ]
    assert len(smtp_server.mailbox.received) == 1


def test_opted_out_channels_are_suppressed_never_sent(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    channels: dict[Channel, ChannelSender],
    sms: RecordingSmsAdapter,
    smtp_server: SmtpServer,
) -> None:
    preferences.set_preference(
        db, clock=clock, phone=PHONE, email="Zhang@Example.cn", opted_out_channels=[Channel.SMS, Channel.EMAIL]
    )
    _put_sms(db, clock)
    put(db, clock, key="visit_invitation:2", address="zhang@example.cn")
    put(db, clock, key="visit_invitation:3", address="li@example.cn")  # someone else
    report = deliver_due(session_factory, clock, delivery_settings, channels=channels)
    assert report == DeliveryReport(sent=1, suppressed=2)
    assert sms.sent == []
    assert [email["To"] for email in smtp_server.mailbox.messages()] == ["li@example.cn"]
    for key, channel in ((KEY, "sms"), ("visit_invitation:2", "email")):
        message = row(db, key)
        assert (message.status, message.attempts, message.sent_at) == (OutboxStatus.SUPPRESSED, 0, None)
        assert message.suppressed_reason == f"recipient opted out of {channel}"


def test_the_default_sms_adapter_only_logs_with_the_phone_masked(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert isinstance(load_sms_adapter(delivery_settings), LoggingSmsAdapter)
    _put_sms(db, clock)
    with caplog.at_level(logging.INFO, logger="aftersales.notifications"):
        assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(sent=1)
    assert f"sms to 138****8000 [{KEY}]: {INVITATION}" in caplog.messages
    assert PHONE not in caplog.text


def test_an_sms_adapter_is_loaded_from_the_settings(delivery_settings: Settings) -> None:
    path = f"{__name__}:RecordingSmsAdapter"
    adapter = load_sms_adapter(delivery_settings.model_copy(update={"sms_adapter": path}))
    assert isinstance(adapter, RecordingSmsAdapter)


def test_choose_channel(db: Session, clock: FrozenClock) -> None:
    assert preferences.choose_channel(db, phone=PHONE) == (Channel.SMS, PHONE)
    preferences.set_preference(db, clock=clock, phone=PHONE, email="zhang@example.cn", preferred_channel=Channel.EMAIL)
    assert preferences.choose_channel(db, phone=PHONE) == (Channel.EMAIL, "zhang@example.cn")
    preferences.set_preference(db, clock=clock, phone=PHONE, email=None, opted_out_channels=[Channel.EMAIL])
    assert preferences.choose_channel(db, phone=PHONE) == (Channel.SMS, PHONE)
    preferences.set_preference(db, clock=clock, phone=PHONE, opted_out_channels=[Channel.SMS])
    assert preferences.choose_channel(db, phone=PHONE) is None  # no email known, SMS refused
    assert db.scalar(select(func.count()).select_from(NotificationPreference)) == 1


@pytest.mark.parametrize(
    ("phone", "opted_out", "preferred", "field"),
    [(" ", (), None, "phone"), (PHONE, (Channel.SMS,), Channel.SMS, "preferred_channel")],
)
def test_invalid_preferences_change_nothing(
    db: Session,
    clock: FrozenClock,
    phone: str,
    opted_out: tuple[Channel, ...],
    preferred: Channel | None,
    field: str,
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        preferences.set_preference(
            db, clock=clock, phone=phone, opted_out_channels=opted_out, preferred_channel=preferred
        )
    assert raised.value.code == "notifications.invalid_preference"
    assert list(raised.value.fields) == [field]
    assert db.scalar(select(func.count()).select_from(NotificationPreference)) == 0


def test_retry_backoff_does_not_skip_quiet_hours(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    sms: RecordingSmsAdapter,
) -> None:
    class FlakyGateway(RecordingSmsAdapter):
        def send_sms(self, phone: str, text: str, *, idempotency_key: str) -> None:
            from aftersales.notifications.errors import TransientDeliveryError

            if not self.sent:
                self.sent.append(("refused", text, idempotency_key))
                raise TransientDeliveryError("gateway busy", code="notifications.sms_busy")
            super().send_sms(phone, text, idempotency_key=idempotency_key)

    gateway = FlakyGateway()
    senders = build_channels(delivery_settings, clock)
    senders[Channel.SMS] = SmsChannel(gateway)
    clock.set(local(2026, 11, 22, 21, 59) + timedelta(seconds=30))
    _put_sms(db, clock)
    assert deliver_due(session_factory, clock, delivery_settings, channels=senders) == DeliveryReport(retrying=1)
    clock.advance(timedelta(minutes=1))  # the retry falls at 22:00:30: quiet, so 08:00
    assert deliver_due(session_factory, clock, delivery_settings, channels=senders) == DeliveryReport(postponed=1)
    assert state(db)[:3] == (OutboxStatus.PENDING, 1, local(2026, 11, 23, 8, 0))
    clock.set(local(2026, 11, 23, 8, 0))
    assert deliver_due(session_factory, clock, delivery_settings, channels=senders) == DeliveryReport(sent=1)
    assert [entry[0] for entry in gateway.sent] == ["refused", PHONE]


@pytest.mark.parametrize(
    ("own", "at", "expected"),
    [
        ((time(21, 0), time(9, 0)), local(2026, 11, 22, 21, 30), DeliveryReport(postponed=1)),  # hers, not 22:00
        ((time(21, 0), time(9, 0)), local(2026, 11, 23, 8, 30), DeliveryReport(postponed=1)),  # until 09:00
        ((time(0, 0), time(0, 0)), local(2026, 11, 22, 23, 30), DeliveryReport(sent=1)),  # texts at any hour
        (None, local(2026, 11, 22, 21, 30), DeliveryReport(sent=1)),  # the system's 22:00–08:00
    ],
)
def test_a_customers_own_quiet_hours_replace_the_systems(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    channels: dict[Channel, ChannelSender],
    own: tuple[time, time] | None,
    at: datetime,
    expected: DeliveryReport,
) -> None:
    start, end = own or (None, None)
    preferences.set_preference(db, clock=clock, phone=PHONE, quiet_start=start, quiet_end=end)
    clock.set(at)
    _put_sms(db, clock)
    assert deliver_due(session_factory, clock, delivery_settings, channels=channels) == expected
    if expected.postponed:
        assert state(db)[2] == local(2026, 11, 23, 9, 0)


def test_quiet_hours_need_both_ends(db: Session, clock: FrozenClock) -> None:
    with pytest.raises(InvalidInputError) as refused:
        preferences.set_preference(db, clock=clock, phone=PHONE, quiet_start=time(22, 0))
    assert refused.value.fields == {"quiet_end": "请同时填写开始和结束时间"}
    assert db.scalar(select(func.count()).select_from(NotificationPreference)) == 0
