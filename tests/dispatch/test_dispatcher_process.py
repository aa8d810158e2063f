"""A serving process decides its dispatch requests in a child process of its own (its own GIL): the
request's reply does not wait, the child writes the decision, and stopping the app stops the child."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.app import create_app
from aftersales.config import Settings
from aftersales.core.background import InlineRunner, ProcessRunner
from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.dispatch.planning.models import DispatchRequest
from aftersales.tickets.models import TicketEvent
from tests import factories
from tests.conftest import ticket_body


def _decided(engine: Engine, ticket_id: int, *, timeout: float = 60.0) -> DispatchRequest:
    """The ticket's dispatch request once decided (bounded wait: the child needs seconds to start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as session:
            request = session.scalar(select(DispatchRequest).where(DispatchRequest.ticket_id == ticket_id))
            if request is not None and request.done_at is not None:
                session.expunge(request)
                return request
        time.sleep(0.05)
    raise AssertionError(f"ticket {ticket_id} was not decided within {timeout} s")


def test_the_child_process_decides_after_the_commit(database_url: str, committed_engine: Engine) -> None:
    clock = FrozenClock(factories.local(2026, 12, 5, 10))
    with unit_of_work(make_session_factory(committed_engine)) as session:
        made = factories.user(session, clock=clock, role=Role.AGENT, username="agent_child", with_token=True)
        tree = factories.organisation_tree(session, clock=clock, city="深圳市")
        factories.service_point(session, organisation_id=tree.service_center.id)
        factories.technician(session, clock=clock, username="tech_child", organisation_code=tree.service_center.code)
    settings = Settings(
        database_url=database_url,
        run_jobs_in_process=False,
        secret_key="test-signing-key",
        dispatch_in_background=True,
        dispatch_poll_seconds=3600,  # only the kick after the commit can wake it within the test
    )
    app = create_app(settings, clock=clock)
    runner = app.state.dispatcher
    assert isinstance(runner, ProcessRunner)
    with TestClient(app) as client:
        child = runner.pid
        assert child is not None and child != os.getpid()
        clock.advance(timedelta(minutes=7))  # after the child started: it must follow the app's clock
        created = client.post(
            "/api/v1/tickets",
            json=ticket_body(kind="repair", priority="routine"),
            headers={"Authorization": f"Bearer {made.token}"},
        )
        assert created.status_code == 201
        ticket_id = created.json()["id"]
        decided = _decided(committed_engine, ticket_id)
    # The app publishes its clock to the child with each kick (``LinkedClock``): the moved instant, exactly.
    assert (decided.done_at, decided.attempts, decided.outcome) == (clock.now(), 1, "tech_child")
    assert clock.now() == factories.local(2026, 12, 5, 10, 7)
    with Session(committed_engine) as session:
        types = list(session.scalars(select(TicketEvent.type).where(TicketEvent.ticket_id == ticket_id)))
    assert types.count("dispatch") == 1
    assert runner.pid is None  # the app's shutdown stopped the child


def test_an_app_given_a_session_factory_or_told_so_decides_in_its_own_threads(database_url: str) -> None:
    # Tests share one connection with the app: a child could not see their uncommitted rows.
    inline = Settings(database_url=database_url, secret_key="k", dispatch_in_background=False)
    assert isinstance(create_app(inline).state.dispatcher, InlineRunner)
    threaded = Settings(database_url=database_url, secret_key="k", dispatch_in_child_process=False)
    assert not isinstance(create_app(threaded).state.dispatcher, ProcessRunner)
