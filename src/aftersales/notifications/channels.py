"""Delivery channels behind one small protocol: ``send(delivery)`` returns or raises a typed error.

SMTP (smtplib), signed webhooks and the WeCom group robot (JSON over HTTP with urllib), SMS through an
adapter (the default adapter only logs: no SMS gateway is reachable from here) or Alibaba Cloud SMS
(``sms``, chosen with ``sms_adapter = "aliyun"``). Every channel passes the
outbox dedupe key on as an idempotency key (Message-ID, ``X-Aftersales-Delivery``), because delivery is
at-least-once: a resend after a crash must be recognisable as the same message by the receiver.
"""

from __future__ import annotations

import importlib
import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Protocol

from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.notifications import rules, sms
from aftersales.notifications.enums import Channel
from aftersales.notifications.errors import PermanentDeliveryError, TransientDeliveryError

log = logging.getLogger("aftersales.notifications")

WECOM_MARKDOWN_LIMIT = 4096  # bytes of content the robot accepts
_RETRYABLE_HTTP = {408, 425, 429}


@dataclass(frozen=True)
class Delivery:
    """What a channel needs of one outbox message (a snapshot taken when it was claimed)."""

    id: int
    kind: str
    channel: Channel
    dedupe_key: str
    subject: str
    body: str
    recipient_address: str | None
    ticket_id: int | None
    payload: Mapping[str, Any] | None
    created_at: datetime
    attempt: int


class ChannelSender(Protocol):
    def send(self, delivery: Delivery) -> None:
        """Deliver, or raise TransientDeliveryError / PermanentDeliveryError."""


class SmtpChannel:
    """Email over SMTP (optional STARTTLS and login); the Message-ID is derived from the dedupe key."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2]
        self.domain = domain or "aftersales.local"

    def build(self, delivery: Delivery) -> EmailMessage:
        """The email for a delivery (identical headers on every attempt)."""
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = delivery.recipient_address or ""
        message["Subject"] = delivery.subject
        message["Date"] = format_datetime(delivery.created_at)
        message["Message-ID"] = rules.message_id(delivery.dedupe_key, self.domain)
        message["X-Aftersales-Delivery"] = delivery.dedupe_key
        message.set_content(delivery.body, charset="utf-8")
        return message

    def send(self, delivery: Delivery) -> None:
        settings = self.settings
        if not settings.smtp_host:
            raise PermanentDeliveryError("AFTERSALES_SMTP_HOST is not set", code="notifications.not_configured")
        if not delivery.recipient_address or "@" not in delivery.recipient_address:
            raise PermanentDeliveryError(
                f"not an email address: {delivery.recipient_address!r}", code="notifications.bad_address"
            )
        message = self.build(delivery)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_user:
                    smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            _raise_for_smtp_code(min(codes) if codes else 550, str(error.recipients))
        except smtplib.SMTPResponseException as error:
            _raise_for_smtp_code(error.smtp_code, _text(error.smtp_error))
        except (smtplib.SMTPException, OSError) as error:
            raise TransientDeliveryError(
                f"{type(error).__name__}: {error}", code="notifications.smtp_unreachable"
            ) from error


def _raise_for_smtp_code(code: int, text: str) -> None:
    if 400 <= code < 500:
        raise TransientDeliveryError(f"{code} {text}", code="notifications.smtp_deferred")
    raise PermanentDeliveryError(f"{code} {text}", code="notifications.smtp_rejected")


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def post_json(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float) -> bytes:
    """POST ``body``; return the response body of a 2xx, else raise the typed delivery error."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as error:
        with error:
            detail = f"HTTP {error.code} from {url}"
            if error.code in _RETRYABLE_HTTP or error.code >= 500:
                raise TransientDeliveryError(detail, code="notifications.http_retry") from None
            raise PermanentDeliveryError(detail, code="notifications.http_rejected") from None
    except (urllib.error.URLError, OSError) as error:
        raise TransientDeliveryError(f"{url}: {error}", code="notifications.http_unreachable") from None


def _url_or(address: str | None, default: str) -> str:
    if address and address.startswith(("http://", "https://")):
        return address
    return default


