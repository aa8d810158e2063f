"""Caller lookup by phone."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.core.clock import FrozenClock
from aftersales.tickets.enums import TicketStatus
from tests import factories


def test_repeat_caller_lookup(client: TestClient, db: Session, clock: FrozenClock, auth: dict[str, str]) -> None:
    assert client.get("/api/v1/customers/lookup", params={"phone": "13800138000"}, headers=auth).status_code == 404
    factories.ticket_in_status(
        db, clock=clock, status=TicketStatus.CANCELLED, serial_number="SN-9", purchase_date=date(2025, 12, 1)
    )
    factories.ticket(db, clock=clock)
    db.commit()
    found = client.get("/api/v1/customers/lookup", params={"phone": "+86 138 0013 8000"}, headers=auth)
    assert found.status_code == 200
    data = found.json()
    assert (data["name"], data["phone_masked"], data["ticket_count"], data["open_ticket_count"]) == (
        "张三",
        "138****8000",
        2,
        1,
    )
    assert data["is_repeat_caller"] is True
    assert data["products"][0]["serial_number"] == "SN-9"
    assert data["products"][0]["warranty_end"] == "2026-12-01"
    assert data["products"][0]["is_under_warranty"] is True
    assert [address["district"] for address in data["addresses"]] == ["南山区"]
    bad = client.get("/api/v1/customers/lookup", params={"phone": "12345"}, headers=auth)
    assert (bad.status_code, bad.json()["code"]) == (422, "customer.invalid_phone")
