"""Return visits: scheduled once per result, worked from the agents' queue (calls and their outcomes) or
answered by the customer through the signed link (``surveys``); a completed visit moves the ticket to
``visited``. Flushes, never commits."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import get_for_update
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_
from aftersales.feedback import rules
from aftersales.feedback.errors import InvalidVisitInputError, VisitClosedError, VisitNotFoundError
from aftersales.feedback.models import ReturnVisit, VisitAttempt
from aftersales.notifications import preferences
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType, TicketStatus
from aftersales.tickets.models import Ticket

BATCH = 500


def survey_url(base_url: str, token: str) -> str:
    """Where the customer answers."""
    return f"{base_url.rstrip('/')}/survey/{token}"


def _awaiting_visit() -> list[Any]:
    has_visit = exists().where(
        and_(ReturnVisit.ticket_id == Ticket.id, ReturnVisit.resolution_at == Ticket.resolved_at)
    )
    return [Ticket.status == TicketStatus.RESOLVED, Ticket.resolved_at.is_not(None), ~has_visit]


def has_results_awaiting_a_visit(session: Session) -> bool:
    """Whether some result still has no visit (a cheap check before signing anything)."""
    return session.scalar(select(Ticket.id).where(*_awaiting_visit()).limit(1)) is not None


def schedule_due(session: Session, *, clock: Clock, key: bytes, base_url: str, limit: int = BATCH) -> int:
    """Create the visit (and its one invitation) for every result that has none yet; returns how many."""
    tickets = session.scalars(
        select(Ticket).where(*_awaiting_visit()).order_by(Ticket.resolved_at).limit(limit)
    ).unique()
    created = 0
    for ticket in tickets:
        _schedule(session, clock=clock, ticket=ticket, key=key, base_url=base_url)
        created += 1
    session.flush()
    return created


def _schedule(session: Session, *, clock: Clock, ticket: Ticket, key: bytes, base_url: str) -> ReturnVisit:
    """The visit of the ticket's current result, with its one invitation."""
    assert ticket.resolved_at is not None
    now = clock.now()
    due = max(rules.visit_due(str(ticket.kind), ticket.resolved_at), now)
    visit = ReturnVisit(
        ticket_id=ticket.id,
        resolution_at=ticket.resolved_at,
        status="scheduled",
        due_at=due,
        attempts=0,
        link_nonce=secrets.token_hex(8),
        link_expires_at=due + rules.LINK_LIFETIME,
        created_at=now,
    )
    session.add(visit)
    session.flush()
    # By the channel the customer prefers (SMS unless they chose email); none when they opted out.
    route = preferences.choose_channel(session, phone=ticket.customer.phone, default=Channel.SMS)
    if route is None:
        return visit
    token = rules.sign_link(key, visit.id, visit.link_expires_at, visit.link_nonce)
    notifications_service.enqueue(
        session,
        clock=clock,
        kind="visit_invitation",
        dedupe_key=f"visit_invitation:{visit.id}",
        context={
            "ticket_number": ticket.number,
            "survey_url": survey_url(base_url, token),
            "valid_days": rules.LINK_LIFETIME.days,
        },
        channel=route[0],
        recipient_address=route[1],
        ticket_id=ticket.id,
        payload={"visit_id": visit.id},
    )
    return visit


def _current_result(session: Session, actor: Actor, ticket_id: int) -> Ticket:
    """The ticket, which must be waiting for its 回访 (status resolved)."""
    ticket = tickets_service.get_ticket(session, ticket_id, actor=actor, for_update=True)
    if ticket.status != TicketStatus.RESOLVED or ticket.resolved_at is None:
        raise VisitClosedError(
            N_("工单不在「已反馈结果」状态，没有待做的回访"), code="visit.no_result", fields={"status": ticket.status}
        )
    return ticket


