"""The demo data set: demo users log in, tickets spread over statuses, idempotent, nobody paged."""

from __future__ import annotations

import json

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.cli import app
from aftersales.core.clock import SystemClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.dispatch.planning import service as dayplans
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.models import Ticket, TicketEvent


def test_demo_loads_once_and_is_realistic(cli_db: Engine, runner: CliRunner) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    first = runner.invoke(app, ["demo", "--tickets", "120", "--days", "30"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert (summary["tickets_created"], summary["tickets_skipped"]) == (120, 0)
    again = json.loads(runner.invoke(app, ["demo", "--tickets", "120", "--days", "30"]).output)
    assert (again["tickets_created"], again["tickets_skipped"]) == (0, 120)
    with unit_of_work(make_session_factory(cli_db)) as session:
        for username in ("admin", "agent", "dispatcher", "tech01", "manager", "inspector"):
            assert (
                accounts_service.verify_password(session, username=username, password="demo1234").username == username
            )
        assert session.scalar(select(func.count()).select_from(Ticket)) == 120
        statuses = set(session.scalars(select(Ticket.status).distinct()))
        assert {"closed", "in_progress", "registered"} <= statuses and len(statuses) >= 5
        assert len(set(session.scalars(select(Ticket.sla_state).distinct()))) >= 3
        cities = set(session.scalars(select(Ticket.address_id)))
        assert len(cities) > 20
        assert (
            session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.type == "sla_breached")) > 0
        )
        # History is replayed without paging anyone; only the two published bulletins were announced.
        kinds = set(session.scalars(select(OutboxMessage.kind).distinct()))
        assert kinds == {"bulletin"}
    assert summary["field_network"] == {"service_points": 7, "technicians": 13}
    assert (summary["known_issue_bulletins"], again["known_issue_bulletins"]) == (2, 0)
    with unit_of_work(make_session_factory(cli_db)) as session:
        # The demo's field network can plan a day: Shenzhen's three technicians and its partner provider.
        plan = dayplans.build_plan(session, clock=SystemClock(), actor=SYSTEM_ACTOR, area="深圳", seconds=1)
        assert (plan.area, plan.summary["technicians"]) == ("深圳市", 4)
        assert plan.summary["assigned"] + len(plan.summary["unassigned"]) == plan.summary["jobs"]
