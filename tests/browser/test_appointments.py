"""The technician books the visit on a phone (375 px) from the job card, is refused a slot outside the
shift by its field, then moves the visit with a reason; the ticket's timeline shows both bookings and the
customer is sent a text each time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import Clock
from aftersales.core.timeutil import to_local
from aftersales.dispatch.planning.models import Appointment
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets import guards as tickets_guards
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import TicketKind, TicketStatus
from aftersales.tickets.models import Ticket
from tests.browser import pages

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


def _a_repair_for_tech01(engine: Engine, clock: Clock) -> tuple[int, str]:
    """The dispatcher's decision the journey starts from: an open, unassigned on-site repair (among the
    newest, so not the one the job-flow journey takes) given to tech01; its id and number."""
    with Session(engine) as session:
        waiting = session.scalars(
            select(Ticket)
            .where(
                Ticket.kind == TicketKind.REPAIR,
                Ticket.status.in_([TicketStatus.REGISTERED, TicketStatus.IN_PROGRESS]),
                Ticket.assignee_id.is_(None),
            )
            .order_by(Ticket.id.desc())
            .limit(20)
        )
        # A repair at the customer's place (not a mail-in model): one with a visit to book.
        ticket = next(ticket for ticket in waiting if tickets_guards.needs_check_in(session, ticket))
        tickets_service.update_ticket(
            session, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id, version=ticket.version,
            assignee_username="tech01",
        )  # fmt: skip
        session.commit()
        return ticket.id, ticket.number


def test_the_technician_books_and_moves_the_visit_on_a_phone(
    browser: Any, server: str, demo_engine: Engine, browser_clock: Clock, screenshot: Any
) -> None:
    ticket_id, number = _a_repair_for_tech01(demo_engine, browser_clock)
    tomorrow = (to_local(browser_clock.now()) + timedelta(days=1)).date()
    page = pages.login(browser, server, "tech01", **PHONE)
    page.goto(f"{server}/console/jobs/{ticket_id}")
    panel = page.locator("#appointment-panel")
    panel.locator("#appointment-form").wait_for()  # loaded by HTMX
    assert panel.locator("#appointment-none").inner_text() == "尚未预约上门时间"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_label("上门日期", exact=True).fill(tomorrow.isoformat())
    page.get_by_label("时段", exact=True).select_option("10:00-12:00")
    page.get_by_role("button", name="预约上门", exact=True).click()
    page.locator("#appointment-messages .flash", has_text="已预约，已短信通知客户").wait_for()
    window = f"{tomorrow.isoformat()} 10:00–12:00"
    assert window in page.locator("#appointment-current").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "technician-appointment-booked", full_page=True)

    # Past the end of tech01's shift (08:00–18:00): refused by the slot's field, the booking stays.
    page.get_by_label("时段", exact=True).select_option("17:00-19:00")
    page.get_by_label("改约原因").fill("客户要求晚上上门")
    page.get_by_role("button", name="改约", exact=True).click()
    page.locator("#appointment-slot-error", has_text="超出技术员的班次（08:00–18:00）").wait_for()
    assert page.get_by_label("改约原因").input_value() == "客户要求晚上上门"  # what was typed is kept
    assert window in page.locator("#appointment-current").inner_text()

    page.get_by_label("时段", exact=True).select_option("13:00-15:00")
    page.get_by_label("改约原因").fill("客户上午临时有事")
    page.get_by_role("button", name="改约", exact=True).click()
    page.locator("#appointment-messages .flash", has_text="已改约，已短信通知客户").wait_for()
    assert f"{tomorrow.isoformat()} 13:00–15:00" in page.locator("#appointment-current").inner_text()
    screenshot(page, "technician-appointment-moved", full_page=True)

    page.reload()
    day = f"{tomorrow:%m}月{tomorrow:%d}日"
    timeline = page.locator(".timeline li[data-event='appointment']").all_inner_texts()
    assert [line.split("\n", 1)[1] for line in timeline] == [
        f"预约上门时间：{day} 10:00–12:00",
        f"改约上门时间：{day} 13:00–15:00（客户上午临时有事）",
    ]
    page.close()
    with Session(demo_engine) as session:
        statuses = session.scalars(
            select(Appointment.status).where(Appointment.ticket_id == ticket_id).order_by(Appointment.id)
        ).all()
        texts = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "appointment", OutboxMessage.ticket_id == ticket_id)
        )
    assert (list(statuses), texts) == (["rescheduled", "booked"], 2)

    # The agent sees the same on the ticket page.
    agent = pages.login(browser, server, "agent")
    agent.goto(f"{server}/console/tickets/{ticket_id}")
    agent.locator("#appointment-current").wait_for()
    assert f"{tomorrow.isoformat()} 13:00–15:00" in agent.locator("#appointment-current").inner_text()
    assert number in agent.locator("h1").first.inner_text()
    agent.close()
