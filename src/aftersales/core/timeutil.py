"""Conversions between UTC storage and the local time zone shown to people.

The local zone is ``AFTERSALES_TIMEZONE`` (Asia/Shanghai by default). The entry points (the app factory,
the CLI root) call :func:`configure_local_zone` once at start-up; domain code asks :func:`local_zone` when
it runs, never at import time. :data:`LOCAL` is a ``tzinfo`` that always follows the configured zone, for
code that needs a zone object at import time (defaults, ``datetime.combine(..., tzinfo=LOCAL)``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")
_configured: list[ZoneInfo] = [DEFAULT_ZONE]


def configure_local_zone(zone: str | ZoneInfo) -> ZoneInfo:
    """Set the process-wide local zone (an IANA name such as ``Asia/Shanghai`` or ``UTC``)."""
    resolved = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    _configured[0] = resolved
    return resolved


def reset_local_zone() -> None:
    """Back to the default zone (tests)."""
    _configured[0] = DEFAULT_ZONE


def local_zone() -> ZoneInfo:
    """The configured local zone."""
    return _configured[0]


class _LocalZone(tzinfo):
    """A ``tzinfo`` that delegates to :func:`local_zone` at each use."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return local_zone().utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return local_zone().dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return local_zone().tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        zone = local_zone()
        return zone.fromutc(dt.replace(tzinfo=zone)).replace(tzinfo=self)

    def __repr__(self) -> str:
        return f"LOCAL({local_zone().key})"

    def __reduce__(self) -> str:
        return "LOCAL"


LOCAL: tzinfo = _LocalZone()
# The old name, still imported by dispatch and feedback: it is the configured zone, not always Shanghai.
SHANGHAI = LOCAL


def to_local(value: datetime, tz: tzinfo | None = None) -> datetime:
    """Show a stored UTC datetime in ``tz`` (default: the configured local zone)."""
    return value.astimezone(tz or local_zone())


def ensure_utc(value: datetime, *, assume: tzinfo | None = None) -> datetime:
    """Make a datetime aware UTC; a naive input is read as local time in ``assume`` (default: the local zone)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=assume or local_zone())
    return value.astimezone(UTC)
