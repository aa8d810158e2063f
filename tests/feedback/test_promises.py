"""Promises: recorded with owner and deadline, on the ticket's JSON and the assigned technician's job card
(API and console), acknowledged only by whoever visits, exactly one alert when past due, fulfilment on the
timeline, bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import FrozenClock
from aftersales.feedback import promises
from aftersales.feedback.models import Promise
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.conftest import UserFactory, console_login

DUE = "2026-11-22T18:00:00+08:00"  # the clock stands at 10:00


def _assigned_ticket(db: Session, clock: FrozenClock, agent: Actor, technician: str) -> Ticket:
    """An installation the agent registered and gave to ``technician``, committed for the app to see."""
    ticket = factories.ticket(
        db,
        clock=clock,
        actor=agent,
        kind=TicketKind.INSTALLATION,
        priority=Priority.ROUTINE,
        assignee_username=technician,
    )
    db.commit()
    return ticket


def test_a_promise_reaches_the_technicians_job_card_and_is_acknowledged_there(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    agent, token = make_user(Role.AGENT, username="promiser")
    make_user(Role.MANAGER, username="owner1")
    _, tech_token = make_user(Role.TECHNICIAN, username="fitter1")
    _, other_token = make_user(Role.TECHNICIAN, username="fitter2")
    ticket = _assigned_ticket(db, clock, agent, "fitter1")
    reply = client.post(
        f"/api/v1/tickets/{ticket.id}/promises",
        json={
            "description": "上门时免费赠送一根 HDMI 线",
            "due_at": DUE,
            "owner_username": "owner1",
            "departments": ["warehouse", "field_service"],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 201, reply.text
    promise_id = reply.json()["id"]
    detail = client.get(f"/api/v1/tickets/{ticket.id}", headers={"Authorization": f"Bearer {token}"}).json()
    assert [(p["description"], p["status"], p["due_at"]) for p in detail["promises"]] == [
        ("上门时免费赠送一根 HDMI 线", "open", DUE)
    ]
    card = client.get(f"/api/v1/jobs/{ticket.id}", headers={"Authorization": f"Bearer {tech_token}"}).json()
    assert [p["id"] for p in card["promises"]] == [promise_id] and card["promises"][0]["acknowledged_at"] is None
    denied = client.post(
        f"/api/v1/promises/{promise_id}/acknowledge", headers={"Authorization": f"Bearer {other_token}"}
    )
    assert denied.status_code == 404  # another technician does not even see the ticket
    csrf = console_login(client, db, "fitter1")
    page = client.get(f"/console/jobs/{ticket.id}")
    assert "上门时免费赠送一根 HDMI 线" in page.text and f"/console/promises/{promise_id}/acknowledge" in page.text
    done = client.post(f"/console/promises/{promise_id}/acknowledge", data={"csrf_token": csrf})
    assert done.status_code in (200, 303)
    stored = db.get(Promise, promise_id)
    assert stored is not None and stored.acknowledged_by == "fitter1"
    after = client.get(f"/console/jobs/{ticket.id}").text
    assert (
        f"/console/promises/{promise_id}/acknowledge" not in after
        and "fitter1 已确认承诺：上门时免费赠送一根 HDMI 线" in after
    )


def test_an_unacknowledged_promise_raises_exactly_one_alert_after_its_deadline(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    agent, token = make_user(Role.AGENT, username="promiser2")
    owner, _ = make_user(Role.MANAGER, username="owner2")
    make_user(Role.TECHNICIAN, username="fitter3")
    ticket = _assigned_ticket(db, clock, agent, "fitter3")
    client.post(
        f"/api/v1/tickets/{ticket.id}/promises",
        json={"description": "周五前寄出替换面板", "due_at": DUE, "owner_username": "owner2"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert promises.alert_due(db, clock=clock) == 0  # not due yet
    clock.advance(timedelta(hours=9))
    assert promises.alert_due(db, clock=clock) == 1
    assert promises.alert_due(db, clock=clock) == 0
    alerts = db.execute(
        select(OutboxMessage.recipient_user_id, OutboxMessage.subject).where(OutboxMessage.kind == "promise_alert")
    ).all()
    assert [(user_id, subject) for user_id, subject in alerts] == [
        (owner.user_id, f"工单 {ticket.number} 的承诺超过期限仍未确认")
    ]


def test_fulfilment_is_on_the_timeline_and_bad_input_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    agent, token = make_user(Role.AGENT, username="promiser3")
    make_user(Role.MANAGER, username="owner3")
    make_user(Role.TECHNICIAN, username="fitter4")
    headers = {"Authorization": f"Bearer {token}"}
    ticket = _assigned_ticket(db, clock, agent, "fitter4")
    url = f"/api/v1/tickets/{ticket.id}/promises"
    for body, field in (
        ({"description": " ", "due_at": DUE, "owner_username": "owner3"}, "description"),
        ({"description": "送线", "due_at": "2026-11-22T09:00:00+08:00", "owner_username": "owner3"}, "due_at"),
        (
            {"description": "送线", "due_at": DUE, "owner_username": "owner3", "departments": ["marketing"]},
            "departments",
        ),
    ):
        reply = client.post(url, json=body, headers=headers)
        assert reply.status_code == 422 and field in reply.json()["fields"], reply.text
    assert (
        client.post(
            url, json={"description": "送线", "due_at": DUE, "owner_username": "nobody"}, headers=headers
        ).status_code
        == 404
    )
    assert db.scalar(select(func.count()).select_from(Promise)) == 0
    promise_id = client.post(
        url, json={"description": "送线", "due_at": DUE, "owner_username": "owner3"}, headers=headers
    ).json()["id"]
    kept = client.post(f"/api/v1/promises/{promise_id}/fulfil", json={"note": "已随车送达"}, headers=headers)
    assert kept.status_code == 200 and kept.json()["status"] == "fulfilled"
    note = db.scalar(select(TicketEvent.note).where(TicketEvent.type == "promise_fulfilled"))
    assert note == "承诺已兑现：送线（已随车送达）"
    again = client.post(f"/api/v1/promises/{promise_id}/fulfil", json={}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "promise.closed"
