"""An admin tunes triage: a rule that marks "漏水" as urgent is added on the rules page (a bad order number is
refused next to its field first), the try-out box reads "家里热水器漏水了" as 紧急 because of that rule, and
the rule is deleted again after the confirmation page."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.accounts.models import AuditEntry
from aftersales.triage.models import IntakeRule
from tests.browser import pages

pytestmark = pytest.mark.browser
RULE = "漏水加急"


def test_an_admin_adds_a_rule_tries_it_and_deletes_it(
    browser: Any, server: str, demo_engine: Engine, screenshot: Any
) -> None:
    admin = pages.login(browser, server, "admin")
    admin.get_by_role("navigation", name="主导航").get_by_role("link", name="分诊规则").click()
    admin.wait_for_url(f"{server}/console/triage/rules")
    admin.get_by_label("规则名称").fill(RULE)
    admin.get_by_label("关键词（任一出现即命中；每行一个，或用逗号、顿号分隔）").fill("漏水")
    admin.get_by_label("设置优先级").select_option(label="紧急")
    admin.get_by_label("顺序号（小的先匹配）").fill("第一")
    admin.get_by_role("button", name="创建规则").click()
    admin.locator("#position-error", has_text="顺序号须为 0 到 9999 之间的整数").wait_for()
    assert admin.get_by_label("规则名称").input_value() == RULE  # what was typed is kept
    with Session(demo_engine) as session:
        assert session.scalar(select(IntakeRule.id).where(IntakeRule.name == RULE)) is None
    admin.get_by_label("顺序号（小的先匹配）").fill("1")
    admin.get_by_role("button", name="创建规则").click()
    admin.locator("p.flash", has_text="规则已创建").wait_for()
    first = admin.locator("#rules tbody tr").first
    assert first.get_attribute("data-name") == RULE and "紧急" in first.inner_text()
    screenshot(admin, "triage-rules")
    with Session(demo_engine) as session:
        rule = session.scalars(select(IntakeRule).where(IntakeRule.name == RULE)).one()
        assert (rule.keywords, rule.kind, rule.priority, rule.position, rule.is_active) == (
            ["漏水"], None, "urgent", 1, True,
        )  # fmt: skip
        rule_id = rule.id

    # Try it: the rule (first in order) is what makes the text urgent.
    admin.get_by_role("navigation", name="分诊").get_by_role("link", name="试分诊").click()
    admin.wait_for_url(f"{server}/console/triage/try")
    admin.get_by_label("客户描述").fill("家里热水器漏水了")
    admin.get_by_role("button", name="分诊", exact=True).click()
    admin.locator("#result-priority[data-value='urgent']", has_text="紧急").wait_for()
    assert admin.url == f"{server}/console/triage/try"  # swapped in place
    assert admin.locator("#result-kind").inner_text() == "报修"
    assert f"「漏水」→ 优先级 urgent（规则 {RULE}）" in admin.locator("#result-reasons").inner_text()
    assert admin.get_by_label("客户描述").input_value() == "家里热水器漏水了"
    screenshot(admin, "triage-try")

    # Delete it, after the confirmation page.
    admin.get_by_role("navigation", name="分诊").get_by_role("link", name="分诊规则").click()
    admin.get_by_role("link", name=f"删除规则 {RULE}").click()
    admin.wait_for_url(f"{server}/console/triage/rules/{rule_id}/delete")
    admin.get_by_text("确定删除这条规则吗？").wait_for()
    admin.get_by_role("button", name="确认删除").click()
    admin.locator("p.flash", has_text="规则已删除").wait_for()
    assert admin.locator(f"#rules tr[data-name='{RULE}']").count() == 0
    with Session(demo_engine) as session:
        assert session.get(IntakeRule, rule_id) is None
        audits = session.execute(
            select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.actor_name)
            .where(AuditEntry.entity_type == "triage_rule")
            .order_by(AuditEntry.id)
        ).all()
        assert [tuple(row) for row in audits][-2:] == [
            ("triage_rule.added", str(rule_id), "admin"),
            ("triage_rule.deleted", RULE, "admin"),
        ]
    admin.close()
