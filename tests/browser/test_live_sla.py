"""A ticket page left open: an urgent repair's first contact comes due while the agent looks at it, and its
SLA badge turns from 预警 to 超时 without a reload (the badges ask again every ``live_refresh_seconds``;
no sweep runs in the browser server)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import Clock
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.usecases import intake as intake_flows
from tests import factories
from tests.browser import pages

pytestmark = pytest.mark.browser


def test_an_sla_badge_turns_late_on_the_open_page(
    browser: Any, server: str, demo_engine: Engine, browser_clock: Clock, screenshot: Any
) -> None:
    # Reported 29 min 50 s ago: the 30-minute first contact is in its warning and comes due in 10 s.
    reported_at = browser_clock.now() - timedelta(minutes=29, seconds=50)
    request = factories.ticket_request(
        kind=TicketKind.REPAIR, priority=Priority.URGENT, phone="13912340077", reported_at=reported_at
    )
    with Session(demo_engine) as session:
        opened, _created = intake_flows.open_ticket(
            session, clock=browser_clock, actor=SYSTEM_ACTOR, request=request, notify=False
        )
        session.commit()
        ticket_id = opened.id
    page = pages.login(browser, server, "agent")
    page.goto(f"{server}/console/tickets/{ticket_id}")
    first_contact = page.locator(f"#sla-{ticket_id} [data-sla-state]", has_text="首次联系")
    assert first_contact.get_attribute("data-sla-state") == "warning"
    assert "剩余" in first_contact.inner_text()
    page.evaluate("window.__stillTheSamePage = true")
    late = page.locator(f"#sla-{ticket_id} [data-sla-state='breached']", has_text="首次联系")
    late.wait_for(timeout=30_000)
    assert "超时" in late.inner_text()
    assert page.evaluate("window.__stillTheSamePage") is True  # no reload happened
    screenshot(page, "ticket-sla-turns-late")
