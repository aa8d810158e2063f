"""Return visits (feedback service): one per result, scheduled with its one invitation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock
from aftersales.feedback import visits
from aftersales.feedback.models import ReturnVisit
from aftersales.tickets.enums import TicketStatus
from tests.factories.tickets import ticket_in_status

SIGNING_KEY = b"test-signing-key"  # the ``secret_key`` of the test settings
SURVEY_BASE_URL = "https://svc.example.cn"


def return_visit(
    session: Session,
    *,
    clock: Clock,
    ticket_id: int | None = None,
    key: bytes = SIGNING_KEY,
    base_url: str = SURVEY_BASE_URL,
    actor: Actor = SYSTEM_ACTOR,
    **fields: Any,
) -> ReturnVisit:
    """The scheduled visit of a resolved ticket: ``ticket_id``'s, else a new ticket's (``fields`` go to
    :func:`~tests.factories.tickets.ticket_request`). Scheduling is the feedback service's sweep, so any
    other result still awaiting its visit gets one too."""
    if ticket_id is None:
        ticket_id = ticket_in_status(session, clock=clock, status=TicketStatus.RESOLVED, actor=actor, **fields).id
    visits.schedule_due(session, clock=clock, key=key, base_url=base_url)
    visit = session.scalar(
        select(ReturnVisit).where(ReturnVisit.ticket_id == ticket_id).order_by(ReturnVisit.id.desc()).limit(1)
    )
    assert visit is not None, f"ticket {ticket_id} has no result awaiting a visit"
    return visit
