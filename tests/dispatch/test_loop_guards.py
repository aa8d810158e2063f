"""The loop's guards (issue 13 item 5) through the API on a real database: an on-site result needs the
technician's check-in or a supervisor's recorded override; the 回访 only through a return visit; a
check-in far from the address or a short stay is flagged for the inspector, reviewed, and left out of
first-time-fix until then. Every refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.dispatch import fieldwork
from aftersales.dispatch.fieldwork import flags as field_flags
from aftersales.dispatch.fieldwork.models import VisitFlag
from aftersales.sla.models import Target
from aftersales.tickets.models import Ticket, TicketEvent
from tests.conftest import UserFactory
from tests.dispatch.fieldwork_support import PNG_BASE64, World, counts, event_types, make_world, open_job, step


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, run_jobs_in_process=False, auto_dispatch=False, dispatch_in_background=False
    )


@pytest.fixture
def world(db: Session, clock: FrozenClock, make_user: UserFactory) -> World:
    made = make_world(db, clock, make_user)
    for username, role in (("boss", Role.MANAGER), ("qc", Role.INSPECTOR)):
        made.actors[username], made.tokens[username] = make_user(role, username=username, organisation_code="HQ")
    db.commit()
    return made


def _state(db: Session, ticket_id: int) -> tuple[object, ...]:
    """What a refused move must leave alone: status, version, resolved_at, the on-site target, counts."""
    db.expire_all()
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None
    onsite = db.scalars(select(Target).where(Target.ticket_id == ticket_id, Target.kind == "onsite")).one()
    audits = len(list(db.scalars(select(AuditEntry.id).where(AuditEntry.entity_id == str(ticket_id)))))
    return (ticket.status, ticket.version, ticket.resolved_at, onsite.met_at, counts(db, ticket_id), audits)


def _post(client: TestClient, world: World, username: str, ticket_id: int, body: dict[str, object]) -> object:
    return client.post(f"/api/v1/tickets/{ticket_id}/events", json=body, headers=world.headers(username))


def _address(db: Session, ticket_id: int) -> tuple[float, float]:
    db.expire_all()
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None and ticket.address is not None
    assert ticket.address.longitude is not None and ticket.address.latitude is not None
    return ticket.address.longitude, ticket.address.latitude


def test_an_agent_alone_cannot_take_an_onsite_repair_to_result(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    assert _post(client, world, "agent_f", ticket_id, {"type": "contact"}).status_code == 200  # type: ignore[attr-defined]
    before = _state(db, ticket_id)
    clock.advance(timedelta(minutes=1))
    refused = _post(client, world, "agent_f", ticket_id, {"type": "result", "note": "已解决"})
    assert (refused.status_code, refused.json()) == (  # type: ignore[attr-defined]
        409,
        {
            "code": "ticket.check_in_required",
            "detail": "上门类工单须先由技术员上门签到，才能反馈结果",
            "fields": {"type": "result", "check_in": "尚未上门签到"},
        },
    )
    check_in = _post(client, world, "agent_f", ticket_id, {"type": "check_in"})
    assert (check_in.status_code, check_in.json()["code"]) == (403, "ticket.use_job_flow")  # type: ignore[attr-defined]
    # Only a supervisor may override, and only with a reason.
    no_right = _post(client, world, "agent_f", ticket_id, {"type": "result", "override_reason": "客户自行处理"})
    assert (no_right.status_code, no_right.json()["code"]) == (403, "ticket.override_forbidden")  # type: ignore[attr-defined]
    blank = _post(client, world, "boss", ticket_id, {"type": "result", "override_reason": "  "})
    assert (blank.status_code, blank.json()["fields"]) == (  # type: ignore[attr-defined]
        422,
        {"override_reason": "请填写未签到即反馈结果的原因"},
    )
    assert _state(db, ticket_id) == before


def test_a_supervisor_override_is_recorded_with_who_and_why(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    _post(client, world, "agent_f", ticket_id, {"type": "contact"})
    clock.advance(timedelta(minutes=20))
    reply = _post(
        client,
        world,
        "boss",
        ticket_id,
        {"type": "result", "note": "远程指导恢复", "override_reason": "客户远程已修复"},
    )
    assert reply.status_code == 200, reply.text  # type: ignore[attr-defined]
    assert reply.json()["status"] == "resolved"  # type: ignore[attr-defined]
    assert event_types(db, ticket_id)[-2:] == ["check_in_override", "result"]
    override = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == "check_in_override")
    ).one()
    assert (override.actor_name, override.note, override.at) == (
        "boss",
        "未上门签到即反馈结果（主管放行）：客户远程已修复",
        clock.now(),
    )
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.check_in_override")).one()
    assert (audit.actor_name, audit.entity_id, audit.note, audit.after) == (
        "boss",
        str(ticket_id),
        "客户远程已修复",
        {"reason": "客户远程已修复", "status": "in_progress"},
    )


def test_the_return_visit_is_recorded_through_the_visit(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    _post(client, world, "agent_f", ticket_id, {"type": "contact"})
    _post(client, world, "boss", ticket_id, {"type": "result", "override_reason": "电话指导已解决"})
    db.expire_all()
    before = (db.get(Ticket, ticket_id).version, counts(db, ticket_id))  # type: ignore[union-attr]
    bare = _post(client, world, "agent_f", ticket_id, {"type": "return_visit", "note": "客户满意"})
    assert (bare.status_code, bare.json()["code"]) == (409, "ticket.visit_required")  # type: ignore[attr-defined]
    db.expire_all()
    assert (db.get(Ticket, ticket_id).version, counts(db, ticket_id)) == before  # type: ignore[union-attr]


def test_the_technician_checks_in_and_the_result_follows(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    step(client, world, "tech_a", ticket_id, "accept")
    clock.advance(timedelta(minutes=40))
    longitude, latitude = _address(db, ticket_id)
    step(client, world, "tech_a", ticket_id, "check-in", {"longitude": longitude, "latitude": latitude})
    clock.advance(timedelta(minutes=30))
    card = step(
        client,
        world,
        "tech_a",
        ticket_id,
        "result",
        {"note": "更换模块", "photos": [{"filename": "完工.png", "content_base64": PNG_BASE64}]},
    )
    assert card.status_code == 200, card.text
    clock.advance(timedelta(minutes=5))
    card = step(client, world, "tech_a", ticket_id, "check-out").json()
    assert (card["status"], card["visit_flags"]) == ("resolved", [])  # near, 35 minutes: nothing to flag


def test_a_far_check_in_and_a_short_stay_are_flagged_then_reviewed(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    step(client, world, "tech_a", ticket_id, "accept")
    longitude, latitude = _address(db, ticket_id)
    card = step(client, world, "tech_a", ticket_id, "check-in", {"longitude": longitude, "latitude": latitude + 0.35})
    assert card.status_code == 200, card.text
    (flag,) = card.json()["visit_flags"]
    assert (flag["reasons"], flag["is_open"], flag["technician"]) == (["far_from_address"], True, "tech_a")
    assert 38 < flag["distance_km"] < 40
    check_in_note = card.json()["events"][-1]["note"]
    assert check_in_note.endswith("超过 1 公里，已标记待质检复核")
    # Left after a minute: the same visit gets the second reason.
    clock.advance(timedelta(minutes=1))
    card = step(client, world, "tech_a", ticket_id, "check-out").json()
    (flag,) = card["visit_flags"]
    assert (flag["reasons"], flag["minutes_on_site"]) == (["far_from_address", "short_stay"], 1)

    # The inspector's list, filtered; the technician may not read it.
    listed = client.get("/api/v1/visit-flags", headers=world.headers("qc")).json()
    assert (listed["total"], [item["id"] for item in listed["items"]]) == (1, [flag["id"]])
    by_reason = client.get("/api/v1/visit-flags?reason=short_stay&technician=tech_a", headers=world.headers("qc"))
    assert by_reason.json()["total"] == 1
    assert client.get("/api/v1/visit-flags?technician=tech_b", headers=world.headers("qc")).json()["total"] == 0
    assert client.get("/api/v1/visit-flags", headers=world.headers("tech_a")).status_code == 403
    bad = client.get("/api/v1/visit-flags?reason=late", headers=world.headers("qc"))
    assert (bad.status_code, bad.json()["code"]) == (422, "dispatch.invalid")

    # Not counted for first-time-fix until reviewed (a manager's override gives the result here).
    _post(client, world, "boss", ticket_id, {"type": "result", "override_reason": "复核前先结案"})
    db.expire_all()
    period = {"start": clock.now() - timedelta(days=1), "end": clock.now() + timedelta(days=1)}
    assert field_flags.first_time_fix(db, **period) == field_flags.FirstTimeFix(fixed=0, counted=0, excluded=1)

    refused = client.post(f"/api/v1/visit-flags/{flag['id']}/review", json={}, headers=world.headers("tech_a"))
    assert refused.status_code == 403
    reviewed = client.post(
        f"/api/v1/visit-flags/{flag['id']}/review", json={"note": "定位漂移，已电话核实"}, headers=world.headers("qc")
    )
    assert reviewed.status_code == 200, reviewed.text
    assert (reviewed.json()["is_open"], reviewed.json()["reviewed_by"]) == (False, "qc")
    again = client.post(f"/api/v1/visit-flags/{flag['id']}/review", json={}, headers=world.headers("qc"))
    assert (again.status_code, again.json()["code"]) == (409, "dispatch.flag_reviewed")
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "job.visit_reviewed")).one()
    assert (audit.actor_name, audit.note) == ("qc", "质检已复核上门记录：定位漂移，已电话核实")
    assert client.get("/api/v1/visit-flags", headers=world.headers("qc")).json()["total"] == 0
    assert client.get("/api/v1/visit-flags?state=reviewed", headers=world.headers("qc")).json()["total"] == 1
    db.expire_all()
    assert field_flags.first_time_fix(db, **period) == field_flags.FirstTimeFix(fixed=1, counted=1, excluded=0)


def test_the_distance_and_stay_limits_are_settings(db: Session, clock: FrozenClock, world: World) -> None:
    ticket_id = open_job(db, clock, world)
    tech = world.actors["tech_a"]
    fieldwork.accept(db, clock=clock, actor=tech, ticket_id=ticket_id)
    longitude, latitude = _address(db, ticket_id)
    fieldwork.check_in(
        db,
        clock=clock,
        actor=tech,
        ticket_id=ticket_id,
        longitude=longitude,
        latitude=latitude + 0.35,
        max_distance_km=50,
    )
    clock.advance(timedelta(minutes=3))
    fieldwork.check_out(db, clock=clock, actor=tech, ticket_id=ticket_id, min_stay_minutes=2)
    assert db.scalars(select(VisitFlag)).all() == []
    fieldwork.on_the_way(db, clock=clock, actor=tech, ticket_id=ticket_id)
    fieldwork.check_in(db, clock=clock, actor=tech, ticket_id=ticket_id, longitude=longitude, latitude=latitude)
    clock.advance(timedelta(minutes=3))
    fieldwork.check_out(db, clock=clock, actor=tech, ticket_id=ticket_id, min_stay_minutes=5)
    (flag,) = db.scalars(select(VisitFlag)).all()
    assert (flag.reasons, flag.minutes_on_site, flag.distance_km) == (["short_stay"], 3, None)
