"""Real server, real commits: concurrent creates get distinct numbers; replays never duplicate."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from sqlalchemy import Engine, func, select

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.app import create_app
from aftersales.config import Settings
from aftersales.core.clock import SystemClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.tickets.models import Ticket
from tests.conftest import served, ticket_body


@pytest.fixture
def live_server(committed_engine: Engine, database_url: str) -> Iterator[tuple[str, str]]:
    factory = make_session_factory(committed_engine)
    with unit_of_work(factory) as session:
        accounts_service.create_user(session, clock=SystemClock(), actor=SYSTEM_ACTOR, username="load", role=Role.AGENT)
        _, token = accounts_tokens.create_token(session, clock=SystemClock(), actor=SYSTEM_ACTOR, username="load")
    app = create_app(Settings(database_url=database_url, run_jobs_in_process=False), session_factory=factory)
    with served(app, stop_timeout=10) as base:
        yield base, token


def _post_many(base: str, token: str, bodies: list[dict[str, object]]) -> list[httpx2.Response]:
    def post(body: dict[str, object]) -> httpx2.Response:
        with httpx2.Client(base_url=base, timeout=60) as http:
            return http.post("/api/v1/tickets", json=body, headers={"Authorization": f"Bearer {token}"})

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_fifty_concurrent_creates_get_fifty_distinct_numbers(
    live_server: tuple[str, str], committed_engine: Engine
) -> None:
    base, token = live_server
    bodies = []
    for index in range(50):
        body = ticket_body()
        body["customer"] = {
            "name": f"客户{index}",
            "phone": f"1390000{index:04d}",
            "address": "上海市浦东新区张江路100号",
        }
        bodies.append(body)
    responses = _post_many(base, token, bodies)
    assert [response.status_code for response in responses] == [201] * 50
    numbers = [response.json()["number"] for response in responses]
    assert len(set(numbers)) == 50
    sequences = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert sequences == list(range(1, 51))
    with committed_engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Ticket)) == 50


def test_concurrent_replays_of_one_external_id_make_one_ticket(
    live_server: tuple[str, str], committed_engine: Engine
) -> None:
    base, token = live_server
    responses = _post_many(base, token, [ticket_body(external_id="crm-race-1")] * 20)
    codes = sorted(response.status_code for response in responses)
    assert codes == [200] * 19 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    with committed_engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Ticket)) == 1
