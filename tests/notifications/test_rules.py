"""Pure delivery rules, table-driven."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.notifications import rules
from aftersales.notifications.enums import Channel
from aftersales.notifications.rules import Action, Decision

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT, MORNING = time(22, 0), time(8, 0)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """UTC-aware instant given as Shanghai wall-clock time in November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(22, 21, 59), None),
        (at(22, 22, 0), at(23, 8, 0)),
        (at(22, 23, 30), at(23, 8, 0)),
        (at(23, 0, 0), at(23, 8, 0)),
        (at(23, 7, 59), at(23, 8, 0)),
        (at(23, 8, 0), None),
        (at(23, 12, 0), None),
    ],
)
def test_quiet_hours_end_wraps_over_midnight(now: datetime, expected: datetime | None) -> None:
    result = rules.quiet_hours_end(now, zone=SHANGHAI, start=NIGHT, end=MORNING)
    assert result == expected
    if result is not None:
        assert result.tzinfo is not None
        assert result.astimezone(SHANGHAI).hour == 8


@pytest.mark.parametrize(
    ("start", "end", "now", "expected"),
    [
        (time(12, 0), time(14, 0), at(22, 13, 0), at(22, 14, 0)),  # a window within one day
        (time(12, 0), time(14, 0), at(22, 14, 0), None),
        (time(12, 0), time(14, 0), at(22, 11, 59), None),
        (time(22, 0), time(22, 0), at(22, 23, 0), None),  # start == end: no quiet hours
    ],
)
def test_quiet_hours_other_windows(start: time, end: time, now: datetime, expected: datetime | None) -> None:
    assert rules.quiet_hours_end(now, zone=SHANGHAI, start=start, end=end) == expected


@pytest.mark.parametrize(
    ("attempts", "jitter", "unit", "seconds"),
    [
        (1, 0.0, 0.5, 60),
        (2, 0.0, 0.5, 120),
        (3, 0.0, 0.5, 240),
        (4, 0.0, 0.0, 480),
        (6, 0.0, 0.0, 1920),
        (7, 0.0, 0.0, 3600),  # 3840 capped
        (20, 0.0, 0.0, 3600),
        (1, 0.1, 0.0, 54),  # −10 %
        (1, 0.1, 0.5, 60),
        (3, 0.1, 1.0, 264),  # the upper bound (unit never reaches 1.0 in practice)
    ],
)
def test_retry_delay(attempts: int, jitter: float, unit: float, seconds: float) -> None:
    delay = rules.retry_delay(attempts, base_seconds=60, max_seconds=3600, jitter=jitter, unit=unit)
    assert delay == timedelta(seconds=seconds)


def test_retry_delay_counts_attempts_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        rules.retry_delay(0, base_seconds=60, max_seconds=3600, jitter=0, unit=0)


def test_signature_is_hmac_sha256_of_the_body() -> None:
    body = '{"kind":"visit_invitation","subject":"服务评价"}'.encode()
    expected = "sha256=" + hmac.new(b"key", body, hashlib.sha256).hexdigest()
    assert rules.sign_body(b"key", body) == expected
    assert rules.is_valid_signature(b"key", body, expected) is True
    assert rules.is_valid_signature(b"other", body, expected) is False
    assert rules.is_valid_signature(b"key", body + b" ", expected) is False


def test_message_id_is_stable_per_dedupe_key() -> None:
    first = rules.message_id("visit_invitation:7", "example.cn")
    assert first == rules.message_id("visit_invitation:7", "example.cn")
    assert first != rules.message_id("visit_invitation:8", "example.cn")
    digest = hashlib.sha256(b"visit_invitation:7").hexdigest()[:32]
    assert first == f"<outbox.{digest}@example.cn>"


@pytest.mark.parametrize(
    ("phone", "masked"), [("13800138000", "138****8000"), ("010-66001234", "010****1234"), ("123", "****")]
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert rules.mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("kind", "payload", "urgent"),
    [
        ("sla_escalation", None, True),
        ("emergency_dispatch", None, True),
        ("dispatch_escalation", None, True),
        ("visit_invitation", None, False),
        ("appointment", {"urgent": False}, False),
        ("appointment", {"urgent": True}, True),
        ("appointment", {"urgent": "yes"}, False),
    ],
)
def test_is_urgent(kind: str, payload: dict[str, object] | None, urgent: bool) -> None:
    assert rules.is_urgent(kind, payload) is urgent


