"""SMS through Alibaba Cloud Short Message Service (阿里云短信服务): the provider behind
``AFTERSALES_SMS_ADAPTER=aliyun`` (the default adapter, ``log``, sends nothing).

Chinese SMS gateways send only approved templates under an approved signature (签名), so this channel does
not send the rendered text: it sends the template code configured for the message's kind and the
template's variables, taken from the context the message was rendered with (``service.enqueue`` keeps it
in the payload of every SMS as ``template_context``).

Facts relied on, from Alibaba Cloud's documentation (SendSms API reference for dysmsapi 2017-05-25; the SMS
"HTTP 协议及签名" / signature method page; the SMS API error codes; the OpenAPI common error codes):

- One RPC-style request to ``https://dysmsapi.aliyuncs.com/`` (GET or POST; we POST a form body so that
  phone numbers and codes stay out of URLs and access logs) with the common parameters AccessKeyId,
  Action=SendSms, Version=2017-05-25, Format=JSON, RegionId=cn-hangzhou, SignatureMethod=HMAC-SHA1,
  SignatureVersion=1.0, SignatureNonce (different for every request: a repeat is refused as
  SignatureNonceUsed) and Timestamp (UTC, ``yyyy-MM-ddTHH:mm:ssZ``; more than 15 minutes off the server's
  time is InvalidTimeStamp.Expired), and SendSms's own PhoneNumbers (11-digit mainland numbers, optionally
  with +86/0086/86), SignName, TemplateCode (e.g. ``SMS_15305****``), TemplateParam (a JSON object giving
  each ``${variable}`` of the template a *string* value, else isv.INVALID_JSON_PARAM) and OutId (the
  caller's serial number, returned in the delivery receipt: we send the outbox dedupe key).
- The signature: sort all parameters but Signature by name; percent-encode every name and value as UTF-8
  per RFC 3986 (A-Z a-z 0-9 ``-_.~`` kept, space as ``%20``, not ``+``); join ``name=value`` pairs with
  ``&``; StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(that string);
  Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)). The documentation's worked
  example (AccessKeyId ``testId``, secret ``testSecret``, GET) signs to ``zJDF+Lrzhj/ThnlvIToysFRq6t4=``,
  which the tests reproduce.
- The answer is JSON: ``{"Code": "OK", "Message": "OK", "BizId": …, "RequestId": …}`` when accepted, else
  ``Code`` is an error code. ``isv.*`` codes are the caller's problem (bad number, template, signature,
  limits), ``isp.*`` the platform's (isp.SYSTEM_ERROR: "please retry"); the OpenAPI gateway's own codes
  come with HTTP 4xx/5xx (Throttling*, SignatureDoesNotMatch, InvalidAccessKeyId.NotFound, InternalError,
  ServiceUnavailable).
- SendSms is not idempotent ("请您做好幂等控制"), and OK means accepted, not delivered: the carrier's
  result comes later as a delivery receipt, which this module does not read.

How codes become outcomes is our judgement, written down in ``RETRY_CODES`` and ``outcome``: wait and try
again when time or an operator fixes it without touching the message (frequency and quota limits, an
empty balance, throttling, platform errors, HTTP 5xx/429, timeouts); dead-letter at once when the message
itself can never go out as it is (an invalid number, a template, signature, variable or credential the
provider refuses). An unknown ``isp.*`` code, or any code with HTTP 5xx, is retried; any other unknown code
dead-letters. Retries follow the outbox's backoff and attempt limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.notifications.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError

if TYPE_CHECKING:
    from aftersales.notifications.channels import Delivery

API_VERSION = "2017-05-25"
OK = "OK"
INVALID_NUMBER_CODES = frozenset({"isv.MOBILE_NUMBER_ILLEGAL"})  # 非法手机号
# Codes that time or an operator clears without changing the message: try again later.
RETRY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # per-number frequency limits (minute, hour, day)
        "isv.DAY_LIMIT_CONTROL",  # the account's daily cap set in the console
        "isv.MONTH_LIMIT_CONTROL",
        "isv.OUT_OF_SERVICE",  # balance exhausted: sending resumes after a top-up
        "isv.AMOUNT_NOT_ENOUGH",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "isp.UNKNOWN",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "SignatureNonceUsed",  # the next attempt has a new nonce
        "InvalidTimeStamp.Expired",  # this host's clock is off: retried until it is fixed or attempts run out
        "InternalError",
        "ServiceUnavailable",
    }
)
# isp.* codes that are still the caller's to fix.
_PERMANENT_ISP_CODES = frozenset({"isp.RAM_PERMISSION_DENY"})
_RETRYABLE_HTTP = frozenset({408, 425, 429})


def percent_encode(value: str) -> str:
    """RFC 3986 encoding of UTF-8 text, as the signature needs it (``~`` kept, space as ``%20``)."""
    return urllib.parse.quote(value, safe="-_.~")


def canonical_query(parameters: Mapping[str, str]) -> str:
    """The parameters sorted by name, encoded and joined: ``a=1&b=2`` (Signature itself excluded)."""
    return "&".join(
        f"{percent_encode(name)}={percent_encode(parameters[name])}"
        for name in sorted(parameters)
        if name != "Signature"
    )


def string_to_sign(method: str, parameters: Mapping[str, str]) -> str:
    """HTTPMethod & percentEncode("/") & percentEncode(canonical query)."""
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(parameters))}"


def signature(secret: str, method: str, parameters: Mapping[str, str]) -> str:
    """Base64 of HMAC-SHA1 keyed with the AccessKey secret followed by ``&``."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, parameters).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class TemplateCall:
    """Which configured template to use (the first of ``keys`` that has a code) and its variables."""

    keys: tuple[str, ...]
    variables: dict[str, str]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _path_of(url: str) -> str:
    # Providers refuse links in variables (isv.PARAM_NOT_SUPPORT_URL): the site is written into the
    # approved template ("…请评价：https://svc.example.cn/${survey_path}"), the variable carries the rest.
    parts = urllib.parse.urlsplit(url)
    return parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")


