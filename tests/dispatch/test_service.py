"""Auto-dispatch on a real database: the right technician, a provider as fallback, the queue with the
reason otherwise; bad coordinates refused; providers see only their own jobs."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.core.errors import InvalidInputError
from aftersales.dispatch.network import service
from aftersales.tickets.models import Ticket, TicketComment, TicketEvent
from tests import factories
from tests.conftest import UserFactory, ticket_body

NANSHAN = (113.93, 22.53)


@pytest.fixture
def network(db: Session, clock: FrozenClock, make_user: UserFactory) -> dict[str, int]:
    hq = accounts_service.create_organisation(
        db, clock=clock, actor=SYSTEM_ACTOR, code="HQ", name="总部", kind=OrganisationKind.HQ
    )
    center = accounts_service.create_organisation(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        code="SZ",
        name="深圳服务中心",
        kind=OrganisationKind.SERVICE_CENTER,
        parent_code="HQ",
    )
    partner = accounts_service.create_organisation(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        code="SZ-P",
        name="安居服务商",
        kind=OrganisationKind.PROVIDER,
        parent_code="HQ",
    )
    service.set_service_point(
        db, organisation_id=center.id, kind="service_center", longitude=113.95, latitude=22.54, adcodes=["440305"]
    )
    service.set_service_point(
        db, organisation_id=partner.id, kind="regional_provider", longitude=113.95, latitude=22.54, radius_km=30
    )
    users = {}
    for username, role, org, skills, shift, days_off in (
        ("tech_ok", Role.TECHNICIAN, "SZ", ["lock:repair"], ("08:00", "18:00"), []),
        ("tech_tablet", Role.TECHNICIAN, "SZ", ["tablet:repair"], ("08:00", "18:00"), []),
        ("tech_night", Role.TECHNICIAN, "SZ", ["lock:repair"], ("18:00", "23:00"), []),
        ("tech_off", Role.TECHNICIAN, "SZ", ["lock:repair"], ("08:00", "18:00"), [date(2026, 11, 22)]),
        ("partner1", Role.PROVIDER, "SZ-P", ["*:repair"], ("08:00", "20:00"), []),
    ):
        actor, _ = make_user(role, username=username, organisation_code=org)
        users[username] = actor.user_id or 0
        service.set_technician(
            db,
            user_id=users[username],
            longitude=NANSHAN[0],
            latitude=NANSHAN[1],
            skills=skills,
            shift=shift,
            days_off=days_off,
        )
    _ = hq
    return users


def _ticket(client: TestClient, token: str, **overrides: object) -> int:
    response = client.post(
        "/api/v1/tickets",
        json=ticket_body(kind="repair", priority="routine", **overrides),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_the_fitting_technician_is_chosen_and_the_reason_recorded(
    client: TestClient, db: Session, clock: FrozenClock, network: dict[str, int], make_user: UserFactory
) -> None:
    dispatcher, token = make_user(Role.DISPATCHER, username="disp")
    ticket_id = _ticket(client, token)
    found = {c.username: c for c in service.candidates(db, clock=clock, actor=dispatcher, ticket_id=ticket_id)}
    assert found["tech_ok"].eligible and found["partner1"].eligible
    assert found["tech_tablet"].reason == "技能不符（需要 lock:repair）"
    assert found["tech_night"].reason == "不在班" and found["tech_off"].reason == "不在班"
    result = service.auto_dispatch(db, clock=clock, actor=dispatcher, ticket_id=ticket_id)
    assert result.assigned_to == "tech_ok"  # in-house before the partner
    assert db.scalar(select(Ticket.assignee_id).where(Ticket.id == ticket_id)) == network["tech_ok"]
    # Dispatched once at intake (by the system) and once on request; each decision is on the timeline.
    decisions = db.execute(
        select(TicketEvent.actor_name, TicketEvent.note, TicketEvent.data)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == "dispatch")
        .order_by(TicketEvent.id)
    ).all()
    assert [(actor, note) for actor, note, _ in decisions] == [
        ("system", "自动派单给 tech_ok：可在约 1 分钟内到达，今日已有 0 单，距离约 0.5 公里"),
        ("disp", "自动派单给 tech_ok：可在约 1 分钟内到达，今日已有 1 单，距离约 0.5 公里"),
    ]
    assert decisions[0].data["assigned_to"] == "tech_ok"
    assert [c["username"] for c in decisions[0].data["candidates"]][:2] == ["tech_ok", "partner1"]
    assert db.scalars(select(TicketComment.body).where(TicketComment.ticket_id == ticket_id)).all() == []


def test_a_provider_takes_it_when_no_in_house_technician_fits_and_the_queue_otherwise(
    db: Session, clock: FrozenClock, network: dict[str, int], make_user: UserFactory
) -> None:
    dispatcher, _ = make_user(Role.DISPATCHER, username="disp2")
    service.set_technician(
        db,
        user_id=network["tech_ok"],
        longitude=NANSHAN[0],
        latitude=NANSHAN[1],
        skills=["lock:repair"],
        max_jobs_per_day=1,
    )
    factories.ticket(db, clock=clock, actor=dispatcher, assignee_username="tech_ok")  # its one job of the day
    first = factories.ticket(db, clock=clock, actor=dispatcher, external_id="x-1").id
    service.auto_dispatch(db, clock=clock, actor=dispatcher, ticket_id=first)
    second = factories.ticket(
        db,
        clock=clock,
        actor=dispatcher,
        external_id="x-2",
        customer_name="李四",
        phone="13900139000",
        address="广东省深圳市南山区科技园2号",
    ).id
    assert service.auto_dispatch(db, clock=clock, actor=dispatcher, ticket_id=second).assigned_to == "partner1"
    service.set_technician(
        db, user_id=network["partner1"], longitude=NANSHAN[0], latitude=NANSHAN[1], skills=["tablet:repair"]
    )
    third = factories.ticket(
        db,
        clock=clock,
        actor=dispatcher,
        external_id="x-3",
        customer_name="王五",
        phone="13700137000",
        address="广东省深圳市南山区科技园3号",
    ).id
    result = service.auto_dispatch(db, clock=clock, actor=dispatcher, ticket_id=third)
    assert result.assigned_to is None and result.reason.startswith("自动派单未找到合适人选，转调度台：")
    assert db.scalar(select(Ticket.assignee_id).where(Ticket.id == third)) is None


def test_bad_coordinates_and_skills_are_refused(db: Session, network: dict[str, int]) -> None:
    with pytest.raises(InvalidInputError, match="不在中国境内"):
        service.set_technician(db, user_id=network["tech_ok"], longitude=2.35, latitude=48.85, skills=["lock:repair"])
    with pytest.raises(InvalidInputError, match="技能格式"):
        service.set_technician(db, user_id=network["tech_ok"], longitude=113.9, latitude=22.5, skills=["locks"])
    with pytest.raises(InvalidInputError, match="班次"):
        service.set_technician(
            db,
            user_id=network["tech_ok"],
            longitude=113.9,
            latitude=22.5,
            skills=["lock:repair"],
            shift=("18:00", "08:00"),
        )


def test_dispatch_api_and_provider_visibility(
    client: TestClient, db: Session, network: dict[str, int], make_user: UserFactory
) -> None:
    _, token = make_user(Role.DISPATCHER, username="disp3")
    ticket_id = _ticket(client, token)
    reply = client.post(f"/api/v1/tickets/{ticket_id}/dispatch", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200 and reply.json()["assigned_to"] == "tech_ok"
    other = _ticket(
        client,
        token,
        external_id="y-1",
        customer={"name": "赵六", "phone": "13600136000", "address": "广东省深圳市南山区科技园9号"},
    )
    version = client.get(f"/api/v1/tickets/{other}", headers={"Authorization": f"Bearer {token}"}).json()["version"]
    assert version == 2  # auto-dispatched at intake
    moved = client.patch(
        f"/api/v1/tickets/{other}",
        json={"version": version, "assignee_username": "partner1"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert moved.status_code == 200
    partner_token = accounts_tokens.create_token(
        db, clock=FrozenClock(db.get(Ticket, other).created_at), actor=SYSTEM_ACTOR, username="partner1"
    )[1]  # type: ignore[union-attr]
    db.commit()
    listing = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {partner_token}"}).json()
    assert [item["id"] for item in listing["items"]] == [other]
    assert (
        client.get(f"/api/v1/tickets/{ticket_id}", headers={"Authorization": f"Bearer {partner_token}"}).status_code
        == 404
    )
    no_address = _ticket(client, token, external_id="z-1", customer={"name": "钱七", "phone": "13500135000"})
    bad = client.post(f"/api/v1/tickets/{no_address}/dispatch", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and bad.json()["code"] == "dispatch.invalid"


def test_service_point_hours_and_capacity_are_validated_and_nothing_changes(
    client: TestClient, db: Session, network: dict[str, int], make_user: UserFactory
) -> None:
    from aftersales.dispatch.network.models import ServicePoint

    _, token = make_user(Role.ADMIN, username="netadmin")
    headers = {"Authorization": f"Bearer {token}"}
    good = {
        "kind": "service_center",
        "longitude": 113.95,
        "latitude": 22.54,
        "radius_km": 20,
        "opens": "09:00",
        "closes": "18:00",
    }
    assert client.put("/api/v1/dispatch/service-points/SZ", json=good, headers=headers).status_code == 204
    for bad, field in (
        ({**good, "opens": "18:00", "closes": "09:00"}, "opens"),
        ({**good, "closes": "25:00"}, "closes"),
        ({**good, "longitude": 2.35, "latitude": 48.85}, "longitude"),
        ({**good, "radius_km": None, "adcodes": []}, "adcodes"),
    ):
        reply = client.put("/api/v1/dispatch/service-points/SZ", json=bad, headers=headers)
        assert reply.status_code == 422 and reply.json()["code"] == "dispatch.invalid", reply.text
        assert field in reply.json()["fields"]
    stored = db.execute(
        select(ServicePoint.opens, ServicePoint.closes, ServicePoint.radius_km, ServicePoint.longitude).where(
            ServicePoint.kind == "service_center"
        )
    ).one()
    assert tuple(stored) == ("09:00", "18:00", 20.0, 113.95)
