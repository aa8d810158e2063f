"""Routing an SLA breach: the admin creates the rule "SLA 超时 → webhook for 深圳服务中心" on the rules page;
a 深圳 ticket then breaches (the sweep's per-ticket pass), and the outbox page shows the webhook copy queued
for the rule's URL, with the ticket's number — while a 广州 ticket's breach queues nothing for it."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.accounts.models import Organisation
from aftersales.core.clock import Clock
from aftersales.notifications.models import OutboxMessage, RoutingRule
from aftersales.tickets import sla_tracking
from aftersales.tickets.enums import EventType, Priority
from tests import factories
from tests.browser import pages

pytestmark = pytest.mark.browser
HOOK = "https://hooks.example.cn/aftersales/shenzhen"
FIRST_CONTACT = timedelta(minutes=30)  # the urgent policy's first-contact target


def _breach(engine: Engine, clock: Clock, technician: str) -> tuple[int, str]:
    """An urgent repair reported just under 30 minutes ago, assigned to ``technician``; once its
    first-contact target is due, the pass the SLA sweep makes over the ticket finds it breached. Cancelled
    afterwards, so no other journey finds the job on its board."""
    reported = clock.now() - FIRST_CONTACT + timedelta(seconds=2)
    with Session(engine) as session:
        ticket = factories.ticket(
            session,
            clock=clock,
            priority=Priority.URGENT,
            reported_at=reported,
            description="指纹锁完全失灵，家里老人进不了门",
            assignee_username=technician,
            notify=False,
        )
        session.commit()
        while clock.now() <= reported + FIRST_CONTACT:  # the server's clock runs: wait the two seconds
            time.sleep(0.1)
        outcomes = sla_tracking.refresh_ticket(session, clock=clock, ticket=ticket)
        assert [(outcome.kind.value, outcome.target.value) for outcome in outcomes] == [
            ("sla_breached", "first_response")
        ]
        factories.walk(session, clock=clock, ticket_id=ticket.id, events=[EventType.CANCEL])
        session.commit()
        return ticket.id, ticket.number


def test_an_admin_routes_shenzhen_breaches_to_a_webhook(
    browser: Any, server: str, demo_engine: Engine, browser_clock: Clock, screenshot: Any
) -> None:
    admin = pages.login(browser, server, "admin")
    admin.get_by_role("navigation", name="主导航").get_by_role("link", name="消息路由").click()
    admin.wait_for_url(f"{server}/console/notifications/rules")
    # A wrong address first: refused next to the field, nothing created.
    admin.get_by_label("事件").select_option(label="SLA 超时")
    admin.get_by_label("发送渠道").select_option("webhook")
    admin.get_by_label("发送地址").fill("hooks.example.cn/aftersales")
    admin.get_by_label("机构（含下级）").select_option(label="深圳服务中心（YL-SZ）")
    admin.get_by_role("button", name="创建规则").click()
    admin.locator("#target-error", has_text="请输入以 http:// 或 https:// 开头的完整网址").wait_for()
    assert admin.get_by_label("机构（含下级）").input_value() != ""  # what was chosen is kept
    admin.get_by_label("发送地址").fill(HOOK)
    admin.get_by_label("备注（可选）").fill("深圳服务中心超时推送到运维平台")
    admin.get_by_role("button", name="创建规则").click()
    admin.locator("p.flash", has_text="规则已创建").wait_for()
    row = admin.locator("#rules tbody tr")
    assert row.count() == 1
    assert "SLA 超时" in row.inner_text() and "深圳服务中心" in row.inner_text() and HOOK in row.inner_text()
    with Session(demo_engine) as session:
        rule = session.scalars(select(RoutingRule)).one()
        shenzhen = session.scalars(select(Organisation).where(Organisation.code == "YL-SZ")).one()
        assert (rule.event, rule.channel, rule.target, rule.organisation_id) == (
            "sla_breached",
            "webhook",
            HOOK,
            shenzhen.id,
        )
        rule_id = rule.id
    screenshot(admin, "notification-rules")

    ticket_id, number = _breach(demo_engine, browser_clock, "tech03")  # 深圳服务中心
    _breach(demo_engine, browser_clock, "tech04")  # 广州服务中心: no rule of its own

    admin.get_by_role("link", name="发送队列").first.click()
    admin.wait_for_url(f"{server}/console/notifications/outbox")
    admin.get_by_label("渠道").select_option("webhook")
    admin.get_by_role("button", name="筛选").click()
    admin.wait_for_url(lambda url: "channel=webhook" in url)
    rows = admin.locator("#outbox tbody tr[data-channel='webhook']")
    assert rows.count() == 1
    copy = rows.first
    text = copy.inner_text()
    assert number in text and HOOK in text and "待发送" in text
    assert copy.get_by_role("link", name="查看工单").get_attribute("href") == f"/console/tickets/{ticket_id}"
    with Session(demo_engine) as session:
        [queued] = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_address == HOOK)).all()
        assert (queued.kind, queued.ticket_id, queued.payload["routing_rule_id"]) == (
            "sla_breached",
            ticket_id,
            rule_id,
        )
    screenshot(admin, "notification-outbox")
