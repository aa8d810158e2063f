"""The inspector's flagged visits: tech01 checks in far from a customer's address and leaves at once; the
inspector opens 异常上门 from the navigation, finds the visit with its distance and stay, reviews it with
a note on the confirmation page, and finds it under 已复核 (no CSP violation on the way)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.models import User
from aftersales.core.clock import Clock
from aftersales.dispatch import fieldwork
from aftersales.dispatch.fieldwork.models import VisitFlag
from aftersales.tickets import guards as tickets_guards
from tests import factories
from tests.browser import pages

pytestmark = pytest.mark.browser
NOTE = "定位漂移，已电话向客户核实师傅到场"


def _a_flagged_visit_of_tech01(engine: Engine, clock: Clock) -> tuple[int, str]:
    """A new on-site repair with a located address given to tech01, who checks in 38.9 km north of it
    and checks out at once (services, as the phone would): the flag's id and the ticket's number."""
    with Session(engine) as session:
        # Its own repair (earlier journeys may have taken every waiting one), at a located Shenzhen address.
        ticket = factories.ticket(
            session, clock=clock, request=factories.ticket_request(), assignee_username="tech01", notify=False
        )
        assert tickets_guards.needs_check_in(session, ticket)
        tech = accounts_service.actor_for(session.scalars(select(User).where(User.username == "tech01")).one())
        address = ticket.address
        assert address is not None and address.longitude is not None and address.latitude is not None
        fieldwork.accept(session, clock=clock, actor=tech, ticket_id=ticket.id)
        fieldwork.check_in(
            session,
            clock=clock,
            actor=tech,
            ticket_id=ticket.id,
            longitude=address.longitude,
            latitude=address.latitude + 0.35,
        )
        fieldwork.check_out(session, clock=clock, actor=tech, ticket_id=ticket.id)
        flag = session.scalars(select(VisitFlag).where(VisitFlag.ticket_id == ticket.id)).one()
        assert flag.reasons == ["far_from_address", "short_stay"]
        session.commit()
        return flag.id, ticket.number


def test_the_inspector_reviews_a_flagged_visit_with_a_note(
    browser: Any, server: str, demo_engine: Engine, browser_clock: Clock, screenshot: Any
) -> None:
    flag_id, number = _a_flagged_visit_of_tech01(demo_engine, browser_clock)
    inspector = pages.login(browser, server, "inspector")
    inspector.get_by_role("navigation", name="主导航").get_by_role("link", name="异常上门").click()
    inspector.wait_for_url(f"{server}/console/visit-flags")
    row = inspector.locator(f"tr[data-flag='{flag_id}'][data-state='open']")
    row.wait_for()
    text = row.inner_text()
    assert number in text and "签到远离地址" in text and "停留过短" in text
    assert "距地址 38.9 公里" in text and "停留 0 分钟" in text
    screenshot(inspector, "visit-flags")

    row.get_by_role("link", name=f"复核工单 {number} 的上门记录").click()
    inspector.wait_for_url(f"{server}/console/visit-flags/{flag_id}/review")
    inspector.get_by_label("复核说明（选填）").fill(NOTE)
    inspector.get_by_role("button", name="确认复核").click()
    inspector.wait_for_url(f"{server}/console/visit-flags?reviewed=1")
    inspector.get_by_text("已复核，该上门记录不再标记为异常").wait_for()
    assert inspector.locator(f"tr[data-flag='{flag_id}']").count() == 0  # gone from the open ones

    inspector.get_by_role("navigation", name="按复核状态筛选").get_by_role("link", name="已复核").click()
    inspector.wait_for_url(f"{server}/console/visit-flags?state=reviewed")
    reviewed = inspector.locator(f"tr[data-flag='{flag_id}'][data-state='reviewed']")
    reviewed.wait_for()
    assert "已由 inspector 复核" in reviewed.inner_text() and NOTE in reviewed.inner_text()
    screenshot(inspector, "visit-flags-reviewed")
    with Session(demo_engine) as session:
        flag = session.get(VisitFlag, flag_id)
        assert flag is not None
        assert (flag.reviewed_by, flag.review_note) == ("inspector", NOTE) and flag.reviewed_at is not None
