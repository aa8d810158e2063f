"""Conversions between UTC storage and the local time zone shown to people."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_local(value: datetime, tz: ZoneInfo = SHANGHAI) -> datetime:
    """Show a stored UTC datetime in the given zone (Asia/Shanghai by default)."""
    return value.astimezone(tz)


def ensure_utc(value: datetime, *, assume: ZoneInfo = SHANGHAI) -> datetime:
    """Make a datetime aware UTC; a naive input is read as local time in ``assume``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=assume)
    return value.astimezone(UTC)
