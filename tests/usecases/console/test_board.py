"""The dispatcher's board: only the field jobs that need a dispatcher, most urgent first, 30 cards a page
with exact counts, filtered by city, district, kind, priority and SLA state (kept in every link); no list
of people on the cards, but each card's eligible candidates on demand, the assignment redrawing the card
(audited); a partner provider sees only its own; the list alone for the open page's refresh; the map's
data for the page's jobs."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.tickets import sla_tracking
from aftersales.tickets.enums import Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket
from aftersales.usecases.console.board import candidates as board_candidates
from tests import factories
from tests.conftest import UserFactory, console_login
from tests.factories.common import local
from tests.usecases.console.ticket_page_support import HTMX, snapshot

FUTIAN = "广东省深圳市福田区福华路1号"
PUDONG = "上海市浦东新区世纪大道100号"
LIST = HTMX | {"HX-Target": "board-list"}


def _cards(html: str) -> list[str]:
    return re.findall(r'<article class="card board-card" id="board-\d+" data-ticket="([^"]+)"', html)


def _map(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="board-map-data">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


@pytest.fixture
def shenzhen(db: Session, clock: FrozenClock) -> dict[str, int]:
    """A Shenzhen service center covering Nanshan and its technicians: one fits, one has the wrong skill."""
    tree = factories.organisation_tree(db, clock=clock, prefix="B", city="深圳")
    factories.service_point(db, organisation_id=tree.service_center.id)
    users = {}
    for username, skills in (("board_ok", ["lock:repair"]), ("board_tablet", ["tablet:repair"])):
        made = factories.technician(
            db, clock=clock, username=username, organisation_code=tree.service_center.code, skills=skills
        )
        users[username] = made.user.id
    return users


def test_only_waiting_field_jobs_most_urgent_first_thirty_a_page(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.DISPATCHER, username="board_disp")
    make_user(Role.TECHNICIAN, username="board_tech")
    # Two urgent repairs a minute apart (first contact due within 30 minutes), then 31 routine ones.
    urgent = [factories.ticket(db, clock=clock, priority=Priority.URGENT, phone="13700000000")]
    clock.advance(timedelta(minutes=1))
    urgent.append(factories.ticket(db, clock=clock, priority=Priority.URGENT, phone="13700000001"))
    routine = [factories.ticket(db, clock=clock, phone=f"137100{index:05d}") for index in range(31)]
    # Not on the board: a consultation, an assigned job on track, a cancelled one.
    factories.ticket(db, clock=clock, kind=TicketKind.CONSULTATION, phone="13720000000")
    factories.ticket(db, clock=clock, phone="13720000001", assignee_username="board_tech")
    factories.ticket_in_status(db, clock=clock, status=TicketStatus.CANCELLED, phone="13720000002")
    # At 10:30:30 the first urgent one has breached its first contact, the second is in warning.
    clock.set(local(2026, 11, 22, 10, 30) + timedelta(seconds=30))
    sla_tracking.sweep(db, clock=clock)
    db.commit()
    db.expire_all()
    assert [db.get(Ticket, t.id).sla_state for t in urgent] == ["breached", "warning"]  # type: ignore[union-attr]
    console_login(client, db, "board_disp")
    first = client.get("/console/board").text
    assert "待派单 33 · 共 33 · 第 1 / 2 页" in first
    expected = [t.number for t in urgent + routine]
    assert _cards(first) == expected[:30]
    assert re.findall(r'data-sla="(\w+)"', first)[:3] == ["breached", "warning", "on_track"]
    assert '<a class="button secondary" rel="next" href="/console/board?page=2">下一页</a>' in first
    second = client.get("/console/board?page=2").text
    assert _cards(second) == expected[30:] and "待派单 33 · 共 33 · 第 2 / 2 页" in second
    assert 'rel="prev" href="/console/board?page=1"' in second and 'rel="next"' not in second
    assert _cards(client.get("/console/board?page=9").text) == expected[30:]  # past the end: the last page
    # No list of people on the cards: the five filters (and the header's language switch) are all the selects.
    assert first.count("<select") == 6 and 'name="assignee"' not in first and "board_tech" not in first
    assert first.count(">指派</button>") == 30


def test_filters_by_city_district_kind_priority_and_sla_state_kept_in_links(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.DISPATCHER, username="board_disp2")
    nanshan = factories.ticket(db, clock=clock)
    futian = factories.ticket(db, clock=clock, phone="13700000002", address=FUTIAN, kind=TicketKind.INSTALLATION)
    urgent = factories.ticket(db, clock=clock, phone="13700000003", address=FUTIAN, priority=Priority.URGENT)
    pudong = factories.ticket(db, clock=clock, phone="13700000004", address=PUDONG)
    db.commit()
    console_login(client, db, "board_disp2")
    whole = client.get("/console/board").text
    assert "待派单 4 · 共 4" in whole and "第 1 /" not in whole  # one page: no page numbers
    assert '<select id="district" name="district" disabled' in whole  # a district needs its city first
    city = client.get("/console/board", params={"city": "深圳市"}).text
    assert sorted(_cards(city)) == sorted([nanshan.number, futian.number, urgent.number])
    assert '<option value="南山区">南山区</option><option value="福田区">福田区</option>' in city
    futian_only = client.get("/console/board", params={"city": "深圳市", "district": "福田区"}).text
    assert _cards(futian_only) == [urgent.number, futian.number]  # urgent first (earlier due)
    assert '<option value="福田区" selected>福田区</option>' in futian_only
    # The filters ride along in the page's own refresh (and in its page links).
    refresh = re.search(r'<div id="board-list" hx-get="([^"]+)"', futian_only)
    assert refresh is not None
    assert (
        unescape(refresh.group(1))
        == "/console/board?city=%E6%B7%B1%E5%9C%B3%E5%B8%82&district=%E7%A6%8F%E7%94%B0%E5%8C%BA&page=1"
    )
    params = {"city": "深圳市", "kind": "installation"}
    assert _cards(client.get("/console/board", params=params).text) == [futian.number]
    params = {"city": "深圳市", "priority": "urgent"}
    assert _cards(client.get("/console/board", params=params).text) == [urgent.number]
    assert _cards(client.get("/console/board", params={"sla_state": "breached"}).text) == []
    assert len(_cards(client.get("/console/board", params={"sla_state": "on_track"}).text)) == 4
    # A district left over from another city is no filter; a consultation is no kind of the board's.
    stale = client.get("/console/board", params={"city": "上海市", "district": "福田区"}).text
    assert _cards(stale) == [pudong.number] and 'value="浦东新区" selected' not in stale
    assert len(_cards(client.get("/console/board", params={"kind": "consultation"}).text)) == 4


def test_the_list_alone_for_the_refresh_and_the_map_of_the_page(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory, shenzhen: dict[str, int]
) -> None:
    make_user(Role.DISPATCHER, username="board_disp3")
    nanshan = factories.ticket(db, clock=clock)
    futian = factories.ticket(db, clock=clock, phone="13700000002", address=FUTIAN)
    factories.ticket(db, clock=clock, phone="13700000004", address=PUDONG)
    db.commit()
    console_login(client, db, "board_disp3")
    page = client.get("/console/board", params={"city": "深圳市"}).text
    assert '<div id="board-map" class="chart" role="img"' in page
    assert '<script src="/static/js/board.js?v=' in page and "<script>" not in page
    data = _map(page)
    jobs = data["jobs"]
    assert isinstance(jobs, list) and [job["number"] for job in jobs] == [nanshan.number, futian.number]
    assert {job["state"] for job in jobs} == {"on_track"} and all(job["x"] and job["y"] for job in jobs)
    assert jobs[0]["place"] == "深圳市 南山区"
    assert data["points"] == {"name": "服务网点", "items": [{"name": "深圳服务中心", "x": 113.95, "y": 22.54}]}
    technicians = data["technicians"]
    assert isinstance(technicians, dict) and len(technicians["items"]) == 2
    assert [state["state"] for state in data["states"]] == ["breached", "warning", "on_track", "paused", "met"]
    # The open page's refresh gets the list alone: same filters, same page, candidates kept.
    fragment = client.get("/console/board", params={"city": "深圳市"}, headers=LIST)
    assert fragment.text.lstrip().startswith('<div id="board-list" hx-get="/console/board?city=')
    assert 'hx-trigger="every 15s" hx-swap="outerHTML"' in fragment.text and "<h1>" not in fragment.text
    assert f'<div id="candidates-{nanshan.id}" class="board-candidates-slot" hx-preserve></div>' in fragment.text
    assert _map(fragment.text)["jobs"] == jobs
    # Without a city: every service point, no technicians.
    nationwide = _map(client.get("/console/board").text)
    assert len(nationwide["jobs"]) == 3 and nationwide["technicians"] == {"name": "技术员驻地", "items": []}  # type: ignore[arg-type]


def test_candidates_are_only_the_eligible_with_reason_distance_and_arrival(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    make_user: UserFactory,
    shenzhen: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_user(Role.DISPATCHER, username="board_disp4")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    console_login(client, db, "board_disp4")
    board = client.get("/console/board").text
    assert f'hx-get="/console/board/tickets/{ticket.id}/candidates" hx-target="#candidates-{ticket.id}"' in board
    fragment = client.get(f"/console/board/tickets/{ticket.id}/candidates", headers=HTMX)
    assert fragment.status_code == 200
    html = fragment.text
    assert "可派单人员（1 人）" in html and html.count("data-candidate=") == 1
    assert '<tr data-candidate="board_ok">' in html and "可在约 1 分钟内到达，今日已有 0 单" in html
    assert re.search(r"<td>\d+\.\d 公里</td>", html) and "约 1 分钟（10:0" in html
    assert f'hx-post="/console/tickets/{ticket.id}/assign" hx-target="#board-{ticket.id}" hx-swap="outerHTML"' in html
    assert 'name="assignee" value="board_ok"' in html and 'name="eligible_only" value="true"' in html
    assert "不可派单（1 人）及原因" in html and 'data-ineligible="board_tablet"' in html
    assert "技能不符（需要 lock:repair）（" in html and 'value="board_tablet"' not in html
    assert "data-more-ineligible" not in html
    # With a national network only the nearest others are listed, and how many more there are.
    monkeypatch.setattr(board_candidates, "OTHERS_SHOWN", 0)
    capped = client.get(f"/console/board/tickets/{ticket.id}/candidates", headers=HTMX).text
    assert "不可派单（1 人）及原因" in capped and "data-ineligible=" not in capped
    assert '<li class="muted" data-more-ineligible>另有 1 人距离更远，未列出</li>' in capped
    # A job no longer waiting (closed) says so; a ticket that does not exist is not found.
    consultation = factories.ticket(db, clock=clock, kind=TicketKind.CONSULTATION, phone="13700000009")
    db.commit()
    other = client.get(f"/console/board/tickets/{consultation.id}/candidates", headers=HTMX).text
    assert "只有进行中的安装、报修工单需要派单" in other and 'data-candidate="' not in other
    assert client.get("/console/board/tickets/987654/candidates", headers=HTMX).status_code == 404


def test_assigning_a_candidate_redraws_the_card_and_is_audited(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory, shenzhen: dict[str, int]
) -> None:
    make_user(Role.DISPATCHER, username="board_disp5")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "board_disp5")
    before = snapshot(db, ticket.id)
    # The ineligible one is refused (judged again now), and so is a stale version; nothing changes.
    data = {"csrf_token": csrf, "assignee": "board_tablet", "version": "1", "eligible_only": "true"}
    refused = client.post(f"/console/tickets/{ticket.id}/assign", data=data, headers=HTMX)
    assert refused.status_code == 409 and "board_tablet 现在不能接此单，请刷新候选名单" in refused.text
    assert refused.headers["HX-Retarget"] == f"#assign-result-{ticket.id}"
    stale = client.post(f"/console/tickets/{ticket.id}/assign", data=data | {"assignee": "board_ok", "version": "0"})
    assert stale.status_code == 409 and snapshot(db, ticket.id) == before
    reply = client.post(f"/console/tickets/{ticket.id}/assign", data=data | {"assignee": "board_ok"}, headers=HTMX)
    assert reply.status_code == 200
    assert reply.text.startswith(f'<article class="card board-card" id="board-{ticket.id}"')
    assert '<p class="flash" role="status" data-assigned="board_ok">已派给 board_ok</p>' in reply.text
    assert "当前处理人：board_ok" in reply.text and "hx-preserve" not in reply.text
    db.expire_all()
    assert db.scalar(select(Ticket.assignee_id).where(Ticket.id == ticket.id)) == shenzhen["board_ok"]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.updated")).one()
    assert (audit.actor_name, audit.entity_id, audit.after) == (
        "board_disp5",
        str(ticket.id),
        {"assignee_id": shenzhen["board_ok"]},
    )
    # Assigned and on track: off the board; its candidates now show the current assignee without a button.
    assert "待派单 0 · 共 0" in client.get("/console/board").text
    again = client.get(f"/console/board/tickets/{ticket.id}/candidates", headers=HTMX).text
    assert '<span class="badge sla-on_track">当前处理人</span>' in again and 'name="assignee"' not in again


def test_a_provider_sees_only_its_own_jobs_and_its_own_people(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.DISPATCHER, username="board_disp6")
    tree = factories.organisation_tree(db, clock=clock, prefix="PV", city="深圳")
    other = factories.organisation_tree(db, clock=clock, prefix="OT", city="深圳")
    for organisation in (tree.provider, other.provider):
        factories.service_point(db, organisation_id=organisation.id)
    factories.technician(db, clock=clock, username="pv_tech", role=Role.PROVIDER, organisation_code=tree.provider.code)
    factories.technician(db, clock=clock, username="ot_tech", role=Role.PROVIDER, organisation_code=other.provider.code)
    factories.user(db, clock=clock, role=Role.PROVIDER, username="pv_boss", organisation_code=tree.provider.code)
    own = factories.ticket(db, clock=clock, priority=Priority.URGENT, assignee_username="pv_tech")
    theirs = factories.ticket(
        db, clock=clock, priority=Priority.URGENT, phone="13700000005", assignee_username="ot_tech"
    )
    factories.ticket(db, clock=clock, phone="13700000006")  # nobody's yet: the office's, not a provider's
    clock.advance(timedelta(minutes=31))  # both urgent jobs breach their first contact: at risk, on the board
    sla_tracking.sweep(db, clock=clock)
    db.commit()
    console_login(client, db, "board_disp6")
    assert len(_cards(client.get("/console/board").text)) == 3
    console_login(client, db, "pv_boss")
    board = client.get("/console/board").text
    assert _cards(board) == [own.number] and "自动派单" not in board and "日计划" not in board
    assert _map(board)["points"] == {"name": "服务网点", "items": [{"name": "深圳安居服务商", "x": 113.95, "y": 22.54}]}
    mine = client.get(f"/console/board/tickets/{own.id}/candidates", headers=HTMX).text
    assert "pv_tech" in mine and "ot_tech" not in mine
    assert client.get(f"/console/board/tickets/{theirs.id}/candidates", headers=HTMX).status_code == 404