@pytest.mark.parametrize(
    ("channel", "kind", "opted_out", "now", "expected"),
    [
        (Channel.INTERNAL, "sla_warning", (), at(22, 23), Decision(Action.MARK_SENT)),
        (Channel.SMS, "visit_invitation", (), at(22, 10), Decision(Action.SEND)),
        (Channel.SMS, "visit_invitation", (), at(22, 23), Decision(Action.POSTPONE, until=at(23, 8))),
        (Channel.SMS, "visit_invitation", (), at(23, 2), Decision(Action.POSTPONE, until=at(23, 8))),
        (Channel.SMS, "sla_escalation", (), at(22, 23), Decision(Action.SEND)),
        (Channel.EMAIL, "visit_invitation", (), at(22, 23), Decision(Action.SEND)),
        (Channel.WECOM, "sla_warning", (), at(22, 23), Decision(Action.SEND)),
        (
            Channel.SMS,
            "visit_invitation",
            ("sms",),
            at(22, 23),
            Decision(Action.SUPPRESS, reason="recipient opted out of sms"),
        ),
        (
            Channel.SMS,
            "sla_escalation",
            ("sms",),
            at(22, 10),
            Decision(Action.SUPPRESS, reason="recipient opted out of sms"),
        ),
        (Channel.EMAIL, "visit_invitation", ("sms",), at(22, 10), Decision(Action.SEND)),
    ],
)
def test_decide(channel: Channel, kind: str, opted_out: tuple[str, ...], now: datetime, expected: Decision) -> None:
    decision = rules.decide(
        channel=channel,
        kind=kind,
        payload=None,
        opted_out_channels=opted_out,
        now=now,
        zone=SHANGHAI,
        quiet_start=NIGHT,
        quiet_end=MORNING,
    )
    assert decision == expected


# --- routing rules -----------------------------------------------------------------------------------------

ROBOT = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="


@pytest.mark.parametrize(
    ("channel", "typed", "expected"),
    [
        (Channel.EMAIL, " Ops@Example.CN ", ("ops@example.cn", None)),
        (Channel.EMAIL, "ops@example", (None, rules.BAD_EMAIL)),
        (Channel.EMAIL, "运维 @example.cn", (None, rules.BAD_EMAIL)),
        (Channel.EMAIL, "", (None, rules.REQUIRED)),
        (Channel.WEBHOOK, "https://ops.example.cn/hooks/as", ("https://ops.example.cn/hooks/as", None)),
        (Channel.WEBHOOK, "http://127.0.0.1:8080/h", ("http://127.0.0.1:8080/h", None)),
        (Channel.WEBHOOK, "ftp://ops.example.cn/h", (None, rules.BAD_URL)),
        (Channel.WEBHOOK, "ops.example.cn/hooks", (None, rules.BAD_URL)),
        (Channel.WEBHOOK, "https://ops.example.cn/a b", (None, rules.BAD_URL)),
        (Channel.WEBHOOK, "https://" + "a" * 500, (None, rules.TOO_LONG)),
        (Channel.WECOM, "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", (ROBOT + "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", None)),
        (Channel.WECOM, ROBOT + "abc", (ROBOT + "abc", None)),
        (Channel.WECOM, "key=abc", (None, rules.BAD_ROBOT)),
    ],
)
def test_normalise_target(channel: Channel, typed: str, expected: tuple[str | None, str | None]) -> None:
    assert rules.normalise_target(channel, typed) == expected


@pytest.mark.parametrize(
    ("rule_organisation", "rule_region", "chain", "city", "matches"),
    [
        (None, None, [], None, True),  # everywhere, even for an event with no organisation
        (None, None, [3, 2, 1], "深圳", True),
        (3, None, [3, 2, 1], "深圳", True),  # the organisation itself
        (2, None, [3, 2, 1], "深圳", True),  # its region
        (4, None, [3, 2, 1], "深圳", False),  # a sibling
        (3, None, [], None, False),
        (None, "深圳", [3, 2, 1], "深圳", True),
        (None, "深圳市", [3, 2, 1], "深圳", True),
        (None, "广州", [3, 2, 1], "深圳", False),
        (None, "深圳", [], None, False),
        (2, "深圳", [3, 2, 1], "深圳", True),
        (2, "广州", [3, 2, 1], "深圳", False),
    ],
)
def test_scope_matches(
    rule_organisation: int | None, rule_region: str | None, chain: list[int], city: str | None, matches: bool
) -> None:
    found = rules.scope_matches(rule_organisation_id=rule_organisation, rule_region=rule_region, chain=chain, city=city)
    assert found is matches


def test_one_event_has_one_digest_whoever_it_went_to() -> None:
    digest = rules.event_digest("sla_breached", 7, "超时", "请立即处理")
    assert digest == rules.event_digest("sla_breached", 7, "超时", "请立即处理")
    assert len(digest) == 32
    assert digest != rules.event_digest("sla_breached", 8, "超时", "请立即处理")
    assert digest != rules.event_digest("sla_escalation", 7, "超时", "请立即处理")


@pytest.mark.parametrize(
    ("channel", "address", "shown"),
    [
        (Channel.SMS, "13800138000", "138****8000"),
        (Channel.EMAIL, "zhang@example.cn", "z***@example.cn"),
        (Channel.WECOM, ROBOT + "693a91f6-7xxx-4bc4", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****4bc4"),
        (Channel.WEBHOOK, "https://ops.example.cn/h?token=abc", "https://ops.example.cn/h?token=****"),
        (Channel.WEBHOOK, "https://ops.example.cn/h", "https://ops.example.cn/h"),
        (Channel.EMAIL, None, ""),
    ],
)
def test_display_address_hides_what_is_personal_or_secret(channel: Channel, address: str | None, shown: str) -> None:
    assert rules.display_address(channel, address) == shown
