"""A database that stays locked answers 503 with Retry-After and a message, writes nothing, and works again
once the lock is gone (API and console)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aftersales.accounts.enums import Role
from aftersales.app import create_app
from aftersales.config import Settings
from aftersales.core import migrate
from aftersales.core.clock import FrozenClock
from aftersales.core.db import is_busy_error, make_engine, make_session_factory, unit_of_work
from aftersales.sla.defaults import seed_defaults
from aftersales.tickets.models import Ticket
from aftersales.triage.defaults import seed_rules
from tests import factories
from tests.conftest import ticket_body


@pytest.fixture
def locked_app(tmp_path: Path) -> Iterator[tuple[TestClient, str, Path]]:
    path = tmp_path / "busy.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    clock = FrozenClock(factories.local(2026, 12, 4, 10))
    with unit_of_work(make_session_factory(engine)) as session:
        seed_defaults(session)
        seed_rules(session)
        made = factories.user(session, clock=clock, role=Role.AGENT, username="agent_busy", with_token=True)
    engine.dispose()
    settings = Settings(
        database_url=f"sqlite:///{path}",
        run_jobs_in_process=False,
        auto_dispatch=False,
        dispatch_in_background=False,
        sqlite_busy_timeout_ms=200,
    )
    assert made.token is not None
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client, made.token, path


def _tickets(path: Path) -> int:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Ticket)) or 0)
    finally:
        engine.dispose()


def test_a_locked_database_answers_503_with_retry_after_and_writes_nothing(
    locked_app: tuple[TestClient, str, Path],
) -> None:
    client, token, path = locked_app
    headers = {"Authorization": f"Bearer {token}"}
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the writer
    try:
        refused = client.post("/api/v1/tickets", json=ticket_body(kind="repair", priority="routine"), headers=headers)
        form = client.get("/console/login")  # reading works while another process writes
        match = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert form.status_code == 200 and match is not None
        page = client.post(
            "/console/login", data={"username": "agent_busy", "password": "wrong-1", "login_csrf": match.group(1)}
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (refused.status_code, refused.headers["retry-after"]) == (503, "5")
    assert refused.json() == {"code": "db.busy", "detail": "系统繁忙，请稍后重试", "fields": {}}
    assert _tickets(path) == 0
    # The password was checked (read-only); counting the failure needed the writer: 503, a page, nothing kept.
    assert (page.status_code, page.headers["retry-after"]) == (503, "5")
    assert "系统繁忙，请稍后重试" in page.text
    created = client.post("/api/v1/tickets", json=ticket_body(kind="repair", priority="routine"), headers=headers)
    assert created.status_code == 201
    assert _tickets(path) == 1


@pytest.mark.parametrize(
    ("error", "busy"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: tickets"), False),
        (ValueError("database is locked"), False),
    ],
)
def test_what_counts_as_busy(error: Exception, busy: bool) -> None:
    assert is_busy_error(error) is busy
