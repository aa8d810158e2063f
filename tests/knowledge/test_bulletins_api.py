"""Known-issue bulletins through the API: create, publish, edit (409 on a stale version), fix and
withdraw; departments' notices (exact count, deduplicated by version); intake links matching tickets
(``bulletin_ids`` on the ticket) and not unrelated ones; one SMS per linked ticket on fix; bad input
changes nothing; the ticket page's known-issue box."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.knowledge.bulletins import notices
from aftersales.knowledge.models import Bulletin, BulletinTicket, BulletinVersion
from aftersales.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import UserFactory, console_login

BULLETIN = {
    "title": "YL-S7 升级固件 2.3.1 后指纹识别失灵",
    "cause": "2.3.1 固件的指纹比对阈值设置错误。",
    "workaround": "请客户先用密码或门卡开门；在 App 里回退到 2.3.0 固件。",
    "agent_script": "非常抱歉给您带来不便，这是已知问题，工程师正在修复……",
    "product_models": ["YL-S7"],
    "versions": ["2.3.1"],
    "keywords": ["指纹|手指", "识别不了|识别失败|失灵|不灵|没反应|认不出"],
}


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _create(client: TestClient, token: str, **overrides: object) -> dict[str, Any]:
    response = client.post("/api/v1/bulletins", json={**BULLETIN, **overrides}, headers=_headers(token))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _count(db: Session, model: type, *conditions: Any) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def _notices(db: Session) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == notices.DEPARTMENT_KIND)))


def _ticket(
    client: TestClient, db: Session, clock: FrozenClock, token: str, description: str, phone: str, model: str = "YL-S7"
) -> dict[str, Any]:
    """A ticket opened through intake (which links the bulletins it matches), as the API shows it."""
    opened = factories.ticket(
        db,
        clock=clock,
        description=description,
        customer_name="李四",
        phone=phone,
        address="广东省深圳市南山区科技园",
        product_model=model,
        serial_number=None,
    )
    db.commit()
    detail = client.get(f"/api/v1/tickets/{opened.id}", headers=_headers(token))
    return dict(detail.json())


def test_publish_edit_and_departments_notices(client: TestClient, db: Session, make_user: UserFactory) -> None:
    _, editor = make_user(Role.AGENT, username="kb_agent")
    make_user(Role.AGENT, username="kb_agent2")
    make_user(Role.DISPATCHER, username="kb_dispatch")
    make_user(Role.TECHNICIAN, username="kb_tech")
    make_user(Role.INSPECTOR, username="kb_inspector")  # not a default department
    make_user(Role.CUSTOMER, username="kb_customer", phone="13900000001")
    draft = _create(client, editor)
    assert (draft["number"], draft["status"], draft["version"], draft["ticket_ids"]) == (
        "KB-20261122-001",
        "draft",
        1,
        [],
    )
    assert draft["departments"] == ["agent", "dispatcher", "technician", "manager"]
    assert _notices(db) == []  # drafts are not announced

    published = client.post(f"/api/v1/bulletins/{draft['id']}/publish", json={"version": 1}, headers=_headers(editor))
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert published.json()["version"] == 2
    first = _notices(db)
    assert len(first) == 4  # two agents, the dispatcher, the technician
    assert {message.payload["version"] for message in first if message.payload} == {2}
    assert first[0].subject == "【已知问题新发布】KB-20261122-001 YL-S7 升级固件 2.3.1 后指纹识别失灵"
    assert "临时解决办法：请客户先用密码或门卡开门" in first[0].body

    again = client.post(f"/api/v1/bulletins/{draft['id']}/publish", headers=_headers(editor))
    assert again.status_code == 409 and again.json()["code"] == "bulletin.invalid_transition"

    changed = client.patch(
        f"/api/v1/bulletins/{draft['id']}",
        json={"version": 2, "expected_fix_at": "2026-11-30T18:00:00+08:00", "keywords": ["指纹", "失灵|不灵"]},
        headers=_headers(editor),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 3 and changed.json()["expected_fix_at"] == "2026-11-30T18:00:00+08:00"
    assert len(_notices(db)) == 8  # each department member once more, for version 3

    stale = client.patch(
        f"/api/v1/bulletins/{draft['id']}", json={"version": 2, "title": "旧版本的修改"}, headers=_headers(editor)
    )
    assert stale.status_code == 409 and stale.json()["code"] == "bulletin.version_conflict"
    unchanged = client.patch(
        f"/api/v1/bulletins/{draft['id']}", json={"version": 3, "title": BULLETIN["title"]}, headers=_headers(editor)
    )
    assert unchanged.status_code == 200 and unchanged.json()["version"] == 3
    bulletin = db.get(Bulletin, draft["id"])
    assert bulletin is not None
    db.refresh(bulletin)
    assert bulletin.title == BULLETIN["title"] and bulletin.version == 3
    assert len(_notices(db)) == 8
    # The same version is never announced twice.
    assert (
        notices.notify_departments(db, clock=FrozenClock(bulletin.updated_at), bulletin=bulletin, action="changed") == 0
    )
    assert _count(db, BulletinVersion, BulletinVersion.bulletin_id == draft["id"]) == 3
    history = client.get(f"/api/v1/bulletins/{draft['id']}/versions", headers=_headers(editor)).json()
    assert [entry["version"] for entry in history] == [1, 2, 3]

    listed = client.get(
        "/api/v1/bulletins", params={"status": "published", "product_model": "YL-S7"}, headers=_headers(editor)
    )
    assert [row["id"] for row in listed.json()] == [draft["id"]]
    other = client.get("/api/v1/bulletins", params={"product_model": "YL-T10"}, headers=_headers(editor))
    assert other.json() == []


def test_intake_links_matching_tickets_and_fix_tells_their_customers(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, agent = make_user(Role.AGENT, username="kb_agent3")
    bulletin = _create(client, agent, status="published")
    matching_one = _ticket(client, db, clock, agent, "门锁昨天自动升级了，今天指纹就识别不了了", "13800000011")
    matching_two = _ticket(client, db, clock, agent, "按指纹没反应，只能用密码开门", "13800000012")
    cancelled = _ticket(client, db, clock, agent, "指纹不灵了", "13800000013")
    unrelated = _ticket(client, db, clock, agent, "门铃按了不响", "13800000014")
    other_product = _ticket(client, db, clock, agent, "升级后指纹识别不了", "13800000015", model="YL-F3")
    for ticket in (matching_one, matching_two, cancelled):
        assert ticket["bulletin_ids"] == [bulletin["id"]]
        assert [event["note"] for event in ticket["events"] if event["type"] == "bulletin"] == [
            f"{bulletin['number']} {bulletin['title']}"
        ]
    assert unrelated["bulletin_ids"] == [] and other_product["bulletin_ids"] == []
    detail = client.get(f"/api/v1/bulletins/{bulletin['id']}", headers=_headers(agent)).json()
    assert detail["ticket_ids"] == sorted([matching_one["id"], matching_two["id"], cancelled["id"]])
    link = db.scalar(select(BulletinTicket).where(BulletinTicket.ticket_id == matching_one["id"]))
    assert link is not None and link.how == "auto" and link.score is not None and 0.6 <= link.score <= 1.0

    cancel = client.post(
        f"/api/v1/tickets/{cancelled['id']}/events",
        json={"type": "cancel", "note": "客户撤销"},
        headers=_headers(agent),
    )
    assert cancel.status_code == 200, cancel.text
    fixed = client.post(
        f"/api/v1/bulletins/{bulletin['id']}/fix", json={"note": "请在 App 中升级到 2.3.2"}, headers=_headers(agent)
    )
    assert fixed.status_code == 200 and fixed.json()["status"] == "fixed"
    sms = list(
        db.scalars(select(OutboxMessage).where(OutboxMessage.kind == notices.CUSTOMER_KIND).order_by(OutboxMessage.id))
    )
    assert [(message.channel, message.recipient_address, message.ticket_id) for message in sms] == [
        ("sms", "13800000011", matching_one["id"]),
        ("sms", "13800000012", matching_two["id"]),
    ]
    assert sms[0].body == (
        f"您好，您在工单 {matching_one['number']} 中反映的问题（{bulletin['title']}）已修复：请在 App 中升级到 2.3.2。"
        "如仍有问题，请直接回复或致电客服。"
    )
    fixed_bulletin = db.get(Bulletin, bulletin["id"])
    assert fixed_bulletin is not None
    db.refresh(fixed_bulletin)
    assert (
        notices.notify_customers_fixed(db, clock=FrozenClock(fixed_bulletin.updated_at), bulletin=fixed_bulletin) == 0
    )
    twice = client.post(f"/api/v1/bulletins/{bulletin['id']}/fix", json={"note": "再次"}, headers=_headers(agent))
    assert twice.status_code == 409
    assert _count(db, OutboxMessage, OutboxMessage.kind == notices.CUSTOMER_KIND) == 2
    # A fixed bulletin no longer links new tickets.
    assert _ticket(client, db, clock, agent, "指纹识别不了", "13800000016")["bulletin_ids"] == []


def test_manual_link_and_sorted_bulletin_ids(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, agent = make_user(Role.AGENT, username="kb_agent4")
    first = _create(client, agent, status="published")
    draft = _create(client, agent, title="YL-S7 门铃偶发不响", keywords=["门铃", "不响"])
    ticket = _ticket(client, db, clock, agent, "指纹识别失败好几次了", "13800000021")
    assert ticket["bulletin_ids"] == [first["id"]]
    refused = client.post(f"/api/v1/bulletins/{draft['id']}/tickets/{ticket['id']}", headers=_headers(agent))
    assert refused.status_code == 422 and refused.json()["code"] == "bulletin.not_published"
    client.post(f"/api/v1/bulletins/{draft['id']}/publish", headers=_headers(agent))
    linked = client.post(f"/api/v1/bulletins/{draft['id']}/tickets/{ticket['id']}", headers=_headers(agent))
    assert linked.status_code == 201 and linked.json() == {
        "bulletin_id": draft["id"],
        "ticket_id": ticket["id"],
        "how": "manual",
        "score": None,
    }
    assert (
        client.post(f"/api/v1/bulletins/{draft['id']}/tickets/{ticket['id']}", headers=_headers(agent)).status_code
        == 200
    )
    again = client.get(f"/api/v1/tickets/{ticket['id']}", headers=_headers(agent)).json()
    assert again["bulletin_ids"] == sorted([first["id"], draft["id"]])
    missing = client.post(f"/api/v1/bulletins/999999/tickets/{ticket['id']}", headers=_headers(agent))
    assert missing.status_code == 404 and missing.json()["code"] == "bulletin.not_found"


def test_bad_input_is_refused_and_nothing_changes(client: TestClient, db: Session, make_user: UserFactory) -> None:
    _, agent = make_user(Role.AGENT, username="kb_agent5")
    _, tech = make_user(Role.TECHNICIAN, username="kb_tech2")
    before = (_count(db, Bulletin), _count(db, OutboxMessage))
    response = client.post(
        "/api/v1/bulletins",
        json={**BULLETIN, "title": " ", "status": "fixed", "departments": ["customer"], "keywords": ["指纹", ""]},
        headers=_headers(agent),
    )
    assert response.status_code == 422
    assert {"title", "status", "departments", "keywords"} <= set(response.json()["fields"])
    assert (
        client.post("/api/v1/bulletins", json={**BULLETIN, "colour": "red"}, headers=_headers(agent)).status_code == 422
    )
    assert client.post("/api/v1/bulletins", json=BULLETIN, headers=_headers(tech)).status_code == 403
    assert (_count(db, Bulletin), _count(db, OutboxMessage)) == before

    created = _create(client, agent, status="published")
    state = (_count(db, BulletinVersion), _count(db, OutboxMessage))
    for body in ({"version": 1, "status": "fixed"}, {"version": 1, "workaround": ""}, {"title": "缺少版本"}):
        refused = client.patch(f"/api/v1/bulletins/{created['id']}", json=body, headers=_headers(agent))
        assert refused.status_code == 422, body
    assert (
        client.post(f"/api/v1/bulletins/{created['id']}/fix", json={"note": " "}, headers=_headers(agent)).status_code
        == 422
    )
    assert (_count(db, BulletinVersion), _count(db, OutboxMessage)) == state
    assert client.get("/api/v1/bulletins/999999", headers=_headers(agent)).status_code == 404


def test_ticket_page_shows_the_workaround(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, agent = make_user(Role.AGENT, username="kb_agent6")
    bulletin = _create(client, agent, status="published")
    linked = _ticket(client, db, clock, agent, "指纹识别失败，升级以后就这样", "13800000031")
    plain = _ticket(client, db, clock, agent, "门铃按了不响", "13800000032")
    console_login(client, db, "kb_agent6")
    page = client.get(f"/console/tickets/{linked['id']}")
    assert page.status_code == 200 and f'hx-get="/console/tickets/{linked["id"]}/bulletins"' in page.text
    box = client.get(f"/console/tickets/{linked['id']}/bulletins")
    assert box.status_code == 200
    assert f'data-bulletin="{bulletin["id"]}"' in box.text
    assert "临时解决办法" in box.text and BULLETIN["workaround"] in box.text and "客服话术" in box.text
    empty = client.get(f"/console/tickets/{plain['id']}/bulletins")
    assert empty.status_code == 200 and "data-bulletin" not in empty.text
