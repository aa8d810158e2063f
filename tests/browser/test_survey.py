"""The customer's survey page on a phone, without signing in: answer once; a used or expired link is
refused; a question may be skipped, on a 375 px screen with large tap targets and no sideways scroll."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from aftersales.core.clock import Clock, RunningClock
from aftersales.core.db import make_session_factory, unit_of_work
from aftersales.feedback import rules, visits
from aftersales.feedback.models import ReturnVisit, SurveyResponse
from aftersales.tickets.models import Ticket

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
    for fieldset in page.locator("fieldset.scale").all():
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


def _visit_with_most_questions(engine: Engine, clock: Clock) -> tuple[int, str, tuple[str, ...]]:
    """The last scheduled visit (the other journey takes the first ones) among those with the most questions."""
    with unit_of_work(make_session_factory(engine)) as session:
        visits.schedule_due(session, clock=clock, key=KEY, base_url="http://unused")
        rows = session.execute(
            select(ReturnVisit, Ticket.kind, Ticket.channel)
            .join(Ticket, Ticket.id == ReturnVisit.ticket_id)
            .where(ReturnVisit.status == "scheduled")
            .order_by(ReturnVisit.id.desc())
        ).all()
        visit, kind, channel = max(rows, key=lambda row: len(rules.dimensions_for(str(row[1]), str(row[2]))))
        link = rules.sign_link(KEY, visit.id, visit.link_expires_at, visit.link_nonce)
        return visit.id, link, rules.dimensions_for(str(kind), str(channel))


def test_a_survey_answered_on_a_375px_phone_with_a_skipped_question(
    browser: Any, server: str, demo_engine: Engine, browser_clock: RunningClock, screenshot: Any
) -> None:
    visit_id, link, questions = _visit_with_most_questions(demo_engine, browser_clock)
    assert questions[0] == "overall" and len(questions) >= 4
    skipped = questions[2]
    answers = {name: 5 - index % 3 for index, name in enumerate(questions) if name != skipped}  # no follow-up
    page = browser.new_page(**PHONE)
    page.goto(f"{server}/survey/{link}")
    # Only the ticket's questions, the first one required, every other one skippable.
    assert page.locator("fieldset.scale").evaluate_all("(sets) => sets.map((set) => set.id)") == [
        f"q-{name}" for name in questions
    ]
    assert page.locator("fieldset.scale .tag").all_inner_texts() == ["必答"] + ["可跳过"] * (len(questions) - 1)
    # Laid out for the phone: no sideways scroll, five boxes in one row per question, each at least 40 px tall.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for name in questions:
        boxes = [page.locator(f"#q-{name} input[value='{score}']").bounding_box() for score in range(1, 6)]
        assert all(box is not None and box["height"] >= 40 and box["width"] >= 40 for box in boxes), (name, boxes)
        assert len({round(box["y"]) for box in boxes if box}) == 1, (name, boxes)
        height = page.locator(f"#q-{name}").bounding_box()
        assert height is not None and height["height"] <= 100, (name, height)
    submit = page.get_by_role("button", name="提交评价").bounding_box()
    assert submit is not None and submit["height"] >= 40
    # Submitting without the required answer keeps the chosen ones and says what is missing.
    page.locator(f"#q-{questions[1]} label").nth(answers[questions[1]] - 1).tap()
    page.get_by_role("button", name="提交评价").click()
    assert page.locator("#overall-error").inner_text() == "请为「总体满意度」打分"
    assert page.locator(f"#q-{questions[1]} input[value='{answers[questions[1]]}']").is_checked()
    # Answer everything but one question, by tapping the boxes.
    for name, score in answers.items():
        page.locator(f"#q-{name} label").nth(score - 1).tap()
        assert page.locator(f"#q-{name} input[value='{score}']").is_checked()
    assert page.locator(f"#q-{skipped} input:checked").count() == 0
    page.get_by_label("您的意见或建议（选填）").fill("上门很准时")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "customer-survey-phone", full_page=True)
    page.get_by_role("button", name="提交评价").click()
    page.locator("#survey-thanks").wait_for()
    with demo_engine.connect() as connection:
        stored = connection.execute(
            select(SurveyResponse.scores, SurveyResponse.comment, SurveyResponse.source).where(
                SurveyResponse.visit_id == visit_id
            )
        ).one()
        status = connection.execute(select(ReturnVisit.status).where(ReturnVisit.id == visit_id)).scalar_one()
    assert (stored.scores, stored.comment, stored.source, status) == (answers, "上门很准时", "link", "done")
    page.close()