def template_call(kind: str, context: Mapping[str, Any]) -> TemplateCall:
    """The template keys and string variables for a message of ``kind`` rendered from ``context``.

    Variables are named as in the context, so a template registered with the provider uses the same names
    (``${ticket_number}``). Yes/no switches choose a template variant instead of becoming a variable:
    ``appointment.rescheduled`` for a changed visit, ``on_the_way.no_eta`` when no arrival estimate is known
    (each falls back to the plain kind when no variant is configured). Empty values are left out.
    """
    keys: tuple[str, ...] = (kind,)
    values = dict(context)
    if kind == "appointment" and values.pop("rescheduled", False):
        keys = ("appointment.rescheduled", kind)
    elif kind == "on_the_way" and values.get("eta_minutes") is None:
        keys = ("on_the_way.no_eta", kind)
    elif kind == "visit_invitation" and "survey_url" in values:
        values["survey_path"] = _path_of(_text(values.pop("survey_url")))
    variables = {
        name: _text(value)
        for name, value in values.items()
        if value is not None and not isinstance(value, bool) and _text(value) != ""
    }
    return TemplateCall(keys=keys, variables=variables)


def outcome(code: str, message: str, *, http_status: int) -> DeliveryError | None:
    """None for ``OK``; else the delivery error that retries or dead-letters the message."""
    if code == OK and http_status < 300:
        return None
    detail = f"Aliyun SMS {code} (HTTP {http_status}): {message}"
    if code in INVALID_NUMBER_CODES:
        return PermanentDeliveryError(detail, code="notifications.sms_invalid_number")
    retry = code in RETRY_CODES or (code.startswith("isp.") and code not in _PERMANENT_ISP_CODES)
    if retry or http_status >= 500:
        return TransientDeliveryError(detail, code="notifications.sms_retry")
    return PermanentDeliveryError(detail, code="notifications.sms_rejected")


