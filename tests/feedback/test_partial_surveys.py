"""Surveys with skipped questions (by phone, API and link), visits with an owner (claimed, or taken by the
first call), the owner and their supervisor told once of a low score or an angry comment, participation
and per-question averages that count partly answered surveys."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry, User
from aftersales.core.clock import FrozenClock
from aftersales.feedback import flows, queue, rules, visits
from aftersales.feedback.models import ReturnVisit, SurveyResponse, VisitAttempt
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.enums import Channel, Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket
from tests import factories
from tests.conftest import SHANGHAI, UserFactory, console_login

KEY = factories.SIGNING_KEY


def _visit(
    db: Session, clock: FrozenClock, *, kind: TicketKind = TicketKind.CONSULTATION, channel: Channel = Channel.WEB
) -> ReturnVisit:
    ticket = factories.ticket_in_status(
        db, clock=clock, status=TicketStatus.RESOLVED, kind=kind, channel=channel, priority=Priority.ROUTINE
    )
    visit = factories.return_visit(db, clock=clock, ticket_id=ticket.id)
    db.commit()
    return visit


def _user_id(db: Session, username: str) -> int:
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    return user_id


def _messages(db: Session) -> list[tuple[int | None, int | None, str]]:
    rows = db.execute(
        select(OutboxMessage.recipient_user_id, OutboxMessage.ticket_id, OutboxMessage.subject)
        .where(OutboxMessage.kind == "follow_up_complaint")
        .order_by(OutboxMessage.id)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def test_a_partly_answered_survey_is_saved_as_answered(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, token = make_user(Role.AGENT, username="caller1")
    headers = {"Authorization": f"Bearer {token}"}
    visit = _visit(db, clock)  # a web consultation: overall, attitude, problem solving, outcome
    reply = client.post(
        f"/api/v1/visits/{visit.id}/survey",
        json={"scores": {"overall": 4, "attitude": None, "outcome": 5}, "comment": "回答很及时"},
        headers=headers,
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["scores"], body["skipped"], body["follow_up_ticket_id"]) == (
        {"overall": 4, "outcome": 5},
        ["attitude", "problem_solving"],
        None,
    )
    stored = db.scalar(select(SurveyResponse).where(SurveyResponse.visit_id == visit.id))
    assert stored is not None and stored.scores == {"overall": 4, "outcome": 5} and stored.is_angry is False
    db.refresh(visit)
    assert (visit.status, visit.assignee_id) == ("done", _user_id(db, "caller1"))  # whoever records it owns it
    assert db.scalar(select(Ticket.status).where(Ticket.id == visit.ticket_id)) == "visited"
    audit = db.scalar(select(AuditEntry.after).where(AuditEntry.action == "visit.surveyed"))
    assert audit == {
        "status": "done",
        "source": "phone",
        "scores": {"overall": 4, "outcome": 5},
        "skipped": ["attitude", "problem_solving"],
    }


def test_bad_answers_are_refused_field_by_field_and_change_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _, token = make_user(Role.AGENT, username="caller2")
    headers = {"Authorization": f"Bearer {token}"}
    visit = _visit(db, clock)
    audit_before = db.scalar(select(func.count()).select_from(AuditEntry))
    for scores, fields in [
        (
            {"overall": 7, "ivr": 3, "attitude": "好"},
            {
                "overall": "评分应为 1 到 5 的整数",
                "ivr": "本工单不涉及「语音导航是否清楚」",
                "attitude": "评分应为 1 到 5 的整数",
            },
        ),
        ({"attitude": 5}, {"overall": "请为「总体满意度」打分"}),
        ({"overall": 5, "speed": 5}, {"speed": "未知的评价项"}),
    ]:
        reply = client.post(f"/api/v1/visits/{visit.id}/survey", json={"scores": scores}, headers=headers)
        assert reply.status_code == 422, reply.text
        assert (reply.json()["code"], reply.json()["fields"]) == ("visit.invalid", fields)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    unchanged = db.get(ReturnVisit, visit.id)
    assert unchanged is not None and (unchanged.status, unchanged.assignee_id) == ("scheduled", None)


def test_participation_counts_partial_surveys_and_averages_only_answered_questions(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    actor, token = make_user(Role.AGENT, username="caller3")
    answers = [
        {"overall": 4, "attitude": 5, "problem_solving": 3, "outcome": 4},
        {"overall": 5},
        {"overall": 3, "attitude": 4},
    ]
    for scores in answers:
        visit = _visit(db, clock)
        flows.submit_survey(
            db, clock=clock, actor=actor, visit=visit, scores=dict(scores), comment=None, source="phone"
        )
    unreachable = _visit(db, clock)
    for _ in range(rules.MAX_ATTEMPTS):
        visits.record_attempt(db, clock=clock, actor=actor, visit_id=unreachable.id, outcome="no_answer")
    db.commit()
    start = datetime(2026, 11, 22, tzinfo=SHANGHAI)
    stats = client.get(
        "/api/v1/visits/participation",
        params={"start": start.isoformat(), "end": (start + timedelta(days=1)).isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert stats == {
        "done": 3,
        "unreachable": 1,
        "participation": 0.75,
        "answers": {
            "overall": 3,
            "ivr": 0,
            "reach_human": 0,
            "attitude": 2,
            "punctuality": 0,
            "tidiness": 0,
            "problem_solving": 1,
            "outcome": 1,
        },
        "averages": {
            "overall": 4.0,
            "ivr": None,
            "reach_human": None,
            "attitude": 4.5,
            "punctuality": None,
            "tidiness": None,
            "problem_solving": 3.0,
            "outcome": 4.0,
        },
    }


def test_a_low_score_tells_the_owner_and_their_supervisor_once(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.MANAGER, username="lead1")
    make_user(Role.AGENT, username="caller4", supervisor_username="lead1")
    _, token = make_user(Role.AGENT, username="caller5")
    visit = _visit(db, clock)
    csrf = console_login(client, db, "caller4")
    claimed = client.post(f"/console/visits/{visit.id}/claim", data={"csrf_token": csrf}, follow_redirects=False)
    assert (claimed.status_code, claimed.headers["location"]) == (303, f"/console/visits/{visit.id}")
    # The customer answers through the link, skipping two questions; the visit's owner is told.
    link = rules.sign_link(KEY, visit.id, visit.link_expires_at, visit.link_nonce)
    done = client.post(f"/survey/{link}", data={"overall": "2", "attitude": "1", "problem_solving": "", "outcome": ""})
    assert done.status_code == 200 and "感谢您的评价" in done.text
    response = db.scalar(select(SurveyResponse).where(SurveyResponse.visit_id == visit.id))
    assert response is not None and response.scores == {"overall": 2, "attitude": 1}
    follow_up = db.get(Ticket, response.follow_up_ticket_id)
    assert follow_up is not None
    original = db.get(Ticket, visit.ticket_id)
    assert original is not None
    subject = f"【回访跟进】工单 {original.number} 评分偏低，已开跟进工单 {follow_up.number}"
    assert _messages(db) == [
        (_user_id(db, "caller4"), follow_up.id, subject),
        (_user_id(db, "lead1"), follow_up.id, subject),
    ]
    body = db.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "follow_up_complaint").limit(1))
    assert body == (
        f"工单 {original.number} 的回访：总体满意度、服务态度 评分不高于 2 分。"
        f"已开跟进投诉工单 {follow_up.number}，请尽快联系客户。"
    )
    # In the owner's inbox, linked to the follow-up ticket.
    inbox = client.get("/console/inbox").text
    assert subject in inbox and f"/console/tickets/{follow_up.id}" in inbox
    # Nothing more on a second try, and the other agent got nothing.
    again = client.post(f"/survey/{link}", data={"overall": "1"})
    assert again.status_code == 410 and len(_messages(db)) == 2
    assert _user_id(db, "caller5") not in {recipient for recipient, _, _ in _messages(db)}
    del token


def test_anger_in_a_comment_is_caught_even_with_good_scores(
    db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.MANAGER, username="lead2")
    actor, _ = make_user(Role.AGENT, username="caller6", supervisor_username="lead2")
    visit = _visit(db, clock)
    visits.record_attempt(db, clock=clock, actor=actor, visit_id=visit.id, outcome="busy")  # takes the visit
    result = flows.submit_survey(
        db,
        clock=clock,
        actor=actor,
        visit=visit,
        scores={"overall": 4},
        comment="等了三天没人联系，我非常生气",
        source="phone",
    )
    assert result.response.is_angry is True and result.follow_up_ticket_id is not None
    follow_up = db.get(Ticket, result.follow_up_ticket_id)
    assert follow_up is not None and (follow_up.kind, follow_up.priority) == ("complaint", "urgent")
    assert [(recipient, ticket_id) for recipient, ticket_id, _ in _messages(db)] == [
        (actor.user_id, follow_up.id),
        (_user_id(db, "lead2"), follow_up.id),
    ]
    body = db.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient_user_id == actor.user_id))
    assert body is not None and body.endswith("客户评价：等了三天没人联系，我非常生气")


def test_an_unowned_visit_tells_the_last_caller_never_the_technician(
    db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    tree = factories.organisation_tree(db, clock=clock)
    factories.technician(db, clock=clock, username="tech_v", organisation_code=tree.service_center.code)
    ticket = factories.ticket_in_status(
        db,
        clock=clock,
        status=TicketStatus.RESOLVED,
        kind=TicketKind.CONSULTATION,
        channel=Channel.WEB,
        priority=Priority.ROUTINE,
        assignee_username="tech_v",
    )
    visit = factories.return_visit(db, clock=clock, ticket_id=ticket.id)
    lead, _ = make_user(Role.MANAGER, username="lead3", organisation_code=tree.service_center.code)
    assert queue.owner_of(db, visit=visit, ticket=ticket) is None  # the technician is judged, never told
    assert queue.people_to_tell(db, visit=visit, ticket=ticket) == [lead.user_id]
    actor, _ = make_user(Role.AGENT, username="caller7", supervisor_username="lead3")
    db.add(VisitAttempt(visit_id=visit.id, at=clock.now(), agent="caller7", outcome="busy"))
    db.flush()
    assert queue.owner_of(db, visit=visit, ticket=ticket) == actor.user_id
    assert queue.people_to_tell(db, visit=visit, ticket=ticket) == [actor.user_id, lead.user_id]


def test_claiming_a_visit_is_first_come(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    first, first_token = make_user(Role.AGENT, username="caller8")
    _, second_token = make_user(Role.AGENT, username="caller9")
    _, tech_token = make_user(Role.TECHNICIAN, username="tech_w")
    visit = _visit(db, clock)
    url = f"/api/v1/visits/{visit.id}/claim"
    taken = client.post(url, headers={"Authorization": f"Bearer {first_token}"})
    assert (taken.status_code, taken.json()["assignee_id"]) == (200, first.user_id)
    claims = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "visit.claimed")
    assert db.scalar(claims) == 1
    again = client.post(url, headers={"Authorization": f"Bearer {first_token}"})
    assert again.status_code == 200 and db.scalar(claims) == 1  # one's own again: nothing new
    refused = client.post(url, headers={"Authorization": f"Bearer {second_token}"})
    assert refused.status_code == 409 and refused.json()["code"] == "visit.claimed"
    assert refused.json()["detail"] == "该回访已由 caller8 负责"
    assert client.post(url, headers={"Authorization": f"Bearer {tech_token}"}).status_code == 403
    db.expire_all()
    assert db.scalar(select(ReturnVisit.assignee_id).where(ReturnVisit.id == visit.id)) == first.user_id
    mine = client.get("/api/v1/visits?owner=mine", headers={"Authorization": f"Bearer {second_token}"})
    assert mine.json() == []
    unassigned = client.get("/api/v1/visits?owner=unassigned", headers={"Authorization": f"Bearer {second_token}"})
    assert [row["id"] for row in unassigned.json()] == []


def test_the_queue_pages_and_filters_by_owner(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="caller10")
    other, _ = make_user(Role.AGENT, username="caller11")
    base = _visit(db, clock)
    # 31 due visits of one ticket (one per result) besides the first: two pages of 30.
    for index in range(31):
        db.add(
            ReturnVisit(
                ticket_id=base.ticket_id,
                resolution_at=base.resolution_at - timedelta(minutes=index + 1),
                status="scheduled",
                due_at=base.due_at + timedelta(minutes=index),
                attempts=0,
                link_nonce=f"n{index}",
                link_expires_at=base.link_expires_at,
                created_at=clock.now(),
                assignee_id=other.user_id if index == 30 else None,
            )
        )
    db.commit()
    clock.advance(timedelta(days=1))  # all due today
    csrf = console_login(client, db, "caller10")
    first = client.get("/console/visits").text
    assert first.count("data-visit=") == 30 and "共 32 条" in first and "第 1 / 2 页" in first
    second = client.get("/console/visits?page=2").text
    assert second.count("data-visit=") == 2 and "caller11" in second and "查看" in second
    claimed = client.post(f"/console/visits/{base.id}/claim", data={"csrf_token": csrf}, follow_redirects=False)
    assert claimed.status_code == 303
    mine = client.get("/console/visits?owner=mine").text
    assert mine.count("data-visit=") == 1 and f'data-visit="{base.id}"' in mine and "继续回访" in mine
    unassigned = client.get("/console/visits?owner=unassigned").text
    assert unassigned.count("data-visit=") == 30 and f'data-visit="{base.id}"' not in unassigned
    assert client.get("/console/visits?owner=everyone").status_code == 422
    call = client.get(f"/console/visits/{base.id}").text
    assert 'id="visit-owner"' in call and "caller10" in call


def test_the_survey_page_asks_only_what_applies(client: TestClient, db: Session, clock: FrozenClock) -> None:
    visit = _visit(db, clock, kind=TicketKind.REPAIR, channel=Channel.WEB)
    link = rules.sign_link(KEY, visit.id, visit.link_expires_at, visit.link_nonce)
    page = client.get(f"/survey/{link}").text
    names = ["overall", "attitude", "punctuality", "tidiness", "problem_solving", "outcome"]
    assert [name for name in rules.QUESTION_ORDER if f'name="{name}"' in page] == names
    assert page.count('<span class="tag">可跳过</span>') == 5 and page.count('<span class="tag">必答</span>') == 1
    refused = client.post(f"/survey/{link}", data={"attitude": "5", "ivr": "5"})
    assert refused.status_code == 422 and "请为「总体满意度」打分" in refused.text
    assert 'value="5" checked' in refused.text  # what was chosen is kept
    saved = client.post(f"/survey/{link}", data={"overall": "5", "attitude": "5", "tidiness": ""})
    assert saved.status_code == 200
    stored = db.scalar(select(SurveyResponse.scores).where(SurveyResponse.visit_id == visit.id))
    assert stored == {"overall": 5, "attitude": 5}
