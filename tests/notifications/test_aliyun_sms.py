"""Alibaba Cloud SMS against a local fake of SendSms that checks each request as the provider documents it:
one booked appointment yields exactly one signed request with the right phone, template and variables; a
code that means "later" is retried, an invalid number or a refused template or credential dead-letters at
once, a hanging or absent gateway is retried."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts.enums import Role
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.notifications import sms
from aftersales.notifications.channels import LoggingSmsAdapter, SmsChannel, build_channels
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.jobs import DeliveryReport, deliver_due
from aftersales.tickets.enums import TicketKind
from tests import factories
from tests.conftest import UserFactory
from tests.factories.common import CUSTOMER_PHONE
from tests.notifications.aliyun_support import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    DOCUMENTED_PARAMETERS,
    DOCUMENTED_SECRET,
    DOCUMENTED_SIGNATURE,
    SIGN_NAME,
    FakeAliyunSms,
    documented_signature,
    error,
    fake_aliyun_sms,
)
from tests.notifications.helpers import put, row, state

TEMPLATES = {
    "appointment": "SMS_480100001",
    "appointment.rescheduled": "SMS_480100002",
    "on_the_way": "SMS_480100003",
    "confirmation_code": "SMS_480100004",
    "visit_invitation": "SMS_480100005",
}
KEY = "confirmation-code:7"
REQUEST_ID = "F655A8D5-B967-440B-8683-DAD6FF8DE990"
TIMESTAMP = "2026-11-22T02:00:00Z"  # the frozen clock, 10:00 in Shanghai


@pytest.fixture
def fake(clock: FrozenClock) -> Iterator[FakeAliyunSms]:
    with fake_aliyun_sms(clock) as server:
        yield server


@pytest.fixture
def sms_settings(settings: Settings, fake: FakeAliyunSms) -> Settings:
    return settings.model_copy(
        update={
            "sms_adapter": "aliyun",
            "aliyun_sms_endpoint": fake.url,
            "aliyun_sms_access_key_id": ACCESS_KEY_ID,
            "aliyun_sms_access_key_secret": SecretStr(ACCESS_KEY_SECRET),
            "aliyun_sms_sign_name": SIGN_NAME,
            "aliyun_sms_templates": dict(TEMPLATES),
            "aliyun_sms_timeout_seconds": 5.0,
            "notify_retry_jitter": 0.0,
        }
    )


def _put_code(db: Session, clock: FrozenClock) -> None:
    put(db, clock, key=KEY, kind="confirmation_code", channel=Channel.SMS, address=CUSTOMER_PHONE)


def _without_nonce_and_signature(parameters: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in parameters.items() if name not in ("SignatureNonce", "Signature")}


def test_the_signer_and_the_fake_reproduce_the_documented_example() -> None:
    assert sms.signature(DOCUMENTED_SECRET, "GET", DOCUMENTED_PARAMETERS) == DOCUMENTED_SIGNATURE
    assert documented_signature(DOCUMENTED_SECRET, "GET", DOCUMENTED_PARAMETERS) == DOCUMENTED_SIGNATURE
    assert sms.percent_encode("a b*c~d/é+") == "a%20b%2Ac~d%2F%C3%A9%2B"
    assert sms.signature(DOCUMENTED_SECRET, "POST", DOCUMENTED_PARAMETERS) != DOCUMENTED_SIGNATURE


def test_one_appointment_yields_exactly_one_signed_request(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    sms_settings: Settings,
    fake: FakeAliyunSms,
    make_user: UserFactory,
) -> None:
    _, token = make_user(Role.AGENT, username="booker")
    ticket = factories.ticket(db, clock=clock, kind=TicketKind.REPAIR)
    db.commit()
    reply = client.post(
        f"/api/v1/tickets/{ticket.id}/appointments",
        json={"start": "2026-11-23T14:00:00+08:00", "end": "2026-11-23T16:00:00+08:00"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 201, reply.text
    key = f"appointment:{reply.json()['id']}"
    first = deliver_due(session_factory, clock, sms_settings)
    assert (first.sent, first.retrying, first.failed, first.lease_lost) == (1, 0, 0, 0)
    assert deliver_due(session_factory, clock, sms_settings) == DeliveryReport()

    [request] = fake.requests
    assert (request.method, request.path, request.answer) == ("POST", "/", "OK")
    assert request.content_type == "application/x-www-form-urlencoded; charset=utf-8"
    assert _without_nonce_and_signature(request.parameters) == {
        "AccessKeyId": ACCESS_KEY_ID,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": key,
        "PhoneNumbers": CUSTOMER_PHONE,
        "RegionId": "cn-hangzhou",
        "SignName": SIGN_NAME,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_480100001",
        "TemplateParam": f'{{"ticket_number":"{ticket.number}","window":"11月23日 14:00–16:00"}}',
        "Timestamp": TIMESTAMP,
        "Version": "2017-05-25",
    }
    assert request.parameters["Signature"] == documented_signature(ACCESS_KEY_SECRET, "POST", request.parameters)
    assert str(uuid.UUID(request.parameters["SignatureNonce"])) == request.parameters["SignatureNonce"]
    message = row(db, key)
    assert (message.status, message.attempts, message.sent_at, message.last_error) == (
        OutboxStatus.SENT,
        1,
        clock.now(),
        None,
    )
    assert message.payload == {
        "template_context": {"ticket_number": ticket.number, "window": "11月23日 14:00–16:00", "rescheduled": False}
    }


@pytest.mark.parametrize(
    ("status", "code", "text"),
    [
        (200, "isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5"),
        (200, "isp.SYSTEM_ERROR", "系统错误"),
        (400, "Throttling.User", "Request was denied due to user flow control."),
        (503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
    ],
)
def test_a_code_that_means_later_is_retried_with_a_fresh_signature(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    sms_settings: Settings,
    fake: FakeAliyunSms,
    status: int,
    code: str,
    text: str,
) -> None:
    fake.replies = [(status, error(code, text)), None]
    _put_code(db, clock)
    assert deliver_due(session_factory, clock, sms_settings) == DeliveryReport(retrying=1)
    failure = f"notifications.sms_retry: Aliyun SMS {code} (HTTP {status}): {text} (RequestId {REQUEST_ID})"
    assert state(db, KEY) == (OutboxStatus.PENDING, 1, clock.now() + timedelta(minutes=1), None, failure, None)
    clock.advance(timedelta(seconds=59))
    assert deliver_due(session_factory, clock, sms_settings) == DeliveryReport()  # not due yet
    clock.advance(timedelta(seconds=1))
    assert deliver_due(session_factory, clock, sms_settings) == DeliveryReport(sent=1)
    assert state(db, KEY)[:4] == (OutboxStatus.SENT, 2, clock.now(), clock.now())  # sent when it fell due
    assert [request.answer for request in fake.requests] == [code, "OK"]
    first, second = (request.parameters for request in fake.requests)
    assert first["SignatureNonce"] != second["SignatureNonce"]
    assert (first["Timestamp"], second["Timestamp"]) == (TIMESTAMP, "2026-11-22T02:01:00Z")
    for parameters in (first, second):
        assert (parameters["OutId"], parameters["TemplateCode"]) == (KEY, "SMS_480100004")
        assert (parameters["PhoneNumbers"], parameters["TemplateParam"]) == (
            CUSTOMER_PHONE,
            '{"code":"482913","minutes":"30","ticket_number":"SH20261122-000123"}',
        )


@pytest.mark.parametrize(
    ("code", "text", "reason"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", "notifications.sms_invalid_number"),
        ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板", "notifications.sms_rejected"),
        ("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名", "notifications.sms_rejected"),
        ("isv.BLACK_KEY_CONTROL_LIMIT", "黑名单管控", "notifications.sms_rejected"),
    ],
)
def test_an_invalid_number_or_a_refused_template_dead_letters_at_once(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    sms_settings: Settings,
    fake: FakeAliyunSms,
    code: str,
    text: str,
    reason: str,
) -> None:
    fake.replies = [(200, error(code, text))]
    _put_code(db, clock)
    assert deliver_due(session_factory, clock, sms_settings) == DeliveryReport(failed=1)
    failure = f"{reason}: Aliyun SMS {code} (HTTP 200): {text} (RequestId {REQUEST_ID})"
    assert state(db, KEY) == (OutboxStatus.FAILED, 1, None, None, failure, None)
    clock.advance(timedelta(hours=2))
    assert deliver_due(session_factory, clock, sms_settings) == DeliveryReport()
    assert [request.answer for request in fake.requests] == [code]


@pytest.mark.parametrize(
    ("update", "status", "code", "text"),
    [
        (
            {"aliyun_sms_access_key_secret": SecretStr("not-the-secret")},
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        ),
        (
            {"aliyun_sms_access_key_id": "LTAI-unknown"},
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ),
    ],
)
def test_a_request_the_fake_cannot_verify_is_refused_and_dead_lettered(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    sms_settings: Settings,
    fake: FakeAliyunSms,
    update: dict[str, Any],
    status: int,
    code: str,
    text: str,
) -> None:
    _put_code(db, clock)
    settings = sms_settings.model_copy(update=update)
    assert deliver_due(session_factory, clock, settings) == DeliveryReport(failed=1)
    failure = f"notifications.sms_rejected: Aliyun SMS {code} (HTTP {status}): {text} (RequestId {REQUEST_ID})"
    assert state(db, KEY) == (OutboxStatus.FAILED, 1, None, None, failure, None)
    assert [request.answer for request in fake.requests] == [code]
    assert fake.accepted() == []


def test_a_hanging_gateway_times_out_and_is_retried(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    sms_settings: Settings,
    fake: FakeAliyunSms,
) -> None:
    fake.hold = threading.Event()
    _put_code(db, clock)
    settings = sms_settings.model_copy(update={"aliyun_sms_timeout_seconds": 0.3})
    assert deliver_due(session_factory, clock, settings) == DeliveryReport(retrying=1)
    status, attempts, next_attempt_at, _, failure, _ = state(db, KEY)
    assert (status, attempts, next_attempt_at) == (OutboxStatus.PENDING, 1, clock.now() + timedelta(minutes=1))
    assert failure is not None and failure.startswith(f"notifications.sms_unreachable: {fake.url}: ")
    assert "timed out" in failure


def test_an_unreachable_gateway_is_retried(
    db: Session, clock: FrozenClock, session_factory: sessionmaker[Session], sms_settings: Settings
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    _put_code(db, clock)
    settings = sms_settings.model_copy(update={"aliyun_sms_endpoint": closed})
    assert deliver_due(session_factory, clock, settings) == DeliveryReport(retrying=1)
    status, attempts, _, _, failure, _ = state(db, KEY)
    assert (status, attempts) == (OutboxStatus.PENDING, 1)
    assert failure is not None and failure.startswith(f"notifications.sms_unreachable: {closed}: ")


@pytest.mark.parametrize(
    ("update", "failure"),
    [
        (
            {"aliyun_sms_templates": {"appointment": "SMS_480100001"}},
            "notifications.not_configured: no template code for confirmation_code in AFTERSALES_ALIYUN_SMS_TEMPLATES",
        ),
        (
            {"aliyun_sms_access_key_secret": SecretStr(""), "aliyun_sms_sign_name": ""},
            "notifications.not_configured: AFTERSALES_ALIYUN_SMS_ACCESS_KEY_SECRET, AFTERSALES_ALIYUN_SMS_SIGN_NAME not set",
        ),
    ],
)
def test_missing_configuration_dead_letters_without_a_request(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    sms_settings: Settings,
    fake: FakeAliyunSms,
    update: dict[str, Any],
    failure: str,
) -> None:
    _put_code(db, clock)
    assert deliver_due(session_factory, clock, sms_settings.model_copy(update=update)) == DeliveryReport(failed=1)
    assert state(db, KEY) == (OutboxStatus.FAILED, 1, None, None, failure, None)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("kind", "context", "keys", "variables"),
    [
        (
            "appointment",
            {"ticket_number": "SH1", "window": "11月24日 09:00–11:00", "rescheduled": True},
            ("appointment.rescheduled", "appointment"),
            {"ticket_number": "SH1", "window": "11月24日 09:00–11:00"},
        ),
        (
            "appointment",
            {"ticket_number": "SH1", "window": "11月23日 14:00–16:00", "rescheduled": False},
            ("appointment",),
            {"ticket_number": "SH1", "window": "11月23日 14:00–16:00"},
        ),
        (
            "on_the_way",
            {"ticket_number": "SH1", "eta_minutes": 25},
            ("on_the_way",),
            {"ticket_number": "SH1", "eta_minutes": "25"},
        ),
        (
            "on_the_way",
            {"ticket_number": "SH1", "eta_minutes": None},
            ("on_the_way.no_eta", "on_the_way"),
            {"ticket_number": "SH1"},
        ),
        (
            "visit_invitation",
            {
                "ticket_number": "SH1",
                "survey_url": "https://svc.example.cn/survey/9.1795000000.abc?x=1",
                "valid_days": 7,
            },
            ("visit_invitation",),
            {"ticket_number": "SH1", "survey_path": "survey/9.1795000000.abc?x=1", "valid_days": "7"},
        ),
        (
            "bulletin_fixed",
            {"ticket_number": "SH1", "title": "指纹识别率下降", "fix_note": ""},
            ("bulletin_fixed",),
            {"ticket_number": "SH1", "title": "指纹识别率下降"},
        ),
    ],
)
def test_template_call(kind: str, context: dict[str, Any], keys: tuple[str, ...], variables: dict[str, str]) -> None:
    assert sms.template_call(kind, context) == sms.TemplateCall(keys=keys, variables=variables)


def test_a_rescheduled_visit_uses_its_own_template_and_others_fall_back(
    db: Session,
    clock: FrozenClock,
    session_factory: sessionmaker[Session],
    sms_settings: Settings,
    fake: FakeAliyunSms,
) -> None:
    moved = {"ticket_number": "SH1", "window": "11月24日 09:00–11:00", "rescheduled": True}
    put(db, clock, key="appointment:1", kind="appointment", channel=Channel.SMS, address=CUSTOMER_PHONE, context=moved)
    put(
        db,
        clock,
        key="on-the-way:1",
        kind="on_the_way",
        channel=Channel.SMS,
        address=CUSTOMER_PHONE,
        context={"ticket_number": "SH1", "eta_minutes": None},
    )
    assert deliver_due(session_factory, clock, sms_settings) == DeliveryReport(sent=2)
    assert [(r.parameters["OutId"], r.parameters["TemplateCode"], r.template_param()) for r in fake.requests] == [
        ("appointment:1", "SMS_480100002", {"ticket_number": "SH1", "window": "11月24日 09:00–11:00"}),
        ("on-the-way:1", "SMS_480100003", {"ticket_number": "SH1"}),
    ]


def test_outcome_table() -> None:
    assert sms.outcome("OK", "OK", http_status=200) is None
    cases = {
        ("isv.DAY_LIMIT_CONTROL", 200): "notifications.sms_retry",
        ("isv.AMOUNT_NOT_ENOUGH", 200): "notifications.sms_retry",
        ("isp.SOMETHING_NEW", 200): "notifications.sms_retry",
        ("isp.RAM_PERMISSION_DENY", 200): "notifications.sms_rejected",
        ("isv.SOMETHING_NEW", 200): "notifications.sms_rejected",
        ("InternalError", 500): "notifications.sms_retry",
        ("SomethingNew", 502): "notifications.sms_retry",
        ("isv.DOMESTIC_NUMBER_NOT_SUPPORTED", 200): "notifications.sms_rejected",  # template for abroad
        ("isv.TEMPLATE_MISSING_PARAMETERS", 200): "notifications.sms_rejected",
    }
    assert {case: getattr(sms.outcome(case[0], "", http_status=case[1]), "code", None) for case in cases} == cases


def test_the_adapter_setting_chooses_the_channel(
    sms_settings: Settings, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(build_channels(sms_settings, clock)[Channel.SMS], sms.AliyunSmsChannel)
    default = build_channels(sms_settings.model_copy(update={"sms_adapter": "log"}), clock)[Channel.SMS]
    assert isinstance(default, SmsChannel) and isinstance(default.adapter, LoggingSmsAdapter)
    monkeypatch.setenv("AFTERSALES_ALIYUN_SMS_TEMPLATES", '{"appointment": "SMS_1", "on_the_way": "SMS_2"}')
    read = Settings()
    assert (read.sms_adapter, read.aliyun_sms_templates) == ("log", {"appointment": "SMS_1", "on_the_way": "SMS_2"})
