"""Customer self-service pages: the request form (CSRF, field errors, nothing saved on bad input) and the
status lookup (number + phone must match; a mismatch looks exactly like an unknown number)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.customers.errors import InvalidAddressError
from aftersales.customers.models import Address, Customer, InstalledProduct
from aftersales.customers.rules import PHONE_ERROR
from aftersales.sla.models import Target
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Channel, EventType
from aftersales.tickets.models import Ticket, TicketEvent
from aftersales.usecases import intake as flows
from aftersales.usecases.console import selfservice
from aftersales.usecases.console.selfservice import CSRF_COOKIE
from aftersales.web.labels import label
from aftersales.web.templating import format_local
from tests import factories
from tests.conftest import UserFactory

PHONE = "13800138000"
NOT_FOUND = "未找到与该手机号匹配的工单"
FIELDS = ("name", "phone", "address", "product_model", "serial_number", "description")


def _form(**overrides: str) -> dict[str, str]:
    values = {
        "name": "张三",
        "phone": PHONE,
        "address": "广东省深圳市南山区科技园南区高新南七道1号",
        "product_model": "YL-S7",
        "serial_number": "SN-0001",
        "description": "指纹锁识别失败，需要上门维修",
    }
    values.update(overrides)
    return values


def _token(client: TestClient) -> str:
    page = client.get("/self-service/request")
    assert page.status_code == 200
    match = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert match is not None, page.text
    assert client.cookies.get(CSRF_COOKIE) == match.group(1)
    return match.group(1)


def _submit(client: TestClient, **overrides: str) -> Response:
    return client.post("/self-service/request", data={**_form(**overrides), "form_token": _token(client)})


def _web_ticket(db: Session, clock: FrozenClock) -> str:
    """The number of a ticket the request form would register (web channel, triaged), made by the factory."""
    ticket = factories.ticket(
        db, clock=clock, actor=selfservice.SELF_SERVICE_ACTOR, channel=Channel.WEB, kind=None, priority=None
    )
    db.commit()
    return ticket.number


def _counts(db: Session) -> tuple[int, int, int, int, int, int]:
    db.expire_all()
    return tuple(  # type: ignore[return-value]
        db.scalar(select(func.count()).select_from(table)) or 0
        for table in (Ticket, TicketEvent, Customer, Address, InstalledProduct, AuditEntry)
    )


def _field_error(html: str, field: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else None


def _input_tag(html: str, field: str) -> str:
    match = re.search(rf'<(?:input|textarea) id="{field}"[^>]*>', html)
    assert match is not None, field
    return match.group(0)


def _number(html: str) -> str:
    match = re.search(r'<strong id="ticket-number">([^<]+)</strong>', html)
    assert match is not None, html
    return match.group(1)


def _phone_is_absent(response: Response) -> None:
    for form in (PHONE, "138-0013-8000", "138 0013 8000"):
        assert form not in response.text


def test_request_form_labels_every_field_and_sets_a_strict_csrf_cookie(client: TestClient) -> None:
    page = client.get("/self-service/request")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    for field in FIELDS:
        assert f'<label for="{field}">' in page.text
        assert f'id="{field}"' in page.text
    assert 'style="width' not in page.text
    cookie = next(value for key, value in page.headers.multi_items() if key == "set-cookie" and CSRF_COOKIE in value)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/self-service" in cookie
    # No one is signed in: no console navigation.
    assert 'aria-label="主导航"' not in page.text


def test_valid_request_registers_a_web_ticket_and_shows_its_number_with_the_phone_masked(
    client: TestClient, db: Session
) -> None:
    response = _submit(client, phone="138-0013-8000", description="  指纹锁识别失败，需要上门维修  ")
    assert response.status_code == 200, response.text
    number = _number(response.text)
    assert number == "SH20261122-000001"
    assert '<dd id="phone-masked">138****8000</dd>' in response.text
    assert "已登记" in response.text
    assert f'href="/self-service/status?number={number}"' in response.text
    _phone_is_absent(response)
    db.expire_all()
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket is not None
    assert (ticket.channel, ticket.status, ticket.product_model) == ("web", "registered", "YL-S7")
    assert ticket.description == "指纹锁识别失败，需要上门维修"
    assert (ticket.customer.name, ticket.customer.phone) == ("张三", PHONE)
    assert ticket.address is not None and ticket.address.city == "深圳市"
    assert ticket.installed_product is not None and ticket.installed_product.serial_number == "SN-0001"
    assert ticket.created_by_id is None
    event = db.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    assert event is not None and (event.type, event.actor_name) == ("register", "self-service")
    # The used form token is gone: resubmitting the same page opens no second ticket.
    assert client.cookies.get(CSRF_COOKIE) is None


def test_resubmitting_a_sent_form_is_refused(client: TestClient, db: Session) -> None:
    token = _token(client)
    assert client.post("/self-service/request", data={**_form(), "form_token": token}).status_code == 200
    before = _counts(db)
    client.cookies.set(CSRF_COOKIE, "another-token-value-123456", path="/self-service")
    again = client.post("/self-service/request", data={**_form(), "form_token": token})
    assert again.status_code == 403
    assert _counts(db) == before


def test_bad_phone_is_shown_next_to_the_field_keeps_the_values_and_saves_nothing(
    client: TestClient, db: Session
) -> None:
    before = _counts(db)
    response = _submit(client, phone="12345")
    assert response.status_code == 422
    assert _field_error(response.text, "phone") == PHONE_ERROR
    phone_input = _input_tag(response.text, "phone")
    assert 'aria-invalid="true"' in phone_input
    assert 'aria-describedby="phone-error"' in phone_input
    assert 'value="12345"' in phone_input
    assert 'value="张三"' in _input_tag(response.text, "name")
    assert "指纹锁识别失败，需要上门维修</textarea>" in response.text
    for field in ("name", "address", "product_model", "serial_number", "description"):
        assert _field_error(response.text, field) is None
        assert 'aria-invalid="true"' not in _input_tag(response.text, field)
    assert '<a href="#phone">' in response.text
    # A field without an error is described by its hint.
    assert 'aria-describedby="address-hint"' in _input_tag(response.text, "address")
    assert _counts(db) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  "}, "name", "请填写您的姓名"),
        ({"phone": ""}, "phone", "请填写手机号或座机号码"),
        ({"address": ""}, "address", "请填写服务地址"),
        ({"description": "坏了"}, "description", "请描述遇到的问题，至少 5 个字"),
        ({"description": "很" * 2001}, "description", "内容过长，最多 2000 个字"),
        ({"product_model": "", "serial_number": "SN-1"}, "product_model", "填写序列号时请同时填写产品型号"),
        ({"serial_number": "S" * 65}, "serial_number", "内容过长，最多 64 个字"),
    ],
)
def test_each_bad_field_gets_its_own_chinese_message_and_nothing_is_saved(
    client: TestClient, db: Session, overrides: dict[str, str], field: str, message: str
) -> None:
    before = _counts(db)
    response = _submit(client, **overrides)
    assert response.status_code == 422
    assert _field_error(response.text, field) == message
    assert 'aria-invalid="true"' in _input_tag(response.text, field)
    assert _counts(db) == before


def test_several_bad_fields_are_all_reported_at_once(client: TestClient, db: Session) -> None:
    before = _counts(db)
    response = _submit(client, name="", phone="999", description="")
    assert response.status_code == 422
    assert [field for field in FIELDS if _field_error(response.text, field)] == ["name", "phone", "description"]
    assert _counts(db) == before


def test_a_refusal_from_the_domain_after_writing_is_rolled_back_and_shown_at_its_field(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = flows.open_ticket

    def open_then_refuse(*args: Any, **kwargs: Any) -> Any:
        real_open(*args, **kwargs)  # the ticket, customer and address rows are written (flushed) …
        raise InvalidAddressError("无法识别该地址", fields={"address": "无法识别该地址"})  # … then refused

    monkeypatch.setattr(selfservice.flows, "open_ticket", open_then_refuse)
    before = _counts(db)
    response = _submit(client)
    assert response.status_code == 422
    assert _field_error(response.text, "address") == "无法识别该地址"
    assert 'value="广东省深圳市南山区科技园南区高新南七道1号"' in _input_tag(response.text, "address")
    assert _counts(db) == before


def test_missing_csrf_cookie_is_refused_with_403_and_nothing_saved(client: TestClient, db: Session) -> None:
    token = _token(client)
    client.cookies.delete(CSRF_COOKIE, path="/self-service")
    before = _counts(db)
    response = client.post("/self-service/request", data={**_form(), "form_token": token})
    assert response.status_code == 403
    assert "表单已过期，请刷新页面后重试" in response.text
    assert _counts(db) == before


def test_missing_or_wrong_form_token_is_refused(client: TestClient, db: Session) -> None:
    _token(client)
    before = _counts(db)
    assert client.post("/self-service/request", data=_form()).status_code == 403
    assert client.post("/self-service/request", data={**_form(), "form_token": "forged"}).status_code == 403
    assert _counts(db) == before


def _open_and_work_on(db: Session, clock: FrozenClock, make_user: UserFactory) -> str:
    """A self-service ticket that an agent contacted, with an internal note and an internal comment."""
    number = _web_ticket(db, clock)
    agent, _token_value = make_user(Role.AGENT, username="agent_wang")
    ticket = tickets_service.get_by_number(db, number)
    tickets_service.apply_event(
        db, clock=clock, actor=agent, ticket_id=ticket.id, event_type=EventType.CONTACT, note="内部备注：客户情绪激动"
    )
    tickets_service.add_comment(db, clock=clock, actor=agent, ticket_id=ticket.id, body="内部评论：疑似批次问题")
    db.commit()
    return number


def test_status_lookup_with_the_right_phone_shows_labels_due_times_and_the_public_timeline(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    number = _open_and_work_on(db, clock, make_user)
    response = client.post("/self-service/status", data={"number": number.lower(), "phone": "+86 138-0013-8000"})
    assert response.status_code == 200, response.text
    ticket = tickets_service.get_by_number(db, number)
    html = response.text
    assert _number(html) == number
    assert '<span class="badge status" id="ticket-status">处理中</span>' in html
    assert '<dd id="ticket-kind">报修</dd>' in html
    assert f'<dd id="ticket-priority">{label("priority", ticket.priority)}</dd>' in html
    assert "138****8000" in html
    targets = db.scalars(select(Target).where(Target.ticket_id == ticket.id)).all()
    assert targets
    for target in targets:
        if target.met_at is not None:
            assert f"已于 {format_local(target.met_at)} 完成" in html
        else:
            assert f"预计 {format_local(target.due_at)} 前" in html
    timeline = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', html, re.S)
    assert timeline is not None
    labels = re.findall(r'<span class="what">([^<]+)</span>', timeline.group(1))
    assert labels == ["登记", "联系处理"]
    assert timeline.group(1).count("2026-11-22 10:00") == 2
    for secret in ("内部备注", "客户情绪激动", "内部评论", "agent_wang", "客服坐席", "时限预警", "时限超时"):
        assert secret not in html
    _phone_is_absent(response)


def test_status_lookup_also_works_with_query_parameters(client: TestClient, db: Session, clock: FrozenClock) -> None:
    number = _web_ticket(db, clock)
    response = client.get("/self-service/status", params={"number": number, "phone": PHONE})
    assert response.status_code == 200
    assert _number(response.text) == number
    _phone_is_absent(response)
    prefilled = client.get("/self-service/status", params={"number": number})
    assert prefilled.status_code == 200
    assert f'value="{number}"' in prefilled.text


def test_wrong_phone_and_unknown_number_get_the_same_404_page(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    number = _web_ticket(db, clock)
    wrong = client.post("/self-service/status", data={"number": number, "phone": "13900139000"})
    unknown = client.post("/self-service/status", data={"number": "SH20991231-000001", "phone": PHONE})
    landline = client.post("/self-service/status", data={"number": number, "phone": "010-62345678"})
    for response in (wrong, unknown, landline):
        assert response.status_code == 404
        assert f'<p class="flash error" role="alert" id="lookup-error">{NOT_FOUND}</p>' in response.text
        assert "timeline" not in response.text
        _phone_is_absent(response)
    assert wrong.text.replace(number, "N") == unknown.text.replace("SH20991231-000001", "N")
    assert wrong.text == landline.text


def test_status_lookup_without_a_valid_phone_is_a_field_error(client: TestClient) -> None:
    response = client.post("/self-service/status", data={"number": "", "phone": "12"})
    assert response.status_code == 422
    assert _field_error(response.text, "number") == "请填写工单号"
    assert _field_error(response.text, "phone") == PHONE_ERROR
    assert 'aria-invalid="true" aria-describedby="phone-error"' in _input_tag(response.text, "phone")


def test_status_form_labels_its_fields(client: TestClient) -> None:
    page = client.get("/self-service/status")
    assert page.status_code == 200
    assert '<label for="number">' in page.text and '<label for="phone">' in page.text
    assert 'method="post" action="/self-service/status"' in page.text


def test_pages_render_in_english_too(client: TestClient) -> None:
    client.cookies.set("as_lang", "en")
    assert client.get("/self-service/request").status_code == 200
    response = _submit(client, phone="12345")
    assert response.status_code == 422
    assert 'aria-invalid="true"' in _input_tag(response.text, "phone")
    assert client.get("/self-service/status").status_code == 200
