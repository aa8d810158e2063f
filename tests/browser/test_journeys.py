"""The console's main journeys in a real browser (Chromium, headless) against a demo database."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import Clock
from aftersales.customers.models import Customer
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import TicketKind, TicketStatus
from aftersales.tickets.models import Ticket, TicketAttachment
from tests.browser import pages
from tests.images import png


def _repeat_caller_phone(engine: Engine) -> str:
    with engine.connect() as connection:
        row = connection.execute(
            select(Customer.phone)
            .join(Ticket, Ticket.customer_id == Customer.id)
            .where(Customer.phone.like("1%"))
            .group_by(Customer.phone)
            .having(func.count(Ticket.id) >= 1)
            .order_by(Customer.phone)
            .limit(1)
        ).scalar_one()
    return str(row)


def test_demo_users_can_sign_in(browser: Any, server: str, screenshot: Any) -> None:
    login = browser.new_page()
    login.goto(f"{server}/console/login")
    screenshot(login, "login")
    login.close()
    homes = {
        "agent": "/console/tickets",
        "dispatcher": "/console/board",
        "tech01": "/console/jobs",
        "manager": "/console/dashboard",
    }
    for username, home in {**homes, "admin": "/console/tickets", "inspector": "/console/tickets"}.items():
        page = pages.login(browser, server, username)
        assert page.url.endswith(home), (username, page.url)
        page.close()


def test_agent_opens_a_ticket_for_a_repeat_caller_and_walks_it_to_closed(
    browser: Any, server: str, demo_engine: Engine, screenshot: Any
) -> None:
    phone = _repeat_caller_phone(demo_engine)
    page = pages.login(browser, server, "agent")
    screenshot(page, "agent-ticket-list")
    page.get_by_role("link", name="新建工单").click()
    # Typing before the page's scripts have run would go unseen by HTMX (a person cannot type that fast).
    page.wait_for_url("**/console/tickets/new")
    page.get_by_label("来电号码").fill(phone)
    banner = page.locator("#repeat-caller")
    banner.wait_for()
    assert "回头客" in banner.inner_text()
    page.locator("#use-caller").click()
    assert page.get_by_label("客户姓名").input_value() != ""
    page.get_by_label("问题描述").fill("指纹识别失败，已经第二次报修了")
    screenshot(page, "agent-new-ticket")
    page.get_by_role("button", name="登记工单").click()
    page.wait_for_url("**/console/tickets/*?created=1")
    assert "工单已创建" in page.locator("#ticket").inner_text()
    number = page.locator("h1").first.inner_text().split()[0]
    ticket_url = page.url.split("?")[0]

    def act(on: Any, action: str, status: str) -> None:
        on.get_by_label("处理说明").fill(f"{action}：已与客户确认")
        on.get_by_role("button", name=action, exact=True).click()
        on.locator("#ticket .flash").filter(has_text=action).wait_for()
        assert on.locator("#ticket [data-status]").first.inner_text() == status

    act(page, "联系处理", "处理中")
    act(page, "过程反馈", "处理中")
    # An on-site repair: no result before the technician checks in; the agent is told so.
    assert page.get_by_role("button", name="结果反馈", exact=True).count() == 0
    assert "技术员上门签到后才能反馈结果" in page.locator("#ticket").inner_text()
    # The manager lets it through, with a reason that the timeline keeps.
    boss = pages.login(browser, server, "manager")
    boss.goto(ticket_url)
    boss.get_by_label("处理说明").fill("结果反馈：已与客户确认")
    boss.get_by_label("未签到放行原因（主管）").fill("客户电话指导后已恢复，无需上门")
    boss.get_by_role("button", name="结果反馈", exact=True).click()
    # The override is confirmed first, with its reason carried over (and required).
    assert boss.get_by_label("放行原因").input_value() == "客户电话指导后已恢复，无需上门"
    boss.get_by_role("button", name="确认放行并反馈结果").click()
    boss.locator("#ticket .flash").filter(has_text="结果反馈").wait_for()
    assert boss.locator("#ticket [data-status]").first.inner_text() == "已反馈结果"
    boss.close()
    # The 回访 is the return visit: the call page, where the agent records what the customer said.
    page.goto(ticket_url)
    page.get_by_role("button", name="回访", exact=True).click()
    page.wait_for_url("**/console/visits/*")
    page.get_by_role("button", name="客户拒绝", exact=True).click()
    page.goto(ticket_url)
    assert page.locator("#ticket [data-status]").first.inner_text() == "已回访"
    act(page, "闭环", "已闭环")
    screenshot(page, "agent-ticket-closed", full_page=True)
    slip = browser.new_page()
    slip.context.add_cookies(page.context.cookies())
    slip.goto(f"{ticket_url}/print")
    assert number in slip.locator(".slip").inner_text()
    slip.emulate_media(media="print")
    assert slip.locator("header.top").is_hidden()  # only the slip prints
    screenshot(slip, "agent-print-slip", full_page=True)
    slip.close()
    timeline = page.locator("#timeline li").all_inner_texts()
    # The demo's field network dispatches the new repair at intake: assignment, then the reason.
    assert [line.split()[2] for line in timeline] == [
        "登记",
        "派单",
        "派单说明",
        "联系处理",
        "过程反馈",
        "未签到放行",
        "结果反馈",
        "回访",
        "闭环",
    ]
    with demo_engine.connect() as connection:
        assert connection.execute(select(Ticket.status).where(Ticket.number == number)).scalar_one() == "closed"


def test_dispatcher_filters_the_board_and_assigns_an_eligible_candidate(
    browser: Any, server: str, demo_engine: Engine, screenshot: Any
) -> None:
    page = pages.login(browser, server, "dispatcher")
    # A waiting job outside Shenzhen (tech01's phone journey below works through Shenzhen's jobs).
    places = page.locator("article[data-ticket] [data-place]").all_inner_texts()
    city, district = next(place.split() for place in places if not place.startswith("深圳"))
    page.get_by_label("城市").select_option(city)
    page.get_by_role("button", name="筛选").click()
    page.get_by_label("区县").select_option(district)
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(lambda url: "district=" in url)  # the filters are in the address, to share
    cards = page.locator("article[data-ticket]")
    assert cards.count() >= 1
    assert set(page.locator("article[data-ticket] [data-place]").all_inner_texts()) == {f"{city} {district}"}
    # The map: one point per card, plus the city's bases; a click on a point picks its card.
    chart = page.locator("#board-map")
    chart.locator("canvas").first.wait_for()
    page.locator("#board-map[data-points]").wait_for()
    assert chart.get_attribute("data-points") == str(cards.count())
    assert int(chart.get_attribute("data-bases") or 0) > 0
    ticket_id, number = cards.first.get_attribute("data-ticket-id"), cards.first.get_attribute("data-ticket")
    card = page.locator(f"#board-{ticket_id}")  # the same card after the list refreshes itself
    x, y = page.evaluate(
        """(id) => {
            const chart = echarts.getInstanceByDom(document.getElementById('board-map'));
            const series = chart.getOption().series;
            for (let index = 0; index < series.length; index++) {
                const point = series[index].data.find((item) => String(item.id) === id);
                if (point) { return chart.convertToPixel({seriesIndex: index}, point.value); }
            }
            return null;
        }""",
        ticket_id,
    )
    box = chart.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.locator(f"#board-{ticket_id}.is-picked").wait_for()
    # Its candidates: only the eligible ones, with the reason, the distance and the arrival.
    card.get_by_role("button", name="指派").click()
    rows = card.locator("[data-candidates-for] tr[data-candidate]")
    rows.first.wait_for()
    assert "分钟内到达" in rows.first.inner_text() and "公里" in rows.first.inner_text()
    # The list refreshes itself every few seconds; the open candidates stay.
    page.evaluate("document.getElementById('board-list').dataset.seen = 'yes'")
    page.locator("#board-list[data-seen]").wait_for(state="detached", timeout=20_000)
    assert rows.count() >= 1
    screenshot(page, "dispatcher-board")
    technician = rows.first.get_attribute("data-candidate")
    rows.first.get_by_role("button", name=re.compile("^派单 ")).click()
    card.locator(f"[data-assigned='{technician}']").wait_for()
    assert f"当前处理人：{technician}" in card.inner_text()
    with demo_engine.connect() as connection:
        assignee = connection.execute(
            text("SELECT u.username FROM tickets t JOIN users u ON u.id = t.assignee_id WHERE t.number = :n"),
            {"n": number},
        ).scalar_one()
    assert assignee == technician


def _give_tech01_a_waiting_repair(demo_engine: Engine, clock: Clock) -> None:
    """The dispatcher's decision the phone journey starts from: an open, unassigned repair for tech01."""
    with Session(demo_engine) as session:
        ticket = session.scalars(
            select(Ticket)
            .where(
                Ticket.kind == TicketKind.REPAIR,
                Ticket.status.in_([TicketStatus.REGISTERED, TicketStatus.IN_PROGRESS]),
                Ticket.assignee_id.is_(None),
            )
            .order_by(Ticket.id)
            .limit(1)
        ).one()
        tickets_service.update_ticket(
            session, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id, version=ticket.version,
            assignee_username="tech01",
        )  # fmt: skip
        session.commit()


