"""SLA policies (the seeded ones, re-timed for a test)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from aftersales.sla import service as sla_service
from aftersales.sla.models import Policy
from aftersales.tickets.enums import Priority


def sla_policy(
    session: Session,
    *,
    priority: Priority,
    calendar_code: str | None = None,
    first_response_minutes: int | None = None,
    onsite_minutes: int | None = None,
    resolution_minutes: int | None = None,
) -> Policy:
    """The seeded policy of ``priority``, re-pointed or re-timed for this test.

    Edits the seeded row directly (rolled back with the test), with no audit entry and none of the checks of
    the administrator's edit (``sla.service.change_policy``), so a test may set any timing it needs.
    """
    policy = sla_service.get_policy(session, priority.value)
    if calendar_code is not None:
        policy.calendar_id = sla_service.get_calendar(session, calendar_code).id
    if first_response_minutes is not None:
        policy.first_response_minutes = first_response_minutes
    if onsite_minutes is not None:
        policy.onsite_minutes = onsite_minutes
    if resolution_minutes is not None:
        policy.resolution_minutes = resolution_minutes
    session.flush()
    return policy
