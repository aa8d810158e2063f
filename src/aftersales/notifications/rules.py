"""Pure delivery rules: urgency, quiet hours, retry backoff, webhook signatures, idempotency ids, and what
routing rules accept and match.

No session, no clock, no I/O: every function takes ``now`` (and randomness) as arguments.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from aftersales.core.i18n import N_
from aftersales.notifications.enums import Channel

# Kinds that may wake a customer at night: escalations, emergencies and codes asked for on the spot.
URGENT_KINDS = frozenset(
    {
        "sla_escalation",
        "sla_breached",
        "emergency_dispatch",
        "dispatch_escalation",
        "confirmation_code",
        "on_the_way",
    }
)
# Channels subject to quiet hours (a text message rings the phone; an email does not).
QUIET_CHANNELS = frozenset({Channel.SMS})


def is_urgent(kind: str, payload: Mapping[str, Any] | None = None) -> bool:
    """True for urgent kinds, or when the payload says ``"urgent": true``."""
    return kind in URGENT_KINDS or bool(payload and payload.get("urgent") is True)


def quiet_hours_end(now: datetime, *, zone: ZoneInfo, start: time, end: time) -> datetime | None:
    """When the quiet period that ``now`` falls in ends (UTC-aware), or None outside quiet hours.

    ``start``/``end`` are local wall-clock times; ``start > end`` wraps over midnight (22:00–08:00),
    ``start == end`` means no quiet hours.
    """
    if start == end:
        return None
    local = now.astimezone(zone)
    moment = local.timetz().replace(tzinfo=None)
    if start < end:
        quiet = start <= moment < end
        end_day = local.date()
    else:
        quiet = moment >= start or moment < end
        end_day = local.date() + timedelta(days=1) if moment >= start else local.date()
    if not quiet:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(now.tzinfo)


def retry_delay(attempts: int, *, base_seconds: float, max_seconds: float, jitter: float, unit: float) -> timedelta:
    """Backoff after the ``attempts``-th failed attempt: base·2^(attempts−1), capped, ± jitter.

    ``jitter`` is a fraction (0.1 = ±10 %); ``unit`` is a random number in [0, 1) chosen by the caller.
    """
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    delay = min(base_seconds * 2 ** (attempts - 1), max_seconds)
    return timedelta(seconds=delay * (1 + jitter * (2 * unit - 1)))


def sign_body(secret: bytes, body: bytes) -> str:
    """The ``X-Aftersales-Signature`` header value: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def is_valid_signature(secret: bytes, body: bytes, header: str) -> bool:
    """What a receiver checks (constant-time)."""
    return hmac.compare_digest(sign_body(secret, body), header)