def test_technician_completes_a_job_on_a_phone(
    browser: Any, server: str, demo_engine: Engine, browser_clock: Clock, screenshot: Any
) -> None:
    _give_tech01_a_waiting_repair(demo_engine, browser_clock)
    page = pages.login(
        browser, server, "tech01", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "technician-jobs")
    jobs = page.locator("#jobs li[data-ticket]")
    assert jobs.count() > 0
    # Take the first job that can still be worked on (not yet resolved), and finish it.
    workable = "form[data-step='accept'], form[data-step='check_in'], form[data-step='result'], #job-form"
    for index in range(jobs.count()):
        page.locator("#jobs li[data-ticket] a").nth(index).click()
        if page.locator(workable).count() and page.locator("[data-status='resolved']").count() == 0:
            break
        page.go_back()
    number = page.locator("h1").inner_text().split()[0]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "technician-job-card", full_page=True)

    def submit(selector: str) -> None:
        page.locator(selector).locator("button[type=submit]").last.click()
        page.locator(".flash").first.wait_for()

    if page.locator("form[data-step='accept']").count():
        submit("form[data-step='accept']")
    if page.locator("#job-form button[value='resume']").count():
        page.get_by_label("过程说明").fill("配件已到，恢复处理")
        page.locator("#job-form button[value='resume']").click()
        page.locator(".flash").wait_for()
    if page.locator("form[data-step='check_in']").count():
        page.get_by_label("经度").fill("113.93")
        page.get_by_label("纬度").fill("22.53")
        submit("form[data-step='check_in']")
    page.get_by_label("处理结果").fill("更换指纹模块，测试正常")
    page.locator("#result-photos").set_input_files({"name": "done.png", "mimeType": "image/png", "buffer": png()})
    submit("form[data-step='result']")
    assert page.locator("#attachments img").count() >= 1
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 90, steps=8)
    page.mouse.move(box["x"] + 220, box["y"] + 30, steps=8)
    page.mouse.up()
    submit("form[data-step='signature']")
    assert page.locator("#confirmed").count() == 1
    submit("form[data-step='check_out']")
    screenshot(page, "technician-job-done", full_page=True)
    with demo_engine.connect() as connection:
        status = connection.execute(select(Ticket.status).where(Ticket.number == number)).scalar_one()
        kinds = (
            connection.execute(
                select(TicketAttachment.kind)
                .join(Ticket, Ticket.id == TicketAttachment.ticket_id)
                .where(Ticket.number == number)
            )
            .scalars()
            .all()
        )
    assert status == "resolved" and sorted(kinds) == ["photo", "signature"]
    assert "该任务已完成" in page.content()


