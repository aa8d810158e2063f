"""A day plan respects people's decisions: a job a person assigned by hand, or one its technician has
started, stays with that technician (and the plan says so); a job the planner itself placed may move."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.dispatch import fieldwork
from aftersales.dispatch.planning import inputs
from aftersales.dispatch.planning import service as dayplans
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import TicketKind
from aftersales.tickets.models import Ticket
from tests import factories
from tests.conftest import UserFactory, console_login

NEAR = (113.93, 22.53)  # Nanshan, where the customer lives
FAR = (114.12, 22.60)  # Luohu, 20 km east


@pytest.fixture
def crews(db: Session, clock: FrozenClock) -> dict[str, int]:
    """Shenzhen's center with a technician next to the customer and one across the city; ids by name."""
    factories.organisation(db, clock=clock, code="HQ", name="总部", kind=OrganisationKind.HQ)
    center = factories.organisation(
        db, clock=clock, code="SZ", name="深圳服务中心", kind=OrganisationKind.SERVICE_CENTER, parent_code="HQ",
        city="深圳市",
    )  # fmt: skip
    factories.service_point(db, organisation_id=center.id, site=(114.0, 22.55), radius_km=60)
    ids = {
        name: factories.technician(db, clock=clock, username=name, organisation_code="SZ", home=home).user.id
        for name, home in (("near_tech", NEAR), ("far_tech", FAR))
    }
    db.commit()
    return ids


def _job(db: Session, clock: FrozenClock, index: int) -> Ticket:
    return factories.ticket(
        db,
        clock=clock,
        kind=TicketKind.REPAIR,
        external_id=f"keep-{index}",
        phone=f"1390001{index:04d}",
        address="广东省深圳市南山区科技园1号",
    )


def _assign(db: Session, clock: FrozenClock, ticket: Ticket, username: str, *, by_hand: bool) -> None:
    tickets_service.update_ticket(
        db, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id, version=ticket.version,
        assignee_username=username, by_hand=by_hand,
    )  # fmt: skip
    db.commit()


def _assignee(db: Session, ticket_id: int) -> int | None:
    db.expire_all()
    return db.scalar(select(Ticket.assignee_id).where(Ticket.id == ticket_id))


def test_a_planned_assignment_moves_and_a_hand_assignment_stays(
    db: Session, clock: FrozenClock, crews: dict[str, int]
) -> None:
    job = _job(db, clock, 1)
    _assign(db, clock, job, "far_tech", by_hand=False)  # the planner's or auto-dispatch's own placement
    assert inputs.field_marks(db, [job.id]) == {}
    first = dayplans.build_plan(db, clock=clock, actor=SYSTEM_ACTOR, area="深圳市", seconds=1)
    db.commit()
    assert (_assignee(db, job.id), first.summary["fixed"]) == (crews["near_tech"], {})
    # A dispatcher gives it back to the far technician by hand: the next plan keeps that, and says so.
    db.refresh(job)
    _assign(db, clock, job, "far_tech", by_hand=True)
    assert inputs.field_marks(db, [job.id]) == {job.id: "manual"}
    second = dayplans.build_plan(db, clock=clock, actor=SYSTEM_ACTOR, area="深圳市", seconds=1)
    db.commit()
    assert (_assignee(db, job.id), second.summary["fixed"]) == (crews["far_tech"], {str(job.id): "manual"})
    routes = {view.username: [ticket.id for _, ticket in view.stops] for view in dayplans.plan_routes(db, second)}
    assert routes == {"far_tech": [job.id]}


def test_a_started_job_stays_and_a_later_automatic_assignment_releases_the_mark(
    db: Session, clock: FrozenClock, crews: dict[str, int]
) -> None:
    started = _job(db, clock, 3)
    _assign(db, clock, started, "far_tech", by_hand=False)
    technician = accounts_service.actor_for(accounts_service.get_user(db, "far_tech"))
    fieldwork.accept(db, clock=clock, actor=technician, ticket_id=started.id)
    db.commit()
    assert inputs.field_marks(db, [started.id]) == {started.id: "bound"}
    plan = dayplans.build_plan(db, clock=clock, actor=SYSTEM_ACTOR, area="深圳市", seconds=1)
    db.commit()
    assert (_assignee(db, started.id), plan.summary["fixed"]) == (crews["far_tech"], {str(started.id): "bound"})
    # A hand assignment, then an automatic one: the automatic one is the latest decision, nothing is fixed.
    other = _job(db, clock, 4)
    _assign(db, clock, other, "far_tech", by_hand=True)
    db.refresh(other)
    _assign(db, clock, other, "near_tech", by_hand=False)
    assert inputs.field_marks(db, [other.id]) == {}


def test_the_board_and_the_api_assign_by_hand_and_the_plan_page_shows_it_fixed(
    client: TestClient, db: Session, clock: FrozenClock, crews: dict[str, int], make_user: UserFactory
) -> None:
    _, token = make_user(Role.DISPATCHER, username="keeper")
    via_board, via_api = _job(db, clock, 5), _job(db, clock, 6)
    db.commit()
    csrf = console_login(client, db, "keeper")
    board = client.post(
        f"/console/tickets/{via_board.id}/assign",
        data={"csrf_token": csrf, "assignee": "far_tech", "version": via_board.version},
    )
    assert board.status_code == 200, board.text
    patched = client.patch(
        f"/api/v1/tickets/{via_api.id}",
        json={"version": via_api.version, "assignee_username": "far_tech"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert patched.status_code == 200, patched.text
    reply = client.post(
        "/api/v1/dispatch/plans", json={"area": "深圳市", "seconds": 1}, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["summary"]["fixed"] == {str(via_board.id): "manual", str(via_api.id): "manual"}
    assert (_assignee(db, via_board.id), _assignee(db, via_api.id)) == (crews["far_tech"], crews["far_tech"])
    page = client.get("/console/plans", params={"area": "深圳市", "day": "2026-11-22"})
    assert sorted(re.findall(r'data-fixed="(\w+)"', page.text)) == ["manual", "manual"]
    assert page.text.count("人工指派·固定") == 2
