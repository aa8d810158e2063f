"""Browser helpers shared by the journeys: signing a demo user in to the console."""

from __future__ import annotations

from typing import Any

PASSWORD = "demo1234"  # every demo user's password


def login(browser: Any, server: str, username: str, **context: Any) -> Any:
    """A new page (with ``context`` options, e.g. a phone viewport) signed in as ``username``."""
    page = browser.new_page(**context)
    page.goto(f"{server}/console/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/console/login" not in url)
    return page
