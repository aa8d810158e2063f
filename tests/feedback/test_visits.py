"""Return visits: one per result with exactly one invitation, the agents' calls, answers by phone and by
the signed link (reused and expired links refused), follow-up tickets for low scores."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.feedback import rules, visits
from aftersales.feedback.models import ReturnVisit, SurveyResponse
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.enums import Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.conftest import SHANGHAI, UserFactory, local

KEY = b"test-signing-key"
GOOD = {"overall": 5, "reach_human": 4, "ivr": 4, "attitude": 5, "problem_solving": 5, "outcome": 5}
ONSITE_GOOD = {**GOOD, "punctuality": 5, "tidiness": 4}


@pytest.mark.parametrize(
    ("kind", "resolved", "due"),
    [
        ("repair", local(2026, 11, 22, 15, 0), local(2026, 11, 23, 10, 0)),
        ("repair", local(2026, 11, 22, 23, 30), local(2026, 11, 23, 10, 0)),
        ("consultation", local(2026, 11, 22, 1, 0), local(2026, 11, 23, 10, 0)),
        ("complaint", local(2026, 11, 22, 15, 0), local(2026, 11, 22, 17, 0)),
    ],
)
def test_visit_due(kind: str, resolved: datetime, due: datetime) -> None:
    assert rules.visit_due(kind, resolved) == due


def test_scores_are_checked_per_kind_and_channel() -> None:
    assert rules.check_scores(dict(GOOD), kind="consultation", channel="hotline") == (GOOD, {})
    clean, problems = rules.check_scores(
        {**GOOD, "overall": 6, "ivr": "x", "speed": 3}, kind="repair", channel="hotline"
    )
    assert clean == {"reach_human": 4, "attitude": 5, "problem_solving": 5, "outcome": 5}
    assert problems == {
        "speed": "未知的评价项",
        "overall": "评分应为 1 到 5 的整数",
        "ivr": "评分应为 1 到 5 的整数",
    }
    assert rules.follow_up_reason(GOOD, anger=0.1) is None
    assert rules.follow_up_reason({**GOOD, "attitude": 2}, anger=0.0) == "服务态度 评分不高于 2 分"
    assert rules.follow_up_reason(GOOD, anger=0.9) == "评价中有明显不满"


def test_links_are_signed() -> None:
    expires = local(2026, 11, 30, 10, 0)
    token = rules.sign_link(KEY, 7, expires, "abcd")
    assert rules.link_matches(KEY, token, nonce="abcd")
    assert not rules.link_matches(KEY, token, nonce="abce")
    assert not rules.link_matches(b"other", token, nonce="abcd")
    assert not rules.link_matches(KEY, token.replace("7.", "8.", 1), nonce="abcd")
    assert rules.read_link("garbage") is None


def _resolved_ticket(db: Session, clock: FrozenClock, kind: TicketKind = TicketKind.REPAIR) -> Ticket:
    return factories.ticket_in_status(
        db, clock=clock, status=TicketStatus.RESOLVED, kind=kind, priority=Priority.ROUTINE
    )


def _visit(db: Session, clock: FrozenClock, ticket: Ticket) -> ReturnVisit:
    """The ticket's scheduled visit (invitation links on http://x), committed for the app to see."""
    visit = factories.return_visit(db, clock=clock, ticket_id=ticket.id, key=KEY, base_url="http://x")
    db.commit()
    return visit


def test_a_result_yields_one_visit_and_exactly_one_invitation(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, token = make_user(Role.AGENT, username="visitor1")
    ticket = _resolved_ticket(db, clock)
    assert visits.schedule_due(db, clock=clock, key=KEY, base_url="https://svc.example.cn") == 1
    assert visits.schedule_due(db, clock=clock, key=KEY, base_url="https://svc.example.cn") == 0
    invitations = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "visit_invitation")).all()
    assert len(invitations) == 1 and invitations[0].recipient_address == "13800138000"
    assert "https://svc.example.cn/survey/" in invitations[0].body
    listed = client.get(f"/api/v1/visits?ticket_id={ticket.id}", headers={"Authorization": f"Bearer {token}"})
    assert [(row["ticket_id"], row["status"], row["due_at"]) for row in listed.json()] == [
        (ticket.id, "scheduled", "2026-11-23T10:00:00+08:00")
    ]