class AliyunSmsChannel:
    """Sends each SMS message as one signed SendSms call."""

    method = "POST"

    def __init__(self, settings: Settings, clock: Clock, *, nonce: Callable[[], str] | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.nonce = nonce or (lambda: str(uuid.uuid4()))

    def parameters(self, delivery: Delivery) -> dict[str, str]:
        """Every request parameter but the signature; raises PermanentDeliveryError when the message cannot
        be sent as configured (no phone, no template code for its kind, no stored template context)."""
        settings = self.settings
        missing = [
            name
            for name, value in (
                ("AFTERSALES_ALIYUN_SMS_ACCESS_KEY_ID", settings.aliyun_sms_access_key_id),
                ("AFTERSALES_ALIYUN_SMS_ACCESS_KEY_SECRET", settings.aliyun_sms_access_key_secret.get_secret_value()),
                ("AFTERSALES_ALIYUN_SMS_SIGN_NAME", settings.aliyun_sms_sign_name),
            )
            if not value
        ]
        if missing:
            raise PermanentDeliveryError(f"{', '.join(missing)} not set", code="notifications.not_configured")
        phone = (delivery.recipient_address or "").strip()
        if not phone:
            raise PermanentDeliveryError("no phone number", code="notifications.bad_address")
        context = (delivery.payload or {}).get("template_context")
        if not isinstance(context, dict):
            raise PermanentDeliveryError(
                f"message {delivery.dedupe_key} has no template context", code="notifications.sms_no_context"
            )
        call = template_call(delivery.kind, context)
        codes = settings.aliyun_sms_templates
        template_code = next((codes[key] for key in call.keys if codes.get(key)), None)
        if template_code is None:
            raise PermanentDeliveryError(
                f"no template code for {' or '.join(call.keys)} in AFTERSALES_ALIYUN_SMS_TEMPLATES",
                code="notifications.not_configured",
            )
        return {
            "AccessKeyId": settings.aliyun_sms_access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": delivery.dedupe_key,
            "PhoneNumbers": phone,
            "RegionId": settings.aliyun_sms_region_id,
            "SignName": settings.aliyun_sms_sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self.nonce(),
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            # Sorted: the same bytes whichever database kept the context (PostgreSQL jsonb reorders keys).
            "TemplateParam": json.dumps(call.variables, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
            "Timestamp": self.clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }

    def send(self, delivery: Delivery) -> None:
        parameters = self.parameters(delivery)
        secret = self.settings.aliyun_sms_access_key_secret.get_secret_value()
        parameters["Signature"] = signature(secret, self.method, parameters)
        body = "&".join(f"{percent_encode(name)}={percent_encode(value)}" for name, value in parameters.items())
        request = urllib.request.Request(
            self.settings.aliyun_sms_endpoint,
            data=body.encode(),
            method=self.method,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.aliyun_sms_timeout_seconds) as response:
                status, reply = response.status, bytes(response.read())
        except urllib.error.HTTPError as error:
            with error:
                status, reply = error.code, bytes(error.read())
        except (urllib.error.URLError, OSError) as error:
            # Not idempotent: a timeout may hide an accepted message, which the retry then repeats (the
            # outbox is at-least-once; OutId lets the receipts show the pair).
            raise TransientDeliveryError(
                f"{self.settings.aliyun_sms_endpoint}: {error}", code="notifications.sms_unreachable"
            ) from None
        failure = _failure(status, reply)
        if failure is not None:
            raise failure


def _failure(status: int, reply: bytes) -> DeliveryError | None:
    try:
        answer = json.loads(reply)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("Code"), str):
        detail = f"Aliyun SMS answered HTTP {status} without a result code"
        if status >= 500 or status in _RETRYABLE_HTTP or status < 300:
            return TransientDeliveryError(detail, code="notifications.sms_retry")
        return PermanentDeliveryError(detail, code="notifications.sms_rejected")
    message = str(answer.get("Message", ""))
    if answer.get("RequestId"):
        message = f"{message} (RequestId {answer['RequestId']})"
    return outcome(answer["Code"], message, http_status=status)
