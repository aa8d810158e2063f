"""A known issue reaches the agent: the manager writes a bulletin for the YL-W2 watch and publishes it; an
agent then registers a ticket for a YL-W2 whose description matches, and the ticket page shows the
bulletin with its workaround (the known-issue box). The bulletin's page then counts and lists the ticket."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.knowledge.models import Bulletin, BulletinTicket
from aftersales.tickets.models import Ticket
from tests.browser import pages

pytestmark = pytest.mark.browser
TITLE = "YL-W2 2026 年 10 月批次表带连接轴易断"
WORKAROUND = "请客户暂停佩戴运动模式，凭购买凭证到门店免费更换加固表带。"


def test_a_published_bulletin_is_seen_by_the_agent_on_a_matching_ticket(
    browser: Any, server: str, demo_engine: Engine, screenshot: Any
) -> None:
    manager = pages.login(browser, server, "manager")
    manager.get_by_role("navigation", name="主导航").get_by_role("link", name="已知问题公告").click()
    manager.wait_for_url(f"{server}/console/bulletins")
    manager.get_by_role("link", name="新建公告").click()
    manager.get_by_label("标题").fill(TITLE)
    manager.get_by_label("影响产品型号（逗号分隔；留空表示全部产品）").fill("YL-W2")
    manager.get_by_label("匹配关键词", exact=False).fill("表带|腕带\n断了|断裂|掉了")
    manager.get_by_label("原因").fill("该批次表带连接轴热处理不足，受力后容易断裂。")
    manager.get_by_label("临时解决办法").fill(WORKAROUND)
    manager.get_by_label("客服话术").fill("非常抱歉，这是该批次的已知问题，我们为您免费更换加固表带。")
    manager.get_by_label("预计修复时间").fill("2026-12-10T18:00")
    screenshot(manager, "bulletin-editor", full_page=True)
    manager.get_by_role("button", name="保存草稿").click()
    manager.get_by_text("已知问题已保存为草稿").wait_for()
    bulletin_url = manager.url.split("?")[0]
    bulletin_id = int(bulletin_url.rsplit("/", 1)[1])
    manager.get_by_role("button", name="发布", exact=True).click()
    manager.get_by_text("已知问题已发布").wait_for()
    assert manager.locator("#bulletin-facts [data-status='published']").inner_text() == "已发布"
    with Session(demo_engine) as session:
        bulletin = session.get(Bulletin, bulletin_id)
        assert bulletin is not None
        assert (bulletin.title, bulletin.status, bulletin.product_models, bulletin.created_by) == (
            TITLE, "published", ["YL-W2"], "manager",
        )  # fmt: skip
        assert bulletin.keywords == ["表带|腕带", "断了|断裂|掉了"]

    # An agent registers a ticket for that model whose description matches.
    agent = pages.login(browser, server, "agent")
    agent.get_by_role("link", name="新建工单").click()
    agent.wait_for_url("**/console/tickets/new")
    agent.get_by_label("来电号码").fill("13700001234")
    agent.get_by_label("客户姓名").fill("周小雨")
    agent.get_by_label("地址").fill("广东省深圳市南山区科技园南区高新南七道1号")
    agent.get_by_label("产品型号").fill("YL-W2")
    agent.get_by_label("问题描述").fill("孩子的手表表带断了，戴不上了")
    agent.get_by_role("button", name="登记工单").click()
    agent.wait_for_url("**/console/tickets/*?created=1")
    ticket_id = int(agent.url.split("?")[0].rsplit("/", 1)[1])
    box = agent.locator(f"#bulletins [data-bulletin='{bulletin_id}']")
    box.wait_for()
    assert TITLE in box.inner_text()
    assert WORKAROUND in box.inner_text()
    assert "非常抱歉，这是该批次的已知问题" in box.inner_text()
    screenshot(agent, "ticket-known-issue", full_page=True)
    with Session(demo_engine) as session:
        link = session.scalars(select(BulletinTicket).where(BulletinTicket.ticket_id == ticket_id)).one()
        assert (link.bulletin_id, link.how) == (bulletin_id, "auto")
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.product_model == "YL-W2"
        number = ticket.number

    # Back on the bulletin: one affected ticket, listed with its number.
    manager.goto(f"{server}/console/bulletins")
    assert manager.locator(f"tr[data-bulletin='{bulletin_id}'] td[data-affected]").inner_text() == "1"
    manager.goto(bulletin_url)
    assert manager.locator(f"#linked-tickets tr[data-ticket='{ticket_id}']").inner_text().startswith(number)
    agent.close()
    manager.close()
