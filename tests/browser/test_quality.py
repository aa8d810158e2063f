"""The inspector's day: a sample of last week's closed tickets is drawn, one form is filled failing one
criterion, which opens a rectification for the ticket's technician; the technician reports it done from
their own list, and the inspector sees it closed. The score rollup draws its chart (no CSP violation)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.accounts.models import User
from aftersales.core.clock import Clock
from aftersales.core.timeutil import to_local
from aftersales.quality.models import Inspection, Rectification, Sample
from tests.browser import pages

pytestmark = pytest.mark.browser
SCORES = {
    "服务规范（权重 25%）": "8",
    "维修质量（权重 30%）": "8",
    "现场清洁（权重 15%）": "2",  # below the red line: the inspection fails whatever the average
    "客户沟通（权重 15%）": "9",
    "时效（权重 15%）": "8",
}


def test_the_inspectors_day_sample_form_rectification(
    browser: Any, server: str, demo_engine: Engine, browser_clock: Clock, screenshot: Any
) -> None:
    inspector = pages.login(browser, server, "inspector")
    inspector.get_by_role("navigation", name="主导航").get_by_role("link", name="质检").click()
    inspector.wait_for_url(f"{server}/console/quality")
    # Draw the regional sample of last week (the form's default period).
    today = to_local(browser_clock.now()).date()
    assert inspector.get_by_label("开始日期").input_value() == (today - timedelta(days=7)).isoformat()
    assert inspector.get_by_label("结束日期（含）").input_value() == (today - timedelta(days=1)).isoformat()
    inspector.get_by_label("抽检级别").select_option("regional")
    inspector.get_by_role("button", name="抽样").click()
    inspector.locator("p.flash", has_text="已抽样：区域抽检").wait_for()
    with Session(demo_engine) as session:
        sample = session.scalars(select(Sample).where(Sample.level == "regional")).one()
        assert sample.drawn_by == "inspector" and sample.size >= 1
        pending = session.scalars(
            select(Inspection)
            .where(Inspection.sample_id == sample.id, Inspection.technician_id.is_not(None))
            .order_by(Inspection.id)
        ).all()
        assert pending, "no sampled ticket has a technician"
        chosen = pending[0]
        assignee = session.get(User, chosen.technician_id)
        assert assignee is not None
        inspection_id, ticket_id, username = chosen.id, chosen.ticket_id, assignee.username
    screenshot(inspector, "quality-workspace")
    inspector.locator(f"tr[data-inspection='{inspection_id}']").get_by_role("link", name="开始质检").click()
    inspector.wait_for_url(f"{server}/console/quality/inspections/{inspection_id}")
    for text, score in SCORES.items():
        inspector.get_by_label(text).fill(score)
    inspector.get_by_label("发现的问题（不合格时必填）").fill("客户反映施工后未清理现场，门框留有碎屑")
    inspector.get_by_role("button", name="提交质检结果").click()
    inspector.locator("#inspection-status[data-status='failed']").wait_for()
    inspector.get_by_text("质检结果已提交").wait_for()
    screenshot(inspector, "quality-inspection-failed")
    with Session(demo_engine) as session:
        inspected = session.get(Inspection, inspection_id)
        assert inspected is not None
        assert (inspected.status, inspected.inspector, inspected.weighted_score) == ("failed", "inspector", 7.25)
        assert inspected.scores == {
            "service_standard": 8, "repair_quality": 8, "cleanliness": 2, "communication": 9, "timeliness": 8,
        }  # fmt: skip
        task = session.scalars(select(Rectification).where(Rectification.inspection_id == inspection_id)).one()
        assert (task.status, task.ticket_id, task.assignee_user_id) == ("open", ticket_id, chosen.technician_id)
        assert task.description == "质检不合格，整改「现场清洁」：客户反映施工后未清理现场，门框留有碎屑"
        task_id = task.id
    inspector.locator(f"li[data-task='{task_id}'][data-state='open']").wait_for()

    # The assignee finds the task in their own list and reports it done.
    technician = pages.login(browser, server, username)
    technician.get_by_role("navigation", name="主导航").get_by_role("link", name="整改任务").click()
    card = technician.locator(f"li[data-task='{task_id}'][data-state='open']")
    card.wait_for()
    assert card.get_by_role("link").first.get_attribute("href") == f"/console/jobs/{ticket_id}"
    card.get_by_label("整改说明").fill("已回访客户并上门清理，复训现场清洁规范")
    card.get_by_role("button", name="标记整改完成").click()
    technician.get_by_text("整改已标记完成").wait_for()
    with Session(demo_engine) as session:
        done = session.get(Rectification, task_id)
        assert done is not None
        assert (done.status, done.done_by, done.resolution) == (
            "done",
            username,
            "已回访客户并上门清理，复训现场清洁规范",
        )
        assert done.done_at is not None

    # The inspector sees it closed, on the form and in the list of done tasks.
    inspector.reload()
    inspector.locator(f"li[data-task='{task_id}'][data-state='done']").wait_for()
    inspector.goto(f"{server}/console/quality/rectifications?status=done")
    inspector.locator(f"li[data-task='{task_id}'][data-state='done']", has_text="已回访客户并上门清理").wait_for()
    # The rollup's chart is drawn by the vendored ECharts from the page's data.
    inspector.get_by_role("link", name="评分汇总").click()
    inspector.locator("[data-chart='quality_scores'] canvas").wait_for()
    assert inspector.locator("#score-table tbody tr").count() >= 1
    screenshot(inspector, "quality-scores")
    technician.close()
    inspector.close()
