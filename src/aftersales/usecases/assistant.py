"""Self-service assistant (app/web widget): answer from published customer articles when confident, ask
which one when two compete, otherwise open (or update) a ticket and hand off to a person with an emotion
report. A use case across packages (knowledge, triage, tickets), so it lives with the intake flows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.customers import rules as customer_rules
from aftersales.customers import service as customers_service
from aftersales.knowledge import service as knowledge_service
from aftersales.notifications import service as notifications_service
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Channel
from aftersales.tickets.models import AssistSession, Ticket
from aftersales.tickets.schemas import TicketCreate
from aftersales.triage import classifier, learning
from aftersales.usecases import emotions
from aftersales.usecases import intake as flows

ANSWER_SCORE = 0.6  # fused score (0..1) of the best article to answer with it
COMPETING_MARGIN = 0.08  # a second article this close to the first makes the answer ambiguous


@dataclass(frozen=True)
class AssistReply:
    """What the widget shows."""

    action: str  # answer | clarify | handoff
    message: str
    session_id: str
    article_id: int | None = None
    options: list[dict[str, Any]] = field(default_factory=list)
    ticket_id: int | None = None
    ticket_number: str | None = None
    emotion_report: dict[str, Any] | None = None


def _session(session: Session, *, clock: Clock, session_id: str) -> AssistSession:
    record = session.get(AssistSession, session_id)
    if record is None:
        record = AssistSession(session_id=session_id, messages=[], created_at=clock.now(), updated_at=clock.now())
        session.add(record)
    return record


def _log(record: AssistSession, clock: Clock, role: str, text: str, **extra: Any) -> None:
    record.messages = [*record.messages, {"at": clock.now().isoformat(), "role": role, "text": text, **extra}]
    record.updated_at = clock.now()


def emotion_report(session: Session, *, text: str, phone: str | None) -> dict[str, Any]:
    """Scores, cue phrases, the customer's history and a suggested script for the agent taking over."""
    analysis = learning.analyse(session, text)
    history = emotions.CustomerHistory()
    if phone:
        customer = customers_service.find_by_phone(session, phone)
        if customer is not None:
            history = emotions.customer_history(session, customer_id=customer.id)
    article = emotions.suggested_script(session, text)
    script = {"article_id": article.id, "title": article.title, "body": article.body} if article else None
    return {
        "sentiment": analysis.sentiment,
        "anger": analysis.anger,
        "cues": analysis.anger_cues,
        "kind": analysis.kind,
        "priority": analysis.priority,
        "confidence": analysis.confidence,
        "customer_history": history.counts(),
        "suggested_script": script,
    }


def assist(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    session_id: str,
    message: str,
    customer_name: str | None = None,
    customer_phone: str | None = None,
) -> AssistReply:
    """One turn of the conversation."""
    text = message.strip()
    record = _session(session, clock=clock, session_id=session_id)
    phone = customer_phone or actor.phone or record.customer_phone
    if phone and customer_rules.parse_phone(phone) is not None:
        record.customer_phone = phone
    _log(record, clock, "customer", text)
    analysis = learning.analyse(session, text)
    hits = knowledge_service.search(session, query=text, audience="customer", limit=3)
    if not analysis.handoff and record.ticket_id is None and hits and hits[0].score >= ANSWER_SCORE:
        competing = [hit for hit in hits[1:] if hits[0].score - hit.score < COMPETING_MARGIN]
        if competing:
            options = [{"article_id": hit.article_id, "title": hit.title} for hit in [hits[0], *competing]]
            reply = "您想咨询的是以下哪个问题？" + "；".join(f"{i + 1}. {o['title']}" for i, o in enumerate(options))
            _log(record, clock, "assistant", reply, action="clarify")
            session.flush()
            return AssistReply("clarify", reply, session_id, options=options)
        article = knowledge_service.get_article(session, hits[0].article_id)
        _log(record, clock, "assistant", article.title, action="answer", article_id=article.id)
        session.flush()
        return AssistReply("answer", f"{article.title}\n\n{article.body}", session_id, article_id=article.id)
    report = emotion_report(session, text=text, phone=record.customer_phone)
    ticket = _open_or_update(session, clock=clock, actor=actor, record=record, text=text, name=customer_name)
    reply = "已为您转接人工客服，请稍候。" + (f"工单号：{ticket.number}" if ticket is not None else "")
    _log(record, clock, "assistant", reply, action="handoff", ticket_id=ticket.id if ticket else None)
    if ticket is not None:
        _tell_agents(session, clock=clock, record=record, ticket_id=ticket.id, text=text, report=report)
    session.flush()
    return AssistReply(
        "handoff",
        reply,
        session_id,
        ticket_id=ticket.id if ticket else None,
        ticket_number=ticket.number if ticket else None,
        emotion_report=report,
    )


def _tell_agents(
    session: Session, *, clock: Clock, record: AssistSession, ticket_id: int, text: str, report: dict[str, Any]
) -> None:
    """The hand-off lands in the inbox of whoever must pick it up: the ticket's assignee, else the active
    agents of its organisation (of every organisation when it has none). Once per conversation and person:
    the customer's later messages go onto the ticket, not into more messages."""
    ticket = session.get_one(Ticket, ticket_id)
    if ticket.assignee_id is not None:
        people = [ticket.assignee_id]
    else:
        agents = select(User.id).where(User.role == Role.AGENT, User.is_active.is_(True))
        if ticket.organisation_id is not None:
            agents = agents.where(User.organisation_id == ticket.organisation_id)
        people = list(session.scalars(agents.order_by(User.id)))
    anger = float(report.get("anger") or 0.0)
    for user_id in people:
        notifications_service.enqueue(
            session,
            clock=clock,
            kind="assistant_handoff",
            dedupe_key=f"assistant_handoff:{record.session_id}:{user_id}",
            context={
                "ticket_number": ticket.number,
                "text": text[:200],
                "is_angry": anger >= classifier.HANDOFF_ANGER,
                "cues": "、".join(report.get("cues") or []),
            },
            recipient_user_id=user_id,
            ticket_id=ticket.id,
            payload={"session_id": record.session_id, "anger": round(anger, 3)},
            organisation_id=ticket.organisation_id,
        )


def _open_or_update(
    session: Session, *, clock: Clock, actor: Actor, record: AssistSession, text: str, name: str | None
) -> Any:
    if record.ticket_id is not None:
        tickets_service.add_comment(
            session, clock=clock, actor=actor, ticket_id=record.ticket_id, body=f"客户补充：{text}", is_internal=False
        )
        return tickets_service.get_ticket(session, record.ticket_id)
    if not record.customer_phone:
        return None  # no way to reach the customer yet: the agent picks the chat up as it is
    conversation = "\n".join(entry["text"] for entry in record.messages if entry["role"] == "customer")
    request = TicketCreate(
        channel=Channel.APP,
        customer={"name": name or "App 用户", "phone": record.customer_phone},  # type: ignore[arg-type]
        description=conversation[-4000:],
        external_id=f"assist:{record.session_id}",
    )
    ticket, _ = flows.open_ticket(session, clock=clock, actor=actor, request=request)
    record.ticket_id = ticket.id
    return ticket
