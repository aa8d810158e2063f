"""Ticket numbers count days in AFTERSALES_TIMEZONE, and the API shows times in it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.config import Settings
from aftersales.core import timeutil
from aftersales.core.clock import FrozenClock
from aftersales.tickets.models import TicketNumberSequence
from tests import factories
from tests.conftest import ticket_body

# 01:30 on 1 December in Shanghai, still 30 November in UTC.
REGISTERED_AT = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
DAYS = [("Asia/Shanghai", "20261201"), ("UTC", "20261130")]


def _day_counters(db: Session) -> dict[str, int]:
    db.expire_all()
    return {row.day: row.last_value for row in db.scalars(select(TicketNumberSequence))}


@pytest.mark.parametrize(("zone", "day"), DAYS)
def test_the_number_day_is_the_local_day_of_registration(db: Session, zone: str, day: str) -> None:
    timeutil.configure_local_zone(zone)
    ticket = factories.ticket(db, clock=FrozenClock(REGISTERED_AT))
    assert ticket.number == f"SH{day}-000001"
    assert _day_counters(db) == {day: 1}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(REGISTERED_AT)


@pytest.fixture(params=DAYS, ids=[zone for zone, _ in DAYS])
def zone_and_day(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param


@pytest.fixture
def settings(database_url: str, zone_and_day: tuple[str, str]) -> Settings:
    return Settings(
        database_url=database_url,
        run_jobs_in_process=False,
        secret_key="test-signing-key",
        timezone=zone_and_day[0],
        dispatch_in_background=False,
    )


def test_the_api_numbers_and_shows_times_in_the_configured_zone(
    client: TestClient, auth: dict[str, str], db: Session, zone_and_day: tuple[str, str]
) -> None:
    zone, day = zone_and_day
    response = client.post("/api/v1/tickets", json=ticket_body(kind="repair", priority="urgent"), headers=auth)
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["number"] == f"SH{day}-000001"
    expected = {"Asia/Shanghai": "2026-12-01T01:30:00+08:00", "UTC": "2026-11-30T17:30:00+00:00"}[zone]
    assert data["created_at"] == data["reported_at"] == expected
    assert _day_counters(db) == {day: 1}