def message_id(dedupe_key: str, domain: str) -> str:
    """An RFC 5322 Message-ID that is the same for every attempt at one outbox message."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<outbox.{digest}@{domain}>"


def mask_phone(phone: str) -> str:
    """138****1234 (for logs)."""
    digits = phone.strip()
    if len(digits) < 7:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


class Action(enum.Enum):
    SEND = "send"
    MARK_SENT = "mark_sent"  # internal messages: shown in the console, nothing to send
    SUPPRESS = "suppress"
    POSTPONE = "postpone"


@dataclass(frozen=True)
class Decision:
    action: Action
    until: datetime | None = None  # POSTPONE: when the message becomes due again
    reason: str | None = None  # SUPPRESS: why


def decide(
    *,
    channel: Channel,
    kind: str,
    payload: Mapping[str, Any] | None,
    opted_out_channels: Collection[str],
    now: datetime,
    zone: ZoneInfo,
    quiet_start: time,
    quiet_end: time,
) -> Decision:
    """What a sender does with a due message: send it, mark it sent, suppress it or postpone it."""
    if channel == Channel.INTERNAL:
        return Decision(Action.MARK_SENT)
    if channel.value in opted_out_channels:
        return Decision(Action.SUPPRESS, reason=f"recipient opted out of {channel.value}")
    if channel in QUIET_CHANNELS and not is_urgent(kind, payload):
        until = quiet_hours_end(now, zone=zone, start=quiet_start, end=quiet_end)
        if until is not None:
            return Decision(Action.POSTPONE, until=until)
    return Decision(Action.SEND)


# --- Routing rules: internal events copied to outside channels -------------------------------------------

# The internal messages (notification kinds) an admin may route to a group robot, a mailbox or a webhook;
# their labels are web.labels.MESSAGE. The inbox copy is always written whatever the rules say.
ROUTABLE_EVENTS: tuple[str, ...] = (
    "sla_warning",
    "sla_breached",
    "sla_escalation",
    "promise_assigned",
    "promise_alert",
    "bulletin",
    "hot_issue",
    "follow_up_complaint",
    "quality_rectification",
    "emergency_dispatch",
    "dispatch_escalation",
    "job_declined",
    "assistant_handoff",
)
ROUTED_CHANNELS: tuple[Channel, ...] = (Channel.WECOM, Channel.EMAIL, Channel.WEBHOOK)
WECOM_SEND_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="
MAX_TARGET = 500
MAX_REGION = 64
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROBOT_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")
REQUIRED = N_("此项必填")
BAD_EMAIL = N_("请输入有效的邮箱地址，如 ops@example.cn")
BAD_URL = N_("请输入以 http:// 或 https:// 开头的完整网址")
BAD_ROBOT = N_("请输入企业微信群机器人的 Webhook 地址，或其中的 key")
TOO_LONG = N_("内容过长")


def _is_url(text: str) -> bool:
    if any(character.isspace() for character in text):
        return False
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def normalise_target(channel: Channel, text: str) -> tuple[str | None, str | None]:
    """Where a rule sends: ``(target, None)`` in its stored form (an email lower-cased, a bare WeCom robot
    key made the robot's URL), or ``(None, problem)`` with a marked Chinese message."""
    value = text.strip()
    if not value:
        return None, REQUIRED
    if len(value) > MAX_TARGET:
        return None, TOO_LONG
    if channel == Channel.EMAIL:
        return (value.lower(), None) if _EMAIL.match(value) and len(value) <= 255 else (None, BAD_EMAIL)
    if channel == Channel.WECOM:
        if _ROBOT_KEY.match(value):
            return WECOM_SEND_URL + value, None
        return (value, None) if _is_url(value) else (None, BAD_ROBOT)
    return (value, None) if _is_url(value) else (None, BAD_URL)


def region_key(text: str | None) -> str | None:
    """A city as rules compare it: "深圳市" and "深圳" are the same region; blank is none."""
    value = (text or "").strip().removesuffix("市")
    return value or None


def scope_matches(
    *, rule_organisation_id: int | None, rule_region: str | None, chain: Sequence[int], city: str | None
) -> bool:
    """Whether a rule for an organisation (and everything under it) and a city covers an event of the
    organisation whose ``chain`` (itself, then its ancestors) and ``city`` are given."""
    if rule_organisation_id is not None and rule_organisation_id not in chain:
        return False
    return rule_region is None or region_key(rule_region) == region_key(city)


def event_digest(kind: str, ticket_id: int | None, subject: str, body: str) -> str:
    """What one event is, whoever its inbox copies went to: the same kind, ticket and text. Routed copies
    are keyed by it, so an event sent to three people still yields one copy per rule."""
    text = "\x1f".join((kind, str(ticket_id or ""), subject, body))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def display_address(channel: Channel, address: str | None) -> str:
    """An address safe for lists: phones and mailboxes masked, URL parameters (a robot's key) hidden."""
    if not address:
        return ""
    if channel == Channel.SMS:
        return mask_phone(address)
    if channel == Channel.EMAIL:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}" if domain else mask_phone(address)
    if channel in (Channel.WEBHOOK, Channel.WECOM):
        parts = urlsplit(address)
        query = "&".join(f"{name}=****{value[-4:] if len(value) > 8 else ''}" for name, value in parse_qsl(parts.query))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return address
