"""A promise through its life in the browser: the agent records it on the ticket page for the manager
to own, tech01 acknowledges it on the job card on a phone (375 px), the clock passes its due time and the
promise job runs, and the overdue alert appears in the manager's open inbox without a reload."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.config import Settings
from aftersales.core.clock import Clock, FrozenClock
from aftersales.core.db import make_session_factory
from aftersales.core.timeutil import to_local
from aftersales.feedback.jobs import feedback_job
from aftersales.feedback.models import Promise
from aftersales.tickets.enums import TicketKind
from tests import factories
from tests.browser import pages

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
PROMISE = "明天中午前寄出替换面板，随师傅上门带到"


def _an_installation_for_tech01(engine: Engine, clock: Clock) -> tuple[int, str]:
    """A new installation in Shenzhen given to tech01 (its own, so earlier journeys cannot have used it up):
    its id and number."""
    with Session(engine) as session:
        ticket = factories.ticket(
            session,
            clock=clock,
            request=factories.ticket_request(kind=TicketKind.INSTALLATION, description="新买的智能锁需要上门安装"),
            assignee_username="tech01",
            notify=False,
        )
        session.commit()
        return ticket.id, ticket.number


def test_a_promise_is_made_acknowledged_on_a_phone_and_alerted_to_its_owner(
    browser: Any, server: str, demo_url: str, demo_engine: Engine, browser_clock: Clock, screenshot: Any
) -> None:
    ticket_id, number = _an_installation_for_tech01(demo_engine, browser_clock)
    due = (to_local(browser_clock.now()) + timedelta(hours=2)).replace(second=0, microsecond=0)

    # The agent records the promise on the ticket page, for the manager to own.
    agent = pages.login(browser, server, "agent")
    agent.goto(f"{server}/console/tickets/{ticket_id}")
    panel = agent.locator("#promises-panel")
    panel.locator("summary", has_text="登记承诺").click()
    agent.get_by_label("承诺内容", exact=True).fill(PROMISE)
    agent.get_by_label("期限（北京时间）", exact=True).fill(f"{due:%Y-%m-%dT%H:%M}")
    agent.get_by_label("负责人", exact=True).select_option("manager")
    agent.get_by_label("仓储", exact=True).check()
    agent.get_by_label("上门服务", exact=True).check()
    panel.locator("#promise-form button[type=submit]").click()
    panel.locator(".flash", has_text="承诺已登记，已通知负责人").wait_for()
    with Session(demo_engine) as session:
        promise = session.scalars(select(Promise).where(Promise.ticket_id == ticket_id)).one()
        promise_id = promise.id
        assert (promise.description, promise.departments) == (PROMISE, ["field_service", "warehouse"])
        assert to_local(promise.due_at) == due
    row = panel.locator(f"li[data-promise='{promise_id}']")
    assert row.get_attribute("data-state") == "open" and "待确认" in row.inner_text()
    screenshot(agent, "agent-ticket-promise", full_page=True)
    agent.close()

    # tech01 sees it on the job card on a phone and acknowledges it.
    phone = pages.login(browser, server, "tech01", **PHONE)
    phone.goto(f"{server}/console/jobs/{ticket_id}")
    item = phone.locator(f"#promises li[data-promise='{promise_id}']")
    assert PROMISE in item.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    item.get_by_role("button", name="确认承诺").click()
    phone.locator(".flash", has_text="已记录：确认承诺").wait_for()
    assert "已确认" in phone.locator(f"#promises li[data-promise='{promise_id}']").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "technician-promise-acknowledged", full_page=True)
    phone.close()

    # The manager has the inbox open; the clock passes the due time and the promise job runs.
    owner = pages.login(browser, server, "manager")
    owner.goto(f"{server}/console/inbox")
    owner.locator("#inbox-list").wait_for()
    owner.evaluate("window.__stillTheSamePage = true")
    later = FrozenClock(browser_clock.now() + timedelta(hours=2, minutes=5))
    settings = Settings(database_url=demo_url, secret_key="browser-signing-key", run_jobs_in_process=False)
    assert feedback_job(make_session_factory(demo_engine), later, settings)["promise_alerts"] >= 1
    alert = owner.locator("li[data-kind='promise_alert']", has_text=number)
    alert.wait_for(timeout=15_000)
    assert owner.evaluate("window.__stillTheSamePage") is True  # arrived without a reload
    assert f"工单 {number} 的承诺已确认但逾期未兑现" in alert.inner_text()
    assert alert.get_by_role("link", name="查看工单").get_attribute("href") == f"/console/tickets/{ticket_id}"
    screenshot(owner, "owner-inbox-promise-overdue")
    owner.close()
