"""The compensation screens: a ticket's proposals (the rules' and by hand), the approval queue with the
four-eyes rule and the role limits, and the ledger with its filters and paging. Bad input is shown by its
field and changes nothing; roles outside the policy get the refusal page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.quality import compensation
from aftersales.quality.models import Compensation
from aftersales.tickets.models import Ticket
from tests.conftest import UserFactory, console_login
from tests.quality.factories import insert_tickets


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Compensation)) or 0


def _breached_ticket(db: Session, clock: FrozenClock) -> Ticket:
    [ticket_id] = insert_tickets(db, clock, organisation_id=None, count=1, closed_at=None, sla_state="breached")
    db.commit()
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error"[^>]*>([^<]*)</p>', page)
    assert match is not None, field
    return match.group(1)


def test_an_agent_proposes_from_the_rules_and_by_hand(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="comp_agent")
    ticket = _breached_ticket(db, clock)
    csrf = console_login(client, db, "comp_agent")
    page = client.get(f"/console/compensation/tickets/{ticket.id}")
    assert page.status_code == 200
    assert '<li data-rule="sla_breached">' in page.text
    assert "<strong>超时补偿</strong>：代金券 50.00 元 · 服务超时，赠送 50 元代金券" in page.text
    rule = {
        "csrf_token": csrf,
        "rule": "sla_breached",
        "kind": "coupon",
        "amount": "50.00",
        "reason": "服务超时，赠送 50 元代金券",
    }
    reply = client.post(f"/console/compensation/tickets/{ticket.id}", data=rule, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == f"/console/compensation/tickets/{ticket.id}?proposed=1"
    by_rule = db.scalars(select(Compensation)).one()
    assert (by_rule.rule, by_rule.kind, by_rule.amount_cents, by_rule.status, by_rule.proposed_by) == (
        "sla_breached", "coupon", 5000, "proposed", "comp_agent",
    )  # fmt: skip
    shown = client.get(reply.headers["location"]).text
    assert "补偿已登记，等待他人审批" in shown
    assert f"已登记 #{by_rule.id}：待审批" in shown
    assert f'<tr data-compensation="{by_rule.id}" data-status="proposed">' in shown
    twice = client.post(f"/console/compensation/tickets/{ticket.id}", data=rule)
    assert twice.status_code == 409 and "该工单已按此规则登记过补偿" in twice.text
    manual = {"csrf_token": csrf, "kind": "gift", "amount": "88.5", "reason": "上门迟到两小时"}
    assert (
        client.post(f"/console/compensation/tickets/{ticket.id}", data=manual, follow_redirects=False).status_code
        == 303
    )
    by_hand = db.scalars(select(Compensation).where(Compensation.rule.is_(None))).one()
    assert (by_hand.kind, by_hand.amount_cents, by_hand.reason) == ("gift", 8850, "上门迟到两小时")
    assert _count(db) == 2


def test_a_bad_proposal_is_shown_by_its_fields_and_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="comp_agent")
    ticket = _breached_ticket(db, clock)
    csrf = console_login(client, db, "comp_agent")
    path = f"/console/compensation/tickets/{ticket.id}"
    amount = client.post(path, data={"csrf_token": csrf, "kind": "coupon", "amount": "五十", "reason": "迟到"})
    assert amount.status_code == 422
    assert _field_error(amount.text, "amount") == "请填写金额（元），最多两位小数"
    assert 'id="amount" name="amount" inputmode="decimal" value="五十" required aria-invalid="true"' in amount.text
    assert "迟到</textarea>" in amount.text
    too_much = client.post(path, data={"csrf_token": csrf, "kind": "cash", "amount": "20000", "reason": " "})
    assert too_much.status_code == 422
    assert _field_error(too_much.text, "amount") == "金额须在 1 分到 10000 元之间"
    assert _field_error(too_much.text, "reason") == "补偿原因须为 1 到 500 字"
    kind = client.post(path, data={"csrf_token": csrf, "kind": "car", "amount": "10", "reason": "迟到"})
    assert kind.status_code == 422 and _field_error(kind.text, "kind").startswith("补偿类型须为：")
    assert _count(db) == 0


def test_the_queue_keeps_four_eyes_and_each_role_within_its_limit(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    agent, _ = make_user(Role.AGENT, username="comp_agent")
    make_user(Role.AGENT, username="comp_agent2")
    make_user(Role.MANAGER, username="comp_manager")
    ticket = _breached_ticket(db, clock)
    small = compensation.propose_compensation(
        db, clock=clock, actor=agent, ticket_id=ticket.id, kind="coupon", amount_cents=3000, reason="迟到"
    )
    large = compensation.propose_compensation(
        db, clock=clock, actor=agent, ticket_id=ticket.id, kind="cash", amount_cents=20000, reason="损坏门框"
    )
    db.commit()
    # The proposer sees both without a button, and is refused if they try anyway.
    csrf = console_login(client, db, "comp_agent")
    own = client.get("/console/compensation/queue").text
    assert "您的审批额度：50.00 元" in own
    assert own.count("本人提出，须由他人审批") == 2 and f'action="/console/compensation/{small.id}/decision"' not in own
    refused = client.post(
        f"/console/compensation/{small.id}/decision", data={"csrf_token": csrf, "decision": "approve"}
    )
    assert refused.status_code == 403 and "不能审批自己提出的补偿" in refused.text
    # Another agent may approve the small one, not the one above the agents' limit.
    csrf = console_login(client, db, "comp_agent2")
    queue = client.get("/console/compensation/queue").text
    assert f'action="/console/compensation/{small.id}/decision"' in queue
    assert f'action="/console/compensation/{large.id}/decision"' not in queue and "超出您的审批额度" in queue
    over = client.post(f"/console/compensation/{large.id}/decision", data={"csrf_token": csrf, "decision": "approve"})
    assert over.status_code == 403 and "补偿金额 200.00 元 超出您的审批额度 50.00 元" in over.text
    db.expire_all()
    assert (db.get(Compensation, small.id).status, db.get(Compensation, large.id).status) == ("proposed", "proposed")  # type: ignore[union-attr]
    data = {"csrf_token": csrf, "decision": "approve", "note": "情况属实"}
    reply = client.post(f"/console/compensation/{small.id}/decision", data=data, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/console/compensation/queue?done=approve"
    assert "已批准" in client.get(reply.headers["location"]).text
    # The manager rejects the large one; the approved one is marked granted.
    csrf = console_login(client, db, "comp_manager")
    reject = {"csrf_token": csrf, "decision": "reject", "note": "门框非我方损坏"}
    assert client.post(f"/console/compensation/{large.id}/decision", data=reject).status_code == 200
    granted = {"csrf_token": csrf, "decision": "grant"}
    assert client.post(f"/console/compensation/{small.id}/decision", data=granted).status_code == 200
    again = client.post(f"/console/compensation/{small.id}/decision", data=granted)
    assert again.status_code == 409 and "只有已批准的补偿可以发放" in again.text
    unknown = client.post(f"/console/compensation/{large.id}/decision", data={"csrf_token": csrf, "decision": "x"})
    assert unknown.status_code == 422
    db.expire_all()
    first, second = db.get(Compensation, small.id), db.get(Compensation, large.id)
    assert first is not None and second is not None
    assert (first.status, first.decided_by, first.decision_note, first.granted_by) == (
        "granted", "comp_agent2", "情况属实", "comp_manager",
    )  # fmt: skip
    assert (second.status, second.decided_by, second.decision_note) == ("rejected", "comp_manager", "门框非我方损坏")


def test_the_ledger_filters_and_pages(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    agent, _ = make_user(Role.AGENT, username="comp_agent")
    make_user(Role.INSPECTOR, username="comp_inspector")
    ticket = _breached_ticket(db, clock)
    [other_id] = insert_tickets(db, clock, organisation_id=None, count=1, closed_at=None, prefix="QL")
    entries = [
        compensation.propose_compensation(
            db, clock=clock, actor=agent, ticket_id=ticket.id if index % 2 else other_id, kind="coupon",
            amount_cents=100 + index, reason=f"补偿{index}",
        )
        for index in range(30)
    ]  # fmt: skip
    db.commit()
    console_login(client, db, "comp_inspector")  # reads the ledger; may not propose
    first = client.get("/console/compensation")
    assert first.status_code == 200
    assert "（共 30 条）" in first.text and "第 1 / 2 页" in first.text
    ids = [int(found) for found in re.findall(r'<tr data-compensation="(\d+)"', first.text)]
    assert ids == [entry.id for entry in reversed(entries)][:25]
    assert 'action="/console/compensation/ticket"' not in first.text  # no proposing for the inspector
    assert f'<a href="/console/tickets/{ticket.id}">{ticket.number}</a>' in first.text
    second = client.get("/console/compensation", params={"page": 2}).text
    assert [int(found) for found in re.findall(r'<tr data-compensation="(\d+)"', second)] == [
        e.id for e in entries[4::-1]
    ]
    mine = client.get("/console/compensation", params={"number": ticket.number.lower()}).text
    assert "（共 15 条）" in mine
    assert '<td class="amount">1.29</td>' in mine and '<td class="amount">1.28</td>' not in mine
    approved = client.get("/console/compensation", params={"status": "approved"}).text
    assert 'id="no-entries"' in approved
    missing = client.get("/console/compensation", params={"number": "NOPE-1"}).text
    assert _field_error(missing, "number") == "没有工单号为 NOPE-1 的工单"
    assert 'id="no-entries"' in missing
    for path in (f"/console/compensation/tickets/{ticket.id}", "/console/compensation/queue"):
        reply = client.get(path)
        assert reply.status_code == 403 and "您的角色无权访问此页面" in reply.text, path


def test_the_ticket_search_opens_its_compensation_page(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="comp_agent")
    ticket = _breached_ticket(db, clock)
    console_login(client, db, "comp_agent")
    ledger = client.get("/console/compensation").text
    assert 'action="/console/compensation/ticket"' in ledger and '<label for="propose-number">' in ledger
    found = client.get("/console/compensation/ticket", params={"number": ticket.number}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/console/compensation/tickets/{ticket.id}"
    missing = client.get("/console/compensation/ticket", params={"number": "NOPE-1"})
    assert missing.status_code == 404
