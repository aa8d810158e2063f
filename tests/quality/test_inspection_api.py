"""Quality API: the checklist, the technician's self-check, samples, a failed inspection opening a
rectification task for the technician, its completion, and the score rollup; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.core.timeutil import to_local
from aftersales.notifications.models import OutboxMessage
from aftersales.quality.models import Inspection, Rectification, SelfCheck
from aftersales.tickets.enums import EventType, TicketKind, TicketStatus
from aftersales.tickets.models import TicketEvent
from tests import factories
from tests.conftest import UserFactory, local
from tests.quality.factories import insert_tickets, make_providers

REPAIR_ITEMS = {
    "shoe_covers": True,
    "self_introduction": True,
    "diagnosis_explained": True,
    "site_protected": True,
    "usage_explained": True,
    "site_cleared": True,
    "lock_lubricated": False,
    "unlock_tested_three_times": True,
}
GOOD = {"service_standard": 9, "repair_quality": 9, "cleanliness": 8, "communication": 9, "timeliness": 8}
POOR = {"service_standard": 5, "repair_quality": 6, "cleanliness": 3, "communication": 7, "timeliness": 8}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_the_checklist_for_a_repair(client: TestClient, make_user: UserFactory) -> None:
    _, token = make_user(Role.TECHNICIAN)
    reply = client.get("/api/v1/quality/checklist", params={"kind": "repair"}, headers=_bearer(token))
    assert reply.status_code == 200
    assert [(item["code"], item["label"], item["is_required"]) for item in reply.json()][-4:] == [
        ("site_cleared", "清理现场", True),
        ("lock_lubricated", "润滑锁体", True),
        ("unlock_tested_three_times", "测试三次开锁", True),
        ("old_parts_returned", "旧件回收", False),
    ]


def test_the_technician_records_a_self_check_once_per_visit(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    agent, agent_token = make_user(Role.AGENT)
    technician, tech_token = make_user(Role.TECHNICIAN, username="selfcheck1")
    _, other_token = make_user(Role.TECHNICIAN, username="selfcheck2")
    ticket = factories.ticket(db, clock=clock, actor=agent, kind=TicketKind.REPAIR)
    db.commit()
    url = f"/api/v1/tickets/{ticket.id}/self-check"
    assert client.post(url, json={"items": REPAIR_ITEMS}, headers=_bearer(agent_token)).status_code == 409  # registered
    factories.assign(db, clock=clock, ticket_id=ticket.id, assignee_username="selfcheck1", actor=agent)
    moved = factories.walk(db, clock=clock, ticket_id=ticket.id, events=[EventType.CONTACT], actor=technician)
    db.commit()
    assert moved.status == TicketStatus.IN_PROGRESS
    missing = {code: value for code, value in REPAIR_ITEMS.items() if code != "shoe_covers"}
    for body, status, code, field in (
        ({"items": missing}, 422, "quality.invalid", "shoe_covers"),
        ({"items": {**REPAIR_ITEMS, "warranty_explained": True}}, 422, "quality.invalid", "warranty_explained"),
        ({"items": {**REPAIR_ITEMS, "shoe_covers": "yes"}}, 422, "request.invalid", "items.shoe_covers"),
        ({"items": REPAIR_ITEMS, "mood": "ok"}, 422, "request.invalid", "mood"),
    ):
        refused = client.post(url, json=body, headers=_bearer(tech_token))
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
        assert field in refused.json()["fields"]
    assert client.post(url, json={"items": REPAIR_ITEMS}, headers=_bearer(other_token)).status_code == 404
    assert _count(db, SelfCheck) == 0
    assert db.scalar(select(func.count()).where(TicketEvent.type == "self_check")) == 0
    done = client.post(url, json={"items": REPAIR_ITEMS, "note": "锁体已更换"}, headers=_bearer(tech_token))
    assert done.status_code == 201, done.text
    assert {k: done.json()[k] for k in ("technician_id", "passed_items", "total_items", "note", "recorded_by")} == {
        "technician_id": technician.user_id,
        "passed_items": 7,
        "total_items": 8,
        "note": "锁体已更换",
        "recorded_by": "selfcheck1",
    }
    assert done.json()["items"] == REPAIR_ITEMS
    again = client.post(url, json={"items": REPAIR_ITEMS}, headers=_bearer(tech_token))
    assert (again.status_code, again.json()["code"]) == (409, "quality.self_check_exists")
    notes = db.scalars(select(TicketEvent.note).where(TicketEvent.type == "self_check")).all()
    assert notes == ["服务自检 7/8 项，未做到：润滑锁体"]
    listed = client.get(f"/api/v1/tickets/{ticket.id}/self-checks", headers=_bearer(agent_token)).json()
    assert [row["id"] for row in listed] == [done.json()["id"]]


def test_a_failed_inspection_opens_a_rectification_for_the_technician(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    [provider, other_provider] = make_providers(db, clock, 2)
    technician, tech_token = make_user(Role.TECHNICIAN, username="inspected1", organisation_code="QP1")
    _, inspector_token = make_user(Role.INSPECTOR)
    _, agent_token = make_user(Role.AGENT)
    closed = local(2026, 11, 8, 15)
    insert_tickets(db, clock, organisation_id=provider, count=12, closed_at=closed, assignee_id=technician.user_id)
    insert_tickets(db, clock, organisation_id=other_provider, count=3, closed_at=closed)
    db.commit()
    body = {"level": "regional", "period_start": "2026-11-01T00:00:00+08:00", "period_end": "2026-11-16T00:00:00+08:00"}
    forbidden = client.post("/api/v1/quality/samples", json={**body, "seed": 9}, headers=_bearer(agent_token))
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "auth.forbidden")
    drawn = client.post("/api/v1/quality/samples", json={**body, "seed": 9}, headers=_bearer(inspector_token))
    assert drawn.status_code == 201, drawn.text
    assert (drawn.json()["population"], drawn.json()["size"]) == (15, 3)  # 2.4 + 0.6 → 2 + 1
    again = client.post("/api/v1/quality/samples", json={**body, "seed": 9}, headers=_bearer(inspector_token))
    assert again.status_code == 200 and again.json()["inspections"] == drawn.json()["inspections"]
    bad_seed = client.post("/api/v1/quality/samples", json={**body, "seed": -1}, headers=_bearer(inspector_token))
    assert bad_seed.status_code == 422
    ours = [row for row in drawn.json()["inspections"] if row["technician_id"] == technician.user_id]
    assert len(ours) == 2
    form = f"/api/v1/quality/inspections/{ours[0]['id']}/submit"
    for scores, findings, field in (
        ({**POOR, "timeliness": 11}, "清洁不到位", "timeliness"),
        (POOR, None, "findings"),  # a failed form must say what was wrong
    ):
        refused = client.post(form, json={"scores": scores, "findings": findings}, headers=_bearer(inspector_token))
        assert (refused.status_code, refused.json()["code"]) == (422, "quality.invalid"), refused.text
        assert field in refused.json()["fields"]
    assert db.scalar(select(Inspection.status).where(Inspection.id == ours[0]["id"])) == "pending"
    assert _count(db, Rectification) == 0
    failed = client.post(
        form, json={"scores": POOR, "findings": "地面遗留包装和碎屑"}, headers=_bearer(inspector_token)
    )
    assert failed.status_code == 200, failed.text
    result = failed.json()
    assert (result["status"], result["weighted_score"], result["inspector"]) == ("failed", 5.75, "inspector001")
    [task] = result["rectifications"]
    assert task["assignee_user_id"] == technician.user_id and task["assignee_organisation_id"] == provider
    assert task["status"] == "open"
    assert task["due_at"] == to_local(clock.now() + timedelta(days=3)).isoformat()
    assert task["description"] == "质检不合格，整改「服务规范」、「维修质量」、「现场清洁」：地面遗留包装和碎屑"
    event = db.scalars(select(TicketEvent).where(TicketEvent.type == "quality_check")).one()
    assert (event.ticket_id, event.note) == (ours[0]["ticket_id"], "区域抽检：5.75 分，不合格；整改 1 项")
    outbox = db.execute(
        select(OutboxMessage.recipient_user_id, OutboxMessage.kind).where(OutboxMessage.kind == "quality_rectification")
    ).all()
    assert [tuple(row) for row in outbox] == [(technician.user_id, "quality_rectification")]
    twice = client.post(form, json={"scores": GOOD}, headers=_bearer(inspector_token))
    assert (twice.status_code, twice.json()["code"]) == (409, "quality.already_inspected")
    passed = client.post(
        f"/api/v1/quality/inspections/{ours[1]['id']}/submit", json={"scores": GOOD}, headers=_bearer(inspector_token)
    )
    assert (passed.json()["status"], passed.json()["weighted_score"], passed.json()["rectifications"]) == (
        "passed",
        8.7,
        [],
    )
    clock.advance(timedelta(days=4))
    overdue = client.get(
        "/api/v1/quality/rectifications", params={"status": "overdue"}, headers=_bearer(inspector_token)
    )
    assert [row["id"] for row in overdue.json()] == [task["id"]]
    done = client.post(
        f"/api/v1/quality/rectifications/{task['id']}/done", json={"note": "已回访清理"}, headers=_bearer(tech_token)
    )
    assert (done.status_code, done.json()["status"], done.json()["resolution"]) == (200, "done", "已回访清理")
    period = {"from": "2026-11-01T00:00:00+08:00", "to": "2026-12-01T00:00:00+08:00"}
    scores = client.get(
        "/api/v1/quality/scores", params={**period, "group": "technician"}, headers=_bearer(inspector_token)
    )
    assert scores.status_code == 200, scores.text
    assert [(r["id"], r["inspections"], r["passed"], r["pass_rate"], r["average_score"]) for r in scores.json()] == [
        (technician.user_id, 2, 1, 0.5, 7.22)
    ]
    assert scores.json()[0]["criteria"]["cleanliness"] == 5.5
    providers = client.get(
        "/api/v1/quality/scores", params={**period, "group": "provider"}, headers=_bearer(inspector_token)
    ).json()
    assert [(r["id"], r["name"], r["inspections"]) for r in providers] == [(provider, "服务商1", 2)]
    wrong_group = client.get(
        "/api/v1/quality/scores", params={**period, "group": "region"}, headers=_bearer(inspector_token)
    )
    assert wrong_group.status_code == 422
