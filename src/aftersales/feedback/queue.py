"""The agents' return-visit queue and who owns a visit: a page of due visits (everyone's, mine or nobody's
yet), claiming one, and the people to tell when its answers call for a follow-up. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_
from aftersales.core.pagination import COUNT_LIMIT, Page
from aftersales.feedback import rules
from aftersales.feedback.errors import InvalidVisitInputError, VisitClaimedError, VisitClosedError
from aftersales.feedback.models import ReturnVisit, VisitAttempt
from aftersales.feedback.visits import get_visit
from aftersales.tickets.models import Ticket


@dataclass(frozen=True)
class QueueRow:
    visit: ReturnVisit
    ticket: Ticket
    owner: str | None  # the owner's username


def _require_staff(actor: Actor) -> None:
    if actor.role not in rules.VISIT_ROLES:
        raise PermissionDeniedError(N_("只有回访人员可以查看或登记回访"), code="visit.forbidden")


def due_page(
    session: Session,
    *,
    actor: Actor,
    due_before: datetime,
    owner: str | None = None,
    limit: int = rules.QUEUE_PAGE_SIZE,
    offset: int = 0,
) -> Page[QueueRow]:
    """Scheduled visits due before ``due_before``, the earliest first: everyone's, the actor's own
    (``owner="mine"``) or nobody's yet (``"unassigned"``); the total is counted up to COUNT_LIMIT + 1."""
    _require_staff(actor)
    if owner is not None and owner not in rules.QUEUE_OWNERS:
        raise InvalidVisitInputError(N_("未知的筛选条件 %(owner)s"), {"owner": owner}, fields={"owner": owner})
    if offset < 0 or not 1 <= limit <= 200:
        raise InvalidVisitInputError(N_("分页参数无效"), fields={"offset": str(offset)})
    query = select(ReturnVisit.id).where(ReturnVisit.status == "scheduled", ReturnVisit.due_at <= due_before)
    if owner == "mine":
        query = query.where(ReturnVisit.assignee_id == actor.user_id)
    elif owner == "unassigned":
        query = query.where(ReturnVisit.assignee_id.is_(None))
    counted = query.limit(COUNT_LIMIT + 1).subquery()
    total = int(session.scalar(select(func.count()).select_from(counted)) or 0)
    rows = session.execute(
        select(ReturnVisit, Ticket, User.username)
        .join(Ticket, Ticket.id == ReturnVisit.ticket_id)
        .outerjoin(User, User.id == ReturnVisit.assignee_id)
        .where(ReturnVisit.id.in_(query))
        .order_by(ReturnVisit.due_at, ReturnVisit.id)
        .limit(limit)
        .offset(offset)
    ).all()
    items = [QueueRow(visit, ticket, username) for visit, ticket, username in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def claim(session: Session, *, clock: Clock, actor: Actor, visit_id: int) -> ReturnVisit:
    """The actor takes a visit nobody owns (one atomic update, so two agents cannot both get it); taking
    one's own again changes nothing; another agent's is refused."""
    _require_staff(actor)
    visit = get_visit(session, visit_id, actor=actor)
    if visit.status != "scheduled":
        raise VisitClosedError(N_("该回访已结束"), fields={"status": visit.status})
    if actor.user_id is None:
        raise PermissionDeniedError(N_("只有回访人员可以查看或登记回访"), code="visit.forbidden")
    statement = (
        update(ReturnVisit)
        .where(ReturnVisit.id == visit.id, ReturnVisit.assignee_id.is_(None), ReturnVisit.status == "scheduled")
        .values(assignee_id=actor.user_id)
        .execution_options(synchronize_session=False)
    )
    taken = int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
    session.refresh(visit)
    if not taken:
        if visit.assignee_id == actor.user_id:
            return visit
        if visit.status != "scheduled":
            raise VisitClosedError(N_("该回访已结束"), fields={"status": visit.status})
        holder = session.get(User, visit.assignee_id) if visit.assignee_id is not None else None
        raise VisitClaimedError(
            N_("该回访已由 %(owner)s 负责"),
            {"owner": holder.username if holder else "?"},
            fields={"assignee": holder.username if holder else ""},
        )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="visit.claimed",
        entity_type="return_visit",
        entity_id=visit.id,
        before={"assignee_id": None},
        after={"assignee_id": actor.user_id},
    )
    session.flush()
    return visit


def owner_name(session: Session, visit: ReturnVisit) -> str | None:
    """The username of the visit's owner, if it has one."""
    return session.scalar(select(User.username).where(User.id == visit.assignee_id)) if visit.assignee_id else None


def owner_of(session: Session, *, visit: ReturnVisit, ticket: Ticket) -> int | None:
    """Who owns the visit: its assignee, else the last visit agent who called the customer, else the
    ticket's assignee when that is a visit agent (never the technician whose work is judged)."""
    if visit.assignee_id is not None:
        return visit.assignee_id
    caller = session.scalar(
        select(User.id)
        .join(VisitAttempt, VisitAttempt.agent == User.username)
        .where(VisitAttempt.visit_id == visit.id, User.role.in_(rules.VISIT_ROLES))
        .order_by(VisitAttempt.id.desc())
        .limit(1)
    )
    if caller is not None:
        return int(caller)
    if ticket.assignee_id is not None:
        assignee = session.get(User, ticket.assignee_id)
        if assignee is not None and assignee.is_active and assignee.role in rules.VISIT_ROLES:
            return assignee.id
    return None


def people_to_tell(session: Session, *, visit: ReturnVisit, ticket: Ticket) -> list[int]:
    """The visit's owner and their supervisor (the ticket organisation's managers when nobody owns it),
    each once, owner first."""
    owner = owner_of(session, visit=visit, ticket=ticket)
    # The owner's own supervisor or managers (their organisation); the ticket's when nobody owns it.
    organisation_id = None if owner is not None else ticket.organisation_id
    supervisors = accounts_service.supervisors_for(session, user_id=owner, organisation_id=organisation_id)
    return _unique([owner, *(user.id for user in supervisors)])


def _unique(ids: Iterable[int | None]) -> list[int]:
    return [user_id for user_id in dict.fromkeys(ids) if user_id is not None]
