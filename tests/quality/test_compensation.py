"""Compensation API: rule proposals for an SLA breach and a repeat repair, the ledger, approval limits by
role (403 ``compensation.over_limit`` above them, nothing changed), grant; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.quality.models import Compensation
from aftersales.tickets.models import Ticket
from tests.conftest import UserFactory
from tests.quality.factories import insert_tickets


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _repeat_repair_with_breach(db: Session, clock: FrozenClock) -> tuple[int, str]:
    """A breached repair reported two days ago, for a product repaired and closed ten days ago; returns
    (ticket id, the earlier ticket's number)."""
    [earlier] = insert_tickets(
        db, clock, organisation_id=None, count=1, closed_at=clock.now() - timedelta(days=10), prefix="CP"
    )
    earlier_ticket = db.get(Ticket, earlier)
    assert earlier_ticket is not None
    [current] = insert_tickets(
        db, clock, organisation_id=None, count=1, closed_at=None, customer_id=earlier_ticket.customer_id,
        sla_state="breached", prefix="CC",
    )  # fmt: skip
    insert_tickets(  # another product of the same customer, and a breach-free ticket: neither is a repeat
        db, clock, organisation_id=None, count=1, closed_at=None, customer_id=earlier_ticket.customer_id,
        product_model="YL-T10", prefix="CO",
    )  # fmt: skip
    db.commit()
    return current, earlier_ticket.number


def test_rules_propose_and_limits_decide(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, agent = make_user(Role.AGENT, username="comp_agent")
    _, manager = make_user(Role.MANAGER, username="comp_manager")
    _, admin = make_user(Role.ADMIN, username="comp_admin")
    _, inspector = make_user(Role.INSPECTOR)
    ticket_id, earlier_number = _repeat_repair_with_breach(db, clock)
    other_id = db.scalar(select(Ticket.id).where(Ticket.number.like("CO%")))
    proposals = client.get(f"/api/v1/tickets/{ticket_id}/compensation/proposals", headers=_bearer(agent))
    assert proposals.status_code == 200, proposals.text
    assert [(p["rule"], p["kind"], p["amount_cents"], p["existing_id"]) for p in proposals.json()] == [
        ("sla_breached", "coupon", 5000, None),
        ("repeat_repair", "extended_warranty", 10000, None),
    ]
    assert earlier_number in proposals.json()[1]["reason"]
    assert client.get(f"/api/v1/tickets/{other_id}/compensation/proposals", headers=_bearer(agent)).json() == []

    proposed = client.post(
        "/api/v1/compensations",
        json={"ticket_id": ticket_id, "kind": "extended_warranty", "amount_cents": 10000,
              "reason": proposals.json()[1]["reason"], "rule": "repeat_repair"},
        headers=_bearer(agent),
    )  # fmt: skip
    assert proposed.status_code == 201, proposed.text
    entry_id = proposed.json()["id"]
    assert (proposed.json()["status"], proposed.json()["proposed_by"]) == ("proposed", "comp_agent")
    audit_before = db.scalar(select(func.count()).select_from(AuditEntry))
    for token, code in ((agent, "compensation.over_limit"), (inspector, "auth.forbidden")):
        refused = client.post(f"/api/v1/compensations/{entry_id}/approve", headers=_bearer(token))
        assert (refused.status_code, refused.json()["code"]) == (403, code), refused.text
    over = client.post(f"/api/v1/compensations/{entry_id}/approve", headers=_bearer(agent)).json()
    assert over["fields"] == {"amount_cents": 10000, "limit_cents": 5000}
    db.expire_all()
    stored = db.get(Compensation, entry_id)
    assert stored is not None and (stored.status, stored.decided_by, stored.decided_at) == ("proposed", None, None)
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before

    approved = client.post(f"/api/v1/compensations/{entry_id}/approve", json={"note": "同意"}, headers=_bearer(manager))
    assert (approved.status_code, approved.json()["status"], approved.json()["decided_by"]) == (
        200,
        "approved",
        "comp_manager",
    )
    twice = client.post(f"/api/v1/compensations/{entry_id}/reject", headers=_bearer(manager))
    assert (twice.status_code, twice.json()["code"]) == (409, "compensation.already_decided")
    granted = client.post(f"/api/v1/compensations/{entry_id}/grant", headers=_bearer(agent))
    assert (granted.status_code, granted.json()["status"], granted.json()["granted_by"]) == (
        200,
        "granted",
        "comp_agent",
    )

    coupon = client.post(
        "/api/v1/compensations",
        json={"ticket_id": ticket_id, "kind": "coupon", "amount_cents": 5000, "reason": "服务超时", "rule": "sla_breached"},
        headers=_bearer(agent),
    ).json()  # fmt: skip
    # Four eyes: within the agent's limit, but the agent proposed it.
    own = client.post(f"/api/v1/compensations/{coupon['id']}/approve", headers=_bearer(agent))
    assert (own.status_code, own.json()["code"]) == (403, "compensation.own_proposal")
    assert client.post(f"/api/v1/compensations/{coupon['id']}/approve", headers=_bearer(manager)).json()["status"] == (
        "approved"
    )
    duplicate = client.post(
        "/api/v1/compensations",
        json={"ticket_id": ticket_id, "kind": "coupon", "amount_cents": 5000, "reason": "再次", "rule": "sla_breached"},
        headers=_bearer(agent),
    )  # fmt: skip
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "compensation.duplicate")

    large = client.post(
        "/api/v1/compensations",
        json={"ticket_id": ticket_id, "kind": "cash", "amount_cents": 60000, "reason": "多次上门未修好，退还部分货款"},
        headers=_bearer(manager),
    ).json()  # fmt: skip
    refused = client.post(f"/api/v1/compensations/{large['id']}/reject", headers=_bearer(manager))
    assert (refused.status_code, refused.json()["code"]) == (403, "compensation.over_limit")
    assert client.post(f"/api/v1/compensations/{large['id']}/approve", headers=_bearer(admin)).status_code == 200

    after = client.get(f"/api/v1/tickets/{ticket_id}/compensation/proposals", headers=_bearer(agent)).json()
    assert [(p["rule"], p["existing_id"], p["existing_status"]) for p in after] == [
        ("sla_breached", coupon["id"], "approved"),
        ("repeat_repair", entry_id, "granted"),
    ]
    ledger = client.get("/api/v1/compensations", params={"status": "approved"}, headers=_bearer(inspector)).json()
    assert [row["id"] for row in ledger["items"]] == [large["id"], coupon["id"]] and ledger["total"] == 2
    granted_only = client.get("/api/v1/compensations", params={"status": "granted"}, headers=_bearer(agent)).json()
    assert [row["id"] for row in granted_only["items"]] == [entry_id]


def test_bad_input_and_the_wrong_roles_change_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, agent = make_user(Role.AGENT)
    _, technician = make_user(Role.TECHNICIAN)
    ticket_id, _ = _repeat_repair_with_breach(db, clock)
    valid = {"ticket_id": ticket_id, "kind": "coupon", "amount_cents": 5000, "reason": "服务超时"}
    for body, status, code, field in (
        ({**valid, "amount_cents": 0}, 422, "compensation.invalid", "amount_cents"),
        ({**valid, "amount_cents": "abc"}, 422, "request.invalid", "amount_cents"),
        ({**valid, "kind": "voucher"}, 422, "compensation.invalid", "kind"),
        ({**valid, "reason": "  "}, 422, "compensation.invalid", "reason"),
        ({**valid, "rule": "birthday"}, 422, "compensation.invalid", "rule"),
        ({**valid, "ticket_id": 999_999}, 404, "ticket.not_found", None),
    ):
        refused = client.post("/api/v1/compensations", json=body, headers=_bearer(agent))
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
        assert field is None or field in refused.json()["fields"]
    as_technician = client.post("/api/v1/compensations", json=valid, headers=_bearer(technician))
    assert (as_technician.status_code, as_technician.json()["code"]) == (403, "auth.forbidden")
    assert client.get("/api/v1/compensations", headers=_bearer(technician)).status_code == 403
    bad_status = client.get("/api/v1/compensations", params={"status": "paid"}, headers=_bearer(agent))
    assert (bad_status.status_code, bad_status.json()["code"]) == (422, "compensation.invalid")
    assert client.post("/api/v1/compensations/999999/approve", headers=_bearer(agent)).status_code == 404
    assert db.scalar(select(func.count()).select_from(Compensation)) == 0
