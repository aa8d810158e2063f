"""Editing a ticket on its page: kind, priority, description, product and assignee through the tickets
service with the version; a save someone else beat comes back with the typed values and what changed;
bad input gets field errors; nothing is written when refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.customers.models import InstalledProduct
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType, Priority, TicketStatus
from aftersales.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.conftest import UserFactory, console_login
from tests.usecases.console.ticket_page_support import form_fields, snapshot


def _ticket(db: Session, ticket_id: int) -> Ticket:
    db.expire_all()
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket


def test_an_agent_edits_every_field_and_the_change_is_on_the_timeline_and_audited(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="edit1")
    tech = factories.technician(db, clock=clock, username="edit_tech")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "edit1")
    page = client.get(f"/console/tickets/{ticket.id}")
    assert 'id="edit-link"' in page.text and 'data-shortcut="e"' in page.text
    form = client.get(f"/console/tickets/{ticket.id}/edit")
    assert form.status_code == 200
    fields = form_fields(form.text, "edit-form")
    assert {name: fields[name] for name in ("kind", "priority", "description", "product_model", "serial_number")} == {
        "kind": "repair",
        "priority": "routine",
        "description": "指纹锁识别失败，需要上门维修",
        "product_model": "YL-S7",
        "serial_number": "SN-0001",
    }
    assert (fields["version"], fields["base_priority"], fields["assignee"]) == ("1", "routine", "")
    fields |= {
        "csrf_token": csrf,
        "kind": "installation",
        "priority": "urgent",
        "description": "  客户补充：门锁换新，需要上门安装  ",
        "product_model": "YL-S9",
        "serial_number": "SN-9009",
        "assignee": "edit_tech",
    }
    saved = client.post(f"/console/tickets/{ticket.id}/edit", data=fields, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (303, f"/console/tickets/{ticket.id}?updated=1")
    after = _ticket(db, ticket.id)
    product = db.get(InstalledProduct, after.installed_product_id)
    assert product is not None and (product.model, product.serial_number, product.customer_id) == (
        "YL-S9",
        "SN-9009",
        after.customer_id,
    )
    assert (after.kind, after.priority, after.description, after.product_model, after.assignee_id) == (
        "installation",
        "urgent",
        "客户补充：门锁换新，需要上门安装",
        "YL-S9",
        tech.user.id,
    )
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.updated")).one()
    assert (audit.actor_name, audit.entity_id) == ("edit1", str(ticket.id))
    assert audit.after == {
        "kind": "installation",
        "priority": "urgent",
        "description": "客户补充：门锁换新，需要上门安装",
        "product": {"model": "YL-S9", "serial_number": "SN-9009"},
        "assignee_id": tech.user.id,
    }
    types = db.scalars(select(TicketEvent.type).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))
    assert list(types) == ["register", "assign", "update"]
    shown = client.get(f"/console/tickets/{ticket.id}?updated=1").text
    assert "工单已更新" in shown and "YL-S9 · SN-9009" in shown and "处理人：edit_tech" in shown
    summary = "类型：报修 → 安装；优先级：常规 → 紧急；问题描述已修改；产品：YL-S7 SN-0001 → YL-S9 SN-9009"
    assert '<li data-event="update">' in shown and f"<br>{summary}</li>" in shown


def test_someone_saving_first_brings_the_form_back_with_the_typed_text_and_what_changed(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="edit2")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "edit2")
    fields = form_fields(client.get(f"/console/tickets/{ticket.id}/edit").text, "edit-form")
    # Meanwhile a colleague raises the priority and rewrites the description.
    tickets_service.update_ticket(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        ticket_id=ticket.id,
        version=1,
        priority=Priority.URGENT,
        description="客户来电：门锁完全打不开",
    )
    db.commit()
    before = snapshot(db, ticket.id)
    typed = fields | {"csrf_token": csrf, "priority": "complex", "description": "我写的：需要带新锁体上门"}
    refused = client.post(f"/console/tickets/{ticket.id}/edit", data=typed, follow_redirects=False)
    assert refused.status_code == 409
    assert "保存失败：在您编辑期间，工单已被他人修改" in refused.text
    again = form_fields(refused.text, "edit-form")
    # What the user typed is kept; the form is now judged against the values they were shown.
    assert (again["description"], again["priority"]) == ("我写的：需要带新锁体上门", "complex")
    assert (again["version"], again["base_priority"], again["base_description"]) == (
        "2",
        "urgent",
        "客户来电：门锁完全打不开",
    )
    assert 'data-changed="priority">紧急<' in refused.text
    assert 'data-changed="description">客户来电：门锁完全打不开<' in refused.text
    assert 'data-changed="kind"' not in refused.text and 'data-changed="product_model"' not in refused.text
    assert snapshot(db, ticket.id) == before
    # Re-applied from the form as it came back: saved over the colleague's change, knowingly.
    saved = client.post(f"/console/tickets/{ticket.id}/edit", data=again | {"csrf_token": csrf}, follow_redirects=False)
    assert saved.status_code == 303
    after = _ticket(db, ticket.id)
    assert (after.priority, after.description, after.version) == ("complex", "我写的：需要带新锁体上门", 3)


def test_a_version_moved_by_something_the_form_does_not_show_refuses_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="edit3")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "edit3")
    fields = form_fields(client.get(f"/console/tickets/{ticket.id}/edit").text, "edit-form")
    tickets_service.apply_event(db, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id, event_type=EventType.CONTACT)
    db.commit()
    saved = client.post(
        f"/console/tickets/{ticket.id}/edit",
        data=fields | {"csrf_token": csrf, "priority": "urgent"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    after = _ticket(db, ticket.id)
    assert (after.priority, after.status) == ("urgent", TicketStatus.IN_PROGRESS)


def test_bad_input_gets_chinese_field_errors_and_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="edit4")
    make_user(Role.AGENT, username="not_a_tech")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "edit4")
    fields = form_fields(client.get(f"/console/tickets/{ticket.id}/edit").text, "edit-form") | {"csrf_token": csrf}
    before = snapshot(db, ticket.id)
    bad = fields | {
        "kind": "teleport",
        "description": "   ",
        "product_model": "",
        "serial_number": "SN-7777",
        "assignee": "not_a_tech",
    }
    refused = client.post(f"/console/tickets/{ticket.id}/edit", data=bad, follow_redirects=False)
    assert refused.status_code == 422
    assert "工单内容有误，请按提示修改" in refused.text
    assert '<p class="field-error" id="kind-error">请选择有效的选项</p>' in refused.text
    assert '<p class="field-error" id="description-error">请填写问题描述</p>' in refused.text
    assert '<p class="field-error" id="product_model-error">填写序列号时请同时填写产品型号</p>' in refused.text
    assert '<p class="field-error" id="assignee-error">请选择可派单的技术员或服务商</p>' in refused.text
    kept = form_fields(refused.text, "edit-form")
    assert (kept["serial_number"], kept["version"]) == ("SN-7777", "1")
    assert snapshot(db, ticket.id) == before


def test_a_serial_registered_to_another_customer_is_refused(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="edit5")
    factories.ticket(db, clock=clock, customer_name="李四", phone="13900139000", serial_number="SN-LI")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "edit5")
    fields = form_fields(client.get(f"/console/tickets/{ticket.id}/edit").text, "edit-form")
    before = snapshot(db, ticket.id)
    refused = client.post(
        f"/console/tickets/{ticket.id}/edit",
        data=fields | {"csrf_token": csrf, "serial_number": "SN-LI"},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert '<p class="field-error" id="serial_number-error">该序列号已登记在其他客户名下</p>' in refused.text
    assert snapshot(db, ticket.id) == before


def test_an_ended_ticket_cannot_be_edited(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="edit6")
    ticket = factories.ticket_in_status(db, clock=clock, status=TicketStatus.CANCELLED)
    db.commit()
    csrf = console_login(client, db, "edit6")
    page = client.get(f"/console/tickets/{ticket.id}").text
    assert 'id="edit-link"' not in page
    form = client.get(f"/console/tickets/{ticket.id}/edit").text
    assert "已闭环或已取消的工单不能修改" in form and 'id="edit-form"' not in form
    before = snapshot(db, ticket.id)
    data = {"csrf_token": csrf, "version": "2", "kind": "repair", "priority": "urgent", "description": "x"}
    data |= {"base_kind": "repair", "base_priority": "routine", "base_description": "指纹锁识别失败，需要上门维修"}
    data |= {"base_product_model": "YL-S7", "base_serial_number": "SN-0001", "product_model": "YL-S7"}
    data |= {"serial_number": "SN-0001"}
    refused = client.post(f"/console/tickets/{ticket.id}/edit", data=data, follow_redirects=False)
    assert refused.status_code == 409 and "已闭环或已取消的工单不能修改" in refused.text
    assert snapshot(db, ticket.id) == before


def test_the_api_edits_the_product_through_the_same_service(
    client: TestClient, db: Session, clock: FrozenClock, auth: dict[str, str]
) -> None:
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    body = {"version": 1, "product": {"model": "YL-S9", "serial_number": "SN-9"}}
    reply = client.patch(f"/api/v1/tickets/{ticket.id}", json=body, headers=auth)
    assert reply.status_code == 200, reply.text
    assert (reply.json()["product"]["model"], reply.json()["product"]["serial_number"]) == ("YL-S9", "SN-9")
