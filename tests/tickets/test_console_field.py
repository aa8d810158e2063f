"""Dispatcher board (assign, reassign) and the technician's jobs (order, job card, check-in, result)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.sla.models import Target
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.conftest import UserFactory, console_login
from tests.images import png


def test_board_groups_unassigned_tickets_by_city_and_assigns(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.DISPATCHER, username="disp1")
    make_user(Role.TECHNICIAN, username="tech1", display_name="李师傅")
    make_user(Role.TECHNICIAN, username="tech2", display_name="王师傅")
    shenzhen = factories.ticket(db, clock=clock)
    shanghai = factories.ticket(
        db,
        clock=clock,
        customer_name="钱七",
        phone="13700137000",
        address="上海市浦东新区世纪大道100号",
        description="安装新门锁",
        kind=TicketKind.INSTALLATION,
    )
    db.commit()
    csrf = console_login(client, db, "disp1")
    page = client.get("/console/board")
    assert page.status_code == 200
    assert "深圳市 南山区" in page.text and "上海市 浦东新区" in page.text
    assert "待派单 2 · 共 2" in page.text
    only_shanghai = client.get("/console/board?city=上海市")
    assert shanghai.number in only_shanghai.text and shenzhen.number not in only_shanghai.text

    reply = client.post(
        f"/console/tickets/{shenzhen.id}/assign",
        data={"csrf_token": csrf, "assignee": "tech1", "version": 1},
        headers={"HX-Request": "true"},
    )
    assert reply.status_code == 200 and 'data-assigned="tech1"' in reply.text
    # The card comes back redrawn (the board swaps it in), at the ticket's new version.
    assert reply.text.startswith(f'<article class="card board-card" id="board-{shenzhen.id}"')
    assert f'id="version-{shenzhen.id}" value="2"' in reply.text
    assert db.scalar(select(Ticket.assignee_id).where(Ticket.id == shenzhen.id)) is not None
    assert "待派单 1 · 共 1" in client.get("/console/board").text
    # Reassigning with the new version works; with the old one it is refused and nothing changes.
    stale = client.post(
        f"/console/tickets/{shenzhen.id}/assign", data={"csrf_token": csrf, "assignee": "tech2", "version": 1}
    )
    assert stale.status_code == 409
    events = list(
        db.scalars(select(TicketEvent.type).where(TicketEvent.ticket_id == shenzhen.id, TicketEvent.type == "assign"))
    )
    assert events == ["assign"]


def test_board_refuses_an_unknown_assignee(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.DISPATCHER, username="disp2")
    make_user(Role.AGENT, username="agent3")
    created = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "disp2")
    reply = client.post(
        f"/console/tickets/{created.id}/assign", data={"csrf_token": csrf, "assignee": "agent3", "version": 1}
    )
    assert reply.status_code == 409 and "请选择可派单的技术员或服务商" in reply.text
    assert db.scalar(select(Ticket.assignee_id).where(Ticket.id == created.id)) is None


def test_technician_does_the_job_and_check_in_meets_the_onsite_target(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    dispatcher, _ = make_user(Role.DISPATCHER, username="disp4")
    make_user(Role.TECHNICIAN, username="tech4")
    # What triage made of these descriptions at intake: an urgent repair, and a routine question.
    urgent = factories.ticket(db, clock=clock, description="被锁门外了，门打不开", priority=Priority.URGENT)
    routine = factories.ticket(
        db,
        clock=clock,
        customer_name="孙八",
        phone="13600136000",
        address="广东省深圳市福田区福华路1号",
        description="指纹模块偶尔不灵",
        kind=TicketKind.CONSULTATION,
    )
    for created in (routine, urgent):
        factories.assign(db, clock=clock, ticket_id=created.id, assignee_username="tech4", actor=dispatcher)
    db.commit()
    csrf = console_login(client, db, "tech4")
    listing = client.get("/console/jobs").text
    order = re.findall(r'<li data-ticket="([^"]+)"', listing)
    assert order == [urgent.number, routine.number]  # urgent (on site within 2 h) first
    card = client.get(f"/console/jobs/{urgent.id}").text
    assert 'id="map-link"' in card and "uri.amap.com/marker?position=" in card
    assert 'data-step="accept"' in card and 'name="version"' not in card  # accept before anything else
    url = f"/console/jobs/{urgent.id}"
    steps: list[tuple[str, dict[str, object], dict[str, object] | None]] = [
        ("accept", {}, None),
        ("check_in", {"longitude": "113.93", "latitude": "22.53"}, None),
        ("result", {"note": "更换指纹模块"}, {"photos": ("done.png", png(), "image/png")}),
    ]
    for step, fields, files in steps:
        reply = client.post(
            f"{url}/field",
            data={"csrf_token": csrf, "action": step, **fields},
            files=files,
            follow_redirects=False,
        )
        assert reply.status_code == 303, reply.text
        card = client.get(reply.headers["location"]).text
        assert "已记录" in card
        if step == "check_in":  # progress is still a lifecycle move on the card
            version = int(re.search(r'name="version" value="(\d+)"', card).group(1))  # type: ignore[union-attr]
            progress = client.post(
                f"{url}/events",
                data={"csrf_token": csrf, "type": "progress", "version": version},
                follow_redirects=False,
            )
            assert progress.status_code == 303, progress.text
    assert db.scalar(select(Ticket.status).where(Ticket.id == urgent.id)) == "resolved"
    db.expire_all()  # the set-up loaded the targets into this session; read them as the app left them
    onsite = db.scalars(select(Target).where(Target.ticket_id == urgent.id, Target.kind == "onsite")).one()
    assert onsite.state == "met" and onsite.met_at is not None


def test_technician_cannot_open_someone_elses_job(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.TECHNICIAN, username="tech5")
    created = factories.ticket(db, clock=clock)
    db.commit()
    console_login(client, db, "tech5")
    assert client.get(f"/console/jobs/{created.id}").status_code in (403, 404)
    assert client.get("/console/board").status_code == 403
