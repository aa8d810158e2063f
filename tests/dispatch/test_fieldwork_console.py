"""The job flow on the technician's phone view (console): the card offers the steps the flow allows, a
step is posted as a form (photos as a multipart upload), a refused one shows the reason and changes
nothing."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.config import Settings
from aftersales.core.clock import FrozenClock
from aftersales.dispatch.fieldwork.models import ConfirmationCode
from aftersales.tickets.models import Ticket, TicketAttachment, TicketEvent
from tests.conftest import UserFactory, console_login
from tests.dispatch.fieldwork_support import PNG, World, counts, event_types, make_world, open_job
from tests.images import GIF


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, run_jobs_in_process=False, auto_dispatch=False, dispatch_in_background=False
    )


@pytest.fixture
def world(db: Session, clock: FrozenClock, make_user: UserFactory) -> World:
    return make_world(db, clock, make_user)


def _steps(page: str) -> list[str]:
    return re.findall(r'data-step="([a-z_]+)"', page)


def test_the_card_offers_the_flow_and_posts_each_step(
    client: TestClient, db: Session, clock: FrozenClock, world: World
) -> None:
    ticket_id = open_job(db, clock, world)
    csrf = console_login(client, db, "tech_a")
    url = f"/console/jobs/{ticket_id}"

    def post(action: str, files: dict[str, object] | None = None, **fields: object) -> Any:
        return client.post(
            f"{url}/field", data={"csrf_token": csrf, "action": action, **fields}, files=files, follow_redirects=False
        )

    card = client.get(url).text
    assert _steps(card) == ["accept", "decline"]
    assert 'id="field-state" data-state="assigned">待接单</strong>' in card
    reply = post("accept")
    assert (reply.status_code, reply.headers["location"]) == (303, f"{url}?done={quote('接单')}")
    card = client.get(f"{url}?done=接单").text
    assert "已记录：接单" in card and _steps(card) == ["decline", "on_the_way", "check_in"]
    assert 'id="checkin-longitude" name="longitude"' in card and "/static/js/fieldwork.js" in card
    assert "navigator.geolocation" in client.get("/static/js/fieldwork.js").text  # fills the position

    before = counts(db, ticket_id)
    for fields, message in (
        ({"longitude": "abc", "latitude": "22.5"}, "坐标应为数字，如 113.93"),
        ({"longitude": "", "latitude": ""}, "签到需要当前位置（经度和纬度），请允许定位或手动填写"),
        ({"longitude": "2.35", "latitude": "48.85"}, "坐标 (2.35, 48.85) 不在中国境内"),
    ):
        refused = post("check_in", **fields)
        assert refused.status_code == 422
        assert f'id="field-error">{message}</p>' in refused.text
    assert counts(db, ticket_id) == before

    assert post("check_in", longitude="113.93", latitude="22.53").status_code == 303
    card = client.get(url).text
    assert _steps(card) == ["diagnosis", "parts", "result", "photo", "check_out"]
    assert 'name="photos" type="file" accept="image/*" capture="environment" multiple' in card
    assert 'name="version"' in card  # progress / hold are still offered on site

    lines = {
        "part_code": ["FP-01", "", ""],
        "part_name": ["指纹模块", "", ""],
        "quantity": ["2", "", ""],
        "serial_number": ["", "", ""],
    }
    assert post("parts", **lines).status_code == 303
    parts = db.scalars(
        select(TicketEvent.data).where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == "parts_used")
    ).one()
    assert parts == {
        "lines": [{"part_code": "FP-01", "name": "指纹模块", "quantity": 2, "serial_number": None}],
        "note_key": "fieldwork.parts_used",
        "note_params": {"parts": {"join": "、", "items": ["指纹模块×2"]}},
    }

    before = counts(db, ticket_id)
    wrong_type = post("result", files={"photos": ("x.gif", GIF, "image/jpeg")}, note="已修复")
    assert wrong_type.status_code == 422
    assert "照片「x.gif」不是 JPEG、PNG 或 WEBP 图片" in wrong_type.text
    too_big = post(
        "result", files={"photos": ("big.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "image/jpeg")}, note="已修复"
    )
    assert "照片「big.jpg」超过 5 MB，请压缩后再上传" in too_big.text
    assert counts(db, ticket_id) == before
    assert post("result", files={"photos": ("done.png", PNG, "image/png")}, note="已修复").status_code == 303
    photo = db.scalars(select(TicketAttachment.id).where(TicketAttachment.ticket_id == ticket_id)).one()
    card = client.get(url).text
    assert f'<img src="{url}/attachments/{photo}"' in card
    assert _steps(card) == ["parts", "photo", "confirmation_code", "confirmation", "signature", "check_out"]
    assert "确认码将以短信发送至 138****8000，30 分钟内有效" in card
    image = client.get(f"{url}/attachments/{photo}")
    assert (image.status_code, image.content, image.headers["content-type"]) == (200, PNG, "image/png")

    assert post("confirmation_code").status_code == 303
    wrong = post("confirmation", method="code", code="12345x")
    assert "确认码应为 6 位数字" in wrong.text
    code_row = db.scalars(select(ConfirmationCode).where(ConfirmationCode.ticket_id == ticket_id)).one()
    assert code_row.attempts == 0  # a malformed code is not an attempt
    signature = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert post("confirmation", method="signature", signature_data=signature).status_code == 303
    card = client.get(url).text
    assert 'id="confirmed"' in card and _steps(card) == ["parts", "photo", "check_out"]
    assert post("check_out", note="").status_code == 303
    assert event_types(db, ticket_id)[-5:] == ["check_in", "parts_used", "result", "confirmation", "check_out"]
    assert 'data-state="checked_out"' in client.get(url).text


def test_wrong_code_counts_and_others_cannot_open_the_job(
    client: TestClient, db: Session, clock: FrozenClock, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aftersales.dispatch.fieldwork.closing.secrets.randbelow", lambda _: 123456)
    ticket_id = open_job(db, clock, world)
    other = open_job(db, clock, world, customer_name="王五", phone="13700137000", address="广东省深圳市福田区福华路1号")
    csrf = console_login(client, db, "tech_a")
    url = f"/console/jobs/{ticket_id}"
    for action, fields, files in (
        ("accept", {}, None),
        ("check_in", {"longitude": "113.93", "latitude": "22.53"}, None),
        ("result", {"note": "已修复"}, {"photos": ("a.png", PNG, "image/png")}),
        ("confirmation_code", {}, None),
    ):
        reply = client.post(
            f"{url}/field", data={"csrf_token": csrf, "action": action, **fields}, files=files, follow_redirects=False
        )
        assert reply.status_code == 303, reply.text
    wrong = client.post(f"{url}/field", data={"csrf_token": csrf, "action": "confirmation", "code": "654321"})
    assert wrong.status_code == 422 and 'id="field-error">确认码错误，还可尝试 4 次</p>' in wrong.text
    code = db.scalars(select(ConfirmationCode).where(ConfirmationCode.ticket_id == ticket_id)).one()
    db.refresh(code)
    assert code.attempts == 1  # committed although the step was refused
    right = client.post(
        f"{url}/field", data={"csrf_token": csrf, "action": "confirmation", "code": "123456"}, follow_redirects=False
    )
    assert right.status_code == 303
    db.refresh(code)
    assert (code.attempts, code.used_at is not None) == (1, True)

    declined = client.post(
        f"/console/jobs/{other}/field",
        data={"csrf_token": csrf, "action": "decline", "reason": "超出服务范围"},
        follow_redirects=False,
    )
    assert (declined.status_code, declined.headers["location"]) == (303, "/console/jobs")
    assert db.get(Ticket, other).assignee_id is None  # type: ignore[union-attr]

    photo = db.scalars(select(TicketAttachment.id).where(TicketAttachment.ticket_id == ticket_id)).one()
    client.cookies.clear()
    console_login(client, db, "tech_b")
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/attachments/{photo}").status_code == 404
