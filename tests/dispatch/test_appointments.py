"""Appointments: booking, rescheduling keeps history and notifies the customer, bad windows change nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.dispatch.planning.models import Appointment
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.enums import TicketKind
from aftersales.tickets.models import TicketEvent
from tests import factories
from tests.conftest import UserFactory


def test_book_and_reschedule(client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    _, token = make_user(Role.AGENT, username="appt")
    headers = {"Authorization": f"Bearer {token}"}
    ticket = factories.ticket(db, clock=clock, kind=TicketKind.REPAIR)
    db.commit()
    url = f"/api/v1/tickets/{ticket.id}/appointments"
    first = client.post(
        url, json={"start": "2026-11-23T14:00:00+08:00", "end": "2026-11-23T16:00:00+08:00"}, headers=headers
    )
    assert first.status_code == 201 and first.json()["status"] == "booked"
    second = client.post(
        url,
        json={"start": "2026-11-24T09:00:00+08:00", "end": "2026-11-24T11:00:00+08:00", "note": "客户改时间"},
        headers=headers,
    )
    assert second.status_code == 201
    history = client.get(url, headers=headers).json()
    assert [(row["status"], row["start"]) for row in history] == [
        ("rescheduled", "2026-11-23T14:00:00+08:00"),
        ("booked", "2026-11-24T09:00:00+08:00"),
    ]
    notes = list(
        db.scalars(
            select(TicketEvent.note)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == "appointment")
            .order_by(TicketEvent.id)
        )
    )
    assert notes == ["预约上门时间：11月23日 14:00–16:00", "改约上门时间：11月24日 09:00–11:00（客户改时间）"]
    sms = list(
        db.scalars(select(OutboxMessage.body).where(OutboxMessage.kind == "appointment").order_by(OutboxMessage.id))
    )
    assert sms[1] == f"您好，您的工单 {ticket.number} 上门时间已改为 11月24日 09:00–11:00，师傅出发前会与您联系。"


def test_bad_windows_are_refused_and_nothing_changes(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, token = make_user(Role.AGENT, username="appt2")
    headers = {"Authorization": f"Bearer {token}"}
    ticket = factories.ticket(db, clock=clock, kind=TicketKind.REPAIR)
    db.commit()
    url = f"/api/v1/tickets/{ticket.id}/appointments"
    for start, end, field in (
        ("2026-11-22T08:00:00+08:00", "2026-11-22T09:00:00+08:00", "start"),  # in the past (clock: 10:00)
        ("2026-11-23T09:00:00+08:00", "2026-11-23T15:00:00+08:00", "end"),  # 6 hours
        ("2026-11-23T06:00:00+08:00", "2026-11-23T07:00:00+08:00", "start"),  # before 08:00
    ):
        reply = client.post(url, json={"start": start, "end": end}, headers=headers)
        assert reply.status_code == 422 and field in reply.json()["fields"], reply.text
    assert db.scalar(select(func.count()).select_from(Appointment)) == 0
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "appointment")) == 0


def test_the_assigned_technicians_shift_day_off_and_other_visits_are_respected(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    from datetime import date

    _, token = make_user(Role.AGENT, username="appt3")
    headers = {"Authorization": f"Bearer {token}"}
    factories.technician(db, clock=clock, username="appt_tech", shift=("09:00", "17:00"), days_off=[date(2026, 11, 24)])
    ticket = factories.ticket(db, clock=clock, kind=TicketKind.REPAIR, assignee_username="appt_tech")
    other = factories.ticket(
        db, clock=clock, kind=TicketKind.REPAIR, assignee_username="appt_tech", phone="13900002222"
    )
    db.commit()
    taken = client.post(
        f"/api/v1/tickets/{other.id}/appointments",
        json={"start": "2026-11-23T10:00:00+08:00", "end": "2026-11-23T12:00:00+08:00"},
        headers=headers,
    )
    assert taken.status_code == 201
    url = f"/api/v1/tickets/{ticket.id}/appointments"
    for start, end, problem in (
        ("2026-11-23T08:00:00+08:00", "2026-11-23T10:00:00+08:00", "超出技术员的班次（09:00–17:00）"),
        ("2026-11-24T10:00:00+08:00", "2026-11-24T12:00:00+08:00", "该日是技术员的休息日"),
        ("2026-11-23T11:00:00+08:00", "2026-11-23T13:00:00+08:00", f"技术员在该时段已有预约（工单 {other.number}）"),
    ):
        reply = client.post(url, json={"start": start, "end": end}, headers=headers)
        assert reply.status_code == 422 and reply.json()["fields"] == {"start": problem}, reply.text
    assert db.scalar(select(func.count()).select_from(Appointment).where(Appointment.ticket_id == ticket.id)) == 0
    # Back to back with the other visit is fine.
    fits = client.post(
        url, json={"start": "2026-11-23T12:00:00+08:00", "end": "2026-11-23T14:00:00+08:00"}, headers=headers
    )
    assert fits.status_code == 201, fits.text
