"""An administrator sets up the field network and the SLA: a new quick-repair point in 深圳市 with a technician
assigned to it and profiled, then the urgent first-contact target goes from 30 to 20 minutes. A ticket
registered through the API afterwards is due 20 minutes after it was reported; one registered before keeps
its 30 minutes.

The server's clock runs from the session's instant, so times are read back from the API (``reported_at``)
and each due time is checked exactly against it. What the journey changed is put back at the end (the
policy, the technician's account), so the journeys after it see the demo as it was."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry, Organisation, User
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import Clock
from aftersales.dispatch.network.models import ServicePoint, Technician
from aftersales.sla import service as sla_service
from tests.browser import pages

pytestmark = pytest.mark.browser
NEWCOMER = "tech_sz_ba"
POINT = "YL-SZ-BA"


@pytest.fixture
def newcomer_and_token(demo_engine: Engine, browser_clock: Clock) -> Iterator[str]:
    """A technician account HR has just made (no organisation, no profile), and an API token for the admin.
    Afterwards the urgent policy is put back and the account disabled."""
    with Session(demo_engine) as session:
        accounts_service.create_user(
            session, clock=browser_clock, actor=SYSTEM_ACTOR, username=NEWCOMER, role=Role.TECHNICIAN,
            password=pages.PASSWORD, display_name="周师傅（周新）",
        )  # fmt: skip
        _, token = accounts_tokens.create_token(session, clock=browser_clock, actor=SYSTEM_ACTOR, username="admin")
        kept = sla_service.policy_values(sla_service.get_policy(session, "urgent"))
        session.commit()
    yield token
    with Session(demo_engine) as session:
        policy = sla_service.get_policy(session, "urgent")
        policy.first_response_minutes = int(kept["first_response_minutes"])
        accounts_service.set_active(session, clock=browser_clock, actor=SYSTEM_ACTOR, username=NEWCOMER, active=False)
        session.commit()


def _register(server: str, token: str, phone: str) -> dict[str, Any]:
    """An urgent consultation by API (no field job, so no dispatch decision follows)."""
    body = {
        "kind": "consultation",
        "priority": "urgent",
        "channel": "api",
        "customer": {"name": "郑女士", "phone": phone, "address": "广东省深圳市宝安区新安街道宝民一路8号"},
        "description": "门锁密码忘记了，想咨询如何重置",
    }
    reply = httpx.post(f"{server}/api/v1/tickets", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert reply.status_code == 201, reply.text
    created: dict[str, Any] = reply.json()
    return created


def _first_contact(ticket: dict[str, Any]) -> timedelta:
    """How long after it was reported the ticket's first contact is due."""
    due = datetime.fromisoformat(ticket["sla"]["first_response_due_at"])
    return due - datetime.fromisoformat(ticket["reported_at"])


