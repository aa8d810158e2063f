"""API tests of the ticket surface (DESIGN.md §4), each inside a rolled-back transaction."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import FrozenClock
from aftersales.customers.models import Customer
from aftersales.tickets import rules
from aftersales.tickets.enums import EventType, Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket, TicketEvent
from aftersales.triage import learning as triage_learning
from tests import factories
from tests.conftest import UserFactory, ticket_body


def _counts(db: Session) -> tuple[int, int, int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Ticket)) or 0,
        db.scalar(select(func.count()).select_from(TicketEvent)) or 0,
        db.scalar(select(func.count()).select_from(Customer)) or 0,
        db.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    )


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "/api/v1/tickets" in client.get("/openapi.json").json()["paths"]


def test_create_ticket_returns_the_public_shape(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/api/v1/tickets", json=ticket_body(kind="repair", priority="urgent"), headers=auth)
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["number"] == "SH20261122-000001"
    assert (data["status"], data["kind"], data["priority"]) == ("registered", "repair", "urgent")
    assert data["customer"]["phone_masked"] == "138****8000"
    assert "13800138000" not in response.text
    assert data["customer"]["address"]["city"] == "深圳市"
    assert data["customer"]["address"]["adcode"] == "440305"
    assert data["product"]["model"] == "YL-S7"
    assert data["sla"] == {
        "first_response_due_at": "2026-11-22T10:30:00+08:00",
        "onsite_due_at": "2026-11-22T12:00:00+08:00",
        "resolution_due_at": "2026-11-23T10:00:00+08:00",
        "state": "on_track",
        "targets": data["sla"]["targets"],
    }
    assert data["created_at"] == data["reported_at"] == "2026-11-22T10:00:00+08:00"


def test_missing_kind_and_priority_are_filled_by_triage(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/api/v1/tickets", json=ticket_body(description="人被锁门外了，门锁打不开门"), headers=auth)
    data = response.json()
    assert (data["kind"], data["priority"]) == ("repair", "urgent")
    assert data["triage"]["filled"] == ["kind", "priority"]
    complaint = client.post("/api/v1/tickets", json=ticket_body(description="我要投诉你们的售后"), headers=auth).json()
    assert (complaint["kind"], complaint["priority"]) == ("complaint", "routine")
    install = client.post(
        "/api/v1/tickets", json=ticket_body(description="新买的锁需要安装", priority="complex"), headers=auth
    ).json()
    assert (install["kind"], install["priority"], install["triage"]["filled"]) == (
        "installation",
        "complex",
        ["kind"],
    )


def test_triage_reads_the_text_outside_the_writer_and_never_for_a_refused_caller(
    client: TestClient, auth: dict[str, str], db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real_analyse = triage_learning.analyse

    def analyse(session: Session, text: str) -> triage_learning.Analysis:
        threads.append(threading.current_thread().name)
        return real_analyse(session, text)

    monkeypatch.setattr(triage_learning, "analyse", analyse)
    before = _counts(db)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        refused = client.post("/api/v1/tickets", json=ticket_body(description="我要投诉你们的售后"), headers=headers)
        assert (refused.status_code, threads, _counts(db)) == (401, [], before)
    created = client.post("/api/v1/tickets", json=ticket_body(description="我要投诉你们的售后"), headers=auth)
    assert (created.status_code, created.json()["kind"]) == (201, "complaint")
    assert len(threads) == 1 and threads[0] != "aftersales-writer"  # SQLite's single writer does not run it
    given = client.post("/api/v1/tickets", json=ticket_body(kind="repair", priority="routine"), headers=auth)
    assert given.status_code == 201 and len(threads) == 1  # nothing left to triage: no model run


def test_numbers_are_sequential_per_local_day(client: TestClient, auth: dict[str, str]) -> None:
    first = client.post("/api/v1/tickets", json=ticket_body(), headers=auth).json()["number"]
    second = client.post("/api/v1/tickets", json=ticket_body(), headers=auth).json()["number"]
    # 2026-11-21 23:30 Shanghai is still the 21st locally although it is 15:30 UTC.
    older = client.post(
        "/api/v1/tickets", json=ticket_body(reported_at="2026-11-21T23:30:00+08:00"), headers=auth
    ).json()["number"]
    assert (first, second, older) == ("SH20261122-000001", "SH20261122-000002", "SH20261121-000001")


def test_replayed_external_id_returns_the_same_ticket(client: TestClient, auth: dict[str, str], db: Session) -> None:
    body = ticket_body(external_id="crm-42")
    first = client.post("/api/v1/tickets", json=body, headers=auth)
    before = _counts(db)
    again = client.post("/api/v1/tickets", json={**body, "description": "different text"}, headers=auth)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["description"] == first.json()["description"]
    assert _counts(db) == before


@pytest.mark.parametrize(
    ("phone", "field"),
    [
        ("12345", "customer.phone"),
        ("1380013800", "customer.phone"),
        ("23800138000", "customer.phone"),
        ("010-1234567", "customer.phone"),
        ("", "customer.phone"),
    ],
)
def test_invalid_phone_is_422_with_the_field_named_and_nothing_stored(
    client: TestClient, auth: dict[str, str], db: Session, phone: str, field: str
) -> None:
    before = _counts(db)
    body = ticket_body()
    body["customer"] = {"name": "李四", "phone": phone, "address": "北京市朝阳区建国路88号"}
    response = client.post("/api/v1/tickets", json=body, headers=auth)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "request.invalid"
    assert field in problem["fields"]
    assert _counts(db) == before


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"description": "   "}, "description"),
        ({"kind": "party"}, "kind"),
        ({"reported_at": "2026-11-23T10:00:00+08:00"}, "reported_at"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_other_bad_input_changes_nothing(
    client: TestClient, auth: dict[str, str], db: Session, patch: dict[str, object], field: str
) -> None:
    before = _counts(db)
    response = client.post("/api/v1/tickets", json=ticket_body(**patch), headers=auth)
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"]
    assert _counts(db) == before


def test_auth_is_required(client: TestClient) -> None:
    assert client.post("/api/v1/tickets", json=ticket_body()).status_code == 401
    bad = client.get("/api/v1/tickets", headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.json()["code"]) == (401, "auth.invalid_credentials")


def test_walk_the_closed_loop(client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock) -> None:
    # A consultation is solved by the office alone (no visit to check in on); the 回访 is a return visit.
    ticket = factories.ticket(db, clock=clock, kind=TicketKind.CONSULTATION, priority=Priority.ROUTINE)
    db.commit()
    path = f"/api/v1/tickets/{ticket.id}/events"
    expected = [
        ("contact", "in_progress"),
        ("progress", "in_progress"),
        ("hold", "on_hold"),
        ("resume", "in_progress"),
        ("result", "resolved"),
        ("return_visit", "visited"),
        ("close", "closed"),
    ]
    for event, status in expected:
        clock.advance(timedelta(minutes=30))
        if event == "return_visit":
            db.expire_all()  # the API moved the ticket in its own session
            visit = factories.return_visit(db, clock=clock, ticket_id=ticket.id)  # the background job's
            db.commit()
            call = client.post(f"/api/v1/visits/{visit.id}/attempts", json={"outcome": "refused"}, headers=auth)
            assert call.status_code == 200, call.text
            response = client.get(f"/api/v1/tickets/{ticket.id}", headers=auth)
        else:
            response = client.post(path, json={"type": event, "note": f"步骤 {event}"}, headers=auth)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    detail = client.get(f"/api/v1/tickets/{ticket.id}", headers=auth).json()
    types = [event["type"] for event in detail["events"]]
    assert types == ["register", *[event for event, _ in expected]]
    assert detail["events"][1] == {
        "type": "contact",
        "at": "2026-11-22T10:30:00+08:00",
        "actor": "agent_t",
        "note": "步骤 contact",
        "from_status": "registered",
        "to_status": "in_progress",
        "data": None,
    }
    assert detail["sla"]["state"] == "met"
    reopened = client.post(path, json={"type": "reopen", "note": "又坏了"}, headers=auth).json()
    assert (reopened["status"], reopened["reopen_count"]) == ("in_progress", 1)


ALL_EVENTS = sorted(rules.LIFECYCLE_EVENTS)


@pytest.mark.parametrize("status", list(TicketStatus))
def test_every_forbidden_transition_is_409_and_changes_nothing(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock, status: TicketStatus
) -> None:
    # Walked to the status under test by the shortest path.
    ticket = factories.ticket_in_status(db, clock=clock, status=status)
    db.commit()
    assert ticket.status == status
    ticket_id = ticket.id
    forbidden = [event for event in ALL_EVENTS if rules.next_status(event, status) is None]
    assert forbidden, status
    before = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).json()
    counts = _counts(db)
    for event in [*forbidden, EventType.SLA_BREACHED, EventType.REGISTER]:
        response = client.post(f"/api/v1/tickets/{ticket_id}/events", json={"type": event, "note": "x"}, headers=auth)
        if event == EventType.CHECK_IN:  # never through this endpoint: the job flow records it
            assert (response.status_code, response.json()["code"]) == (403, "ticket.use_job_flow")
            continue
        assert response.status_code == 409, (status, event)
        assert response.json()["code"] == "ticket.invalid_transition"
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).json() == before
    assert _counts(db) == counts


def test_stale_version_is_409_and_changes_nothing(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock
) -> None:
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    version = ticket.version
    ok = client.patch(f"/api/v1/tickets/{ticket.id}", json={"version": version, "priority": "complex"}, headers=auth)
    assert ok.status_code == 200 and ok.json()["version"] == version + 1
    stale = client.patch(f"/api/v1/tickets/{ticket.id}", json={"version": version, "description": "改"}, headers=auth)
    assert (stale.status_code, stale.json()["code"]) == (409, "ticket.version_conflict")
    stale_event = client.post(
        f"/api/v1/tickets/{ticket.id}/events", json={"type": "contact", "version": version}, headers=auth
    )
    assert (stale_event.status_code, stale_event.json()["code"]) == (409, "ticket.version_conflict")
    after = client.get(f"/api/v1/tickets/{ticket.id}", headers=auth).json()
    assert (after["status"], after["description"], after["priority"]) == (
        "registered",
        ticket.description,
        "complex",
    )


def test_priority_change_replans_the_clock(client: TestClient, auth: dict[str, str]) -> None:
    ticket = client.post("/api/v1/tickets", json=ticket_body(priority="routine"), headers=auth).json()
    assert ticket["sla"]["resolution_due_at"] == "2026-11-24T10:00:00+08:00"  # 24 service hours
    urgent = client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"version": ticket["version"], "priority": "urgent"},
        headers=auth,
    ).json()
    assert urgent["sla"]["first_response_due_at"] == "2026-11-22T10:30:00+08:00"
    assert urgent["sla"]["onsite_due_at"] == "2026-11-22T12:00:00+08:00"
    assert urgent["events"][-1]["type"] == "update"


def test_list_filters_search_and_paging(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock
) -> None:
    a = factories.ticket(db, clock=clock, priority=Priority.URGENT, kind=TicketKind.REPAIR)
    b = factories.ticket_in_status(
        db,
        clock=clock,
        status=TicketStatus.IN_PROGRESS,
        kind=TicketKind.CONSULTATION,
        priority=Priority.ROUTINE,
        description="请问电池怎么更换",
        customer_name="王五",
        phone="13912345678",
        address=None,
    )
    db.commit()

    def ids(**params: object) -> list[int]:
        response = client.get("/api/v1/tickets", params=params, headers=auth)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [b.id, a.id]
    assert ids(priority="urgent") == [a.id]
    assert ids(status="in_progress") == [b.id]
    assert ids(kind="consultation") == [b.id]
    assert ids(sla_state="met") == []
    assert ids(q="电池") == [b.id]
    assert ids(q="1234") == [b.id]  # part of the phone
    assert ids(q=a.number) == [a.id]
    assert ids(q="no-such-text") == []
    page = client.get("/api/v1/tickets", params={"limit": 1, "offset": 1}, headers=auth).json()
    assert (page["total"], [item["id"] for item in page["items"]]) == (2, [a.id])
    assert client.get("/api/v1/tickets", params={"limit": 0}, headers=auth).status_code == 422
    assert client.get("/api/v1/tickets", params={"status": "nope"}, headers=auth).status_code == 422
    listed = client.get("/api/v1/tickets", headers=auth).text
    assert "13912345678" not in listed and "139****5678" in listed


def test_technician_sees_only_own_tickets(
    client: TestClient, auth: dict[str, str], db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, tech_token = make_user(Role.TECHNICIAN, username="tech_t")
    mine = factories.ticket(db, clock=clock, assignee_username="tech_t")
    other = factories.ticket(db, clock=clock)
    db.commit()
    tech_auth = {"Authorization": f"Bearer {tech_token}"}
    listed = client.get("/api/v1/tickets", headers=tech_auth).json()
    assert [item["id"] for item in listed["items"]] == [mine.id]
    assert client.get(f"/api/v1/tickets/{other.id}", headers=tech_auth).status_code == 404
    assert (
        client.post(f"/api/v1/tickets/{other.id}/events", json={"type": "contact"}, headers=tech_auth).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/tickets/{mine.id}/events", json={"type": "contact"}, headers=tech_auth).status_code == 200
    )
    assert client.post("/api/v1/tickets", json=ticket_body(), headers=tech_auth).status_code == 403


def test_comments_and_audit_trail(
    client: TestClient,
    auth: dict[str, str],
    agent: tuple[Actor, str],
    db: Session,
    clock: FrozenClock,
    make_user: UserFactory,
) -> None:
    ticket = factories.ticket(db, clock=clock, actor=agent[0])
    db.commit()
    comment = client.post(f"/api/v1/tickets/{ticket.id}/comments", json={"body": "客户要求下午上门"}, headers=auth)
    assert comment.status_code == 201
    assert client.post(f"/api/v1/tickets/{ticket.id}/comments", json={"body": ""}, headers=auth).status_code == 422
    client.post(f"/api/v1/tickets/{ticket.id}/events", json={"type": "contact"}, headers=auth)
    _, manager_token = make_user(Role.MANAGER, username="mgr_t")
    audit = client.get(
        "/api/v1/audit",
        params={"entity_type": "ticket", "entity_id": str(ticket.id)},
        headers={"Authorization": f"Bearer {manager_token}"},
    ).json()
    assert [entry["action"] for entry in audit] == ["ticket.contact", "ticket.comment", "ticket.created"]
    assert audit[0]["before"]["status"] == "registered" and audit[0]["after"]["status"] == "in_progress"
    assert client.get("/api/v1/audit", headers=auth).status_code == 403
