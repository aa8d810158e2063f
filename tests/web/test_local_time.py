"""The console's ``local`` filter shows times in AFTERSALES_TIMEZONE, configured by the app factory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from aftersales.app import create_app
from aftersales.config import Settings
from aftersales.core import timeutil
from aftersales.web import templating
from aftersales.web.i18n import DEFAULT_LOCALE

INSTANT = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "text"),
    [("Asia/Shanghai", "2026-12-01 01:30"), ("UTC", "2026-11-30 17:30"), ("America/New_York", "2026-11-30 12:30")],
)
def test_the_display_filter_follows_the_configured_zone(
    zone: str, text: str, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    create_app(settings.model_copy(update={"timezone": zone}), session_factory=session_factory)
    assert timeutil.local_zone().key == zone
    assert templating.format_local(INSTANT) == text
    assert templating.environment(DEFAULT_LOCALE).from_string("{{ at | local }}").render(at=INSTANT) == text
    assert templating.format_local(None) == ""
