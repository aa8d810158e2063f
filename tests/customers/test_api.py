"""Caller lookup by phone."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ticket_body


def test_repeat_caller_lookup(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/api/v1/customers/lookup", params={"phone": "13800138000"}, headers=auth).status_code == 404
    body = ticket_body(product={"model": "YL-S7", "serial_number": "SN-9", "purchase_date": "2025-12-01"})
    first = client.post("/api/v1/tickets", json=body, headers=auth).json()
    client.post(f"/api/v1/tickets/{first['id']}/events", json={"type": "cancel"}, headers=auth)
    client.post("/api/v1/tickets", json=ticket_body(), headers=auth)
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
