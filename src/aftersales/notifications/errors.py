"""Delivery errors raised by channels: transient ones are retried with backoff, permanent ones are not."""

from __future__ import annotations


class DeliveryError(Exception):
    """A channel could not deliver a message; ``code`` is stable (``notifications.<reason>``)."""

    code = "notifications.delivery_failed"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class TransientDeliveryError(DeliveryError):
    """Worth trying again later (4xx SMTP reply, timeout, HTTP 429/5xx, connection refused)."""

    code = "notifications.transient"


class PermanentDeliveryError(DeliveryError):
    """Trying again cannot help (5xx SMTP reply, HTTP 4xx, missing address or configuration)."""

    code = "notifications.permanent"