class WebhookChannel:
    """POST JSON signed with HMAC-SHA256 of the exact body bytes (``X-Aftersales-Signature``)."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def body(self, delivery: Delivery, timestamp: int) -> bytes:
        """The JSON body; it carries the timestamp too, so the signature covers it."""
        document = {
            "delivery_id": delivery.dedupe_key,
            "kind": delivery.kind,
            "subject": delivery.subject,
            "body": delivery.body,
            "ticket_id": delivery.ticket_id,
            "payload": dict(delivery.payload or {}),
            "created_at": delivery.created_at.isoformat(),
            "timestamp": timestamp,
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()

    def send(self, delivery: Delivery) -> None:
        url = _url_or(delivery.recipient_address, self.settings.webhook_url)
        secret = self.settings.webhook_secret.get_secret_value()
        if not url or not secret:
            raise PermanentDeliveryError(
                "AFTERSALES_WEBHOOK_URL (or a URL address) and AFTERSALES_WEBHOOK_SECRET are required",
                code="notifications.not_configured",
            )
        timestamp = int(self.clock.now().timestamp())
        body = self.body(delivery, timestamp)
        headers = {
            "X-Aftersales-Signature": rules.sign_body(secret.encode(), body),
            "X-Aftersales-Timestamp": str(timestamp),
            "X-Aftersales-Delivery": delivery.dedupe_key,
            "X-Aftersales-Event": delivery.kind,
        }
        post_json(url, body, headers, timeout=self.settings.http_timeout_seconds)


class WeComChannel:
    """A WeCom (企业微信) group robot: ``{"msgtype": "markdown", "markdown": {"content": …}}``, or
    ``text`` with ``mentioned_mobile_list`` when the payload names phones to @-mention."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @staticmethod
    def document(delivery: Delivery) -> dict[str, Any]:
        """The robot's JSON for a delivery."""
        mentions = list((delivery.payload or {}).get("mention_mobiles", []))
        if mentions:
            return {
                "msgtype": "text",
                "text": {"content": f"{delivery.subject}\n{delivery.body}", "mentioned_mobile_list": mentions},
            }
        content = f"### {delivery.subject}\n{delivery.body}"
        encoded = content.encode()
        if len(encoded) > WECOM_MARKDOWN_LIMIT:
            content = encoded[: WECOM_MARKDOWN_LIMIT - 3].decode("utf-8", "ignore") + "…"
        return {"msgtype": "markdown", "markdown": {"content": content}}

    def send(self, delivery: Delivery) -> None:
        url = _url_or(delivery.recipient_address, self.settings.wecom_robot_url)
        if not url:
            raise PermanentDeliveryError("AFTERSALES_WECOM_ROBOT_URL is not set", code="notifications.not_configured")
        body = json.dumps(self.document(delivery), ensure_ascii=False).encode()
        reply = post_json(url, body, {}, timeout=self.settings.http_timeout_seconds)
        try:
            answer = json.loads(reply or b"{}")
        except ValueError:
            raise TransientDeliveryError("WeCom answered with no JSON", code="notifications.wecom_reply") from None
        errcode = answer.get("errcode", 0) if isinstance(answer, dict) else 0
        if errcode == 0:
            return
        detail = f"WeCom errcode {errcode}: {answer.get('errmsg', '')}"
        if errcode in (-1, 45009):  # system busy, rate limited (20 messages a minute per robot)
            raise TransientDeliveryError(detail, code="notifications.wecom_retry")
        raise PermanentDeliveryError(detail, code="notifications.wecom_rejected")


class SmsAdapter(Protocol):
    """An SMS gateway. ``idempotency_key`` is the outbox dedupe key (gateways that take one dedupe)."""

    def send_sms(self, phone: str, text: str, *, idempotency_key: str) -> None: ...


class LoggingSmsAdapter:
    """The default adapter: logs the text with the phone masked, sends nothing."""

    def send_sms(self, phone: str, text: str, *, idempotency_key: str) -> None:
        log.info("sms to %s [%s]: %s", rules.mask_phone(phone), idempotency_key, text)


class SmsChannel:
    def __init__(self, adapter: SmsAdapter) -> None:
        self.adapter = adapter

    def send(self, delivery: Delivery) -> None:
        phone = (delivery.recipient_address or "").strip()
        if not phone:
            raise PermanentDeliveryError("no phone number", code="notifications.bad_address")
        self.adapter.send_sms(phone, f"{delivery.body}", idempotency_key=delivery.dedupe_key)


def build_sms_channel(settings: Settings, clock: Clock) -> ChannelSender:
    """Alibaba Cloud SMS for ``sms_adapter = "aliyun"`` (templates, not text); else a text adapter."""
    if settings.sms_adapter == "aliyun":
        return sms.AliyunSmsChannel(settings, clock)
    return SmsChannel(load_sms_adapter(settings))


def load_sms_adapter(settings: Settings) -> SmsAdapter:
    """``log`` or a ``package.module:factory`` called with the settings."""
    if settings.sms_adapter == "log":
        return LoggingSmsAdapter()
    module_name, _, attribute = settings.sms_adapter.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    adapter: SmsAdapter = factory(settings)
    return adapter


def build_channels(settings: Settings, clock: Clock) -> dict[Channel, ChannelSender]:
    """One sender per outward channel (INTERNAL needs none)."""
    return {
        Channel.EMAIL: SmtpChannel(settings),
        Channel.WEBHOOK: WebhookChannel(settings, clock),
        Channel.WECOM: WeComChannel(settings),
        Channel.SMS: build_sms_channel(settings, clock),
    }
