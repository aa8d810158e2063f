"""The visit appointment in the console: the technician books and reschedules from the job card, the
agent from the ticket page (both an HTMX panel); a slot in the past, outside the technician's shift, on a
day off or taken by another of their visits is refused by its field and changes nothing; the customer
gets the appointment SMS."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.dispatch.planning import appointments
from aftersales.dispatch.planning.models import Appointment
from aftersales.notifications.enums import Channel
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.enums import TicketKind
from aftersales.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.conftest import console_login, local

HTMX = {"HX-Request": "true"}


@pytest.fixture
def people(db: Session, clock: FrozenClock) -> dict[str, factories.MadeUser]:
    """The technician (08:00–18:00, off on 24 November), an agent and an inspector."""
    made = {
        "tech": factories.technician(db, clock=clock, username="ap_tech", days_off=[date(2026, 11, 24)]),
        "agent": factories.user(db, clock=clock, role=Role.AGENT, username="ap_agent"),
        "inspector": factories.user(db, clock=clock, role=Role.INSPECTOR, username="ap_inspector"),
    }
    db.commit()
    return made


def _job(db: Session, clock: FrozenClock, phone: str = "13800138000") -> Ticket:
    ticket = factories.ticket(db, clock=clock, kind=TicketKind.REPAIR, assignee_username="ap_tech", phone=phone)
    db.commit()
    return ticket


def _counts(db: Session) -> tuple[int, int, int]:
    """Appointments, appointment texts and audit rows: what a refused booking must leave as it was."""
    return (
        db.scalar(select(func.count()).select_from(Appointment)) or 0,
        db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "appointment")) or 0,
        db.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    )


def _notes(db: Session, ticket_id: int) -> list[str | None]:
    return list(
        db.scalars(
            select(TicketEvent.note)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == "appointment")
            .order_by(TicketEvent.id)
        )
    )


def test_the_technician_books_and_reschedules_from_the_job_card(
    client: TestClient, db: Session, clock: FrozenClock, people: dict[str, factories.MadeUser]
) -> None:
    ticket = _job(db, clock)
    csrf = console_login(client, db, "ap_tech")
    card = client.get(f"/console/jobs/{ticket.id}").text
    assert f'hx-get="/console/tickets/{ticket.id}/appointments" hx-trigger="load"' in card
    url = f"/console/tickets/{ticket.id}/appointments"
    panel = client.get(url, headers=HTMX).text
    assert "<html" not in panel and "尚未预约上门时间" in panel and "技术员班次 08:00–18:00" in panel
    assert 'value="2026-11-23"' in panel and 'min="2026-11-22"' in panel  # tomorrow by default, never before today
    assert re.findall(r'<option value="(\d\d:\d\d-\d\d:\d\d)"', panel) == [
        "08:00-10:00",
        "10:00-12:00",
        "13:00-15:00",
        "15:00-17:00",
        "17:00-19:00",
        "19:00-21:00",
    ]
    booked = client.post(url, data={"csrf_token": csrf, "date": "2026-11-23", "slot": "10:00-12:00"}, headers=HTMX)
    assert booked.status_code == 200, booked.text
    assert "已预约，已短信通知客户" in booked.text and "2026-11-23 10:00–12:00" in booked.text
    assert "改约原因" in booked.text  # the form now moves the visit, with a reason
    first = db.scalars(select(Appointment).where(Appointment.ticket_id == ticket.id)).one()
    assert (first.window_start, first.window_end, first.status, first.booked_by) == (
        local(2026, 11, 23, 10),
        local(2026, 11, 23, 12),
        "booked",
        "ap_tech",
    )
    before = _counts(db)
    no_reason = client.post(url, data={"csrf_token": csrf, "date": "2026-11-25", "slot": "13:00-15:00"}, headers=HTMX)
    assert no_reason.status_code == 422
    assert '<p class="field-error" id="appointment-note-error">改约须填写原因</p>' in no_reason.text
    assert 'value="2026-11-25"' in no_reason.text  # what was chosen is kept
    assert _counts(db) == before
    moved = client.post(
        url,
        data={"csrf_token": csrf, "date": "2026-11-25", "slot": "13:00-15:00", "note": "客户临时出差"},
        headers=HTMX,
    )
    assert moved.status_code == 200 and "已改约，已短信通知客户" in moved.text
    assert "2026-11-25 13:00–15:00" in moved.text and re.search(
        r'data-status="rescheduled">11-23 10:00–12:00', moved.text
    )
    assert _notes(db, ticket.id) == [
        "预约上门时间：11月23日 10:00–12:00",
        "改约上门时间：11月25日 13:00–15:00（客户临时出差）",
    ]
    texts = db.execute(
        select(OutboxMessage.channel, OutboxMessage.recipient_address, OutboxMessage.body)
        .where(OutboxMessage.kind == "appointment", OutboxMessage.ticket_id == ticket.id)
        .order_by(OutboxMessage.id)
    ).all()
    assert [(str(channel), address) for channel, address, _ in texts] == [
        (Channel.SMS.value, "13800138000"),
        (Channel.SMS.value, "13800138000"),
    ]
    assert texts[1][2] == f"您好，您的工单 {ticket.number} 上门时间已改为 11月25日 13:00–15:00，师傅出发前会与您联系。"
    # Without HTMX the technician goes back to the job card.
    plain = client.post(
        url,
        data={"csrf_token": csrf, "date": "2026-11-26", "slot": "08:00-10:00", "note": "客户要求提前"},
        follow_redirects=False,
    )
    assert (plain.status_code, plain.headers["location"]) == (303, f"/console/jobs/{ticket.id}")


def test_a_slot_the_technician_cannot_take_is_refused_by_its_field(
    client: TestClient, db: Session, clock: FrozenClock, people: dict[str, factories.MadeUser]
) -> None:
    ticket = _job(db, clock)
    other = _job(db, clock, phone="13900001111")
    appointments.book(
        db,
        clock=clock,
        actor=people["agent"].actor,
        ticket_id=other.id,
        start=local(2026, 11, 23, 15),
        end=local(2026, 11, 23, 17),
    )
    db.commit()
    csrf = console_login(client, db, "ap_tech")
    url = f"/console/tickets/{ticket.id}/appointments"
    before = _counts(db)
    for day, slot, field, problem in (
        ("2026-11-22", "08:00-10:00", "slot", "预约时间必须晚于现在"),  # the clock stands at 10:00
        ("2026-11-21", "10:00-12:00", "date", "上门日期不能早于今天"),
        ("明天", "10:00-12:00", "date", "请选择上门日期"),
        ("2026-11-23", "07:00-08:00", "slot", "请选择上门时段"),
        ("2026-11-23", "17:00-19:00", "slot", "超出技术员的班次（08:00–18:00）"),
        ("2026-11-24", "10:00-12:00", "slot", "该日是技术员的休息日"),
        ("2026-11-23", "15:00-17:00", "slot", f"技术员在该时段已有预约（工单 {other.number}）"),
    ):
        reply = client.post(
            url, data={"csrf_token": csrf, "date": day, "slot": slot, "note": "客户下午在家"}, headers=HTMX
        )
        assert reply.status_code == 422, (day, slot, reply.text)
        assert f'<p class="field-error" id="appointment-{field}-error">{problem}</p>' in reply.text, (day, slot)
        assert 'value="客户下午在家"' in reply.text
    assert _counts(db) == before
    assert db.scalar(select(func.count()).select_from(Appointment).where(Appointment.ticket_id == ticket.id)) == 0


def test_the_agent_books_from_the_ticket_page_and_others_only_read(
    client: TestClient, db: Session, clock: FrozenClock, people: dict[str, factories.MadeUser]
) -> None:
    ticket = _job(db, clock)
    csrf = console_login(client, db, "ap_agent")
    url = f"/console/tickets/{ticket.id}/appointments"
    page = client.get(url)  # without HTMX: the panel as a page of its own, back to the ticket
    assert page.status_code == 200 and f'<a href="/console/tickets/{ticket.id}">' in page.text
    booked = client.post(
        url,
        data={"csrf_token": csrf, "date": "2026-11-23", "slot": "13:00-15:00", "note": "客户下午在家"},
        headers=HTMX,
    )
    assert booked.status_code == 200 and "2026-11-23 13:00–15:00" in booked.text
    assert _notes(db, ticket.id) == ["预约上门时间：11月23日 13:00–15:00（客户下午在家）"]
    plain = client.post(
        url,
        data={"csrf_token": csrf, "date": "2026-11-23", "slot": "15:00-17:00", "note": "客户改时间"},
        follow_redirects=False,
    )
    assert (plain.status_code, plain.headers["location"]) == (303, f"/console/tickets/{ticket.id}")
    inspector = TestClient(client.app)
    inspector_csrf = console_login(inspector, db, "ap_inspector")
    seen = inspector.get(url, headers=HTMX)
    assert seen.status_code == 200 and "2026-11-23 15:00–17:00" in seen.text and "appointment-form" not in seen.text
    before = _counts(db)
    refused = inspector.post(
        url, data={"csrf_token": inspector_csrf, "date": "2026-11-24", "slot": "08:00-10:00"}, follow_redirects=False
    )
    assert refused.status_code == 403 and _counts(db) == before
    # Another technician does not even see the ticket.
    factories.technician(db, clock=clock, username="ap_stranger")
    db.commit()
    stranger = TestClient(client.app)
    stranger_csrf = console_login(stranger, db, "ap_stranger")
    before = _counts(db)
    assert stranger.get(url, headers=HTMX).status_code == 404
    hidden = stranger.post(
        url, data={"csrf_token": stranger_csrf, "date": "2026-11-24", "slot": "08:00-10:00"}, follow_redirects=False
    )
    assert hidden.status_code == 404 and _counts(db) == before


def test_a_ticket_without_a_visit_gets_no_booking_form(
    client: TestClient, db: Session, clock: FrozenClock, people: dict[str, factories.MadeUser]
) -> None:
    ticket = factories.ticket(db, clock=clock, kind=TicketKind.CONSULTATION)
    db.commit()
    console_login(client, db, "ap_agent")
    panel = client.get(f"/console/tickets/{ticket.id}/appointments", headers=HTMX)
    assert panel.status_code == 200 and panel.text.strip() == '<div id="appointment-panel"></div>'