def visit_for_result(
    session: Session, *, clock: Clock, actor: Actor, ticket_id: int, key: bytes, base_url: str
) -> ReturnVisit:
    """The visit that follows the ticket's current result, scheduled now if the background job has not
    yet (an agent making the 回访 straight from the ticket); visit staff only."""
    require_role(actor, rules.VISIT_ROLES)
    ticket = _current_result(session, actor, ticket_id)
    existing = session.scalar(
        select(ReturnVisit).where(ReturnVisit.ticket_id == ticket.id, ReturnVisit.resolution_at == ticket.resolved_at)
    )
    if existing is not None:
        return existing
    visit = _schedule(session, clock=clock, ticket=ticket, key=key, base_url=base_url)
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="visit.scheduled",
        entity_type="return_visit",
        entity_id=visit.id,
        after={"ticket_id": ticket.id, "status": visit.status, "due_at": visit.due_at.isoformat()},
    )
    return visit


def record_past_visit(session: Session, *, clock: Clock, actor: Actor, ticket_id: int, note: str | None) -> ReturnVisit:
    """A 回访 that happened before the ticket came here (imported or replayed history): the visit with one
    call that reached the customer, done at ``clock.now()``; the ticket moves to ``visited``. No invitation."""
    ticket = _current_result(session, actor, ticket_id)
    assert ticket.resolved_at is not None
    now = clock.now()
    text = (note or "").strip()[:500] or None
    visit = ReturnVisit(
        ticket_id=ticket.id,
        resolution_at=ticket.resolved_at,
        status="done",
        due_at=now,
        attempts=1,
        last_attempt_at=now,
        completed_at=now,
        outcome=text or "已回访",
        link_nonce=secrets.token_hex(8),
        link_expires_at=now,
        created_at=now,
    )
    session.add(visit)
    session.flush()
    session.add(VisitAttempt(visit_id=visit.id, at=now, agent=actor.username, outcome="reached", note=text))
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="visit.recorded",
        entity_type="return_visit",
        entity_id=visit.id,
        after={"status": visit.status, "attempts": 1, "outcome": "reached"},
        note=text,
    )
    finish_ticket(session, clock=clock, actor=actor, visit=visit, note=text or "回访完成", note_key="", note_params={})
    session.flush()
    return visit


def require_role(actor: Actor, roles: frozenset[Role]) -> None:
    """Refuse anyone but visit staff (``roles`` from ``rules``)."""
    if actor.role not in roles:
        raise PermissionDeniedError(N_("只有回访人员可以查看或登记回访"), code="visit.forbidden")


def take_ownership(visit: ReturnVisit, actor: Actor) -> bool:
    """A visit nobody owns becomes the acting visit agent's (the first to call or record it); True when it
    did. The row is already locked by the caller (``get_for_update``)."""
    if visit.assignee_id is not None or actor.user_id is None or actor.role not in rules.VISIT_ROLES:
        return False
    visit.assignee_id = actor.user_id
    return True


def get_visit(session: Session, visit_id: int, *, actor: Actor | None = None) -> ReturnVisit:
    """A visit whose ticket the actor may see."""
    visit = session.get(ReturnVisit, visit_id)
    if visit is None:
        raise VisitNotFoundError(N_("回访 %(visit)s 不存在"), {"visit": visit_id})
    if actor is not None:
        tickets_service.get_ticket(session, visit.ticket_id, actor=actor)
    return visit


