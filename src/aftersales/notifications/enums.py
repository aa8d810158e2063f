"""Notification channel and status values."""

from enum import StrEnum


class Channel(StrEnum):
    INTERNAL = "internal"  # shown to users in the console; nothing is sent
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    WECOM = "wecom"  # WeCom (企业微信) group robot


class OutboxStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (a retry keeps this status)
    SENDING = "sending"  # claimed by a sender until locked_until (its lease)
    SENT = "sent"
    FAILED = "failed"  # dead letter: permanent error or attempts exhausted
    SUPPRESSED = "suppressed"  # never sent: the recipient opted out of the channel
