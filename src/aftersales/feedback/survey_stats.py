"""Survey figures beside participation (``surveys.participation``): how many answered surveys skipped a
question their ticket was asked. Reads only; takes the period as UTC bounds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.feedback import rules
from aftersales.feedback.models import ReturnVisit, SurveyResponse
from aftersales.tickets.models import Ticket


def partly_answered(session: Session, *, start: datetime, end: datetime) -> int:
    """Surveys of the visits finished in [start, end) that left out at least one of their ticket's questions
    (they count as answered in participation)."""
    rows = session.execute(
        select(SurveyResponse.scores, Ticket.kind, Ticket.channel)
        .join(ReturnVisit, ReturnVisit.id == SurveyResponse.visit_id)
        .join(Ticket, Ticket.id == SurveyResponse.ticket_id)
        .where(ReturnVisit.completed_at >= start, ReturnVisit.completed_at < end)
    )
    return sum(
        1
        for scores, kind, channel in rows
        if any(name not in scores for name in rules.dimensions_for(str(kind), str(channel)))
    )
