"""Survey answers across packages: the comment's anger (triage), the answers and the visit (feedback),
and a follow-up complaint ticket linked to the original when a score is low or the customer is angry —
with a message in the inbox of the visit's owner and their supervisor (notifications)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.feedback import queue, surveys
from aftersales.feedback.enums import EVENT_OWNER, FeedbackEventType
from aftersales.feedback.models import ReturnVisit, SurveyResponse
from aftersales.notifications import service as notifications_service
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import Channel, Priority, TicketKind
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import NewTicket
from aftersales.triage import learning as triage_learning

# Who acts when a customer answers through the link (nobody is signed in).
ticket_events.register_event_types(EVENT_OWNER, FeedbackEventType)

SURVEY_ACTOR = Actor(user_id=None, username="survey-link", role=Role.ADMIN)


@dataclass(frozen=True)
class SurveyResult:
    response: SurveyResponse
    follow_up_ticket_id: int | None


def submit_survey(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    visit: ReturnVisit,
    scores: dict[str, object],
    comment: str | None,
    source: str,
) -> SurveyResult:
    """Record the answers; open the follow-up ticket when they call for one. Nothing is written on error."""
    anger = triage_learning.analyse(session, comment).anger if comment and comment.strip() else 0.0
    answer = surveys.record_survey(
        session, clock=clock, actor=actor, visit=visit, scores=scores, comment=comment, anger=anger, source=source
    )
    if answer.follow_up_reason is None:
        return SurveyResult(answer.response, None)
    original = tickets_service.get_ticket(session, visit.ticket_id)
    follow_up = tickets_service.create_ticket(
        session,
        clock=clock,
        actor=actor,
        data=NewTicket(
            kind=TicketKind.COMPLAINT,
            priority=Priority.URGENT if answer.response.is_angry else Priority.ROUTINE,
            channel=Channel.RETURN_VISIT,
            customer_name=original.customer.name,
            phone=original.customer.phone,
            address=original.address.raw if original.address else None,
            product_model=original.product_model,
            description=f"回访跟进（原工单 {original.number}）：{answer.follow_up_reason}。"
            + (f"客户评价：{answer.response.comment}" if answer.response.comment else ""),
            external_id=f"visit-follow-up:{visit.id}",
        ),
    )
    answer.response.follow_up_ticket_id = follow_up.id
    _tell_owner(session, clock=clock, visit=visit, original=original, follow_up=follow_up, answer=answer)
    for ticket, note, note_key, note_params in (
        (
            original,
            f"回访评价需跟进，已开跟进工单 {follow_up.number}：{answer.follow_up_reason}",
            "visit.follow_up_opened",
            {"number": follow_up.number, "reason": answer.follow_up_reason},
        ),
        (
            follow_up,
            f"由原工单 {original.number} 的回访评价产生",
            "visit.follow_up_of",
            {"number": original.number},
        ),
    ):
        tickets_service.record_event(
            session,
            clock=clock,
            actor=actor,
            ticket=ticket,
            event_type=FeedbackEventType.FOLLOW_UP,
            note=note,
            data={
                "original_ticket_id": original.id,
                "follow_up_ticket_id": follow_up.id,
                "visit_id": visit.id,
                "note_key": note_key,
                "note_params": note_params,
            },
        )
    session.flush()
    return SurveyResult(answer.response, follow_up.id)


def _tell_owner(
    session: Session, *, clock: Clock, visit: ReturnVisit, original: Ticket, follow_up: Ticket, answer: surveys.Answer
) -> None:
    """One inbox message per person (owner, supervisor) about the follow-up, linked to the follow-up ticket;
    the dedupe key per visit and person keeps it to one whatever retries."""
    response = answer.response
    for user_id in queue.people_to_tell(session, visit=visit, ticket=original):
        notifications_service.enqueue(
            session,
            clock=clock,
            kind="follow_up_complaint",
            dedupe_key=f"follow_up_complaint:{visit.id}:{user_id}",
            context={
                "ticket_number": original.number,
                "follow_up_number": follow_up.number,
                "reason": answer.follow_up_reason,
                "is_angry": response.is_angry,
                "comment": response.comment or "",
            },
            recipient_user_id=user_id,
            ticket_id=follow_up.id,
            payload={"visit_id": visit.id, "original_ticket_id": original.id, "follow_up_ticket_id": follow_up.id},
        )
