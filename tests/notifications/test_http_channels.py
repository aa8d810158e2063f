"""Signed webhooks and the WeCom group robot, against a local HTTP server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.notifications import rules
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.jobs import DeliveryReport, deliver_due
from tests.notifications.conftest import WEBHOOK_SECRET, HttpReceiver
from tests.notifications.helpers import put, row, state

KEY = "sla_warning:9:resolution"
WARNING_SUBJECT = "【SLA 预警】工单 SH20261122-000123 首次联系、上门到达即将超时"  # the template's sample
WARNING_BODY = "工单 SH20261122-000123 的首次联系、上门到达时限为 2026-11-22 22:00，已用 80% 时限，请尽快处理。"
BREACH = "【SLA 超时】工单 SH20261122-000123 解决已超时\n工单 SH20261122-000123 的解决时限 2026-11-23 10:00 已过，请立即处理。"


def _put_webhook(db: Session, clock: FrozenClock, address: str | None = None) -> None:
    put(
        db,
        clock,
        key=KEY,
        kind="sla_warning",
        channel=Channel.WEBHOOK,
        address=address,
        payload={"ticket_number": "SH20261122-000009"},
    )


def test_webhook_is_signed_and_carries_the_idempotency_key(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    http_receiver: HttpReceiver,
) -> None:
    _put_webhook(db, clock)
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(sent=1)
    [request] = http_receiver.requests
    timestamp = int(clock.now().timestamp())
    assert request.path == "/hooks/aftersales"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["X-Aftersales-Delivery"] == KEY
    assert request.headers["X-Aftersales-Event"] == "sla_warning"
    assert request.headers["X-Aftersales-Timestamp"] == str(timestamp)
    assert request.headers["X-Aftersales-Signature"] == rules.sign_body(WEBHOOK_SECRET.encode(), request.body)
    assert rules.is_valid_signature(WEBHOOK_SECRET.encode(), request.body, request.headers["X-Aftersales-Signature"])
    assert request.json() == {
        "delivery_id": KEY,
        "kind": "sla_warning",
        "subject": WARNING_SUBJECT,
        "body": WARNING_BODY,
        "ticket_id": None,
        "payload": {"ticket_number": "SH20261122-000009"},
        "created_at": clock.now().isoformat(),
        "timestamp": timestamp,
    }
    assert state(db, KEY)[:2] == (OutboxStatus.SENT, 1)


def test_webhook_5xx_is_retried_with_the_same_delivery_id(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    http_receiver: HttpReceiver,
) -> None:
    http_receiver.replies = [(503, {}), (200, {})]
    _put_webhook(db, clock)
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(retrying=1)
    error = f"notifications.http_retry: HTTP 503 from {delivery_settings.webhook_url}"
    assert state(db, KEY) == (OutboxStatus.PENDING, 1, clock.now() + timedelta(minutes=1), None, error, None)
    clock.advance(timedelta(minutes=1))
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(sent=1)
    assert [r.headers["X-Aftersales-Delivery"] for r in http_receiver.requests] == [KEY, KEY]
    assert state(db, KEY)[:2] == (OutboxStatus.SENT, 2)


def test_webhook_4xx_fails_for_good(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    http_receiver: HttpReceiver,
) -> None:
    http_receiver.replies = [(401, {})]
    _put_webhook(db, clock)
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(failed=1)
    clock.advance(timedelta(days=1))
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport()
    assert len(http_receiver.requests) == 1
    error = f"notifications.http_rejected: HTTP 401 from {delivery_settings.webhook_url}"
    assert state(db, KEY) == (OutboxStatus.FAILED, 1, None, None, error, None)


def test_webhook_to_the_address_of_the_message(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    http_receiver: HttpReceiver,
) -> None:
    _put_webhook(db, clock, address=f"{http_receiver.url}/partner/42")
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(sent=1)
    assert [r.path for r in http_receiver.requests] == ["/partner/42"]


def test_webhook_without_a_secret_is_never_sent_unsigned(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    http_receiver: HttpReceiver,
) -> None:
    settings = delivery_settings.model_copy(update={"webhook_secret": Settings().webhook_secret})
    _put_webhook(db, clock)
    assert deliver_due(session_factory, clock, settings) == DeliveryReport(failed=1)
    assert http_receiver.requests == []
    assert row(db, KEY).last_error is not None
    assert row(db, KEY).last_error.startswith("notifications.not_configured")  # type: ignore[union-attr]


def _put_wecom(db: Session, clock: FrozenClock, payload: dict[str, object] | None = None) -> None:
    put(
        db,
        clock,
        key=KEY,
        kind="sla_breached",
        channel=Channel.WECOM,
        address=None,
        payload=payload,
    )


def test_wecom_robot_gets_markdown(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    http_receiver: HttpReceiver,
) -> None:
    _put_wecom(db, clock)
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(sent=1)
    [request] = http_receiver.requests
    assert request.path == "/cgi-bin/webhook/send?key=test-robot"
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {"content": f"### {BREACH}"},
    }
    assert state(db, KEY)[:2] == (OutboxStatus.SENT, 1)


def test_wecom_robot_gets_text_with_mentions(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    http_receiver: HttpReceiver,
) -> None:
    _put_wecom(db, clock, payload={"mention_mobiles": ["13800138000"]})
    deliver_due(session_factory, clock, delivery_settings)
    assert http_receiver.requests[0].json() == {
        "msgtype": "text",
        "text": {"content": BREACH, "mentioned_mobile_list": ["13800138000"]},
    }


def test_wecom_errcodes(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    delivery_settings: Settings,
    http_receiver: HttpReceiver,
) -> None:
    http_receiver.replies = [
        (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
        (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
    ]
    _put_wecom(db, clock)
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(retrying=1)
    assert row(db, KEY).last_error == "notifications.wecom_retry: WeCom errcode 45009: api freq out of limit"
    clock.advance(timedelta(minutes=1))
    assert deliver_due(session_factory, clock, delivery_settings) == DeliveryReport(failed=1)
    error = "notifications.wecom_rejected: WeCom errcode 93000: invalid webhook url"
    assert state(db, KEY) == (OutboxStatus.FAILED, 2, None, None, error, None)
    assert len(http_receiver.requests) == 2
