"""Known-issue bulletins on screen: the list (state, products, affected count), a draft written by form,
published (matching tickets are then linked), changed over a concurrent save (409 keeps what was typed
and shows what changed), marked fixed with its note, withdrawn after a confirmation; linked tickets and
history on the bulletin's page. Bad input is shown by its field and changes nothing; readers only read."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.knowledge.bulletins import notices
from aftersales.knowledge.bulletins import service as bulletins_service
from aftersales.knowledge.bulletins.schemas import BulletinUpdate
from aftersales.knowledge.enums import BulletinStatus
from aftersales.knowledge.models import Bulletin, BulletinTicket
from aftersales.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import UserFactory, console_login
from tests.factories import knowledge as knowledge_factories

FORM = {
    "title": "YL-S7 升级固件 2.3.1 后指纹识别失灵",
    "cause": "2.3.1 固件的指纹比对阈值设置错误。",
    "workaround": "请客户先用密码或门卡开门。",
    "agent_script": "非常抱歉，这是已知问题。",
    "product_models": "YL-S7",
    "versions": "2.3.1, 2.3.2",
    "keywords": "指纹|手指\n识别失败|失灵|没反应",
    "expected_fix_at": "2026-11-29T18:00",
    "departments": ["agent", "manager"],
}


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert match is not None, field
    return match.group(1)


def _audits(db: Session) -> list[tuple[str, str, str]]:
    rows = db.execute(
        select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.actor_name)
        .where(AuditEntry.entity_type == "bulletin")
        .order_by(AuditEntry.id)
    ).all()
    return [tuple(row) for row in rows]


def _stored(db: Session, bulletin_id: int) -> Bulletin:
    db.expire_all()
    bulletin = db.get(Bulletin, bulletin_id)
    assert bulletin is not None
    return bulletin


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data=data, follow_redirects=False)


def test_the_list_shows_state_products_and_affected_count(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.DISPATCHER, username="kb_reader")
    lock = knowledge_factories.bulletin(db, clock=clock, status=BulletinStatus.PUBLISHED)
    tablet = knowledge_factories.bulletin(
        db, clock=clock, title="YL-T10 充电口接触不良", product_models=["YL-T10"], keywords=["充电"]
    )
    factories.ticket(db, clock=clock, description="指纹识别失败，打不开门", phone="13800138001")
    factories.ticket(db, clock=clock, description="手指按上去没反应，失灵了", phone="13800138002")
    factories.ticket(db, clock=clock, description="门铃不响", phone="13800138003")
    db.commit()
    console_login(client, db, "kb_reader")
    page = client.get("/console/bulletins")
    assert page.status_code == 200
    assert re.findall(r'<tr data-bulletin="(\d+)">', page.text) == [str(tablet.id), str(lock.id)]
    row = page.text.split(f'<tr data-bulletin="{lock.id}">')[1].split("</tr>")[0]
    assert 'data-status="published">已发布</span>' in row and "<td>YL-S7</td>" in row
    assert '<td data-affected="2">2</td>' in row
    assert '<td data-affected="0">0</td>' in page.text.split(f'<tr data-bulletin="{tablet.id}">')[1]
    assert (
        "新建公告" not in page.text
        and 'action="/console/bulletins' not in client.get(f"/console/bulletins/{lock.id}").text
    )  # a dispatcher reads only
    drafts = client.get("/console/bulletins", params={"status": "draft"}).text
    assert re.findall(r'<tr data-bulletin="(\d+)">', drafts) == [str(tablet.id)]
    for_tablets = client.get("/console/bulletins", params={"product": "yl-t10"}).text
    assert re.findall(r'<tr data-bulletin="(\d+)">', for_tablets) == [str(tablet.id)]
    detail = client.get(f"/console/bulletins/{lock.id}").text
    assert len(re.findall(r'<tr data-ticket="\d+">', detail)) == 2 and "关联工单（2）" in detail
    assert "自动匹配" in detail
    assert client.get("/console/bulletins/new").status_code == 403


def test_a_manager_drafts_then_publishes_and_matching_tickets_are_linked(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.MANAGER, username="kb_manager")
    make_user(Role.AGENT, username="kb_agent")
    csrf = console_login(client, db, "kb_manager")
    form = client.get("/console/bulletins/new").text
    assert 'id="f-dept-agent" name="departments" value="agent" style="width:auto" checked' in form
    assert 'id="f-dept-inspector" name="departments" value="inspector" style="width:auto">' in form
    reply = _post(client, "/console/bulletins/new", {**FORM, "csrf_token": csrf, "status": "draft"})
    assert reply.status_code == 303
    bulletin = db.scalars(select(Bulletin)).one()
    assert reply.headers["location"] == f"/console/bulletins/{bulletin.id}?done=created"
    assert (bulletin.number, bulletin.status, bulletin.versions, bulletin.keywords, bulletin.departments) == (
        "KB-20261122-001", "draft", ["2.3.1", "2.3.2"], ["指纹|手指", "识别失败|失灵|没反应"], ["agent", "manager"],
    )  # fmt: skip
    assert bulletin.expected_fix_at == datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # a draft tells nobody
    page = client.get(reply.headers["location"]).text
    assert "已知问题已保存为草稿" in page and "2026-11-29 18:00" in page and "还没有关联的工单。" in page
    published = _post(client, f"/console/bulletins/{bulletin.id}/publish", {"csrf_token": csrf, "version": "1"})
    assert published.headers["location"] == f"/console/bulletins/{bulletin.id}?done=published"
    assert _stored(db, bulletin.id).status == "published"
    kinds = db.scalars(select(OutboxMessage.kind).where(OutboxMessage.kind == notices.DEPARTMENT_KIND)).all()
    assert len(kinds) == 2  # the agent and the manager
    assert _audits(db) == [
        ("bulletin.created", str(bulletin.id), "kb_manager"),
        ("bulletin.published", str(bulletin.id), "kb_manager"),
    ]
    ticket = factories.ticket(db, clock=clock, description="YL-S7 指纹识别失败，开不了门", phone="13800138009")
    db.commit()
    assert db.scalar(select(BulletinTicket.ticket_id).where(BulletinTicket.bulletin_id == bulletin.id)) == ticket.id
    detail = client.get(f"/console/bulletins/{bulletin.id}").text
    assert f'<tr data-ticket="{ticket.id}">' in detail and f">{ticket.number}</a>" in detail
    assert re.findall(r'<li data-version="(\d+)">', detail) == ["2", "1"]
    again = _post(client, f"/console/bulletins/{bulletin.id}/publish", {"csrf_token": csrf, "version": "2"})
    assert again.status_code == 409 and "当前状态（已发布）不能执行该操作" in again.text


def test_bad_input_is_shown_by_field_and_saves_nothing(client: TestClient, db: Session, make_user: UserFactory) -> None:
    make_user(Role.AGENT, username="kb_agent")
    csrf = console_login(client, db, "kb_agent")
    bad = {
        **FORM,
        "csrf_token": csrf,
        "cause": "  ",
        "expected_fix_at": "下周",
        "departments": ["agent", "customer"],
        "versions": ", ".join(f"1.{n}" for n in range(21)),
        "workaround": "先用<密码>开门",
    }
    reply = client.post("/console/bulletins/new", data=bad)
    assert reply.status_code == 422
    assert _field_error(reply.text, "cause") == "不能为空"
    assert _field_error(reply.text, "expected_fix_at") == "请填写有效的日期和时间"
    assert _field_error(reply.text, "versions") == "最多 20 项"
    assert "先用&lt;密码&gt;开门</textarea>" in reply.text and 'value="下周"' in reply.text
    assert db.scalar(select(func.count()).select_from(Bulletin)) == 0 and _audits(db) == []
    customers = client.post("/console/bulletins/new", data={**FORM, "csrf_token": csrf, "departments": ["customer"]})
    assert customers.status_code == 422 and _field_error(customers.text, "departments") == "通知部门只能是员工角色"
    assert db.scalar(select(func.count()).select_from(Bulletin)) == 0


def test_a_concurrent_save_is_refused_keeping_the_typed_text_and_showing_what_changed(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    other, _ = make_user(Role.MANAGER, username="kb_other")
    make_user(Role.AGENT, username="kb_agent")
    bulletin = knowledge_factories.bulletin(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "kb_agent")
    form = client.get(f"/console/bulletins/{bulletin.id}/edit").text
    assert (
        '<input type="hidden" name="version" value="1">' in form
        and "指纹|手指\n识别失败|不识别|失灵</textarea>" in form
    )
    bulletins_service.update_bulletin(
        db, clock=clock, actor=other, bulletin_id=bulletin.id,
        data=BulletinUpdate(version=1, workaround="改用门卡开门", expected_fix_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC)),
    )  # fmt: skip
    db.commit()
    mine = {**FORM, "csrf_token": csrf, "version": "1", "workaround": "我写的临时办法"}
    refused = client.post(f"/console/bulletins/{bulletin.id}/edit", data=mine)
    assert refused.status_code == 409
    assert "已知问题已被他人修改（当前版本 2），请刷新后重试" in refused.text
    assert "我写的临时办法</textarea>" in refused.text
    assert '<input type="hidden" name="version" value="2">' in refused.text
    assert re.findall(r'<dt data-field="(\w+)">', refused.text) == ["workaround", "expected_fix_at"]
    assert '<dd class="pre-line">改用门卡开门</dd>' in refused.text
    assert '<dd class="pre-line">2026-12-01 10:00</dd>' in refused.text
    assert _stored(db, bulletin.id).workaround == "改用门卡开门"
    saved = _post(client, f"/console/bulletins/{bulletin.id}/edit", {**mine, "version": "2"})
    assert saved.headers["location"] == f"/console/bulletins/{bulletin.id}?done=saved"
    stored = _stored(db, bulletin.id)
    assert (stored.version, stored.workaround, stored.title, stored.updated_by) == (
        3,
        "我写的临时办法",
        FORM["title"],
        "kb_agent",
    )


def test_fix_needs_its_note_and_withdraw_its_confirmation(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.ADMIN, username="kb_admin")
    fixed = knowledge_factories.bulletin(db, clock=clock, status=BulletinStatus.PUBLISHED)
    mistaken = knowledge_factories.bulletin(db, clock=clock, title="误发的公告", status=BulletinStatus.PUBLISHED)
    db.commit()
    csrf = console_login(client, db, "kb_admin")
    page = client.get(f"/console/bulletins/{fixed.id}").text
    assert f'action="/console/bulletins/{fixed.id}/fix"' in page and "确认撤回" in page
    blank = client.post(f"/console/bulletins/{fixed.id}/fix", data={"csrf_token": csrf, "version": "1", "note": " "})
    assert blank.status_code == 422 and _field_error(blank.text, "note") == "不能为空"
    assert _stored(db, fixed.id).status == "published"
    done = _post(
        client, f"/console/bulletins/{fixed.id}/fix", {"csrf_token": csrf, "version": "1", "note": "请升级到 2.3.2"}
    )
    assert done.headers["location"] == f"/console/bulletins/{fixed.id}?done=fixed"
    stored = _stored(db, fixed.id)
    assert (stored.status, stored.fix_note, stored.fixed_at) == ("fixed", "请升级到 2.3.2", clock.now())
    shown = client.get(done.headers["location"]).text
    assert '<dd id="fix-note-shown">请升级到 2.3.2</dd>' in shown and "确认撤回" not in shown
    unconfirmed = client.post(f"/console/bulletins/{mistaken.id}/withdraw", data={"csrf_token": csrf, "version": "1"})
    assert unconfirmed.status_code == 422 and "撤回前请确认" in unconfirmed.text
    assert _stored(db, mistaken.id).status == "published"
    withdrawn = _post(
        client, f"/console/bulletins/{mistaken.id}/withdraw", {"csrf_token": csrf, "version": "1", "confirm": "yes"}
    )
    assert withdrawn.headers["location"] == f"/console/bulletins/{mistaken.id}?done=withdrawn"
    assert _stored(db, mistaken.id).status == "withdrawn"
    assert f"/console/bulletins/{mistaken.id}/edit" not in client.get(f"/console/bulletins/{mistaken.id}").text
    frozen = client.post(f"/console/bulletins/{mistaken.id}/edit", data={**FORM, "csrf_token": csrf, "version": "2"})
    assert frozen.status_code == 409 and "已撤回的已知问题不能再修改" in frozen.text
    assert [action for action, _, _ in _audits(db)] == [
        "bulletin.published", "bulletin.published", "bulletin.fixed", "bulletin.withdrawn",
    ]  # fmt: skip
