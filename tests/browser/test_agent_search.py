"""An agent finds a caller's tickets by the customer's name, keeps that search as a saved filter and uses it
again, deletes it after confirming; then opens a ticket for the caller, picking their product from the
caller panel: the created ticket carries that product (its serial number on the ticket page)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, text

from tests.browser import pages


def _caller(engine: Engine) -> dict[str, Any]:
    """A demo customer whose name no one else has, with tickets and a product with a serial number."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT c.id AS customer_id, c.name, c.phone, p.id AS product_id, p.model, p.serial_number"
                " FROM customers c JOIN installed_products p ON p.customer_id = c.id"
                " WHERE p.serial_number IS NOT NULL AND c.phone LIKE '1%'"
                " AND EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id)"
                " AND (SELECT count(*) FROM customers o WHERE o.name = c.name) = 1"
                " ORDER BY c.id, p.id LIMIT 1"
            )
        ).one()
    return dict(row._mapping)


def _expected_numbers(engine: Engine, name: str) -> list[str]:
    """What a search for ``name`` lists first, by the rule the console states (a name's start, or the text)."""
    with engine.connect() as connection:
        numbers = connection.execute(
            text(
                "SELECT t.number FROM tickets t JOIN customers c ON c.id = t.customer_id"
                " WHERE substr(c.name, 1, length(:name)) = :name OR instr(t.description, :name) > 0"
                " OR instr(t.number, :name) > 0 ORDER BY t.reported_at DESC, t.id DESC LIMIT 25"
            ),
            {"name": name},
        ).scalars()
        return list(numbers)


def _listed(page: Any) -> list[str]:
    return [str(number) for number in page.locator("#ticket-rows tr[data-ticket]").evaluate_all(
        "rows => rows.map(row => row.dataset.ticket)"
    )]  # fmt: skip


def test_an_agent_searches_by_name_saves_the_filter_and_picks_the_callers_product(
    browser: Any, server: str, demo_engine: Engine
) -> None:
    caller = _caller(demo_engine)
    name = str(caller["name"])
    page = pages.login(browser, server, "agent")
    page.goto(f"{server}/console/tickets")

    # Search by the customer's name.
    page.get_by_label("搜索", exact=True).fill(name)
    page.get_by_role("button", name="筛选", exact=True).click()
    page.wait_for_url(re.compile(r".*[?&]q="))
    found = _listed(page)
    assert found == _expected_numbers(demo_engine, name) and found

    # Keep the search as a saved filter, then use it from an unfiltered list.
    filter_name = f"{name}的工单"
    page.get_by_label("把当前筛选保存为").fill(filter_name)
    page.get_by_role("button", name="保存筛选").click()
    page.wait_for_url(re.compile(r".*done=filter_saved"))
    assert page.get_by_role("status").filter(has_text="筛选已保存").count() == 1
    page.goto(f"{server}/console/tickets")
    page.get_by_role("link", name=filter_name, exact=True).click()
    page.wait_for_url(re.compile(r".*[?&]q="))
    assert page.get_by_label("搜索", exact=True).input_value() == name
    assert _listed(page) == found
    assert page.get_by_role("link", name=filter_name, exact=True).get_attribute("aria-current") == "true"

    # Delete it: a confirmation page first.
    page.locator("#saved-filter-list li", has_text=filter_name).get_by_role("link", name=re.compile("^删除")).click()
    page.wait_for_url(re.compile(r".*/console/tickets/filters/\d+/delete"))
    assert f"确定删除筛选“{filter_name}”吗？" in page.locator("#confirm-title").inner_text()
    page.get_by_role("button", name="确认删除").click()
    page.wait_for_url(re.compile(r".*done=filter_deleted"))
    assert page.get_by_role("link", name=filter_name, exact=True).count() == 0

    # A new ticket for the same caller, with the product picked from the caller panel.
    page.goto(f"{server}/console/tickets/new")
    page.get_by_label("来电号码").fill(str(caller["phone"]))
    page.locator("#repeat-caller").wait_for()
    page.locator("#use-caller").click()
    product = page.locator(f'li[data-product="{caller["product_id"]}"]')
    assert str(caller["serial_number"]) in product.inner_text()
    product.get_by_role("button", name=re.compile("^选择")).click()
    assert page.get_by_label("产品型号").input_value() == caller["model"]
    assert page.get_by_label("序列号").input_value() == caller["serial_number"]
    assert page.locator("#product-picked").inner_text() == (
        f"已选择来电客户的产品：{caller['model']} · {caller['serial_number']}"
    )
    assert product.get_by_role("button", name=re.compile("^选择")).get_attribute("aria-pressed") == "true"
    page.get_by_label("问题描述").fill("指纹识别失败，按了好几次都打不开")
    page.get_by_role("button", name="登记工单").click()
    page.wait_for_url(re.compile(r".*/console/tickets/\d+\?created=1"))
    assert f"{caller['model']} · {caller['serial_number']}" in page.locator("#ticket").inner_text()
    ticket_id = int(page.url.split("/console/tickets/")[1].split("?")[0])
    with demo_engine.connect() as connection:
        carried = connection.execute(
            text("SELECT installed_product_id, customer_id FROM tickets WHERE id = :id"), {"id": ticket_id}
        ).one()
    assert tuple(carried) == (caller["product_id"], caller["customer_id"])
    page.close()
