"""The local zone: Asia/Shanghai by default, AFTERSALES_TIMEZONE once configured, everywhere it is used."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.analytics import rules as analytics_rules
from aftersales.config import Settings
from aftersales.core import timeutil

INSTANT = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)


def test_the_default_zone_is_shanghai() -> None:
    assert timeutil.local_zone() == ZoneInfo("Asia/Shanghai")
    assert timeutil.to_local(INSTANT) == INSTANT
    assert timeutil.to_local(INSTANT).isoformat() == "2026-12-01T01:30:00+08:00"
    assert timeutil.ensure_utc(datetime(2026, 12, 1, 1, 30)) == INSTANT


@pytest.mark.parametrize(
    ("zone", "shown", "naive_read_as"),
    [
        ("Asia/Shanghai", "2026-12-01T01:30:00+08:00", datetime(2026, 11, 30, 17, 30, tzinfo=UTC)),
        ("UTC", "2026-11-30T17:30:00+00:00", datetime(2026, 12, 1, 1, 30, tzinfo=UTC)),
        ("Europe/Berlin", "2026-11-30T18:30:00+01:00", datetime(2026, 12, 1, 0, 30, tzinfo=UTC)),
    ],
)
def test_conversions_follow_the_configured_zone(zone: str, shown: str, naive_read_as: datetime) -> None:
    timeutil.configure_local_zone(zone)
    assert timeutil.local_zone() == ZoneInfo(zone)
    assert timeutil.to_local(INSTANT).isoformat() == shown
    assert timeutil.ensure_utc(datetime(2026, 12, 1, 1, 30)) == naive_read_as
    # An explicit zone still wins.
    assert timeutil.to_local(INSTANT, ZoneInfo("Asia/Tokyo")).isoformat() == "2026-12-01T02:30:00+09:00"


def test_local_and_the_old_shanghai_name_follow_the_configured_zone() -> None:
    midnight = datetime.combine(date(2026, 12, 1), time(0, 0), tzinfo=timeutil.SHANGHAI)
    assert timeutil.SHANGHAI is timeutil.LOCAL
    assert midnight.astimezone(UTC) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    timeutil.configure_local_zone("UTC")
    assert midnight.astimezone(UTC) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert INSTANT.astimezone(timeutil.LOCAL).date() == date(2026, 11, 30)
    assert repr(timeutil.LOCAL) == "LOCAL(UTC)"
    assert pickle.loads(pickle.dumps(timeutil.LOCAL)) is timeutil.LOCAL
    assert analytics_rules.utc_bounds(date(2026, 12, 1), date(2026, 12, 1)) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC) + timedelta(days=1),
    )


def test_a_zone_that_does_not_exist_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="unknown IANA time zone: 'Mars/Olympus'"):
        Settings(timezone="Mars/Olympus")
    assert Settings(timezone="UTC").timezone == "UTC"


def test_reset_returns_to_the_default() -> None:
    timeutil.configure_local_zone("UTC")
    timeutil.reset_local_zone()
    assert timeutil.local_zone() == ZoneInfo("Asia/Shanghai")
