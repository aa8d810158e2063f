"""The dispatcher makes tomorrow's plan for Shenzhen in the console and reads every route with its ETAs."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from aftersales.core.clock import RunningClock
from tests.browser import pages


def test_dispatcher_makes_tomorrows_plan_for_a_city(
    browser: Any, server: str, demo_engine: Engine, browser_clock: RunningClock, screenshot: Any
) -> None:
    tomorrow = (browser_clock.now().astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date().isoformat()
    page = pages.login(browser, server, "dispatcher")
    page.get_by_role("link", name="日计划").first.click()
    page.get_by_label("城市", exact=True).select_option("深圳市")
    page.get_by_label("日期", exact=True).fill(tomorrow)
    page.get_by_role("button", name="查看").click()
    page.get_by_text("还没有这一天的计划").wait_for()
    page.get_by_role("button", name="生成计划").click()
    page.locator("#plan-summary").wait_for(timeout=30_000)
    screenshot(page, "dispatcher-day-plan", full_page=True)
    with demo_engine.connect() as connection:
        plan_id, summary = connection.execute(
            text("SELECT id, summary FROM dispatch_day_plans WHERE area = '深圳市' AND day = :d AND status = 'active'"),
            {"d": tomorrow},
        ).one()
        stops = connection.execute(
            text(
                "SELECT u.username, count(*) FROM dispatch_plan_stops s JOIN users u ON u.id = s.technician_id "
                "WHERE s.plan_id = :p GROUP BY u.username"
            ),
            {"p": plan_id},
        ).all()
    routes = page.locator("section[data-technician]")
    shown = {
        routes.nth(i).get_attribute("data-technician"): routes.nth(i).locator("li").count()
        for i in range(routes.count())
    }
    assert shown == {username: count for username, count in stops}
    assert set(shown) <= {"tech01", "tech02", "tech03", "provider01"} and shown
    assert page.locator("#plan-summary").inner_text().startswith("任务 ")
    if isinstance(summary, str):  # SQLite returns the JSON text
        import json

        summary = json.loads(summary)
    assert sum(shown.values()) == summary["assigned"]


def test_a_day_plan_keeps_the_dispatchers_hand_assignment(
    browser: Any, server: str, demo_engine: Engine, browser_clock: RunningClock, screenshot: Any
) -> None:
    page = pages.login(browser, server, "dispatcher")
    page.goto(f"{server}/console/board")
    # A waiting job, given by hand to the last of the people its candidate list offers (the eligible ones).
    first = page.locator("article[data-ticket]").first
    number = first.get_attribute("data-ticket")
    card = page.locator(f"#board-{first.get_attribute('data-ticket-id')}")  # the same card after a refresh
    card.get_by_role("button", name="指派").click()
    offered = card.locator("tr[data-candidate]:not([data-candidate='tech01'])")  # tech01's phone journey
    offered.first.wait_for()  # keeps its own jobs
    chosen = offered.last.get_attribute("data-candidate")
    plans_link = card.get_by_role("link", name="日计划").get_attribute("href")  # that city's day plan
    offered.last.get_by_role("button", name=re.compile("^(派单|改派) ")).click()
    card.locator(f"[data-assigned='{chosen}']").wait_for()
    page.goto(f"{server}{plans_link}")  # today's plan of that city
    page.get_by_role("button", name=re.compile("生成计划|重新优化")).click()
    page.locator("#plan-summary").wait_for(timeout=30_000)
    stop = page.locator(f"section[data-technician='{chosen}'] li[data-ticket='{number}']")
    stop.locator("[data-fixed='manual']").wait_for()
    screenshot(page, "day-plan-keeps-hand-assignment", full_page=True)
    with demo_engine.connect() as connection:
        assignee = connection.execute(
            text("SELECT u.username FROM tickets t JOIN users u ON u.id = t.assignee_id WHERE t.number = :n"),
            {"n": number},
        ).scalar_one()
    assert assignee == chosen
