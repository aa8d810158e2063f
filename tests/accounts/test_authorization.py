"""The authorization findings of issue 12, each as a row: who may not see or do what, through the API,
and that a refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.feedback.models import VisitAttempt
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import TicketStatus
from aftersales.tickets.models import Ticket, TicketComment
from tests import factories
from tests.conftest import UserFactory, ticket_body

PHONE = "13800138000"  # the factories' and ticket_body's customer phone


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_visits_are_for_visit_staff_only(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    visit = factories.return_visit(db, clock=clock, assignee_username=None)
    db.commit()
    _, agent = make_user(Role.AGENT)
    _, customer = make_user(Role.CUSTOMER, phone=PHONE)
    _, technician = make_user(Role.TECHNICIAN)
    assert [v["id"] for v in client.get("/api/v1/visits", headers=_bearer(agent)).json()] == [visit.id]
    for token in (customer, technician):
        refused = client.get("/api/v1/visits", headers=_bearer(token))
        assert (refused.status_code, refused.json()["code"]) == (403, "auth.forbidden")


def test_the_technician_of_the_job_cannot_log_visit_calls_or_grade_it(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, technician = make_user(Role.TECHNICIAN, username="tech_graded")
    ticket = factories.ticket(db, clock=clock, assignee_username="tech_graded")
    factories.walk(db, clock=clock, ticket_id=ticket.id, events=factories.LIFECYCLE_PATHS[TicketStatus.RESOLVED])
    visit = factories.return_visit(db, clock=clock, ticket_id=ticket.id)
    db.commit()
    call = client.post(f"/api/v1/visits/{visit.id}/attempts", json={"outcome": "reached"}, headers=_bearer(technician))
    five_stars = {k: 5 for k in ("overall", "reach_human", "ivr", "attitude", "problem_solving", "outcome")}
    survey = client.post(
        f"/api/v1/visits/{visit.id}/survey",
        json={"scores": {**five_stars, "punctuality": 5, "tidiness": 5}},
        headers=_bearer(technician),
    )
    assert [(r.status_code, r.json()["code"]) for r in (call, survey)] == [(403, "auth.forbidden")] * 2
    assert db.scalar(select(func.count()).select_from(VisitAttempt)) == 0


def test_field_staff_cannot_cancel_or_resolve_through_the_generic_endpoint(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, technician = make_user(Role.TECHNICIAN, username="tech_shortcut")
    ticket = factories.ticket(db, clock=clock, assignee_username="tech_shortcut")
    db.commit()
    for event in ("cancel", "result", "close"):
        refused = client.post(
            f"/api/v1/tickets/{ticket.id}/events", json={"type": event, "note": "x"}, headers=_bearer(technician)
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "ticket.use_job_flow"), event
    db.expire_all()
    assert tickets_service.get_ticket(db, ticket.id).status == TicketStatus.REGISTERED
    contact = client.post(
        f"/api/v1/tickets/{ticket.id}/events",
        json={"type": "contact", "note": "已电话联系"},
        headers=_bearer(technician),
    )
    assert (contact.status_code, contact.json()["status"]) == (200, "in_progress")


def test_customers_never_see_internal_comments_and_write_only_public_ones(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, agent = make_user(Role.AGENT)
    _, customer = make_user(Role.CUSTOMER, phone=PHONE)
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    client.post(f"/api/v1/tickets/{ticket.id}/comments", json={"body": "客户脾气急"}, headers=_bearer(agent))
    public = client.post(
        f"/api/v1/tickets/{ticket.id}/comments",
        json={"body": "请下午来", "is_internal": True},
        headers=_bearer(customer),
    )
    assert (public.status_code, public.json()["is_internal"]) == (201, False)
    seen = client.get(f"/api/v1/tickets/{ticket.id}", headers=_bearer(customer)).json()["comments"]
    assert [c["body"] for c in seen] == ["请下午来"]
    staff = client.get(f"/api/v1/tickets/{ticket.id}", headers=_bearer(agent)).json()["comments"]
    assert [c["body"] for c in staff] == ["客户脾气急", "请下午来"]


def test_the_inspector_reads_but_neither_comments_nor_retries_letters(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, inspector = make_user(Role.INSPECTOR)
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers=_bearer(inspector)).status_code == 200
    comment = client.post(f"/api/v1/tickets/{ticket.id}/comments", json={"body": "看过"}, headers=_bearer(inspector))
    retry = client.post("/api/v1/notifications/outbox/retry", json={"ids": [1]}, headers=_bearer(inspector))
    assert [(r.status_code, r.json()["code"]) for r in (comment, retry)] == [
        (403, "auth.forbidden"),
        (403, "auth.forbidden"),
    ]
    assert db.scalar(select(func.count()).select_from(TicketComment)) == 0


def test_a_customer_reports_under_their_own_phone_now_and_triage_decides_urgency(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    _, customer = make_user(Role.CUSTOMER, username="cust_own", phone=PHONE)
    _, unlinked = make_user(Role.CUSTOMER, username="cust_nophone")
    cases = [
        (customer, ticket_body(priority="urgent"), 422, ["priority"]),
        (customer, ticket_body(reported_at="2026-11-01T10:00:00+08:00"), 422, ["reported_at"]),
        (customer, ticket_body(customer={"name": "李四", "phone": "13900000000"}), 422, ["customer.phone"]),
        (unlinked, ticket_body(), 403, []),
    ]
    for token, body, status, fields in cases:
        refused = client.post("/api/v1/tickets", json=body, headers=_bearer(token))
        assert (refused.status_code, list(refused.json()["fields"])) == (status, fields), body
    assert db.scalar(select(func.count()).select_from(Ticket)) == 0
    own = client.post("/api/v1/tickets", json=ticket_body(customer={"name": "张三", "phone": "138-0013-8000"}),
                      headers=_bearer(customer))  # fmt: skip
    assert own.status_code == 201, own.text


def test_tokens_end_when_they_expire_and_keep_to_their_scope(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="integration")
    _, expiring = accounts_tokens.create_token(
        db, clock=clock, actor=SYSTEM_ACTOR, username="integration", expires_at=clock.now() + timedelta(days=1)
    )
    _, reader = accounts_tokens.create_token(db, clock=clock, actor=SYSTEM_ACTOR, username="integration", scope="read")
    _, shop = accounts_tokens.create_token(db, clock=clock, actor=SYSTEM_ACTOR, username="integration", scope="intake")
    db.commit()
    assert client.get("/api/v1/tickets", headers=_bearer(expiring)).status_code == 200
    created = client.post("/api/v1/tickets", json=ticket_body(), headers=_bearer(shop))
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=_bearer(shop)).status_code == 200
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=_bearer(reader)).status_code == 200
    refused = [
        client.post("/api/v1/tickets", json=ticket_body(), headers=_bearer(reader)),
        client.post(f"/api/v1/tickets/{ticket_id}/events", json={"type": "contact"}, headers=_bearer(shop)),
        client.get("/api/v1/visits", headers=_bearer(shop)),
    ]
    assert [(r.status_code, r.json()["code"]) for r in refused] == [(403, "auth.token_scope")] * 3
    clock.advance(timedelta(days=1))
    expired = client.get("/api/v1/tickets", headers=_bearer(expiring))
    assert (expired.status_code, expired.json()["detail"]) == (401, "令牌已过期")
    assert db.scalar(select(func.count()).select_from(Ticket)) == 1


def test_set_up_changes_leave_an_audit_row(client: TestClient, db: Session, make_user: UserFactory) -> None:
    """Technician profiles, service points, triage rules and notification preferences are audited."""
    _, admin = make_user(Role.ADMIN, username="setup_admin")
    make_user(Role.TECHNICIAN, username="tech_profile")
    headers = _bearer(admin)
    calls = [
        client.put(
            "/api/v1/dispatch/technicians/tech_profile",
            json={"longitude": 113.93, "latitude": 22.53, "skills": ["lock:repair"]},
            headers=headers,
        ),
        client.post(
            "/api/v1/triage/rules",
            json={"name": "audit-me", "keywords": ["漏水"], "priority": "urgent"},
            headers=headers,
        ),
        client.delete("/api/v1/triage/rules/audit-me", headers=headers),
        client.put(
            "/api/v1/notifications/preferences/13800138000",
            json={"opted_out_channels": ["sms"]},
            headers=headers,
        ),
    ]
    assert [call.status_code for call in calls] == [204, 201, 204, 200], [c.text for c in calls]
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.actor_name == "setup_admin").order_by(AuditEntry.id)
    ).all()
    assert list(actions) == [
        "technician.profile_set",
        "triage_rule.added",
        "triage_rule.deleted",
        "notification_preference.set",
    ]
