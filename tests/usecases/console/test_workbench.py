"""The agent workbench (``usecases.console.workbench``): the list's search by a customer's name and a serial
number, and picking one of the caller's products on the new-ticket page, which the created ticket then
carries."""

from __future__ import annotations

import html
import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.customers.models import InstalledProduct
from aftersales.tickets.models import Ticket
from tests import factories
from tests.conftest import UserFactory, console_login
from tests.usecases.console.ticket_page_support import HTMX


def _numbers(page: str) -> list[str]:
    return re.findall(r'<tr data-ticket="([^"]+)">', page)


def test_the_list_finds_tickets_by_name_and_serial_number(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="finder")
    wang = factories.ticket(db, clock=clock, customer_name="王芳", phone="13900000301", serial_number="YLS7KQ12345678")
    wang_hua = factories.ticket(db, clock=clock, customer_name="王芳华", phone="13900000302", serial_number="A-1")
    factories.ticket(db, clock=clock, customer_name="李王芳", phone="13900000303", serial_number="YLS7ZZ00000001")
    db.commit()
    console_login(client, db, "finder")

    assert _numbers(client.get("/console/tickets", params={"q": "王芳"}).text) == [wang_hua.number, wang.number]
    assert _numbers(client.get("/console/tickets", params={"q": "yls7kq"}).text) == [wang.number]
    assert _numbers(client.get("/console/tickets", params={"q": "王芳华", "page": "1"}).text) == [wang_hua.number]
    rows = client.get("/console/tickets", params={"q": "王芳", "rows": "1"}, headers=HTMX)  # the 30 s refresh
    assert _numbers(rows.text) == [wang_hua.number, wang.number] and "<html" not in rows.text
    page = client.get("/console/tickets")
    assert 'placeholder="工单号 / 电话 / 姓名 / 序列号 / 描述"' in page.text


def test_the_caller_lookup_offers_each_product_to_pick(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="picker")
    customer = factories.customer(
        db,
        clock=clock,
        name="赵敏",
        phone="13900000311",
        serial_number="YLS7KQ12345678",
        purchase_date=date(2026, 3, 1),
    )
    factories.customer(
        db, clock=clock, name="赵敏", phone="13900000311", address=None, product_model="XQB80", serial_number=None
    )
    db.commit()
    console_login(client, db, "picker")
    [lock, washer] = sorted(customer.products, key=lambda product: product.id)

    panel = client.get("/console/callers", params={"phone": "139-0000-0311"})
    assert panel.status_code == 200
    items = re.findall(r'<li data-product="(\d+)">(.*?)</li>', panel.text, re.S)
    assert [int(product_id) for product_id, _ in items] == [lock.id, washer.id]
    first, second = (" ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split()) for _, text in items)
    assert first == "YL-S7 · YLS7KQ12345678 购买日期：2026-03-01 保修期内 至 2027-03-01 选择 YL-S7 YLS7KQ12345678"
    assert second == "XQB80 · 无序列号 购买日期：未知 保修期未知 选择 XQB80"
    assert (
        '<button type="button" class="secondary" data-pick-product="new-ticket" data-model="YL-S7"'
        ' data-serial="YLS7KQ12345678" aria-pressed="false">选择' in panel.text
    )
    assert 'data-model="XQB80" data-serial="" aria-pressed="false"' in panel.text
    form = client.get("/console/tickets/new")
    assert '<script src="/static/js/caller.js?v=' in form.text
    assert (
        'id="product-picked" class="muted" role="status" data-template="已选择来电客户的产品：{product}"' in form.text
    )
    script = client.get("/static/js/caller.js")
    assert script.status_code == 200 and "data-pick-product" in script.text


def test_the_picked_product_is_the_one_the_ticket_carries(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="picker2")
    customer = factories.customer(
        db,
        clock=clock,
        name="赵敏",
        phone="13900000321",
        serial_number="YLS7KQ12345678",
        purchase_date=date(2026, 3, 1),
    )
    [product] = customer.products
    db.commit()
    csrf = console_login(client, db, "picker2")
    products_before = db.scalar(select(func.count()).select_from(InstalledProduct))
    # What "选择" puts into the form: the button's model and serial number.
    panel = client.get("/console/callers", params={"phone": "13900000321"}).text
    model, serial = re.search(
        r'data-pick-product="new-ticket" data-model="([^"]*)" data-serial="([^"]*)"', panel
    ).groups()  # type: ignore[union-attr]
    response = client.post(
        "/console/tickets/new",
        data={
            "csrf_token": csrf,
            "phone": "13900000321",
            "name": "赵敏",
            "address": "广东省深圳市南山区科技园南区高新南七道1号",
            "product_model": model,
            "serial_number": serial,
            "channel": "hotline",
            "kind": "repair",
            "priority": "routine",
            "description": "指纹识别不灵",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    ticket = db.scalars(select(Ticket).where(Ticket.description == "指纹识别不灵")).one()
    assert (ticket.installed_product_id, ticket.product_model, ticket.customer_id) == (product.id, "YL-S7", customer.id)
    assert db.scalar(select(func.count()).select_from(InstalledProduct)) == products_before  # no second record
    page = client.get(response.headers["location"])
    assert "YL-S7 · YLS7KQ12345678" in page.text
