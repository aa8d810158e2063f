"""Notification preferences and the outbox over the API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.notifications.models import NotificationPreference
from tests.conftest import UserFactory


def test_preferences_are_kept_by_phone_and_bad_input_changes_nothing(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    _, token = make_user(Role.AGENT, username="prefs")
    headers = {"Authorization": f"Bearer {token}"}
    saved = client.put(
        "/api/v1/notifications/preferences/13800138000",
        json={"email": "li@example.cn", "preferred_channel": "email", "opted_out_channels": ["sms"]},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json() == {
        "phone": "138****8000",
        "email": "li@example.cn",
        "opted_out_channels": ["sms"],
        "preferred_channel": "email",
        "quiet_start": None,
        "quiet_end": None,
    }
    for phone, body in (
        ("12345", {}),
        ("13800138000", {"preferred_channel": "email"}),  # no email
        ("13800138000", {"preferred_channel": "sms", "opted_out_channels": ["sms"]}),
        ("13800138000", {"email": "not-an-address"}),
        ("13800138000", {"quiet_start": "21:00"}),  # quiet hours need both ends
        ("13800138000", {"quiet_start": "25:00", "quiet_end": "07:00"}),
    ):
        reply = client.put(f"/api/v1/notifications/preferences/{phone}", json=body, headers=headers)
        assert reply.status_code == 422, reply.text
    stored = db.scalar(select(NotificationPreference))
    assert stored is not None and (stored.email, stored.preferred_channel) == ("li@example.cn", "email")
    assert db.scalar(select(func.count()).select_from(NotificationPreference)) == 1
    missing = client.get("/api/v1/notifications/preferences/13900139000", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "notifications.preference_not_found"


def test_the_outbox_is_for_operators(client: TestClient, make_user: UserFactory) -> None:
    _, agent = make_user(Role.AGENT, username="nosy-agent")
    _, manager = make_user(Role.MANAGER, username="ops")
    assert client.get("/api/v1/notifications/outbox", headers={"Authorization": f"Bearer {agent}"}).status_code == 403
    listed = client.get("/api/v1/notifications/outbox?status=failed", headers={"Authorization": f"Bearer {manager}"})
    assert listed.status_code == 200 and listed.json() == []
    retried = client.post(
        "/api/v1/notifications/outbox/retry", json={"ids": [999]}, headers={"Authorization": f"Bearer {manager}"}
    )
    assert retried.json() == {"requeued": 0}


def test_a_customer_may_keep_their_own_quiet_hours(client: TestClient, db: Session, make_user: UserFactory) -> None:
    _, token = make_user(Role.AGENT, username="quiet")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"quiet_start": "21:30", "quiet_end": "09:00"}
    saved = client.put("/api/v1/notifications/preferences/13800138000", json=body, headers=headers)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["quiet_start"], saved.json()["quiet_end"]) == ("21:30", "09:00")
    read = client.get("/api/v1/notifications/preferences/13800138000", headers=headers).json()
    assert (read["quiet_start"], read["quiet_end"]) == ("21:30", "09:00")
