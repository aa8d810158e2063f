"""Notification channel and status values."""

from enum import StrEnum


class Channel(StrEnum):
    INTERNAL = "internal"
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
