"""The inbox on an open page: an SLA warning for the manager appears in the header badge and in the list
without a reload, and marking it read clears the badge."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.accounts.models import User
from aftersales.core.clock import Clock
from aftersales.notifications import service as notifications_service
from aftersales.tickets.enums import TicketStatus
from aftersales.tickets.models import Ticket
from tests.browser import pages

pytestmark = pytest.mark.browser


def test_an_sla_warning_reaches_the_open_inbox_without_a_reload(
    browser: Any, server: str, demo_engine: Engine, browser_clock: Clock, screenshot: Any
) -> None:
    page = pages.login(browser, server, "manager")
    page.goto(f"{server}/console/inbox?unread=true")
    page.locator("#inbox-list").wait_for()
    page.locator("#inbox-badge[data-unread]").wait_for()
    before = int(page.locator("#inbox-badge").get_attribute("data-unread") or "0")
    page.evaluate("window.__stillTheSamePage = true")
    with Session(demo_engine) as session:
        manager = session.scalars(select(User).where(User.username == "manager")).one()
        ticket = session.scalars(
            select(Ticket).where(Ticket.status == TicketStatus.IN_PROGRESS).order_by(Ticket.id).limit(1)
        ).one()
        number, ticket_id = ticket.number, ticket.id
        # What the SLA sweep sends at 80 % of a target: the same message, through the same outbox.
        notifications_service.enqueue(
            session,
            clock=browser_clock,
            kind="sla_warning",
            dedupe_key=f"browser-inbox-{ticket_id}",
            context={"ticket_number": number, "targets": "首次联系", "due_at": "2026-11-22 22:00"},
            recipient_user_id=manager.id,
            ticket_id=ticket_id,
        )
        session.commit()
    arrived = page.locator("li[data-kind='sla_warning']", has_text=number)
    arrived.wait_for(timeout=15_000)
    page.locator(f"#inbox-badge[data-unread='{before + 1}']").wait_for(timeout=15_000)
    assert page.evaluate("window.__stillTheSamePage") is True  # no reload happened
    screenshot(page, "inbox-sla-warning")
    assert arrived.get_by_role("link", name="查看工单").get_attribute("href") == f"/console/tickets/{ticket_id}"
    arrived.get_by_role("button", name="标为已读").click()
    page.locator(f"#inbox-list[data-unread='{before}']").wait_for(timeout=15_000)
    page.locator(f"#inbox-badge[data-unread='{before}']").wait_for(timeout=15_000)