def list_visits(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int | None = None,
    status: str | None = None,
    due_before: datetime | None = None,
    owner: str | None = None,
    limit: int = 100,
) -> list[ReturnVisit]:
    """Visits by due time (the agents' queue: status scheduled, due before now), everyone's, the actor's
    own (``owner="mine"``) or nobody's yet (``"unassigned"``); visit staff only."""
    require_role(actor, rules.VISIT_READERS)
    query = select(ReturnVisit)
    if owner == "mine":
        query = query.where(ReturnVisit.assignee_id == actor.user_id)
    elif owner == "unassigned":
        query = query.where(ReturnVisit.assignee_id.is_(None))
    elif owner is not None:
        raise InvalidVisitInputError(N_("未知的筛选条件 %(owner)s"), {"owner": owner}, fields={"owner": owner})
    if ticket_id is not None:
        tickets_service.get_ticket(session, ticket_id, actor=actor)
        query = query.where(ReturnVisit.ticket_id == ticket_id)
    if status is not None:
        if status not in ("scheduled", "done", "unreachable"):
            raise InvalidVisitInputError(N_("未知的回访状态 %(status)s"), {"status": status}, fields={"status": status})
        query = query.where(ReturnVisit.status == status)
    if due_before is not None:
        query = query.where(ReturnVisit.due_at <= due_before)
    return list(session.scalars(query.order_by(ReturnVisit.due_at, ReturnVisit.id).limit(limit)))


def finish_ticket(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    visit: ReturnVisit,
    note: str,
    note_key: str,
    note_params: dict[str, Any],
) -> None:
    """The visit is over: the ticket moves to ``visited`` when it still waits for it (``note_key`` and
    ``note_params`` let the console show the note in its language)."""
    ticket = tickets_service.get_ticket(session, visit.ticket_id)
    if ticket.status == TicketStatus.RESOLVED and ticket.resolved_at == visit.resolution_at:
        tickets_service.apply_event(
            session,
            clock=clock,
            actor=actor,
            ticket_id=ticket.id,
            event_type=EventType.RETURN_VISIT,
            note=note,
            # The visit that records the 回访: the lifecycle refuses one without it (ticket.visit_required).
            data={"visit_id": visit.id, **({"note_key": note_key, "note_params": note_params} if note_key else {})},
        )


def record_attempt(
    session: Session, *, clock: Clock, actor: Actor, visit_id: int, outcome: str, note: str | None = None
) -> ReturnVisit:
    """One outbound call; after MAX_ATTEMPTS calls without reaching the customer the visit ends."""
    require_role(actor, rules.VISIT_ROLES)
    visit = get_visit(session, visit_id, actor=actor)
    get_for_update(session, ReturnVisit, visit.id)  # counted one call at a time
    if visit.status != "scheduled":
        raise VisitClosedError(N_("该回访已结束"), fields={"status": visit.status})
    if outcome not in rules.ATTEMPT_OUTCOMES:
        raise InvalidVisitInputError(
            N_("未知的通话结果 %(outcome)s"), {"outcome": outcome}, fields={"outcome": outcome}
        )
    text = (note or "").strip()[:500] or None
    now = clock.now()
    take_ownership(visit, actor)
    session.add(VisitAttempt(visit_id=visit.id, at=now, agent=actor.username, outcome=outcome, note=text))
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="visit.attempt",
        entity_type="return_visit",
        entity_id=visit.id,
        after={"outcome": outcome, "attempts": visit.attempts + 1, "assignee_id": visit.assignee_id},
        note=text,
    )
    visit.attempts += 1
    visit.last_attempt_at = now
    if outcome in ("refused", "wrong_number") or (outcome != "reached" and visit.attempts >= rules.MAX_ATTEMPTS):
        reason = {"refused": "客户拒绝回访", "wrong_number": "号码错误"}.get(
            outcome, f"{visit.attempts} 次未能联系上客户"
        )
        visit.status, visit.completed_at, visit.outcome = "unreachable", now, reason
        why = (
            {"key": f"visit.{outcome}"}
            if outcome in ("refused", "wrong_number")
            else {"key": "visit.not_reached", "params": {"attempts": visit.attempts}}
        )
        finish_ticket(
            session,
            clock=clock,
            actor=actor,
            visit=visit,
            note=f"回访未完成：{reason}",
            note_key="visit.unfinished",
            note_params={"reason": why},
        )
    session.flush()
    return visit