def test_manager_dashboard_draws_charts_with_data(browser: Any, server: str, screenshot: Any) -> None:
    page = pages.login(browser, server, "manager")
    charts = page.locator("[data-chart]")
    charts.first.locator("canvas").wait_for()
    assert charts.count() >= 4
    points = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-chart]')).map(el => {
            const chart = echarts.getInstanceByDom(el);
            if (!chart) return 0;
            return chart.getOption().series.reduce((n, s) => n + (s.data || []).length, 0);
        })"""
    )
    assert all(count > 0 for count in points), points
    screenshot(page, "manager-dashboard", full_page=True)


def test_customer_checks_a_ticket_status(browser: Any, server: str, demo_engine: Engine, screenshot: Any) -> None:
    with demo_engine.connect() as connection:
        number, phone = connection.execute(
            select(Ticket.number, Customer.phone)
            .join(Customer, Customer.id == Ticket.customer_id)
            .where(Customer.phone.like("1%"))
            .limit(1)
        ).one()
    page = browser.new_page(viewport={"width": 375, "height": 812})
    page.goto(f"{server}/self-service/status")
    page.get_by_label("工单号").fill(number)
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="查询").click()
    page.get_by_text(number).first.wait_for()
    assert phone not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "customer-status", full_page=True)


def test_a_bad_phone_shows_a_chinese_error_next_to_the_field_and_saves_nothing(
    browser: Any, server: str, demo_engine: Engine, screenshot: Any
) -> None:
    def counts() -> tuple[int, int]:
        with demo_engine.connect() as connection:
            return (
                connection.execute(select(func.count()).select_from(Ticket)).scalar_one(),
                connection.execute(select(func.count()).select_from(Customer)).scalar_one(),
            )

    before = counts()
    page = browser.new_page()
    page.goto(f"{server}/self-service/request")
    page.get_by_label("姓名").fill("周九")
    page.get_by_label("手机号").fill("12345")
    page.get_by_label("地址").fill("北京市朝阳区建国路1号")
    page.get_by_label("问题描述").fill("门锁电池很快就没电了")
    page.get_by_role("button", name="提交").click()
    field = page.get_by_label("手机号")
    assert field.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{field.get_attribute('aria-describedby')}")
    assert "手机号" in error.inner_text() and error.is_visible()
    screenshot(page, "customer-request-error")
    assert counts() == before


def test_the_language_switch_changes_the_console_to_english_and_back(browser: Any, server: str) -> None:
    """The switch submits itself on change (a data attribute bound by console.js: no inline handler)."""
    page = pages.login(browser, server, "agent")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    with page.expect_navigation():
        page.select_option("#lang-switch", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/console/tickets")
    with page.expect_navigation():
        page.select_option("#lang-switch", "zh_CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.close()
