"""People keep working while every background job runs over the demo history: ticket creation through the
API and console logins, from many clients at once, against a real server on a SQLite file, with the job
loop (hot-issue topics, SLA sweep, dispatch, notifications, visits) running in the same process."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.analytics.models import TicketTopic
from aftersales.app import create_app
from aftersales.cli import app
from aftersales.config import Settings
from aftersales.core.clock import SystemClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.tickets.models import Ticket
from tests.conftest import served, ticket_body


@pytest.fixture
def busy_server(cli_db: Engine, runner: CliRunner) -> Iterator[tuple[str, str]]:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(app, ["demo", "--tickets", "300", "--days", "30"])
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.output)["tickets_created"] == 300
    factory = make_session_factory(cli_db)
    with unit_of_work(factory) as session:
        _, token = accounts_tokens.create_token(session, clock=SystemClock(), actor=SYSTEM_ACTOR, username="agent")
    settings = Settings(database_url=str(cli_db.url), sweep_interval_seconds=1.0, secret_key="busy-demo-key")
    application = create_app(settings, session_factory=factory, run_jobs=True)  # every job, in-process
    with served(application) as base:
        yield base, token


def _login(base: str) -> int:
    with httpx2.Client(base_url=base, timeout=60) as http:
        form = http.get("/console/login")
        match = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert match is not None
        reply = http.post(
            "/console/login",
            data={"username": "agent", "password": "demo1234", "login_csrf": match.group(1)},
            follow_redirects=False,
        )
        return reply.status_code


def _create(base: str, token: str, number: int) -> int:
    body = ticket_body(customer={"name": "客户", "phone": f"139{number:08d}", "address": "上海市徐汇区漕溪北路1号"})
    with httpx2.Client(base_url=base, timeout=60) as http:
        return http.post("/api/v1/tickets", json=body, headers={"Authorization": f"Bearer {token}"}).status_code


def test_saves_and_logins_never_fail_while_every_job_runs(busy_server: tuple[str, str], cli_db: Engine) -> None:
    base, token = busy_server
    factory = make_session_factory(cli_db)

    def topics() -> int:
        with unit_of_work(factory) as session:
            return int(session.scalar(select(func.count()).select_from(TicketTopic)) or 0)

    for _ in range(600):  # bounded: the topic pass has written its first batch (the encoder is loaded)
        if topics() > 0:
            break
        time.sleep(0.1)
    started_with = topics()
    assert 0 < started_with < 300  # … and is still working through the history
    with ThreadPoolExecutor(max_workers=12) as pool:
        creations = [pool.submit(_create, base, token, number) for number in range(60)]
        logins = [pool.submit(_login, base) for _ in range(10)]
        statuses = [future.result() for future in creations], [future.result() for future in logins]
    assert statuses == ([201] * 60, [303] * 10)
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 360
