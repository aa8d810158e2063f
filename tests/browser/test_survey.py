"""The customer's survey page on a phone, without signing in: answer once; a used or expired link is
refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from aftersales.core.clock import Clock, RunningClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.feedback import rules, visits
from aftersales.feedback.models import ReturnVisit, SurveyResponse

KEY = b"browser-signing-key"  # the browser server's secret_key (tests/browser/conftest.py)
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


def _links(engine: Engine, clock: Clock) -> list[tuple[int, str]]:
    with unit_of_work(make_session_factory(engine)) as session:
        visits.schedule_due(session, clock=clock, key=KEY, base_url="http://unused")
        rows = session.scalars(select(ReturnVisit).where(ReturnVisit.status == "scheduled").order_by(ReturnVisit.id))
        return [(row.id, rules.sign_link(KEY, row.id, row.link_expires_at, row.link_nonce)) for row in rows][:2]


def test_a_customer_answers_the_survey_on_a_phone_once(
    browser: Any, server: str, demo_engine: Engine, browser_clock: RunningClock, screenshot: Any
) -> None:
    (visit_id, link), (expiring_id, expiring) = _links(demo_engine, browser_clock)
    page = browser.new_page(**PHONE)
    page.goto(f"{server}/survey/{link}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for fieldset in page.locator("fieldset.stars").all():
        fieldset.locator("input[value='5']").check()
    page.get_by_label("您的意见或建议（选填）").fill("师傅很专业，谢谢")
    screenshot(page, "customer-survey", full_page=True)
    page.get_by_role("button", name="提交评价").click()
    page.locator("#survey-thanks").wait_for()
    with demo_engine.connect() as connection:
        scores = connection.execute(
            select(SurveyResponse.scores).where(SurveyResponse.visit_id == visit_id)
        ).scalar_one()
    assert set(scores.values()) == {5}
    again = page.goto(f"{server}/survey/{link}")
    assert again is not None and again.status == 410
    assert page.locator("#survey-closed").inner_text() == "该评价链接已使用，感谢您的反馈"
    with demo_engine.begin() as connection:
        connection.execute(
            update(ReturnVisit)
            .where(ReturnVisit.id == expiring_id)
            .values(link_expires_at=browser_clock.now() - timedelta(minutes=1))
        )
    expired = page.goto(f"{server}/survey/{expiring}")
    assert expired is not None and expired.status == 410
    assert page.locator("#survey-closed").inner_text() == "评价链接已过期"
    page.close()