def test_admin_opens_a_point_in_shenzhen_and_shortens_the_urgent_first_contact(
    browser: Any, server: str, demo_engine: Engine, newcomer_and_token: str, screenshot: Any
) -> None:
    token = newcomer_and_token
    page = pages.login(browser, server, "admin")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="服务网络").click()
    page.wait_for_url(f"{server}/console/network")
    page.locator("tr[data-point='YL-SZ']").wait_for()
    page.get_by_role("navigation", name="服务网络").get_by_role("link", name="新建网点").click()
    page.wait_for_url(f"{server}/console/network/new")

    # The point and its organisation; the districts follow the city typed, the coordinates are left blank.
    page.get_by_label("机构编码").fill(POINT)
    page.get_by_label("网点名称").fill("深圳宝安快修点")
    page.get_by_label("机构类型").select_option("service_center")
    page.get_by_label("上级机构").select_option("YL-SOUTH")
    page.get_by_label("城市", exact=True).fill("深圳市")
    page.get_by_label("城市", exact=True).press("Tab")
    page.get_by_label("宝安区").check()
    page.get_by_label("南山区").check()
    page.get_by_label("网点类型").select_option("quick_repair_point")
    page.get_by_label("每日接单能力").fill("30")
    page.get_by_label("营业开始").fill("09:00")
    page.get_by_label("营业结束").fill("21:00")
    screenshot(page, "admin-new-service-point", full_page=True)
    page.get_by_role("button", name="创建网点").click()
    page.wait_for_url(f"{server}/console/network/points/{POINT}?created=1")
    page.get_by_text("网点已创建，现在可以为它分配技术员").wait_for()

    # The new technician works from it, with a profile of their own.
    page.get_by_label("分配技术员到此网点").select_option(NEWCOMER)
    page.get_by_role("button", name="分配", exact=True).click()
    page.get_by_text(f"已将 {NEWCOMER} 分配到此网点").wait_for()
    page.locator(f"tr[data-technician='{NEWCOMER}']").get_by_role("link", name="周师傅（周新）").click()
    page.wait_for_url(f"{server}/console/network/technicians/{NEWCOMER}")
    page.get_by_text("还没有技术员档案：保存后即可参与派单。").wait_for()
    assert page.locator("#area").inner_text() == "服务区域随所属网点：南山区、宝安区"
    page.locator("#skill-lock-repair").check()
    page.locator("#skill-lock-installation").check()
    page.get_by_label("班次开始").fill("09:00")
    page.get_by_label("班次结束").fill("18:00")
    page.get_by_label("车辆/车载仓编号").fill("粤B-D1088")
    page.get_by_role("button", name="保存档案").click()
    page.get_by_text("技术员档案已保存").wait_for()
    with Session(demo_engine) as session:
        organisation = session.scalars(select(Organisation).where(Organisation.code == POINT)).one()
        point = session.get(ServicePoint, organisation.id)
        assert point is not None
        assert (organisation.name, organisation.city, organisation.parent_id is not None) == (
            "深圳宝安快修点", "深圳市", True,
        )  # fmt: skip
        assert (point.kind, point.adcodes, point.capacity_per_day, point.opens, point.closes) == (
            "quick_repair_point", ["440305", "440306"], 30, "09:00", "21:00",
        )  # fmt: skip
        assert (point.longitude, point.latitude) == (114.057939, 22.543527)  # the city centre
        newcomer = session.scalars(select(User).where(User.username == NEWCOMER)).one()
        profile = session.get(Technician, newcomer.id)
        assert newcomer.organisation_id == organisation.id and profile is not None
        assert (profile.skills, profile.shift_start, profile.shift_end, profile.van_code) == (
            ["lock:repair", "lock:installation"], "09:00", "18:00", "粤B-D1088",
        )  # fmt: skip
        assert (profile.home_longitude, profile.home_latitude) == (114.057939, 22.543527)  # starts at the point

    # Registered before the change: 30 minutes to the first contact.
    before = _register(server, token, "13760001001")
    assert _first_contact(before) == timedelta(minutes=30)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="SLA 策略").click()
    page.wait_for_url(f"{server}/console/sla/policies")
    assert page.locator("tr[data-priority='urgent'] td[data-target='first_response']").inner_text() == "30 分钟"
    page.get_by_role("link", name="编辑紧急策略").click()
    page.wait_for_url(f"{server}/console/sla/policies/urgent")
    page.get_by_label("首次联系时限", exact=True).fill("20")
    page.get_by_label("首次联系时限的单位").select_option("minutes")
    page.get_by_role("button", name="保存策略").click()
    page.wait_for_url(f"{server}/console/sla/policies?saved=urgent")
    page.get_by_text("“紧急”的策略已保存").wait_for()
    assert page.locator("tr[data-priority='urgent'] td[data-target='first_response']").inner_text() == "20 分钟"
    assert page.locator("#policy-changes li").first.inner_text().endswith("admin：紧急·首次联系 30 分钟 → 20 分钟")
    screenshot(page, "admin-sla-policies")

    # Registered after it: 20 minutes; the earlier ticket keeps the target it was given.
    after = _register(server, token, "13760001002")
    assert _first_contact(after) == timedelta(minutes=20)
    again = httpx.get(
        f"{server}/api/v1/tickets/{before['id']}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    assert again["sla"]["first_response_due_at"] == before["sla"]["first_response_due_at"]
    assert _first_contact(again) == timedelta(minutes=30)
    with Session(demo_engine) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "sla_policy.changed")).one()
        assert entry.actor_name == "admin"
        assert (entry.before, entry.after) == (
            {**entry.before, "first_response_minutes": 30},
            {**entry.before, "first_response_minutes": 20},
        )
    page.close()
