"""An admin creates an agent in a service center from the console, a second try with a taken username is
refused by its field (what was typed is kept), and the new agent signs in to the agents' console."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry, Organisation, User
from tests.browser import pages

pytestmark = pytest.mark.browser
USERNAME = "agent.zhou"
PASSWORD = "zhou-pass-2026"


def _fill_new_user(page: Any, *, username: str, display_name: str) -> None:
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("姓名", exact=True).fill(display_name)
    page.get_by_label("角色", exact=True).select_option("agent")
    page.get_by_label("所属组织", exact=True).select_option("YL-SZ")
    page.get_by_label("初始密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="创建用户").click()


def test_an_admin_creates_an_agent_who_then_signs_in(
    browser: Any, server: str, demo_engine: Engine, screenshot: Any
) -> None:
    admin = pages.login(browser, server, "admin")
    admin.get_by_role("navigation", name="主导航").get_by_role("link", name="用户", exact=True).click()
    admin.wait_for_url(f"{server}/console/admin/users")
    admin.locator("tr[data-user='agent']").wait_for()
    screenshot(admin, "admin-users")
    admin.get_by_role("link", name="新建用户").click()
    admin.wait_for_url(f"{server}/console/admin/users/new")
    _fill_new_user(admin, username=USERNAME, display_name="客服周敏")
    admin.get_by_text("用户已创建").wait_for()
    with Session(demo_engine) as session:
        user = session.scalars(select(User).where(User.username == USERNAME)).one()
        organisation = session.get(Organisation, user.organisation_id)
        assert (user.display_name, user.role, user.is_active) == ("客服周敏", Role.AGENT, True)
        assert organisation is not None and organisation.code == "YL-SZ"
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "user.created", AuditEntry.entity_id == str(user.id))
        ).one()
        assert (entry.actor_name, entry.after) == (
            "admin",
            {"username": USERNAME, "role": "agent", "organisation": "YL-SZ"},
        )
    assert admin.url == f"{server}/console/admin/users/{user.id}?done=created"

    # The same username again: refused by its field, with the name typed kept and nobody created.
    admin.goto(f"{server}/console/admin/users/new")
    _fill_new_user(admin, username=USERNAME, display_name="客服周敏二号")
    error = admin.locator("#username-error")
    error.wait_for()
    assert error.inner_text() == f"用户 {USERNAME} 已存在"
    assert admin.get_by_label("用户名", exact=True).get_attribute("aria-invalid") == "true"
    assert admin.get_by_label("姓名", exact=True).input_value() == "客服周敏二号"
    assert admin.get_by_label("初始密码", exact=True).input_value() == ""
    screenshot(admin, "admin-user-duplicate")
    with Session(demo_engine) as session:
        assert len(session.scalars(select(User).where(User.username == USERNAME)).all()) == 1
    admin.get_by_role("button", name="退出").click()
    admin.wait_for_url(f"{server}/console/login")

    # The new agent signs in with the password the admin set and lands on the agents' console.
    admin.get_by_label("用户名").fill(USERNAME)
    admin.get_by_label("密码").fill(PASSWORD)
    admin.get_by_role("button", name="登录").click()
    admin.wait_for_url(f"{server}/console/tickets")
    navigation = admin.get_by_role("navigation", name="主导航")
    navigation.get_by_role("link", name="新建工单").wait_for()
    assert navigation.get_by_role("link", name="用户", exact=True).count() == 0
    assert "客服周敏" in admin.locator("header .who").inner_text()
    admin.close()
