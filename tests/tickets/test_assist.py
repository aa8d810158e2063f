"""The self-service assistant: answers only from published customer articles, asks when two compete,
hands off angry customers with an emotion report and a ticket."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import FrozenClock
from aftersales.knowledge import service as knowledge_service
from aftersales.knowledge.schemas import ArticleCreate
from aftersales.notifications.models import OutboxMessage
from aftersales.tickets.models import Ticket, TicketComment
from tests.conftest import UserFactory

EDITOR = Actor(user_id=None, username="editor", role=Role.ADMIN)


def _article(db: Session, clock: FrozenClock, **data: object) -> int:
    return knowledge_service.create_article(db, clock=clock, actor=EDITOR, data=ArticleCreate.model_validate(data)).id


def _ask(client: TestClient, token: str, message: str, session_id: str = "s1", **extra: object) -> dict[str, object]:
    reply = client.post(
        "/api/v1/assist",
        json={"session_id": session_id, "message": message, **extra},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_answers_from_published_customer_articles_only(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    public = _article(
        db,
        clock,
        title="智能锁没电了怎么开门",
        body="用充电宝接应急供电口。",
        questions=["门锁没电了打不开", "指纹锁没电怎么办"],
        status="published",
        audience="customer",
    )
    _article(
        db,
        clock,
        title="门锁没电了打不开（草稿）",
        body="草稿",
        questions=["门锁没电了打不开"],
        status="draft",
        audience="customer",
    )
    _article(
        db,
        clock,
        title="没电开门的内部流程",
        body="内部",
        questions=["门锁没电了打不开"],
        status="published",
        audience="agent",
    )
    db.commit()
    _, token = make_user(Role.CUSTOMER, username="cust1", phone="13800138000")
    reply = _ask(client, token, "门锁没电了打不开")
    assert reply["action"] == "answer" and reply["article_id"] == public and "充电宝" in str(reply["message"])


def test_two_competing_answers_get_a_clarifying_question(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    first = _article(
        db,
        clock,
        title="手表充不进电",
        body="换线。",
        questions=["手表充不了电"],
        status="published",
        audience="customer",
    )
    second = _article(
        db,
        clock,
        title="平板充不进电",
        body="换充电器。",
        questions=["平板充不了电"],
        status="published",
        audience="customer",
    )
    db.commit()
    _, token = make_user(Role.CUSTOMER, username="cust2", phone="13800138001")
    reply = _ask(client, token, "充不了电")
    assert reply["action"] == "clarify"
    assert {option["article_id"] for option in reply["options"]} == {first, second}  # type: ignore[union-attr, index]


def test_anger_hands_off_with_a_ticket_and_an_emotion_report(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    _, token = make_user(Role.CUSTOMER, username="cust3", phone="13800138002")
    reply = _ask(client, token, "我要去12315投诉你们！！！", customer={"name": "周先生"})
    assert reply["action"] == "handoff" and reply["ticket_number"]
    report = reply["emotion_report"]
    assert report["anger"] >= 0.9 and "12315" in report["cues"] and report["customer_history"]["tickets"] == 0  # type: ignore[index]
    ticket = db.get(Ticket, reply["ticket_id"])
    assert ticket is not None and ticket.channel == "app" and ticket.customer.name == "周先生"
    again = _ask(client, token, "到现在还没人联系我")
    assert again["action"] == "handoff" and again["ticket_id"] == reply["ticket_id"]
    assert db.scalar(select(func.count()).select_from(Ticket)) == 1
    comment = db.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket.id)).one()
    assert comment.body == "客户补充：到现在还没人联系我"


def test_a_hand_off_reaches_the_active_agents_inboxes_once_per_conversation(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    first, _ = make_user(Role.AGENT, username="handoff_a1")
    second, _ = make_user(Role.AGENT, username="handoff_a2")
    gone, _ = make_user(Role.AGENT, username="handoff_gone")
    db.get_one(User, gone.user_id).is_active = False
    db.commit()
    make_user(Role.DISPATCHER, username="handoff_disp")
    _, token = make_user(Role.CUSTOMER, username="cust4", phone="13800138004")
    reply = _ask(client, token, "我要去12315投诉你们！！！", session_id="s4", customer={"name": "吴女士"})
    _ask(client, token, "到现在还没人联系我", session_id="s4")
    rows = db.execute(
        select(OutboxMessage.recipient_user_id, OutboxMessage.channel, OutboxMessage.ticket_id, OutboxMessage.subject)
        .where(OutboxMessage.kind == "assistant_handoff")
        .order_by(OutboxMessage.recipient_user_id)
    ).all()
    number = reply["ticket_number"]
    subject = f"【转人工】客户情绪激动，请接手工单 {number}"
    assert [tuple(row) for row in rows] == [
        (first.user_id, "internal", reply["ticket_id"], subject),
        (second.user_id, "internal", reply["ticket_id"], subject),
    ]


def test_bad_request_is_refused(client: TestClient, make_user: UserFactory) -> None:
    _, token = make_user(Role.CUSTOMER, username="cust4", phone="13800138003")
    reply = client.post(
        "/api/v1/assist", json={"session_id": "", "message": "hi"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 422 and "session_id" in reply.json()["fields"]