def test_a_low_score_on_the_phone_opens_a_linked_follow_up_and_the_ticket_is_visited(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, token = make_user(Role.AGENT, username="visitor2")
    headers = {"Authorization": f"Bearer {token}"}
    ticket = _resolved_ticket(db, clock)
    visit_id = _visit(db, clock, ticket).id
    bad = client.post(
        f"/api/v1/visits/{visit_id}/survey", json={"scores": {**GOOD, "punctuality": 6, "tidiness": 0}}, headers=headers
    )
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"punctuality", "tidiness"}
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    answer = client.post(
        f"/api/v1/visits/{visit_id}/survey",
        json={"scores": {**ONSITE_GOOD, "punctuality": 1}, "comment": "师傅迟到了一个多小时"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    follow_up_id = answer.json()["follow_up_ticket_id"]
    assert follow_up_id is not None
    assert db.scalar(select(Ticket.status).where(Ticket.id == ticket.id)) == "visited"
    follow_up = db.get(Ticket, follow_up_id)
    assert follow_up is not None and (follow_up.kind, follow_up.channel) == ("complaint", "return_visit")
    assert follow_up.description.startswith(f"回访跟进（原工单 {ticket.number}）：上门准时 评分不高于 2 分")
    notes = db.scalars(
        select(TicketEvent.note).where(TicketEvent.type == "follow_up").order_by(TicketEvent.ticket_id)
    ).all()
    assert notes == [
        f"回访评价需跟进，已开跟进工单 {follow_up.number}：上门准时 评分不高于 2 分",
        f"由原工单 {ticket.number} 的回访评价产生",
    ]
    again = client.post(f"/api/v1/visits/{visit_id}/survey", json={"scores": ONSITE_GOOD}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "visit.closed"


def test_good_answers_open_nothing(client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    _, token = make_user(Role.AGENT, username="visitor3")
    headers = {"Authorization": f"Bearer {token}"}
    visit_id = _visit(db, clock, _resolved_ticket(db, clock, kind=TicketKind.CONSULTATION)).id
    answer = client.post(
        f"/api/v1/visits/{visit_id}/survey", json={"scores": GOOD, "comment": "很满意"}, headers=headers
    )
    assert answer.status_code == 200 and answer.json()["follow_up_ticket_id"] is None
    assert db.scalar(select(func.count()).select_from(Ticket)) == 1


def test_three_unanswered_calls_end_the_visit(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, token = make_user(Role.AGENT, username="visitor4")
    headers = {"Authorization": f"Bearer {token}"}
    ticket = _resolved_ticket(db, clock)
    visit_id = _visit(db, clock, ticket).id
    bad = client.post(f"/api/v1/visits/{visit_id}/attempts", json={"outcome": "asleep"}, headers=headers)
    assert bad.status_code == 422 and db.get(ReturnVisit, visit_id).attempts == 0  # type: ignore[union-attr]
    for expected in ("scheduled", "scheduled", "unreachable"):
        reply = client.post(f"/api/v1/visits/{visit_id}/attempts", json={"outcome": "no_answer"}, headers=headers)
        assert reply.json()["status"] == expected
    assert reply.json()["outcome"] == "3 次未能联系上客户"
    note = db.scalar(
        select(TicketEvent.note).where(TicketEvent.ticket_id == ticket.id, TicketEvent.type == "return_visit")
    )
    assert note == "回访未完成：3 次未能联系上客户"
    start, end = (datetime(2026, 11, 22, tzinfo=SHANGHAI), datetime(2026, 11, 23, tzinfo=SHANGHAI))
    stats = client.get(
        "/api/v1/visits/participation", params={"start": start.isoformat(), "end": end.isoformat()}, headers=headers
    )
    assert stats.json() == {
        "done": 0,
        "unreachable": 1,
        "participation": 0.0,
        "answers": dict.fromkeys(rules.QUESTION_ORDER, 0),
        "averages": dict.fromkeys(rules.QUESTION_ORDER),
    }


def test_the_survey_link_works_once_and_not_after_it_expires(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    first = _resolved_ticket(db, clock)
    visit = _visit(db, clock, first)
    link = rules.sign_link(KEY, visit.id, visit.link_expires_at, visit.link_nonce)
    page = client.get(f"/survey/{link}")
    assert page.status_code == 200 and 'name="punctuality"' in page.text and first.number in page.text
    missing = client.post(f"/survey/{link}", data={k: str(v) for k, v in GOOD.items() if k != "overall"})
    assert missing.status_code == 422 and "请为「总体满意度」打分" in missing.text
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    done = client.post(f"/survey/{link}", data={k: str(v) for k, v in ONSITE_GOOD.items()} | {"comment": "不错"})
    assert done.status_code == 200 and "感谢您的评价" in done.text
    reused = client.post(f"/survey/{link}", data={k: str(v) for k, v in ONSITE_GOOD.items()})
    assert reused.status_code == 410 and "该评价链接已使用" in reused.text
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    forged = link[:-1] + ("1" if link[-1] != "1" else "2")
    assert client.get(f"/survey/{forged}").status_code == 404
    other = _visit(db, clock, _resolved_ticket(db, clock))
    expired = rules.sign_link(KEY, other.id, other.link_expires_at, other.link_nonce)
    clock.advance(timedelta(days=9))
    assert client.get(f"/survey/{expired}").status_code == 410
    assert db.scalar(select(ReturnVisit.status).where(ReturnVisit.id == other.id)) == "scheduled"


def test_agents_work_the_queue_in_the_console(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    from tests.conftest import console_login

    make_user(Role.AGENT, username="visitor6")
    ticket = _resolved_ticket(db, clock)
    visit = _visit(db, clock, ticket)
    clock.advance(timedelta(days=1))  # due tomorrow at 10:00
    csrf = console_login(client, db, "visitor6")
    queue = client.get("/console/visits").text
    assert f'data-visit="{visit.id}"' in queue and ticket.number in queue
    call = client.get(f"/console/visits/{visit.id}").text
    assert f"请问是张先生/女士吗？我是售后服务中心的回访专员。您在 11月22日 的报修工单 {ticket.number}" in call
    client.post(f"/console/visits/{visit.id}/attempts", data={"csrf_token": csrf, "outcome": "busy"})
    assert db.scalar(select(ReturnVisit.attempts).where(ReturnVisit.id == visit.id)) == 1
    partial = client.post(f"/console/visits/{visit.id}/survey", data={"csrf_token": csrf, "outcome": "5"})
    assert partial.status_code == 422 and "请为「总体满意度」打分" in partial.text
    answers = {name: "4" for name in rules.dimensions_for("repair", "hotline")}
    saved = client.post(f"/console/visits/{visit.id}/survey", data={"csrf_token": csrf, **answers})
    assert saved.status_code in (200, 303)
    assert db.scalar(select(ReturnVisit.status).where(ReturnVisit.id == visit.id)) == "done"
    assert f'data-visit="{visit.id}"' not in client.get("/console/visits").text
