"""Dispatch candidates on the ticket page: only the eligible ones are offered, with the dispatch network's
reason, distance and arrival; the others are listed apart with why not; assigning one goes through the
tickets service (audited); one no longer eligible is refused with nothing changed."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.dispatch.network import service as network_service
from aftersales.tickets.enums import TicketKind
from aftersales.tickets.models import Ticket
from tests import factories
from tests.conftest import UserFactory, console_login
from tests.usecases.console.ticket_page_support import HTMX, snapshot


@pytest.fixture
def network(db: Session, clock: FrozenClock) -> dict[str, int]:
    """A Shenzhen service center covering the customer's address, and its technicians: one fits, one has
    the wrong skill, one works nights, one is off today."""
    tree = factories.organisation_tree(db, clock=clock, prefix="C", city="深圳")
    factories.service_point(db, organisation_id=tree.service_center.id)
    users = {}
    for username, skills, shift, days_off in (
        ("cand_ok", ["lock:repair"], ("08:00", "18:00"), []),
        ("cand_tablet", ["tablet:repair"], ("08:00", "18:00"), []),
        ("cand_night", ["lock:repair"], ("18:00", "23:00"), []),
        ("cand_off", ["lock:repair"], ("08:00", "18:00"), [date(2026, 11, 22)]),
    ):
        made = factories.technician(
            db,
            clock=clock,
            username=username,
            organisation_code=tree.service_center.code,
            skills=skills,
            shift=shift,
            days_off=days_off,
        )
        users[username] = made.user.id
    return users


def test_only_eligible_candidates_are_offered_with_their_reason_and_arrival(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory, network: dict[str, int]
) -> None:
    agent, _ = make_user(Role.AGENT, username="cand_agent")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    console_login(client, db, "cand_agent")
    page = client.get(f"/console/tickets/{ticket.id}").text
    assert f'hx-get="/console/tickets/{ticket.id}/candidates"' in page
    fragment = client.get(f"/console/tickets/{ticket.id}/candidates", headers=HTMX)
    assert fragment.status_code == 200
    judged = {c.username: c for c in network_service.candidates(db, clock=clock, actor=agent, ticket_id=ticket.id)}
    ok = judged["cand_ok"]
    assert ok.eligible and ok.reason == "可在约 1 分钟内到达，今日已有 0 单"
    html = fragment.text
    assert html.count("data-candidate=") == 1 and 'data-candidate="cand_ok"' in html
    assert ok.reason in html and f"{ok.km:.1f} 公里" in html
    assert f"约 {round(ok.eta_minutes)} 分钟（10:0" in html  # the frozen clock is 10:00 in Shanghai
    assert html.count('name="username"') == 1 and 'name="username" value="cand_ok"' in html
    # The others are not offered, only listed (collapsed) with why not.
    assert '<details id="ineligible">' in html and "不可派单（3 人）及原因" in html
    assert (
        '<li data-ineligible="cand_tablet">师傅张伟 <span class="muted">cand_tablet</span>：技能不符（需要 lock:repair）</li>'
        in html
    )
    assert 'data-ineligible="cand_night"' in html and 'data-ineligible="cand_off"' in html
    assert html.count("：不在班</li>") == 2


def test_assigning_a_candidate_updates_the_ticket_and_is_audited(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory, network: dict[str, int]
) -> None:
    make_user(Role.AGENT, username="cand_agent2")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "cand_agent2")
    data = {"csrf_token": csrf, "username": "cand_ok", "version": "1", "assignee_was": "", "body": "备注草稿"}
    reply = client.post(f"/console/tickets/{ticket.id}/candidates/assign", data=data, headers=HTMX)
    assert reply.status_code == 200 and "已派给 cand_ok" in reply.text and "备注草稿" in reply.text
    db.expire_all()
    assert db.scalar(select(Ticket.assignee_id).where(Ticket.id == ticket.id)) == network["cand_ok"]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.updated")).one()
    assert (audit.actor_name, audit.after) == ("cand_agent2", {"assignee_id": network["cand_ok"]})
    # Now the current assignee: no button for them.
    fragment = client.get(f"/console/tickets/{ticket.id}/candidates", headers=HTMX).text
    assert "当前处理人" in fragment and 'name="username"' not in fragment


def test_an_ineligible_or_stale_choice_is_refused_and_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory, network: dict[str, int]
) -> None:
    make_user(Role.AGENT, username="cand_agent3")
    ticket = factories.ticket(db, clock=clock)
    db.commit()
    csrf = console_login(client, db, "cand_agent3")
    before = snapshot(db, ticket.id)
    forged = {"csrf_token": csrf, "username": "cand_tablet", "version": "1", "assignee_was": ""}
    refused = client.post(f"/console/tickets/{ticket.id}/candidates/assign", data=forged, headers=HTMX)
    assert refused.status_code == 409 and "cand_tablet 现在不能接此单，请刷新候选名单" in refused.text
    assert snapshot(db, ticket.id) == before
    factories.assign(db, clock=clock, ticket_id=ticket.id, assignee_username="cand_night")
    db.commit()
    before = snapshot(db, ticket.id)
    stale = {"csrf_token": csrf, "username": "cand_ok", "version": "1", "assignee_was": ""}
    refused = client.post(f"/console/tickets/{ticket.id}/candidates/assign", data=stale, headers=HTMX)
    assert refused.status_code == 409 and "工单已被他人修改" in refused.text
    assert snapshot(db, ticket.id) == before


def test_no_candidates_for_a_consultation_or_for_roles_that_do_not_dispatch(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory, network: dict[str, int]
) -> None:
    make_user(Role.AGENT, username="cand_agent4")
    make_user(Role.INSPECTOR, username="cand_inspector")
    consultation = factories.ticket(db, clock=clock, kind=TicketKind.CONSULTATION)
    repair = factories.ticket(db, clock=clock, customer_name="李四", phone="13900139000")
    db.commit()
    console_login(client, db, "cand_agent4")
    assert "/candidates" not in client.get(f"/console/tickets/{consultation.id}").text
    fragment = client.get(f"/console/tickets/{consultation.id}/candidates", headers=HTMX).text
    assert "只有进行中的安装、报修工单需要派单" in fragment and "data-candidate" not in fragment
    console_login(client, db, "cand_inspector")
    assert "/candidates" not in client.get(f"/console/tickets/{repair.id}").text
    assert client.get(f"/console/tickets/{repair.id}/candidates", headers=HTMX).status_code == 403


def test_a_ticket_without_an_address_says_why_there_are_no_candidates(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory, network: dict[str, int]
) -> None:
    make_user(Role.AGENT, username="cand_agent5")
    ticket = factories.ticket(db, clock=clock, address=None)
    db.commit()
    console_login(client, db, "cand_agent5")
    fragment = client.get(f"/console/tickets/{ticket.id}/candidates", headers=HTMX).text
    assert '<p class="muted" id="candidates-message">工单没有地址，无法派单</p>' in fragment
