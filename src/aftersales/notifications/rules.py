"""Pure delivery rules: urgency, quiet hours, retry backoff, webhook signatures, idempotency ids.

No session, no clock, no I/O: every function takes ``now`` (and randomness) as arguments.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
