"""Surveys: the customer's answers to a return visit, through the signed link or taken on the phone by
visit staff (six dimensions, a follow-up when they are unhappy), and the participation figures. Recording
one ends the visit and moves the ticket on (``visits.finish_ticket``). Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import get_for_update
from aftersales.core.i18n import N_, Joined
from aftersales.feedback import rules, visits
from aftersales.feedback.errors import InvalidVisitInputError, SurveyLinkError, VisitClosedError
from aftersales.feedback.models import ReturnVisit, SurveyResponse
from aftersales.tickets import service as tickets_service


def visit_by_link(session: Session, *, key: bytes, token: str, now: datetime) -> ReturnVisit:
    """The visit a survey link belongs to; a malformed, forged, expired or used link is refused."""
    parsed = rules.read_link(token)
    visit = session.get(ReturnVisit, parsed[0]) if parsed else None
    if visit is None or not rules.link_matches(key, token, nonce=visit.link_nonce):
        raise SurveyLinkError(N_("评价链接无效"), code="visit.link_invalid")
    if visit.link_used_at is not None or visit.status != "scheduled":
        raise SurveyLinkError(N_("该评价链接已使用，感谢您的反馈"), code="visit.link_used")
    if now > visit.link_expires_at:
        raise SurveyLinkError(N_("评价链接已过期"), code="visit.link_expired")
    return visit


@dataclass(frozen=True)
class Answer:
    response: SurveyResponse
    follow_up_reason: str | None


def record_survey(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    visit: ReturnVisit,
    scores: dict[str, object],
    comment: str | None,
    anger: float,
    source: str,
) -> Answer:
    """Store the answers, end the visit and move the ticket on; says whether a follow-up is needed.
    Bad scores change nothing. Taken on the phone (any ``source`` but "link"), only by visit staff."""
    if source != "link":
        visits.require_role(actor, rules.VISIT_ROLES)
    get_for_update(session, ReturnVisit, visit.id)  # one survey per visit, whoever submits first
    if visit.status != "scheduled":
        raise VisitClosedError(N_("该回访已结束"), fields={"status": visit.status})
    ticket = tickets_service.get_ticket(session, visit.ticket_id)
    clean, problems = rules.check_scores(scores, kind=str(ticket.kind), channel=str(ticket.channel))
    text = (comment or "").strip()
    if len(text) > 2000:
        problems["comment"] = N_("评价内容不超过 2000 字")
    if problems:
        raise InvalidVisitInputError(Joined(dict.fromkeys(problems.values())), fields=problems)
    now = clock.now()
    if source != "link":
        visits.take_ownership(visit, actor)
    reason = rules.follow_up_reason(clean, anger=anger)
    response = SurveyResponse(
        visit_id=visit.id,
        ticket_id=visit.ticket_id,
        scores=clean,
        comment=text or None,
        source=source,
        is_angry=anger >= rules.ANGER_THRESHOLD,
        submitted_at=now,
        recorded_by=actor.username,
    )
    session.add(response)
    visit.status, visit.completed_at, visit.outcome = "done", now, "已评价"
    if source == "link":
        visit.link_used_at = now
    skipped = [name for name in rules.dimensions_for(str(ticket.kind), str(ticket.channel)) if name not in clean]
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="visit.surveyed",
        entity_type="return_visit",
        entity_id=visit.id,
        after={"status": visit.status, "source": source, "scores": clean, "skipped": skipped},
    )
    average = sum(clean.values()) / len(clean)
    visits.finish_ticket(
        session,
        clock=clock,
        actor=actor,
        visit=visit,
        note=f"回访完成，平均 {average:.1f} 分",
        note_key="visit.done",
        note_params={"average": f"{average:.1f}"},
    )
    session.flush()
    return Answer(response, reason)


def participation(session: Session, *, start: datetime, end: datetime) -> dict[str, object]:
    """How many visits ended in the period and the share answered (a partly answered survey counts as
    answered), with each question's average over the surveys that answered it."""
    rows = dict(
        session.execute(
            select(ReturnVisit.status, func.count())
            .where(ReturnVisit.completed_at >= start, ReturnVisit.completed_at < end)
            .group_by(ReturnVisit.status)
        ).all()
    )
    done, unreachable = int(rows.get("done", 0)), int(rows.get("unreachable", 0))
    columns = []
    for name in rules.QUESTION_ORDER:
        score = SurveyResponse.scores[name].as_integer()
        columns += [func.count(score), func.avg(score)]
    figures = session.execute(
        select(*columns)
        .join(ReturnVisit, ReturnVisit.id == SurveyResponse.visit_id)
        .where(ReturnVisit.completed_at >= start, ReturnVisit.completed_at < end)
    ).one()
    answers = {name: int(figures[2 * index]) for index, name in enumerate(rules.QUESTION_ORDER)}
    averages = {
        name: round(float(figures[2 * index + 1]), 2) if answers[name] else None
        for index, name in enumerate(rules.QUESTION_ORDER)
    }
    return {
        "done": done,
        "unreachable": unreachable,
        "participation": rules.participation(done, unreachable),
        "answers": answers,
        "averages": averages,
    }
