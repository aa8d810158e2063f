"""The technician's job flow on a real database, through the API and the use cases: the full flow with
the on-site SLA met at check-in, decline back to the queue, confirmation codes, refused input that
changes nothing, and who may see and do a job."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.models import AuditEntry
from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.core.errors import DomainError
from aftersales.dispatch import fieldwork
from aftersales.dispatch.errors import ConfirmationCodeError, WrongConfirmationCodeError
from aftersales.dispatch.fieldwork.inputs import Upload
from aftersales.dispatch.fieldwork.models import ConfirmationCode
from aftersales.dispatch.network.models import Technician
from aftersales.notifications import service as notifications_service
from aftersales.sla.models import Target
from aftersales.tickets.models import Ticket, TicketAttachment, TicketEvent
from tests.conftest import UserFactory
from tests.dispatch.fieldwork_support import (
    PNG,
    PNG_BASE64,
    World,
    counts,
    event_types,
    make_world,
    open_job,
    sent_code,
    step,
)
from tests.images import GIF, png


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Jobs are assigned by hand here: no dispatch at intake.
    return Settings(
        database_url=database_url, run_jobs_in_process=False, auto_dispatch=False, dispatch_in_background=False
    )


@pytest.fixture
def world(db: Session, clock: FrozenClock, make_user: UserFactory) -> World:
    return make_world(db, clock, make_user)


def _address(db: Session, ticket_id: int) -> tuple[float, float]:
    db.expire_all()
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None and ticket.address is not None
    assert ticket.address.longitude is not None and ticket.address.latitude is not None
    return ticket.address.longitude, ticket.address.latitude


def _onsite(db: Session, ticket_id: int) -> Target:
    db.expire_all()
    return db.scalars(select(Target).where(Target.ticket_id == ticket_id, Target.kind == "onsite")).one()


def test_full_flow_from_accept_to_check_out(client: TestClient, db: Session, clock: FrozenClock, world: World) -> None:
    ticket_id = open_job(db, clock, world)
    jobs = client.get("/api/v1/jobs", headers=world.headers("tech_a")).json()
    assert [(job["id"], job["field_state"], job["customer_phone_masked"]) for job in jobs] == [
        (ticket_id, "assigned", "138****8000")
    ]
    assert jobs[0]["onsite_due_at"] == "2026-11-22T12:00:00+08:00"  # urgent: on site within 2 h

    early = step(client, world, "tech_a", ticket_id, "check-in", {"longitude": 113.93, "latitude": 22.53})
    assert early.status_code == 409
    assert (early.json()["code"], early.json()["detail"]) == ("dispatch.step_not_allowed", "请先接单")
    assert early.json()["fields"]["allowed"] == ["accept", "decline"]

    card = step(client, world, "tech_a", ticket_id, "accept").json()
    assert (card["field_state"], card["allowed_actions"]) == ("accepted", ["decline", "on_the_way", "check_in"])
    assert card["customer_phone"] == "13800138000"

    card = step(client, world, "tech_a", ticket_id, "on-the-way", {"longitude": 113.95, "latitude": 22.54}).json()
    assert (card["field_state"], card["status"]) == ("on_the_way", "in_progress")  # contacted on the way
    profile = db.get(Technician, world.actors["tech_a"].user_id)
    db.refresh(profile)
    assert profile is not None and (profile.last_longitude, profile.last_latitude) == (113.95, 22.54)
    assert profile.last_seen_at == clock.now()
    sms = notifications_service.list_outbox(db, ticket_id=ticket_id, kind="on_the_way")
    assert [(m.channel, m.recipient_address) for m in sms] == [("sms", "13800138000")]
    assert sms[0].body.startswith("您好，为您服务的师傅已出发，预计约")

    clock.advance(timedelta(hours=1))
    longitude, latitude = _address(db, ticket_id)
    card = step(client, world, "tech_a", ticket_id, "check-in", {"longitude": longitude, "latitude": latitude}).json()
    assert (card["field_state"], card["visits"]) == ("on_site", 1)
    onsite = _onsite(db, ticket_id)
    assert (onsite.state, onsite.met_at) == ("met", clock.now())
    check_in = card["events"][-1]
    assert check_in["type"] == "check_in" and check_in["note"] == "第 1 次上门签到，距客户地址约 0 米"
    assert check_in["data"] == {
        "longitude": longitude,
        "latitude": latitude,
        "distance_km": 0.0,
        "far_from_address": False,
        "visit": 1,
        "note_key": "fieldwork.checked_in",
        "note_params": {"visit": 1, "where": {"key": "fieldwork.near_address", "params": {"metres": "0"}}, "note": ""},
    }

    step(client, world, "tech_a", ticket_id, "diagnosis", {"fault": "指纹模块排线松动", "note": "已重新插紧"})
    parts = [{"part_code": "FP-01", "name": "指纹模块", "quantity": 1, "serial_number": "SN-77"}]
    card = step(client, world, "tech_a", ticket_id, "parts", {"parts": parts}).json()
    assert card["events"][-1]["note"] == "使用配件：指纹模块×1"
    assert card["events"][-1]["data"] == {
        "lines": parts,
        "note_key": "fieldwork.parts_used",
        "note_params": {"parts": {"join": "、", "items": ["指纹模块×1"]}},
    }

    photo = {"filename": "完工.png", "content_base64": PNG_BASE64}
    card = step(
        client, world, "tech_a", ticket_id, "result", {"note": "更换指纹模块，测试正常", "photos": [photo]}
    ).json()
    assert card["status"] == "resolved"
    result_event = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == "result")
    ).one()
    [attachment] = card["attachments"]
    assert {key: attachment[key] for key in ("kind", "filename", "content_type", "size_bytes", "event_id")} == {
        "kind": "photo",
        "filename": "完工.png",
        "content_type": "image/png",
        "size_bytes": len(PNG),
        "event_id": result_event.id,
    }
    image = client.get(attachment["url"], headers=world.headers("tech_a"))
    assert (image.status_code, image.content, image.headers["content-type"]) == (200, PNG, "image/png")
    assert image.headers["x-content-type-options"] == "nosniff"

    sent = step(client, world, "tech_a", ticket_id, "confirmation-code")
    assert sent.json() == {"sent_to": "138****8000", "expires_at": "2026-11-22T11:30:00+08:00"}
    code = sent_code(db, ticket_id)
    wrong = "000000" if code != "000000" else "111111"
    refused = step(client, world, "tech_a", ticket_id, "confirmation", {"method": "code", "code": wrong})
    assert (refused.status_code, refused.json()["code"], refused.json()["detail"]) == (
        422,
        "dispatch.code_wrong",
        "确认码错误，还可尝试 4 次",
    )
    db.expire_all()
    assert db.scalars(select(ConfirmationCode.attempts).where(ConfirmationCode.ticket_id == ticket_id)).one() == 1
    card = step(client, world, "tech_a", ticket_id, "confirmation", {"method": "code", "code": code}).json()
    assert card["is_confirmed"] is True and "confirmation" not in card["allowed_actions"]

    clock.advance(timedelta(minutes=45))
    card = step(client, world, "tech_a", ticket_id, "check-out", {"note": "已清理现场"}).json()
    assert card["field_state"] == "checked_out"
    assert card["events"][-1]["note"] == "离场签退，现场停留 45分钟；已清理现场"
    assert card["events"][-1]["data"] == {
        "minutes_on_site": 45,
        "resolved": True,
        "confirmed": True,
        "visit": 1,
        "note_key": "fieldwork.checked_out_with_note",
        "note_params": {"duration": {"key": "duration.minutes", "params": {"m": 45}}, "note": "已清理现场"},
    }
    assert client.get("/api/v1/jobs", headers=world.headers("tech_a")).json() == []  # done

    assert event_types(db, ticket_id)[-9:] == [
        "accept",
        "contact",
        "on_the_way",
        "check_in",
        "diagnosis",
        "parts_used",
        "result",
        "confirmation",
        "check_out",
    ]
    actions = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.entity_type == "ticket", AuditEntry.entity_id == str(ticket_id))
        .order_by(AuditEntry.id)  # PostgreSQL returns rows in no particular order without it
    ).all()
    assert [a for a in actions if a.startswith("job.")] == [
        "job.accept",
        "job.on_the_way",
        "job.diagnosis",
        "job.parts_used",
        "job.confirmation_code_sent",
        "job.confirmation",
        "job.check_out",
    ]
    assert {"ticket.contact", "ticket.check_in", "ticket.result"} <= set(actions)


def test_check_in_after_the_due_time_leaves_the_onsite_target_breached(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    step(client, world, "tech_a", ticket_id, "accept")
    clock.advance(timedelta(hours=3))
    reply = step(client, world, "tech_a", ticket_id, "check-in", {"longitude": 113.0, "latitude": 23.0})
    assert reply.status_code == 200, reply.text
    onsite = _onsite(db, ticket_id)
    assert (onsite.state, onsite.met_at) == ("breached", clock.now())
    data = reply.json()["events"][-1]["data"]
    assert data["far_from_address"] is True and data["distance_km"] > 1


def test_decline_puts_the_job_back_in_the_queue_with_the_reason(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    before = counts(db, ticket_id)
    blank = step(client, world, "tech_a", ticket_id, "decline", {"reason": "  "})
    assert (blank.status_code, blank.json()["code"], blank.json()["detail"]) == (
        422,
        "dispatch.invalid",
        "拒单原因不能为空",
    )
    assert counts(db, ticket_id) == before
    version = db.get(Ticket, ticket_id).version  # type: ignore[union-attr]

    assert step(client, world, "tech_a", ticket_id, "decline", {"reason": "缺少所需配件"}).status_code == 204
    db.expire_all()
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None and (ticket.assignee_id, ticket.organisation_id) == (None, None)
    assert ticket.version == version + 1
    decline = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == "decline")
    ).one()
    assert decline.note == "拒单：缺少所需配件，已退回调度台"
    assert decline.data == {
        "previous_assignee": "tech_a",
        "reason": "缺少所需配件",
        "note_key": "fieldwork.declined",
        "note_params": {"reason": "缺少所需配件"},
    }
    told = notifications_service.list_outbox(db, ticket_id=ticket_id, kind="job_declined")
    assert [(m.recipient_user_id, m.body) for m in told] == [
        (
            world.actors["disp_f"].user_id,
            f"tech_a 拒绝了工单 {ticket.number}：缺少所需配件。工单已退回调度台，请重新派单。",
        )
    ]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.unassigned")).one()
    assert audit.entity_id == str(ticket_id) and audit.after == {
        "assignee_id": None,
        "organisation_id": None,
        "version": version + 1,
    }
    assert client.get("/api/v1/jobs", headers=world.headers("tech_a")).json() == []
    assert client.get(f"/api/v1/jobs/{ticket_id}", headers=world.headers("tech_a")).status_code == 404
    # Assigned again, the job starts over for the new technician.
    reply = client.patch(
        f"/api/v1/tickets/{ticket_id}",
        json={"version": version + 1, "assignee_username": "tech_b"},
        headers=world.headers("disp_f"),
    )
    assert reply.status_code == 200
    assert client.get(f"/api/v1/jobs/{ticket_id}", headers=world.headers("tech_b")).json()["field_state"] == "assigned"


def _on_site(db: Session, clock: FrozenClock, world: World, ticket_id: int) -> None:
    actor = world.actors["tech_a"]
    fieldwork.accept(db, clock=clock, actor=actor, ticket_id=ticket_id)
    fieldwork.check_in(db, clock=clock, actor=actor, ticket_id=ticket_id, longitude=113.93, latitude=22.53)


def test_confirmation_codes_count_attempts_expire_and_are_replaced(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    actor = world.actors["tech_a"]
    _on_site(db, clock, world, ticket_id)
    early = pytest.raises(DomainError, match="请先提交处理结果，再请客户确认")
    with early:
        fieldwork.request_confirmation_code(db, clock=clock, actor=actor, ticket_id=ticket_id)
    fieldwork.result(db, clock=clock, actor=actor, ticket_id=ticket_id, note="已修复", photos=[Upload("a.png", PNG)])
    with pytest.raises(ConfirmationCodeError, match="请先向客户发送确认码"):
        fieldwork.confirm(db, clock=clock, actor=actor, ticket_id=ticket_id, method="code", code="123456")

    first = fieldwork.request_confirmation_code(db, clock=clock, actor=actor, ticket_id=ticket_id)
    assert len(first.code_hash) == 64 and first.expires_at == clock.now() + timedelta(minutes=30)
    code = sent_code(db, ticket_id)
    assert code not in first.code_hash
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongConfirmationCodeError, match=f"确认码错误，还可尝试 {left} 次"):
            fieldwork.confirm(db, clock=clock, actor=actor, ticket_id=ticket_id, method="code", code=wrong)
    with pytest.raises(WrongConfirmationCodeError, match="确认码错误次数过多，请重新发送确认码") as fifth:
        fieldwork.confirm(db, clock=clock, actor=actor, ticket_id=ticket_id, method="code", code=wrong)
    assert fifth.value.fields == {"code": "确认码错误", "attempts_left": 0}
    with pytest.raises(ConfirmationCodeError) as sixth:  # even the right code is refused now
        fieldwork.confirm(db, clock=clock, actor=actor, ticket_id=ticket_id, method="code", code=code)
    assert (sixth.value.code, first.attempts, first.used_at) == ("dispatch.code_locked", 5, None)

    with pytest.raises(ConfirmationCodeError) as too_soon:
        fieldwork.request_confirmation_code(db, clock=clock, actor=actor, ticket_id=ticket_id)
    assert too_soon.value.code == "dispatch.code_too_soon"
    clock.advance(timedelta(seconds=61))
    second = fieldwork.request_confirmation_code(db, clock=clock, actor=actor, ticket_id=ticket_id)
    assert first.expires_at == clock.now()  # superseded
    clock.advance(timedelta(minutes=30))
    with pytest.raises(ConfirmationCodeError) as expired:
        fieldwork.confirm(
            db, clock=clock, actor=actor, ticket_id=ticket_id, method="code", code=sent_code(db, ticket_id)
        )
    assert (expired.value.code, expired.value.detail) == ("dispatch.code_expired", "确认码已过期，请重新发送")
    assert second.used_at is None

    # The signature works instead; it is kept as the confirmation event's attachment.
    event = fieldwork.confirm(db, clock=clock, actor=actor, ticket_id=ticket_id, method="signature", signature=PNG)
    signature = db.scalars(select(TicketAttachment).where(TicketAttachment.kind == "signature")).one()
    assert (signature.event_id, signature.filename, signature.content_type) == (event.id, "signature.png", "image/png")
    with pytest.raises(DomainError, match="客户已确认本次结果"):
        fieldwork.confirm(db, clock=clock, actor=actor, ticket_id=ticket_id, method="signature", signature=PNG)


def test_bad_photos_are_refused_and_nothing_is_stored(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    _on_site(db, clock, world, ticket_id)
    db.commit()
    before = counts(db, ticket_id)
    big = base64.b64encode(png(padding=5 * 1024 * 1024)).decode()
    gif = base64.b64encode(GIF).decode()
    cases = [
        ([{"filename": "big.png", "content_base64": big}], "照片「big.png」超过 5 MB，请压缩后再上传"),
        ([{"filename": "x.jpg", "content_base64": gif}], "照片「x.jpg」不是 JPEG、PNG 或 WEBP 图片"),
        ([{"filename": f"{i}.png", "content_base64": PNG_BASE64} for i in range(7)], "每次最多上传 6 张照片"),
        ([{"filename": "x.png", "content_base64": "not base64!"}], "照片「x.png」不是有效的 base64 内容"),
        ([], "请至少上传一张现场照片"),
    ]
    for photos, detail in cases:
        reply = step(client, world, "tech_a", ticket_id, "result", {"note": "已修复", "photos": photos})
        assert (reply.status_code, reply.json()["code"], reply.json()["detail"]) == (
            422,
            "dispatch.attachment_invalid",
            detail,
        )
    assert counts(db, ticket_id) == before
    assert db.get(Ticket, ticket_id).status == "in_progress"  # type: ignore[union-attr]
    # The second photo is bad: the first is not kept either.
    mixed = [{"filename": "ok.png", "content_base64": PNG_BASE64}, {"filename": "bad.gif", "content_base64": gif}]
    assert step(client, world, "tech_a", ticket_id, "photos", {"photos": mixed}).status_code == 422
    assert counts(db, ticket_id) == before
    good = step(client, world, "tech_a", ticket_id, "photos", {"photos": mixed[:1], "note": "故障部位"})
    assert good.status_code == 200 and good.json()["events"][-1]["note"] == "上传现场照片 1 张：故障部位"
    assert counts(db, ticket_id) == (before[0] + 1, before[1] + 1, 0)


def test_missing_or_foreign_coordinates_are_refused_and_nothing_changes(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    step(client, world, "tech_a", ticket_id, "accept")
    before = counts(db, ticket_id)
    for body, detail, fields in (
        ({}, "签到需要当前位置（经度和纬度），请允许定位或手动填写", {"longitude": "必填", "latitude": "必填"}),
        ({"longitude": 113.9}, "签到需要当前位置（经度和纬度），请允许定位或手动填写", {"latitude": "必填"}),
        ({"longitude": 2.35, "latitude": 48.85}, "坐标 (2.35, 48.85) 不在中国境内", None),
    ):
        reply = step(client, world, "tech_a", ticket_id, "check-in", body)
        assert (reply.status_code, reply.json()["code"], reply.json()["detail"]) == (422, "dispatch.invalid", detail)
        assert fields is None or reply.json()["fields"] == fields
    half = step(client, world, "tech_a", ticket_id, "on-the-way", {"latitude": 22.5})
    assert (half.status_code, half.json()["detail"]) == (422, "经度和纬度需同时提供")
    assert counts(db, ticket_id) == before
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None and (ticket.status, ticket.first_contact_at) == ("registered", None)
    assert _onsite(db, ticket_id).met_at is None


def test_only_the_assignee_or_its_provider_may_see_and_act(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    mine = open_job(db, clock, world)
    _on_site(db, clock, world, mine)
    fieldwork.result(
        db, clock=clock, actor=world.actors["tech_a"], ticket_id=mine, note="ok", photos=[Upload("a.png", PNG)]
    )
    db.commit()
    photo = db.scalars(select(TicketAttachment.id).where(TicketAttachment.ticket_id == mine)).one()
    url = f"/api/v1/tickets/{mine}/attachments/{photo}"
    for outsider in ("tech_b", "prov_b1"):
        assert client.get(f"/api/v1/jobs/{mine}", headers=world.headers(outsider)).status_code == 404
        assert step(client, world, outsider, mine, "check-out").status_code == 404
        refused = client.get(url, headers=world.headers(outsider))
        assert (refused.status_code, refused.json()["code"]) == (404, "ticket.not_found")
    staff = step(client, world, "disp_f", mine, "check-out")
    assert (staff.status_code, staff.json()["code"]) == (403, "auth.forbidden")  # the policy: field work is the field's
    assert client.get(url, headers=world.headers("disp_f")).status_code == 200  # staff see every ticket
    assert client.get(f"/api/v1/tickets/{mine}/attachments/999999", headers=world.headers("tech_a")).status_code == 404
    view = client.get(f"/api/v1/jobs/{mine}", headers=world.headers("disp_f")).json()
    assert view["allowed_actions"] == [] and view["field_state"] == "on_site"  # may look, not act


def test_a_provider_lists_and_works_only_its_organisation_jobs(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ours = open_job(db, clock, world, assignee="prov_a1")
    theirs = open_job(
        db,
        clock,
        world,
        assignee="prov_b1",
        customer_name="李四",
        phone="13900139000",
        address="广东省广州市天河区体育西路1号",
    )
    in_house = open_job(
        db, clock, world, customer_name="王五", phone="13700137000", address="广东省深圳市福田区福华路1号"
    )
    listing = client.get("/api/v1/jobs", headers=world.headers("prov_a2")).json()
    assert [(job["id"], job["customer_phone_masked"]) for job in listing] == [(ours, "138****8000")]
    assert [job["id"] for job in client.get("/api/v1/jobs", headers=world.headers("prov_b1")).json()] == [theirs]
    assert [job["id"] for job in client.get("/api/v1/jobs", headers=world.headers("tech_a")).json()] == [in_house]
    # A colleague in the same provider may take the job; another provider cannot even see it.
    assert step(client, world, "prov_a2", ours, "accept").json()["field_state"] == "accepted"
    assert step(client, world, "prov_a2", theirs, "accept").status_code == 404
    assert event_types(db, theirs)[-1] == "assign"
